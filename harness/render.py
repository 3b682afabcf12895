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
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import jinja2.meta

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
    # sha256 of the template's source and of each include it renders, by name:
    # the ledger keeps them so a drifted run-once file names what changed.
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def load_config(sql_dir: Path = SQL_DIR) -> dict:
    with open(sql_dir / "phaseline.toml", "rb") as fh:
        return tomllib.load(fh)


def _entity(raw: dict, n: int, where: str) -> dict:
    missing = {"entity", "table", "key", "artifact_type"} - raw.keys()
    if missing:
        raise RenderError(f"{where}: versioned entity #{n} lacks {', '.join(sorted(missing))}")
    if raw["key"][:2] != ["cycle_id", "report_id"]:
        # approvals, artifacts and four eyes look up the report of a version
        raise RenderError(f"{where}: the key of {raw['entity']} must start with cycle_id, report_id")
    phase = raw.get("artifact_phase")
    return dict(
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
        label=raw.get("label") or raw["entity"],  # how messages name it
    )


_SET_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")


def _decision_set(raw: dict, n: int, where: str) -> tuple[dict, dict | None]:
    """One [[decision_set]]: the set, and the versioned entity it implies (None when it names one with `entity`).

    A set's versions are a versioned entity: either an existing [[versioned]] entry (``entity``) or one this
    entry implies (``versions`` table and ``key``; entity and artifact type are the set's name, its approvals
    belong to ``artifact_phase``). Its items table has the columns of include/decision_shapes.sql, with the
    item's key and data columns named by ``item_key`` and ``item_data``. ``contract`` is the items' data
    contract, in the phase contracts' format ({"required": [...], "properties": {key: {"type": ...}}}).
    ``noun`` (default "item") is what the set's own functions and rules call an item: its functions take
    their JSON items keyed ``<noun>_key``, and its rules are duplicate_<noun>_key, unknown_<noun>_key and
    (for any noun but "item") <items>_references. samples keeps release 0.1.0's names with noun = "sample".
    """
    known = {
        "name",
        "entity",
        "versions",
        "key",
        "artifact_type",
        "artifact_phase",
        "items",
        "item_key",
        "item_data",
        "contract",
        "noun",
        "label",
    }
    unknown = set(raw) - known
    if unknown:
        raise RenderError(f"{where}: decision set #{n} has unknown key(s) {', '.join(sorted(unknown))}")
    missing = {"name", "items"} - raw.keys()
    if missing:
        raise RenderError(f"{where}: decision set #{n} lacks {', '.join(sorted(missing))}")
    name = raw["name"]
    if not _SET_NAME.fullmatch(name):
        raise RenderError(f"{where}: decision set name {name!r} must match {_SET_NAME.pattern}")
    implied = None
    if "entity" in raw:
        if "versions" in raw or "key" in raw:
            raise RenderError(f"{where}: decision set {name} names an entity; versions and key belong to it")
        entity_name = raw["entity"]
    else:
        if "versions" not in raw:
            raise RenderError(f"{where}: decision set {name} needs an entity, or versions (a table) and key")
        key = raw.get("key", ["cycle_id", "report_id"])
        implied = dict(
            entity=name,
            table=raw["versions"],
            key=key,
            artifact_type=raw.get("artifact_type", name),
            label=raw.get("label", name.replace("_", " ")),
        )
        if raw.get("artifact_phase"):
            implied["artifact_phase"] = raw["artifact_phase"]
        entity_name = name
    contract = raw.get("contract", {})
    if not isinstance(contract, dict):
        raise RenderError(f"{where}: the contract of decision set {name} must be a table")
    s = dict(
        name=name,
        label=raw.get("label", name.replace("_", " ")),
        entity_name=entity_name,
        items_table=quote_ident(raw["items"]),
        items_name=raw["items"],
        item_key=quote_ident(raw.get("item_key", "item_key")),
        item_key_name=raw.get("item_key", "item_key"),
        item_data=quote_ident(raw.get("item_data", "item_data")),
        item_data_name=raw.get("item_data", "item_data"),
        contract=contract,
        contract_json=json.dumps(contract, sort_keys=True),
        fn=f"_ds_{name}",
    )
    noun = raw.get("noun", "item")
    if not _SET_NAME.fullmatch(noun):
        raise RenderError(f"{where}: the noun of decision set {name} must match {_SET_NAME.pattern}")
    s.update(
        noun=noun,
        json_key=f"{noun}_key",
        rule_duplicate_key=f"duplicate_{noun}_key",
        rule_unknown_key=f"unknown_{noun}_key",
        rule_references="decision_items_references" if noun == "item" else f"{raw['items']}_references",
    )
    return s, implied


