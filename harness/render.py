"""Render the SQL templates of sql/ into the exact text that deploy applies.

Every file under sql/once and sql/repeatable is a Jinja2 template rendered
with StrictUndefined. Identifiers reach templates already quoted
(``{{ schema }}``); the raw names are there for string literals
(``{{ schema_name | literal }}``). Output is deterministic: same inputs, same
bytes, so the sha256 in the ledger means something.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import jinja2

# The SQL ships inside the package (phaseline.sql); in a checkout the editable
# install maps that package to sql/. Jinja2 loads from a directory, and an
# installed (unzipped) package is one.
SQL_DIR = Path(str(importlib.resources.files("phaseline.sql")))
KINDS = ("once", "repeatable")  # applied in this order: Flyway's versioned, then repeatable

# What a rendered file must never contain: a placeholder or tag that survived
# (say, from a {% raw %} block). Narrow on purpose: JSON's "}}" and a 2-D
# array literal '{{1,2}}' are legitimate SQL.
_LEFTOVER = re.compile(r"\{\{\s*[A-Za-z_]|\{%|\{#")


class RenderError(Exception):
    """A template could not be rendered; the message names the file."""


def quote_ident(name: str) -> str:
    """Quote an identifier the way PostgreSQL's quote_ident() does."""
    if not isinstance(name, str) or not name:
        raise RenderError(f"identifier must be a non-empty string, got {name!r}")
    if re.fullmatch(r"[a-z_][a-z0-9_]*", name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: object) -> str:
    """A SQL string literal; E'' syntax is never needed as backslashes are not special."""
    return "'" + str(value).replace("'", "''") + "'"


# Every PostgreSQL 15 keyword that is not unreserved (pg_get_keywords()
# catcode R, C or T): quote_ident() quotes exactly these.
_RESERVED = frozenset(
    """
    all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean
    both case cast char character check coalesce collate collation column concurrently constraint create
    cross current_catalog current_date current_role current_schema current_time current_timestamp
    current_user dec decimal default deferrable desc distinct do else end except exists extract false
    fetch float for foreign freeze from full grant greatest group grouping having ilike in initially
    inner inout int integer intersect interval into is isnull join lateral leading least left like limit
    localtime localtimestamp national natural nchar none normalize not notnull null nullif numeric offset
    on only or order out outer overlaps overlay placing position precision primary real references
    returning right row select session_user setof similar smallint some substring symmetric table
    tablesample then time timestamp to trailing treat trim true union unique user using values varchar
    variadic verbose when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest
    xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable
    """.split()
)


@dataclass(frozen=True)
class SqlFile:
    kind: str  # "once" or "repeatable"
    name: str  # path relative to sql/, e.g. "once/010_reference.sql"
    text: str  # rendered SQL

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def load_config(sql_dir: Path = SQL_DIR) -> dict:
    with open(sql_dir / "phaseline.toml", "rb") as fh:
        return tomllib.load(fh)


def build_context(overrides: dict[str, str] | None = None, sql_dir: Path = SQL_DIR) -> dict:
    """The template variables: every [vars] entry quoted, its raw name as <var>_name."""
    config = load_config(sql_dir)
    values = dict(config["vars"])
    for key, value in (overrides or {}).items():
        if key not in values:
            raise RenderError(f"unknown variable {key!r}; known: {', '.join(sorted(values))}")
        values[key] = value
    ctx: dict = {}
    for key, value in values.items():
        ctx[key] = quote_ident(value)
        ctx[f"{key}_name"] = value
    entities = []
    for n, raw in enumerate(config.get("versioned", []), start=1):
        missing = {"entity", "table", "key", "artifact_type"} - raw.keys()
        if missing:
            raise RenderError(f"phaseline.toml: versioned entity #{n} lacks {', '.join(sorted(missing))}")
        if raw["key"][:2] != ["cycle_id", "report_id"]:
            # approvals, artifacts and four eyes look up the report of a version
            raise RenderError(f"phaseline.toml: the key of {raw['entity']} must start with cycle_id, report_id")
        phase = raw.get("artifact_phase")
        entities.append(
            dict(
                entity=raw["entity"],
                table=quote_ident(raw["table"]),
                table_name=raw["table"],
                key=[quote_ident(k) for k in raw["key"]],
                key_names=list(raw["key"]),
                artifact_type=raw["artifact_type"],
                artifact_key=quote_ident(raw["artifact_key"]) if raw.get("artifact_key") else None,
                phase_column=quote_ident(phase[1:]) if phase and phase.startswith("@") else None,
                phase_literal=phase if phase and not phase.startswith("@") else None,
                before_submit=quote_ident(raw["before_submit"]) if raw.get("before_submit") else None,
                before_approve=quote_ident(raw["before_approve"]) if raw.get("before_approve") else None,
            )
        )
    ctx["versioned"] = entities
    by_name = {e["entity"]: e for e in entities}

    def entity(name: str) -> dict:
        if name not in by_name:
            raise RenderError(f"no versioned entity {name!r} in phaseline.toml")
        return by_name[name]

    ctx["entity"] = entity
    return ctx


def _environment(sql_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(sql_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        extensions=["jinja2.ext.do"],
    )
    env.filters["literal"] = quote_literal
    env.filters["ident"] = quote_ident
    return env


def sql_files(sql_dir: Path = SQL_DIR) -> list[tuple[str, str]]:
    """(kind, name) of every file deploy applies, in apply order."""
    files = []
    for kind in KINDS:
        for path in sorted((sql_dir / kind).glob("*.sql")):
            files.append((kind, f"{kind}/{path.name}"))
    return files


def render_all(overrides: dict[str, str] | None = None, sql_dir: Path = SQL_DIR) -> list[SqlFile]:
    ctx = build_context(overrides, sql_dir)
    env = _environment(sql_dir)
    rendered = []
    for kind, name in sql_files(sql_dir):
        try:
            text = env.get_template(name).render(ctx)
        except jinja2.UndefinedError as exc:
            raise RenderError(f"{name}: {exc.message}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from None
        leftover = _LEFTOVER.search(text)
        if leftover:
            line = text.count("\n", 0, leftover.start()) + 1
            raise RenderError(f"{name}:{line}: placeholder left unrendered: {leftover.group()!r}")
        rendered.append(SqlFile(kind=kind, name=name, text=text))
    return rendered
