"""A downstream project's conftest: phaseline's test kit comes from the installed
package (pytest11 entry point, no -p flag); this file only loads the project's
own SQL into the template, after phaseline."""

from pathlib import Path

import psycopg


def pytest_phaseline_load_template(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute((Path(__file__).parent / "sql" / "evidence.sql").read_bytes())