_CONTRACT_TYPES = {"string", "number", "integer", "boolean", "array", "object"}


def _check_contract(contract: dict, name: str) -> None:
    """The item contract of a set: a phase contract's format (140_phase_data.sql, _contract_problems)."""
    problems = [f"unknown key {k!r}" for k in sorted(set(contract) - {"required", "properties"})]
    required = contract.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        problems.append("required must be a list of key names")
    props = contract.get("properties", {})
    if not isinstance(props, dict):
        problems.append("properties must be a table")
    else:
        problems += [
            f"property {k!r} needs type = one of {', '.join(sorted(_CONTRACT_TYPES))}"
            for k, p in sorted(props.items())
            if not isinstance(p, dict) or set(p) != {"type"} or p["type"] not in _CONTRACT_TYPES
        ]
    if problems:
        raise RenderError(f"the contract of decision set {name}: {'; '.join(problems)}")


_EXTENSION_NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")


def extension_name(path: Path) -> str:
    """An extension's name: [extension] name in its phaseline.toml, else its directory's name."""
    config = load_config(path) if (path / "phaseline.toml").exists() else {}
    name = config.get("extension", {}).get("name", path.resolve().name)
    if not _EXTENSION_NAME.fullmatch(name):
        raise RenderError(f"{path}: extension name {name!r} must match {_EXTENSION_NAME.pattern}")
    return name


def build_context(
    overrides: dict[str, str] | None = None, sql_dir: Path = SQL_DIR, extensions: tuple[Path, ...] = ()
) -> dict:
    """The template variables: every [vars] entry quoted, its raw name as <var>_name; the versioned entities
    of phaseline.toml, then those each extension declares in its own phaseline.toml."""
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
    entities = [_entity(raw, n, "phaseline.toml") for n, raw in enumerate(config.get("versioned", []), start=1)]
    sets: list[dict] = []

    def add_sets(raws: list[dict], where: str) -> None:
        for n, raw in enumerate(raws, start=1):
            s, implied = _decision_set(raw, n, where)
            if implied is not None:
                entities.append(_entity(implied, n, where))
            sets.append(s)

    add_sets(config.get("decision_set", []), "phaseline.toml")
    for ext in extensions:
        ext_toml = ext / "phaseline.toml"
        ext_config = load_config(ext) if ext_toml.exists() else {}
        unknown = set(ext_config) - {"extension", "versioned", "decision_set"}
        if unknown:
            raise RenderError(
                f"{ext_toml}: unknown section(s) {', '.join(sorted(unknown))}; known: extension, versioned, decision_set"
            )
        entities += [_entity(raw, n, str(ext_toml)) for n, raw in enumerate(ext_config.get("versioned", []), start=1)]
        add_sets(ext_config.get("decision_set", []), str(ext_toml))
    seen: set[str] = set()
    for e in entities:
        for name in (e["entity"], e["table_name"]):
            if name in seen:
                raise RenderError(f"versioned entity or table {name!r} is declared twice")
        seen |= {e["entity"], e["table_name"]}
    ctx["versioned"] = entities
    by_name = {e["entity"]: e for e in entities}

    def entity(name: str) -> dict:
        if name not in by_name:
            raise RenderError(f"no versioned entity {name!r} in phaseline.toml or an extension")
        return by_name[name]

    ctx["entity"] = entity

    # Decision sets: each set's versions entity gets the set's before_approve
    # hook ("every item decided").
    set_names: set[str] = set()
    tables = {e["table_name"] for e in entities}
    for s in sets:
        if s["name"] in set_names:
            raise RenderError(f"decision set {s['name']!r} is declared twice")
        if s["items_name"] in tables:
            raise RenderError(f"table {s['items_name']!r} is declared twice (decision set {s['name']})")
        set_names.add(s["name"])
        tables.add(s["items_name"])
        _check_contract(s["contract"], s["name"])
        e = entity(s["entity_name"])
        s["entity"] = e
        hook = quote_ident(f"{s['fn']}_before_approve")
        if e["before_approve"] not in (None, hook):
            raise RenderError(f"decision set {s['name']}: entity {e['entity']} has a before_approve hook already")
        e["before_approve"] = hook
    ctx["decision_sets"] = sets
    sets_by_name = {s["name"]: s for s in sets}

    def decision_set(name: str) -> dict:
        if name not in sets_by_name:
            raise RenderError(f"no decision set {name!r} in phaseline.toml or an extension")
        return sets_by_name[name]

    ctx["decision_set"] = decision_set
    return ctx


