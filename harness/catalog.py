"""What the live catalog says about phaseline's objects, and how it differs.

Deploy records a snapshot of the catalog right after it applied a release
(``<ledger schema>.catalog``): one fingerprint per object — each function's
full definition (body, SECURITY DEFINER, search_path), owner and ACL; each
trigger's definition and whether it is enabled; each table's columns,
constraints, indexes, owner and ACL; each view's definition and ACL; each
schema's owner and ACL. ``validate`` reads the same query live and names
every object that differs from the snapshot, then checks rules that hold
whatever was recorded: nothing in phaseline's schemas is usable by PUBLIC,
every API function is SECURITY DEFINER with a pinned search_path, the
application roles hold no privilege on a table, every trigger is enabled.

Why a snapshot rather than a second deploy to compare with: validate must be
safe on a live database (it takes no lock and creates nothing), and the
ledger's checksums already prove which release's text was applied; the
snapshot adds what that text produced, so any later change to the catalog
(``CREATE OR REPLACE`` by hand, ``DISABLE TRIGGER``, a ``GRANT``) shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

# kind, name, fingerprint for every object in the given schemas. Text, not
# hashes, where a person wants to read the difference (ACLs, enabled flags).
_SNAPSHOT = """
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY (%(schemas)s)
)
SELECT 'schema', nspname, format('owner=%%s acl=%%s', nspowner::regrole, coalesce(nspacl::text, 'default'))
  FROM pg_namespace WHERE nspname = ANY (%(schemas)s)
UNION ALL
SELECT 'function', p.oid::regprocedure::text, 'definition=' || md5(pg_get_functiondef(p.oid))
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace WHERE p.prokind IN ('f', 'p')
UNION ALL
SELECT 'function privileges', p.oid::regprocedure::text,
       format('owner=%%s acl=%%s', p.proowner::regrole, coalesce(p.proacl::text, 'default'))
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace WHERE p.prokind IN ('f', 'p')
UNION ALL
SELECT 'trigger', format('%%s.%%I', t.tgrelid::regclass, t.tgname),
       'state=' || CASE t.tgenabled WHEN 'D' THEN 'disabled' WHEN 'O' THEN 'enabled' WHEN 'A' THEN 'enabled_always'
                                    ELSE 'enabled_on_replica_only' END
       || ' definition=' || md5(pg_get_triggerdef(t.oid))
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns ON ns.oid = c.relnamespace
 WHERE NOT t.tgisinternal
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'S' THEN 'sequence' ELSE 'table' END,
       c.oid::regclass::text,
       CASE WHEN c.relkind = 'v' THEN 'definition=' || md5(pg_get_viewdef(c.oid))
            ELSE 'columns=' || md5(coalesce((
                     SELECT string_agg(format('%%s %%s %%s %%s', a.attname, format_type(a.atttypid, a.atttypmod),
                                              a.attnotnull, pg_get_expr(d.adbin, d.adrelid)), ', ' ORDER BY a.attnum)
                       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), ''))
                 || ' constraints=' || md5(coalesce((
                     SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), ', ' ORDER BY conname)
                       FROM pg_constraint WHERE conrelid = c.oid), ''))
                 || ' indexes=' || md5(coalesce((
                     SELECT string_agg(pg_get_indexdef(indexrelid), ', ' ORDER BY indexrelid::regclass::text)
                       FROM pg_index WHERE indrelid = c.oid), ''))
       END
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'S') AND NOT c.relispartition
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view privileges' WHEN 'S' THEN 'sequence privileges' ELSE 'table privileges' END,
       c.oid::regclass::text, format('owner=%%s acl=%%s', c.relowner::regrole, coalesce(c.relacl::text, 'default'))
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'S') AND NOT c.relispartition
"""

# Rules that hold whatever the snapshot says; each row is one breach.
_RULES = """
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY (%(schemas)s)
)
SELECT 'schema', nspname, 'PUBLIC may ' || lower(a.privilege_type)
  FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
 WHERE n.nspname = ANY (%(schemas)s) AND a.grantee = 0
UNION ALL
SELECT 'function', p.oid::regprocedure::text, 'PUBLIC may execute'
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
 WHERE a.grantee = 0
