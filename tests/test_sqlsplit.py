"""The statement splitter deploy uses to report the line of a failing statement,
and the identifier quoting render uses: the cases that hide a semicolon or a keyword."""

from __future__ import annotations

import pytest
from phaseline.render import quote_ident
from phaseline.sqlsplit import split_statements


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("SELECT 1; SELECT 2;", [(1, "SELECT 1;"), (1, "SELECT 2;")]),
        ("SELECT 'a;''b';\nSELECT 2", [(1, "SELECT 'a;''b';"), (2, "SELECT 2")]),
        ("SELECT E'a\\';b';", [(1, "SELECT E'a\\';b';")]),
        ('SELECT 1 AS "x;y";', [(1, 'SELECT 1 AS "x;y";')]),
        ("-- c;\n/* a; /* nested; */ */\nSELECT 1;", [(3, "SELECT 1;")]),
        (
            "CREATE FUNCTION f() RETURNS int AS $fn$ BEGIN RETURN 1; END $fn$ LANGUAGE plpgsql;\nSELECT 2;",
            [
                (1, "CREATE FUNCTION f() RETURNS int AS $fn$ BEGIN RETURN 1; END $fn$ LANGUAGE plpgsql;"),
                (2, "SELECT 2;"),
            ],
        ),
        ("DO $é$ BEGIN PERFORM 1; END $é$;", [(1, "DO $é$ BEGIN PERFORM 1; END $é$;")]),
        (
            "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\n\nSELECT 3;",
            [(1, "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);"), (3, "SELECT 3;")],
        ),
        ("SELECT $1; SELECT 2;", [(1, "SELECT $1;"), (1, "SELECT 2;")]),
        ("\n\n-- only a comment;\n", []),
    ],
)
def test_split_statements(sql, expected):
    assert split_statements(sql) == expected


@pytest.mark.parametrize(
    "name, quoted",
    [
        ("phaseline", "phaseline"),
        ("my_schema2", "my_schema2"),
        ("Mixed", '"Mixed"'),
        ("left", '"left"'),
        ("user", '"user"'),
        ("a$b", '"a$b"'),
        ('q"uote', '"q""uote"'),
        ("2start", '"2start"'),
    ],
)
def test_quote_ident_matches_postgres(name, quoted, phaseline_db):
    assert quote_ident(name) == quoted
    assert phaseline_db.execute("SELECT quote_ident(%s)", (name,)).fetchone()[0] == quoted
