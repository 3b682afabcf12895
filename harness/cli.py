"""phaseline command line: render, deploy, status, plan, validate, migrate-legacy, legacy-fixture.

The connection comes from --db (a libpq URL or key=value string); without it
the standard libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE, ...) decide,
exactly as with psql.
"""

from __future__ import annotations

import argparse
import sys

import psycopg

from .deploy import DeployError, deploy, status
from .legacy_fixture import FixtureError, create_fixture
from .migrate import DEFAULT_BATCH_SIZE, DEFAULT_WAIT_LEGACY, MigrationError, backfill, contract, expand, verify
from .render import RenderError, build_context, render_all


def _vars(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise RenderError(f"--var takes NAME=VALUE, got {pair!r}")
        out[key] = value
    return out


def cmd_render(args) -> int:
    for f in render_all(_vars(args.var)):
        sys.stdout.write(f"-- phaseline: {f.name} ({f.kind})\nBEGIN;\n{f.text.rstrip()}\nCOMMIT;\n\n")
    return 0


def cmd_deploy(args) -> int:
    deploy(args.db, _vars(args.var), lock_timeout=args.lock_timeout)
    return 0


def cmd_status(args) -> int:
    rows = status(args.db, _vars(args.var))
    pending = 0
    for item, led in rows:
        when = f"{led['applied_at']:%Y-%m-%d %H:%M:%S} by {led['applied_by']} ({led['duration_ms']} ms)" if led else ""
        print(f"{item.action:8} {item.file.name:45} {item.file.sha256[:12]}  {when}")
        pending += item.action != "applied"
    print(f"{len(rows)} files: {len(rows) - pending} applied, {pending} to apply or drifted")
    if args.command == "validate":
        return 1 if pending else 0
    return 0


def _migration_vars(args) -> dict[str, str]:
    overrides = _vars(args.var)
    if args.legacy_schema:
        overrides["legacy_schema"] = args.legacy_schema
    return overrides


def cmd_migrate_legacy(args) -> int:
    overrides = _migration_vars(args)
    if args.action == "expand":
        expand(args.db, overrides)
    elif args.action == "backfill":
        backfill(args.db, overrides, batch_size=args.batch_size, restart=args.restart, wait_legacy=args.wait_legacy)
    elif args.action == "verify":
        passed, _ = verify(args.db, overrides)
        return 0 if passed else 1
    else:
        contract(args.db, overrides, dry_run=args.dry_run)
    return 0


def cmd_legacy_fixture(args) -> int:
    create_fixture(args.db, args.scale, build_context(_migration_vars(args))["legacy_schema_name"])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="phaseline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="", help="libpq connection string or URL (default: PG* variables)")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="override a variable of sql/phaseline.toml")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("render", help="print the full rendered SQL, for deploying with psql")
    p = sub.add_parser("deploy", help="apply what is not applied yet")
    p.add_argument("--lock-timeout", default="10s", help="lock_timeout for each file (default 10s)")
    sub.add_parser("status", help="each file: applied, to apply, or drifted, with its ledger row")
    sub.add_parser("plan", help="same as status")
    sub.add_parser("validate", help="re-render and compare with the ledger; exit 1 on any difference")
    p = sub.add_parser("migrate-legacy", help="migrate from the legacy shapes, one step at a time (docs/MIGRATION.md)")
    p.add_argument("action", choices=["expand", "backfill", "verify", "contract"])
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help=f"backfill: legacy rows per batch (default {DEFAULT_BATCH_SIZE})")
    p.add_argument("--restart", action="store_true", help="backfill: start a new pass from the first step")
    p.add_argument("--wait-legacy", type=float, default=DEFAULT_WAIT_LEGACY, metavar="SECONDS",
                   help=f"backfill: how long a batch may wait for legacy transactions holding its groups (default {DEFAULT_WAIT_LEGACY:.0f})")
    p.add_argument("--dry-run", action="store_true", help="contract: print what would be dropped, change nothing")
    p.add_argument("--legacy-schema", help="schema of the legacy tables (default: legacy_schema of sql/phaseline.toml)")
    p = sub.add_parser("legacy-fixture", help="create the legacy tables with generated data (a test fixture)")
    p.add_argument("--scale", type=int, required=True, help="number of sample records (about)")
    p.add_argument("--legacy-schema", help="schema to create them in (default: legacy_schema of sql/phaseline.toml)")
    args = parser.parse_args(argv)
    handler = {"render": cmd_render, "deploy": cmd_deploy, "status": cmd_status, "plan": cmd_status, "validate": cmd_status,
               "migrate-legacy": cmd_migrate_legacy, "legacy-fixture": cmd_legacy_fixture}[args.command]
    try:
        return handler(args)
    except (DeployError, RenderError, MigrationError, FixtureError) as exc:
        print(f"phaseline {args.command}: {exc}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as exc:
        print(f"phaseline {args.command}: cannot connect: {str(exc).strip()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
