"""Comparison 2b: the same stream of versioned changes through SQLAlchemy-Continuum
and through phaseline called from SQLAlchemy, one transaction per change.

Imported only when SQLAlchemy and SQLAlchemy-Continuum are installed
(the bench extra of pyproject.toml); make_versioned() patches SQLAlchemy globally, which
is why this lives in its own module.
"""

from __future__ import annotations

import time

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Session, declarative_base
from sqlalchemy_continuum import make_versioned

make_versioned(user_cls=None)

Base = declarative_base(metadata=sa.MetaData(schema="bench_continuum"))


class Attribute(Base):
    """The current row of a report attribute; Continuum keeps its versions in attributes_version."""

    __tablename__ = "attributes"
    __versioned__ = {}
    __table_args__ = (sa.UniqueConstraint("cycle_id", "report_id", "attribute_name"),)

    id = sa.Column(sa.Integer, primary_key=True)
    cycle_id = sa.Column(UUID(as_uuid=False), nullable=False)
    report_id = sa.Column(UUID(as_uuid=False), nullable=False)
    attribute_name = sa.Column(sa.Text, nullable=False)
    definition = sa.Column(JSONB, nullable=False)


sa.orm.configure_mappers()

NEW_DEFINITION = {"data_type": "numeric", "rev": 2}


def engine(dsn: str) -> sa.Engine:
    # Same session settings as the server-side loops (synchronous_commit off).
    return sa.create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn), pool_size=1)


def create_schema(eng: sa.Engine) -> None:
    with eng.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA bench_continuum"))
    Base.metadata.create_all(eng)


def load_first_versions(eng: sa.Engine, cycle: str, report: str, prefix: str, n: int) -> None:
    """Version 1 of n attributes, through the ORM so Continuum records it too."""
    with Session(eng) as s:
        s.add_all(
            Attribute(
                cycle_id=cycle,
                report_id=report,
                attribute_name=f"{prefix}{i}",
                definition={"data_type": "numeric", "rev": 1},
            )
            for i in range(1, n + 1)
        )
        s.commit()


def run_continuum(eng: sa.Engine, cycle: str, report: str, prefix: str, n: int) -> float:
    """Load each attribute by its key, change it, commit: Continuum writes the version rows."""
    stmt = sa.select(Attribute).where(
        Attribute.cycle_id == cycle, Attribute.report_id == report, Attribute.attribute_name == sa.bindparam("name")
    )
    with Session(eng) as s:
        started = time.perf_counter()
        for i in range(1, n + 1):
            a = s.execute(stmt, {"name": f"{prefix}{i}"}).scalar_one()
            a.definition = NEW_DEFINITION
            s.commit()
        return time.perf_counter() - started


def run_phaseline(eng: sa.Engine, cycle: str, report: str, prefix: str, n: int, actor: int) -> float:
    """The same change through the API from the same ORM session machinery."""
    call = sa.text(
        "SELECT phaseline_api.propose_report_attribute(CAST(:c AS uuid), CAST(:r AS uuid), :name, CAST(:d AS jsonb), :a)"
    )
    d = '{"data_type": "numeric", "rev": 2}'
    with Session(eng) as s:
        started = time.perf_counter()
        for i in range(1, n + 1):
            s.execute(call, {"c": cycle, "r": report, "name": f"{prefix}{i}", "d": d, "a": actor})
            s.commit()
        return time.perf_counter() - started


def check(eng: sa.Engine, prefix: str, n: int) -> None:
    """Every changed attribute has exactly two versions in Continuum's table."""
    with eng.connect() as conn:
        got = conn.execute(
            sa.text("SELECT count(*) FROM bench_continuum.attributes_version WHERE attribute_name LIKE :p"),
            {"p": f"{prefix}%"},
        ).scalar_one()
    if got != 2 * n:
        raise RuntimeError(f"Continuum recorded {got} versions for {n} attributes changed once (expected {2 * n})")
