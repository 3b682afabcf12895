"""phaseline command line: render, deploy, status, plan, validate.

The connection comes from --db (a libpq URL or key=value string); without it
the standard libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE, ...) decide,
exactly as with psql.
"""

from __future__ import annotations

import argparse
import sys

import psycopg

from .deploy import DeployError, deploy, status
from .render import RenderError, render_all


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
    args = parser.parse_args(argv)
    handler = {"render": cmd_render, "deploy": cmd_deploy, "status": cmd_status, "plan": cmd_status, "validate": cmd_status}[args.command]
    try:
        return handler(args)
    except (DeployError, RenderError) as exc:
        print(f"phaseline {args.command}: {exc}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as exc:
        print(f"phaseline {args.command}: cannot connect: {str(exc).strip()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
