"""A typed Python client of the phaseline API, over a psycopg 3 connection.

    import psycopg
    from phaseline.client import Client, FourEyesError

    with psycopg.connect(dsn, autocommit=True) as conn:
        api = Client(conn, actor=owner_id)
        try:
            api.approve_version(version_id)
        except FourEyesError as exc:
            print(exc.rule, exc.hint)

One method per function of the API schema, with the function's arguments
(without their ``p_`` prefix) and typed results: dataclasses for rows. A
method sends one ``SELECT`` with positional parameters; errors come back as
the exception class of their rule (phaseline.errors), which carries sqlstate,
rule, message, detail and hint. ``actor`` set on the client is the default
``p_actor`` of every mutating call. tests/test_client.py checks the methods
against the catalog, so a new API function or argument cannot be forgotten.

Transactions are the caller's: with ``autocommit=True`` each call is one
transaction; otherwise calls join the connection's open transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from .errors import *  # noqa: F403 - the exception classes are part of the client's interface
from .errors import PhaselineError, from_psycopg

T = TypeVar("T")
API_SCHEMA = "phaseline_api"


@dataclass(frozen=True)
class VersionRow:
    """A row of version_history()."""

    entity: str
    id: UUID
    version_number: int
    is_latest: bool
    version_status: str
    parent_version_id: UUID | None
    created_at: dt.datetime
    created_by: int
    submitted_at: dt.datetime | None
    submitted_by: int | None
    reviewed_at: dt.datetime | None
    reviewed_by: int | None
    review_note: str | None


@dataclass(frozen=True)
class Artifact:
    """A row of current_artifacts / approved_artifact()."""

    id: UUID
    cycle_id: UUID
    report_id: UUID
    phase_name: str | None
    artifact_type: str
    artifact_key: str | None
    reference_table: str
    reference_id: UUID
    reference_version: int
    approved_by: int
    approved_at: dt.datetime
    superseded_at: dt.datetime | None


@dataclass(frozen=True)
class AuditEntry:
    """A row of audit_trail(): one change of the row, whole old and new row."""

    at: dt.datetime
    actor: int
    action: str
    table_name: str
    row_id: str
    old_row: dict | None
    new_row: dict | None
    audit_id: int


@dataclass(frozen=True)
class LineageStep:
    """A row of sample_lineage(): step 0 is the given decision, then each one it was carried from."""

    step: int
    version_id: UUID
    version_number: int
    decision_id: UUID
    sample_key: str
    recommendation_source: str
    recommended_by: int
    decision_status: str
    decided_by: int | None
    decided_at: dt.datetime | None
    decision_note: str | None
    sample_data: dict


@dataclass(frozen=True)
class ItemLineageStep:
    """A row of item_lineage(): step 0 is the given item, then each one it was carried from."""

    step: int
    set_name: str
    version_id: UUID
    version_number: int
    item_id: UUID
    item_key: str
    recommendation_source: str
    recommended_by: int
    decision_status: str
    decided_by: int | None
    decided_at: dt.datetime | None
    decision_note: str | None
    item_data: dict


@dataclass(frozen=True)
class PhaseOverviewRow:
    """A row of phase_overview(): one per catalog phase."""

    phase_name: str
    ordinal: int
    display_name: str
    phase_status: str
    latest_version_id: UUID | None
    latest_version_number: int | None
    latest_version_status: str | None
    approved_version_id: UUID | None
    approved_version_number: int | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None


@dataclass(frozen=True)
class ApprovedPhaseData:
    """A row of approved_phase_data()."""

    report_id: UUID
    phase_name: str
    version_id: UUID
    version_number: int
    phase_data: dict
    approved_at: dt.datetime
    approved_by: int


def _json(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


class Client:
    """The phaseline API as methods. ``actor``: the default acting user of mutating calls."""

    def __init__(self, conn: psycopg.Connection, actor: int | None = None, api_schema: str = API_SCHEMA) -> None:
        self.conn = conn
        self.actor = actor
        self.api_schema = api_schema

    # --- plumbing ---------------------------------------------------------------------

    def _actor(self, actor: int | None) -> int | None:
        return self.actor if actor is None else actor

    def _query(self, function: str, args: tuple, *, rows: type[T] | None = None, star: bool = False) -> Any:
        placeholders = sql.SQL(", ").join(sql.Placeholder() * len(args))
        target = sql.SQL("{}.{}({})").format(sql.Identifier(self.api_schema), sql.Identifier(function), placeholders)
        query = sql.SQL("SELECT * FROM {}" if star else "SELECT {}").format(target)
        try:
            with self.conn.cursor(row_factory=class_row(rows)) if rows else self.conn.cursor() as cur:
                cur.execute(query, args)
                return cur.fetchall()
        except psycopg.Error as exc:
            mapped = from_psycopg(exc)
            if mapped is None:
                raise
            raise mapped from exc

    def _scalar(self, function: str, *args: Any) -> Any:
        return self._query(function, args)[0][0]

    def _rows(self, function: str, rows: type[T], *args: Any) -> list[T]:
        return self._query(function, args, rows=rows, star=True)

    # --- reference data -----------------------------------------------------------------

    def create_user(self, email: str, display_name: str, role: str, actor: int | None = None) -> int:
        return self._scalar("create_user", email, display_name, role, self._actor(actor))

    def set_user_active(self, user: int, active: bool, actor: int | None = None) -> None:
        self._scalar("set_user_active", user, active, self._actor(actor))

    def create_cycle(self, name: str, period_start: dt.date, period_end: dt.date, actor: int | None = None) -> UUID:
        return self._scalar("create_cycle", name, period_start, period_end, self._actor(actor))

    def create_report(self, name: str, owner: int, actor: int | None = None) -> UUID:
        return self._scalar("create_report", name, owner, self._actor(actor))

    def assign_report(self, cycle: UUID, report: UUID, tester: int, actor: int | None = None) -> None:
        self._scalar("assign_report", cycle, report, tester, self._actor(actor))

    def actor_binding(self) -> str:
        """trusted_app or session: how this database binds the acting user."""
        return self._scalar("actor_binding")

    def session_user_id(self) -> int | None:
        """Under session binding, the user the calling role acts as (None when unmapped)."""
        return self._scalar("session_user_id")

    def map_user_role(self, user: int, role: str, actor: int | None = None) -> None:
        self._scalar("map_user_role", user, role, self._actor(actor))

    def unmap_user_role(self, role: str, actor: int | None = None) -> None:
        self._scalar("unmap_user_role", role, self._actor(actor))

    # --- any version ----------------------------------------------------------------------

    def submit_version(self, version: UUID, actor: int | None = None) -> None:
        self._scalar("submit_version", version, self._actor(actor))

    def withdraw_version(self, version: UUID, actor: int | None = None) -> None:
        self._scalar("withdraw_version", version, self._actor(actor))

    def approve_version(self, version: UUID, actor: int | None = None, note: str | None = None) -> UUID:
        """Returns the id of the approved_artifacts row the approval wrote."""
        return self._scalar("approve_version", version, self._actor(actor), note)

    def reject_version(self, version: UUID, note: str, actor: int | None = None) -> None:
        self._scalar("reject_version", version, self._actor(actor), note)

    def version_history(self, version: UUID) -> list[VersionRow]:
        return self._rows("version_history", VersionRow, version)

    # --- report attributes ------------------------------------------------------------------

    def propose_report_attribute(
        self, cycle: UUID, report: UUID, attribute_name: str, definition: dict, actor: int | None = None
    ) -> UUID:
        return self._scalar(
            "propose_report_attribute", cycle, report, attribute_name, _json(definition), self._actor(actor)
        )

    def update_report_attribute(self, version: UUID, definition: dict, actor: int | None = None) -> None:
        self._scalar("update_report_attribute", version, _json(definition), self._actor(actor))

    # --- sample selection ---------------------------------------------------------------------

    def start_sample_selection(self, cycle: UUID, report: UUID, actor: int | None = None) -> UUID:
        return self._scalar("start_sample_selection", cycle, report, self._actor(actor))

    def carry_forward(self, from_version: UUID, to_version: UUID, actor: int | None = None) -> int:
        return self._scalar("carry_forward", from_version, to_version, self._actor(actor))

    def recommend_samples(self, version: UUID, samples: list[dict], source: str, actor: int | None = None) -> int:
        """samples: [{"sample_key": "...", "data": {...}}, ...]; source: tester, llm or manual."""
        return self._scalar("recommend_samples", version, _json(samples), source, self._actor(actor))

    def decide_samples(self, version: UUID, decisions: list[dict], actor: int | None = None) -> int:
        """decisions: [{"sample_key": "...", "status": "approved|rejected|modified", "note": "...", "data": {...}}]."""
        return self._scalar("decide_samples", version, _json(decisions), self._actor(actor))

    def sample_lineage(self, decision: UUID) -> list[LineageStep]:
        return self._rows("sample_lineage", LineageStep, decision)

    # --- decision sets (any [[decision_set]] of phaseline.toml or an extension) ------------------

    def start_decision_set(self, set: str, cycle: UUID, report: UUID, actor: int | None = None) -> UUID:
        return self._scalar("start_decision_set", set, cycle, report, self._actor(actor))

    def recommend_items(self, version: UUID, items: list[dict], source: str, actor: int | None = None) -> int:
        """items: [{"item_key": "...", "data": {...}}, ...]; source: tester, llm or manual."""
        return self._scalar("recommend_items", version, _json(items), source, self._actor(actor))

    def decide_items(self, version: UUID, decisions: list[dict], actor: int | None = None) -> int:
        """decisions: [{"item_key": "...", "status": "approved|rejected|modified", "note": "...", "data": {...}}]."""
        return self._scalar("decide_items", version, _json(decisions), self._actor(actor))

    def carry_items_forward(self, from_version: UUID, to_version: UUID, actor: int | None = None) -> int:
        return self._scalar("carry_items_forward", from_version, to_version, self._actor(actor))

    def item_lineage(self, item: UUID) -> list[ItemLineageStep]:
        return self._rows("item_lineage", ItemLineageStep, item)

    # --- phases --------------------------------------------------------------------------------

    def start_phase(self, cycle: UUID, report: UUID, phase: str, actor: int | None = None) -> UUID:
        return self._scalar("start_phase", cycle, report, phase, self._actor(actor))

    def save_phase_data(self, version: UUID, data: dict, actor: int | None = None, merge: bool = False) -> None:
        self._scalar("save_phase_data", version, _json(data), self._actor(actor), merge)

    def complete_phase(self, version: UUID, actor: int | None = None) -> None:
        self._scalar("complete_phase", version, self._actor(actor))

    def register_phase(self, phase: str, ordinal: int, contract: dict | None, actor: int | None = None) -> None:
        self._scalar("register_phase", phase, ordinal, _json(contract), self._actor(actor))

    def phase_overview(self, cycle: UUID, report: UUID) -> list[PhaseOverviewRow]:
        return self._rows("phase_overview", PhaseOverviewRow, cycle, report)

    def approved_phase_data(self, cycle: UUID, phase: str | None = None) -> list[ApprovedPhaseData]:
        return self._rows("approved_phase_data", ApprovedPhaseData, cycle, phase)

    # --- artifacts and audit -------------------------------------------------------------------

    def approved_artifact(
        self, cycle: UUID, report: UUID, artifact_type: str, artifact_key: str | None = None
    ) -> Artifact | None:
        rows = self._rows("approved_artifact", Artifact, cycle, report, artifact_type, artifact_key)
        return rows[0] if rows else None

    def audit_trail(self, row: UUID) -> list[AuditEntry]:
        return self._rows("audit_trail", AuditEntry, row)

    # --- views ----------------------------------------------------------------------------------

    def current_artifacts(self, cycle: UUID | None = None) -> list[Artifact]:
        query = sql.SQL("SELECT * FROM {}.current_artifacts").format(sql.Identifier(self.api_schema))
        args: tuple = ()
        if cycle is not None:
            query += sql.SQL(" WHERE cycle_id = %s")
            args = (cycle,)
        with self.conn.cursor(row_factory=class_row(Artifact)) as cur:
            return cur.execute(query, args).fetchall()


__all__ = [
    "Client",
    "PhaselineError",
    "VersionRow",
    "Artifact",
    "AuditEntry",
    "LineageStep",
    "PhaseOverviewRow",
    "ApprovedPhaseData",
]
