"""phaseline command line: deploy, check and render the phaseline schema package.

The database comes from --db (a libpq URL or key=value string), else
DATABASE_URL, else the libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE,
PGPASSWORD, ...), exactly as with psql. Every command that connects first
prints its target to stderr (host:port/dbname as user; never a password).

Exit codes:
  0  success
  1  a check found differences (drift, validate), or deploy refused to touch
     a database that differs from this release (release, variables, tampering)
  2  bad usage (unknown option, bad option value)
  3  cannot connect
  4  a lock was not obtained (another deploy; a table lock after every retry)
  5  a SQL error while applying a file (nothing of that file was applied)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import psycopg

from . import docs
from .deploy import (
    DEFAULT_LOCK_RETRIES,
    DEFAULT_LOCK_TIMEOUT,
    DeployError,
    baseline,
    deploy,
    pending_sql,
    status,
    validate,
)
from .legacy_fixture import FixtureError, create_fixture
from .migrate import DEFAULT_BATCH_SIZE, DEFAULT_WAIT_LEGACY, MigrationError, backfill, contract, expand, verify
from .pgconn import describe_target, resolve_conninfo
from .render import Build, RenderError
from .version import RELEASE

EXIT_OK, EXIT_DIFFERS, EXIT_USAGE, EXIT_CONNECT, EXIT_LOCK, EXIT_SQL = 0, 1, 2, 3, 4, 5


def _var(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"takes NAME=VALUE, got {text[:40]!r}")
    return key, value


def _duration(text: str) -> str:
    """A PostgreSQL duration for lock_timeout: 500ms, 2s, 1min, or a number of milliseconds."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*(us|ms|s|min|h|d)?", text.strip()):
        raise argparse.ArgumentTypeError(f"not a duration: {text[:40]!r} (examples: 500ms, 2s, 1min)")
    return text.strip()


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number >= 0: {text[:40]!r}")
    return int(text)


def _connect_check(args) -> str:
    """The conninfo of this command; prints the target to stderr, or exits 3 when it cannot connect."""
    conninfo = resolve_conninfo(args.db)
    with psycopg.connect(conninfo, connect_timeout=10) as conn:
        print(f"phaseline {args.command}: {describe_target(conn)}", file=sys.stderr)
    return conninfo


def _build(args) -> Build:
    overrides = dict(args.var)
    if getattr(args, "legacy_schema", None):
        overrides["legacy_schema"] = args.legacy_schema
    return Build.load(overrides, extensions=tuple(Path(p) for p in args.extension))


def cmd_render(args) -> int:
    if args.split:  # one file per rendered file, for linters and reviews
        for f in _build(args).files:
            target = Path(args.split) / f.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f.text)
        return EXIT_OK
    for f in _build(args).files:
        sys.stdout.write(f"-- phaseline: {f.name} ({f.kind})\nBEGIN;\n{f.text.rstrip()}\nCOMMIT;\n\n")
    return EXIT_OK


def cmd_deploy(args) -> int:
    build = _build(args)
    deploy(
        _connect_check(args),
        build=build,
        lock_timeout=args.lock_timeout,
        lock_retries=args.lock_retries,
        repair=args.repair,
        wait_seconds=args.wait,
        log=lambda m: print(m, flush=True),
    )
    return EXIT_OK


def cmd_status(args) -> int:
    build = _build(args)
    conninfo = _connect_check(args)
    if args.command == "plan" and args.sql:
        sys.stdout.write(pending_sql(conninfo, build=build))
        return EXIT_OK
    rows = status(conninfo, build=build)
    pending = sum(item.action != "applied" for item, _ in rows)
    if args.json:
        print(
            json.dumps(
                {
                    "release": RELEASE,
                    "files": [
                        {
                            "file": item.file.name,
                            "kind": item.file.kind,
                            "action": item.action,
                            "sha256": item.file.sha256,
                            "applied_at": led["applied_at"].isoformat() if led else None,
                            "applied_by": led["applied_by"] if led else None,
                        }
                        for item, led in rows
                    ],
                    "pending": pending,
                },
                indent=2,
            )
        )
        return EXIT_OK
    for item, led in rows:
        when = f"{led['applied_at']:%Y-%m-%d %H:%M:%S} by {led['applied_by']} ({led['duration_ms']} ms)" if led else ""
        print(f"{item.action:8} {item.file.name:45} {item.file.sha256[:12]}  {when}")
    print(f"{len(rows)} files: {len(rows) - pending} applied, {pending} to apply or drifted")
    return EXIT_OK


def cmd_validate(args) -> int:
    differences = validate(_connect_check(args), build=_build(args))
    if args.json:
        print(json.dumps({"release": RELEASE, "differences": [d.as_dict() for d in differences]}, indent=2))
    else:
        for d in differences:
            print(d)
        print(
            f"{len(differences)} difference(s) from release {RELEASE}"
            if differences
            else f"the database matches release {RELEASE}"
        )
    return EXIT_DIFFERS if differences else EXIT_OK


def cmd_baseline(args) -> int:
    baseline(_connect_check(args), build=_build(args))
    return EXIT_OK


def cmd_docs(args) -> int:
    build = _build(args)
    with psycopg.connect(_connect_check(args)) as conn:
        text = docs.generate(conn, build)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_migrate_legacy(args) -> int:
    build = _build(args)
    conninfo = _connect_check(args)
    if args.action == "expand":
        expand(conninfo, build.overrides)
    elif args.action == "backfill":
        backfill(
            conninfo, build.overrides, batch_size=args.batch_size, restart=args.restart, wait_legacy=args.wait_legacy
        )
    elif args.action == "verify":
        passed, _ = verify(conninfo, build.overrides)
        return EXIT_OK if passed else EXIT_DIFFERS
    else:
        contract(conninfo, build.overrides, dry_run=args.dry_run)
    return EXIT_OK