UNION ALL
SELECT 'table', c.oid::regclass::text, 'PUBLIC may ' || lower(a.privilege_type)
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace, aclexplode(c.relacl) a
 WHERE a.grantee = 0
UNION ALL
SELECT 'table', c.oid::regclass::text, format('%%s may %%s', a.grantee::regrole, lower(a.privilege_type))
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p')
   AND a.grantee IN (SELECT oid FROM pg_roles WHERE rolname = ANY (%(app_roles)s))
UNION ALL
SELECT 'function', p.oid::regprocedure::text, 'is not SECURITY DEFINER'
  FROM pg_proc p WHERE p.pronamespace = %(api_schema)s::regnamespace AND NOT p.prosecdef
UNION ALL
SELECT 'function', p.oid::regprocedure::text, 'has no pinned search_path'
  FROM pg_proc p WHERE p.pronamespace = %(api_schema)s::regnamespace
   AND NOT coalesce(p.proconfig, '{}') && ARRAY['search_path=pg_catalog, pg_temp']
UNION ALL
SELECT 'function', p.oid::regprocedure::text, 'has no COMMENT (phaseline''s own: deploy --repair re-applies 950_comments.sql; an extension''s: COMMENT ON it in the file that creates it)'
  FROM pg_proc p WHERE p.pronamespace = %(api_schema)s::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL
UNION ALL
SELECT 'trigger', format('%%s.%%I', t.tgrelid::regclass, t.tgname), 'is disabled'
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns ON ns.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND t.tgenabled = 'D'
"""


@dataclass(frozen=True)
class Difference:
    kind: str  # schema, function, trigger, table, view, ... or "release", "file"
    name: str
    problem: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.problem}"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "problem": self.problem}


def _params(ctx: dict) -> dict:
    return {
        "schemas": [ctx["schema_name"], ctx["api_schema_name"]],
        "schema": ctx["schema_name"],
        "api_schema": ctx["api_schema_name"],
        "app_roles": [ctx["app_role_name"], ctx["readonly_role_name"]],
    }


def snapshot(conn: psycopg.Connection, ctx: dict) -> dict[tuple[str, str], str]:
    return {(k, n): f for k, n, f in conn.execute(_SNAPSHOT, _params(ctx)).fetchall()}


def save_snapshot(conn: psycopg.Connection, ctx: dict, table: sql.Composable) -> None:
    """Replace the recorded snapshot with the live catalog (same transaction as the caller's)."""
    conn.execute(sql.SQL("DELETE FROM {}").format(table))
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL("INSERT INTO {} (kind, name, fingerprint) VALUES (%s, %s, %s)").format(table),
            [(k, n, f) for (k, n), f in snapshot(conn, ctx).items()],
        )


def recorded_snapshot(conn: psycopg.Connection, table: sql.Composable) -> dict[tuple[str, str], str]:
    return {(k, n): f for k, n, f in conn.execute(sql.SQL("SELECT kind, name, fingerprint FROM {}").format(table))}


def compare(recorded: dict[tuple[str, str], str], live: dict[tuple[str, str], str]) -> list[Difference]:
    out = []
    for key in sorted(recorded.keys() | live.keys()):
        kind, name = key
        if key not in live:
            out.append(Difference(kind, name, "missing"))
        elif key not in recorded:
            out.append(Difference(kind, name, "not deployed by this release (added by hand?)"))
        elif recorded[key] != live[key]:
            out.append(Difference(kind, name, "changed since deploy: " + _what_changed(recorded[key], live[key])))
    return out


def _fields(fingerprint: str) -> dict[str, str]:
    return dict(part.partition("=")[::2] for part in fingerprint.split(" "))


def _what_changed(was: str, now: str) -> str:
    """'definition differs', 'state disabled (was enabled)', 'acl ... (was ...)'."""
    before, after = _fields(was), _fields(now)
    out = []
    for key in before.keys() | after.keys():
        if before.get(key) == after.get(key):
            continue
        if key in ("definition", "columns", "constraints", "indexes"):
            out.append(f"{key} differs")
        else:
            out.append(f"{key} {after.get(key)} (was {before.get(key)})")
    return "; ".join(sorted(out))


def rule_breaches(conn: psycopg.Connection, ctx: dict) -> list[Difference]:
    return [Difference(k, n, p) for k, n, p in conn.execute(_RULES, _params(ctx)).fetchall()]