def _environment(sql_dir: Path, extensions: tuple[Path, ...] = ()) -> jinja2.Environment:
    # An extension's files are templates too, named ext-<name>/once/..., and
    # can import phaseline's includes ({% import 'include/shapes.sql' as v %}).
    loader: jinja2.BaseLoader = jinja2.FileSystemLoader(str(sql_dir))
    if extensions:
        prefixed = {f"ext-{extension_name(p)}": jinja2.FileSystemLoader(str(p)) for p in extensions}
        loader = jinja2.ChoiceLoader([loader, jinja2.PrefixLoader(prefixed)])
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        extensions=["jinja2.ext.do"],
    )
    env.filters["literal"] = quote_literal
    env.filters["ident"] = quote_ident
    return env


# Repeatable files that restate something about every object (its grants, its comment); deploy
# re-applies them whenever any file is applied (deploy.RESTATED).
RESTATED_FILES = ("repeatable/900_privileges.sql", "repeatable/950_comments.sql")
# Repeatable files that generate code from the tables' columns as the catalog has them (the audit
# trigger functions); deploy re-applies them whenever it applies a run-once file (deploy.CATALOG_DERIVED).
CATALOG_DERIVED_FILES = ("repeatable/110_audit.sql",)


def sql_files(sql_dir: Path = SQL_DIR, extensions: tuple[Path, ...] = ()) -> list[tuple[str, str]]:
    """(kind, name) of every file deploy applies, in apply order: all run-once files (phaseline's, then each
    extension's), then all repeatable files (likewise), so an extension's tables exist before the engine's
    triggers are generated for them."""
    files = []
    for kind in KINDS:
        own = [(kind, f"{kind}/{path.name}") for path in sorted((sql_dir / kind).glob("*.sql"))]
        # The files that restate every object's grants and comments come last, after the
        # extensions' repeatable files too, so that an extension's functions get them.
        last = [f for f in own if f[1] in RESTATED_FILES]
        files += [f for f in own if f not in last]
        for ext in extensions:
            for path in sorted((ext / kind).glob("*.sql")):
                files.append((kind, f"ext-{extension_name(ext)}/{kind}/{path.name}"))
        files += last
    return files


def template_sources(env: jinja2.Environment, name: str) -> dict[str, str]:
    """sha256 of the source of a template and of every template it imports or includes, transitively."""
    seen: dict[str, str] = {}
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        source = env.loader.get_source(env, current)[0]
        seen[current] = hashlib.sha256(source.encode()).hexdigest()
        todo.extend(n for n in jinja2.meta.find_referenced_templates(env.parse(source)) if n)
    return dict(sorted(seen.items()))


@dataclass
class Build:
    """One command's build context: the TOML, the variables, the Jinja environment, the rendered files.

    Made once per command (``Build.load``) and passed to deploy, status,
    validate, render, the migration and the test kit, so nothing re-reads
    the TOML or renders twice.
    """

    sql_dir: Path
    overrides: dict[str, str]
    ctx: dict
    env: jinja2.Environment
    extensions: tuple[Path, ...] = ()
    _files: list[SqlFile] | None = None

    @classmethod
    def load(
        cls, overrides: dict[str, str] | None = None, sql_dir: Path = SQL_DIR, extensions: tuple[Path, ...] = ()
    ) -> Build:
        overrides = dict(overrides or {})
        extensions = tuple(Path(p) for p in extensions)
        for ext in extensions:
            if not ext.is_dir():
                raise RenderError(f"extension {ext}: not a directory")
        return cls(
            sql_dir=sql_dir,
            overrides=overrides,
            ctx=build_context(overrides, sql_dir, extensions),
            env=_environment(sql_dir, extensions),
            extensions=extensions,
        )

    @property
    def vars(self) -> dict[str, str]:
        """Every [vars] value as rendered (defaults with the overrides applied), raw names."""
        return {
            k[: -len("_name")]: v
            for k, v in self.ctx.items()
            if k.endswith("_name") and isinstance(v, str) and k[: -len("_name")] in self.ctx
        }

    @property
    def files(self) -> list[SqlFile]:
        if self._files is None:
            self._files = [self.render(kind, name) for kind, name in sql_files(self.sql_dir, self.extensions)]
        return self._files

    def render(self, kind: str, name: str) -> SqlFile:
        try:
            text = self.env.get_template(name).render(self.ctx)
        except jinja2.UndefinedError as exc:
            raise RenderError(f"{name}: {exc.message}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from None
        leftover = _LEFTOVER.search(text)
        if leftover:
            line = text.count("\n", 0, leftover.start()) + 1
            raise RenderError(f"{name}:{line}: placeholder left unrendered: {leftover.group()!r}")
        return SqlFile(kind=kind, name=name, text=text, sources=template_sources(self.env, name))


def render_all(overrides: dict[str, str] | None = None, sql_dir: Path = SQL_DIR) -> list[SqlFile]:
    return Build.load(overrides, sql_dir).files