def cmd_legacy_fixture(args) -> int:
    create_fixture(_connect_check(args), args.scale, _build(args).ctx["legacy_schema_name"])
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    # Global options live in a parent parser given to the top level and to every
    # subcommand, so `phaseline --db X deploy` and `phaseline deploy --db X` both
    # work. SUPPRESS keeps a subcommand's unset option from hiding the global one.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        metavar="CONNINFO",
        help="libpq connection string or URL (default: DATABASE_URL, else the PG* variables)",
    )
    common.add_argument(
        "--var",
        type=_var,
        action="append",
        default=argparse.SUPPRESS,
        metavar="NAME=VALUE",
        help="override a variable of phaseline.toml [vars] (repeatable)",
    )
    common.add_argument(
        "--extension",
        action="append",
        default=argparse.SUPPRESS,
        metavar="PATH",
        help="a directory with your own phaseline.toml, once/ and repeatable/ SQL, deployed with "
        "phaseline (repeatable)",
    )
    top = argparse.ArgumentParser(
        prog="phaseline",
        parents=[common],
        description=__doc__.split("\n\n")[0],
        epilog=__doc__[__doc__.index("Exit codes") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"phaseline {RELEASE}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, help_, handler):
        p = sub.add_parser(name, parents=[common], help=help_, description=help_)
        p.set_defaults(handler=handler)
        return p

    p = add(
        "render",
        "print the full rendered SQL, for deploying with psql (then adopt it with `phaseline baseline`)",
        cmd_render,
    )
    p.add_argument("--split", metavar="DIR", help="write each file to DIR/<kind>/<name> instead of one stream")
    p = add(
        "deploy", "apply what is not applied yet; refuse drift, downgrades, other variables and tampering", cmd_deploy
    )
    p.add_argument(
        "--lock-timeout",
        type=_duration,
        default=DEFAULT_LOCK_TIMEOUT,
        help=f"how long one statement waits for a lock before it is retried (default {DEFAULT_LOCK_TIMEOUT})",
    )
    p.add_argument(
        "--lock-retries",
        type=_count,
        default=DEFAULT_LOCK_RETRIES,
        help=f"retries per statement, with backoff from 0.25 s to 4 s (default {DEFAULT_LOCK_RETRIES})",
    )
    p.add_argument(
        "--wait",
        type=_count,
        default=300,
        metavar="SECONDS",
        help="how long to wait for another deploy to finish (default 300)",
    )
    p.add_argument(
        "--repair",
        action="store_true",
        help="re-apply every repeatable file, restoring functions, triggers and grants changed by hand",
    )
    for name, help_ in (
        ("status", "each file: applied, to apply, or drifted, with its ledger row"),
        ("plan", "what deploy would do (--sql: the exact SQL it would apply)"),
    ):
        p = add(name, help_, cmd_status)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        if name == "plan":
            p.add_argument("--sql", action="store_true", help="print the SQL still to be applied")
    p = add(
        "validate",
        "compare the live catalog, the ledger and the release with this release; exit 1 on any difference",
        cmd_validate,
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add(
        "baseline",
        "adopt a database deployed with `render | psql`: check it matches, then write the ledger",
        cmd_baseline,
    )
    p = add("docs", "write the API reference (docs/API.md) from the catalog of a deployed database", cmd_docs)
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    p = add(
        "migrate-legacy", "migrate from the legacy shapes, one step at a time (docs/MIGRATION.md)", cmd_migrate_legacy
    )
    p.add_argument("action", choices=["expand", "backfill", "verify", "contract"])
    p.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"backfill: legacy rows per batch (default {DEFAULT_BATCH_SIZE})",
    )
    p.add_argument("--restart", action="store_true", help="backfill: start a new pass from the first step")
    p.add_argument(
        "--wait-legacy",
        type=float,
        default=DEFAULT_WAIT_LEGACY,
        metavar="SECONDS",
        help=f"backfill: how long a batch may wait for legacy transactions holding its groups "
        f"(default {DEFAULT_WAIT_LEGACY:.0f})",
    )
    p.add_argument("--dry-run", action="store_true", help="contract: print what would be dropped, change nothing")
    p.add_argument("--legacy-schema", help="schema of the legacy tables (default: legacy_schema of phaseline.toml)")
    p = add("legacy-fixture", "create the legacy tables with generated data (a test fixture)", cmd_legacy_fixture)
    p.add_argument("--scale", type=int, required=True, help="number of sample records (about)")
    p.add_argument("--legacy-schema", help="schema to create them in (default: legacy_schema of phaseline.toml)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)  # exits 2 with one usage line on bad usage
    args.db = getattr(args, "db", "")
    args.var = getattr(args, "var", [])
    args.extension = getattr(args, "extension", [])
    try:
        return args.handler(args)
    except psycopg.OperationalError as exc:
        print(f"phaseline {args.command}: cannot connect: {str(exc).strip()}", file=sys.stderr)
        return EXIT_CONNECT
    except DeployError as exc:
        print(f"phaseline {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except psycopg.Error as exc:  # outside a file's apply (the ledger, a check): still one line, no traceback
        print(f"phaseline {args.command}: {exc.sqlstate} {str(exc).strip()}", file=sys.stderr)
        return EXIT_SQL
    except RenderError as exc:
        print(f"phaseline {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (MigrationError, FixtureError) as exc:
        print(f"phaseline {args.command}: {exc}", file=sys.stderr)
        return EXIT_DIFFERS


if __name__ == "__main__":
    raise SystemExit(main())
