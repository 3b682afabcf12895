"""The naming scheme of README "Layout", read off a deployed catalog.

Triggers are `_<order>_<what>`; a trigger function serving one table is
`_<table>_<what>`, one serving several is `_tg_<what>`. A newcomer finds a
trigger's code by its table's name, and a shared one by `_tg_`.
"""

from __future__ import annotations

import re

TRIGGERS = """
SELECT c.relname, t.tgname, p.proname
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE n.nspname = 'phaseline' AND NOT t.tgisinternal
"""


def test_triggers_and_their_functions_follow_the_naming_scheme(phaseline_db):
    rows = phaseline_db.execute(TRIGGERS).fetchall()
    assert len(rows) > 30, "the deployed schema has its triggers"
    # Partitions of the audit log carry the guard of their parent.
    parents = {
        r[0]: r[1]
        for r in phaseline_db.execute(
            "SELECT c.relname, p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent"
        ).fetchall()
    }
    tables_of: dict[str, set[str]] = {}
    for table, _, fn in rows:
        tables_of.setdefault(fn, set()).add(parents.get(table, table))
    wrong = []
    for table, trigger, fn in rows:
        if not re.fullmatch(r"_[0-9]{3}_[a-z][a-z0-9_]*", trigger):
            wrong.append(f"trigger {trigger} on {table}: not _<order>_<what>")
        if len(tables_of[fn]) > 1:
            if not fn.startswith("_tg_"):
                wrong.append(f"{fn} serves {sorted(tables_of[fn])}: a shared trigger function is _tg_<what>")
        elif not fn.startswith(f"_{parents.get(table, table)}_"):
            wrong.append(f"{fn} serves only {table}: its name starts with _{parents.get(table, table)}_")
    assert not wrong, "\n".join(wrong)
