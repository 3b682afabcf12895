"""Race-freedom of the versioning engine and of sample decisions, with many
connections at once (each thread its own connection, autocommit: one API
call, one transaction, unless a test opens a longer one on purpose).

A caller may see only the documented errors for the race it is in; any
other (a deadlock, a bare unique violation, ...) fails the test, and so does
any broken invariant afterwards.
"""

from __future__ import annotations

import collections
import random
import threading
import time

import psycopg
import pytest
from psycopg.types.json import Jsonb

N_THREADS = 8
DEADLINE_S = 20  # per test, a guard against a hang, not a timing assertion


def connect(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=True)


def rule_of(exc: psycopg.Error) -> tuple[str | None, str | None]:
    return exc.sqlstate, exc.diag.constraint_name


def describe(exc: psycopg.Error) -> str:
    d = exc.diag
    return (
        f"{exc.sqlstate} ({d.constraint_name or 'no rule'}): {d.message_primary}"
        + (f"\n  DETAIL: {d.message_detail}" if d.message_detail else "")
        + (f"\n  CONTEXT: {d.context}" if d.context else "")
    )


def run_threads(target, n: int) -> list[str]:
    """Run target(i, start_barrier) in n threads; returns their unexpected errors."""
    start = threading.Barrier(n)
    errors: list[str] = []

    def wrapped(i: int) -> None:
        try:
            target(i, start)
        except psycopg.Error as exc:
            errors.append(f"thread {i}: {describe(exc)}")
        except Exception as exc:  # an assertion inside a worker, or a bug in it
            errors.append(f"thread {i}: {exc!r}")

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE_S + 30)
    assert not any(t.is_alive() for t in threads), "a worker hangs"
    return errors


# --- report attribute versions -------------------------------------------------


class Tally:
    """What the workers did to each key, to compare with the tables afterwards."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.created = collections.Counter()
        self.approved: dict[str, list] = collections.defaultdict(list)
        self.rejected: dict[str, list] = collections.defaultdict(list)
        self.refused = 0

    def add(self, what: str, key: str, vid=None) -> None:
        with self.lock:
            if what == "created":
                self.created[key] += 1
            elif what == "refused":
                self.refused += 1
            else:
                getattr(self, what)[key].append(vid)


def attribute_worker(dsn: str, w: dict, keys: list[str], versions: int, tally: Tally):
    """Create, submit and review `versions` versions, over `keys` in turn."""

    def work(i: int, start: threading.Barrier) -> None:
        rng = random.Random(i)
        order = keys[i % len(keys) :] + keys[: i % len(keys)]
        deadline = time.monotonic() + DEADLINE_S
        made = 0
        turn = 0
        with connect(dsn) as conn:
            start.wait()
            while made < versions and time.monotonic() < deadline:
                key = order[turn % len(order)]
                turn += 1
                definition = Jsonb({"thread": i, "n": made})
                propose = "SELECT phaseline_api.propose_report_attribute(%s, %s, %s, %s, %s)"
                try:
                    if rng.random() < 0.5:
                        # create and submit in one transaction: the key's lock is held longer
                        with conn.transaction():
                            vid = conn.execute(
                                propose, (w["cycle"], w["report"], key, definition, w["tester"])
                            ).fetchone()[0]
                            conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (vid, w["tester"]))
                    else:
                        vid = conn.execute(propose, (w["cycle"], w["report"], key, definition, w["tester"])).fetchone()[
                            0
                        ]
                        conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (vid, w["tester"]))
                except psycopg.Error as exc:
                    if rule_of(exc) == ("55000", "open_version_exists"):
                        tally.add("refused", key)
                        time.sleep(rng.uniform(0, 0.002))
                        continue
                    raise
                tally.add("created", key)
                made += 1
                reviewer = rng.choice([w["owner"], w["admin"]])
                roll = rng.random()
                if roll < 0.15:
                    conn.execute("SELECT phaseline_api.reject_version(%s, %s, 'not yet')", (vid, reviewer))
                    tally.add("rejected", key, vid)
                    continue
                if roll < 0.3:
                    # back to draft, edited, submitted again: still the same version
                    conn.execute("SELECT phaseline_api.withdraw_version(%s, %s)", (vid, w["tester"]))
                    conn.execute(
                        "SELECT phaseline_api.update_report_attribute(%s, %s, %s)",
                        (vid, Jsonb({"thread": i, "n": made, "edited": True}), w["tester"]),
                    )
                    conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (vid, w["tester"]))
                conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (vid, reviewer))
                tally.add("approved", key, vid)
            assert made == versions, f"made only {made} of {versions} versions before the deadline"

    return work


def check_attribute_key(conn: psycopg.Connection, w: dict, key: str, tally: Tally) -> None:
    rows = conn.execute(
        """
        SELECT id, version_number, is_latest, version_status::text, parent_version_id
          FROM phaseline.report_attributes
         WHERE cycle_id = %s AND report_id = %s AND attribute_name = %s
         ORDER BY version_number
        """,
        (w["cycle"], w["report"], key),
    ).fetchall()
    n = len(rows)
    assert n == tally.created[key], f"{key}: {tally.created[key]} versions created, {n} in the table"
    assert [r[1] for r in rows] == list(range(1, n + 1)), f"{key}: numbers are not 1..{n}"
    latest = [r for r in rows if r[2]]
    assert len(latest) == 1 and latest[0][1] == n, f"{key}: latest {[r[1] for r in latest]}, expected only {n}"
    assert [r[4] for r in rows] == [None] + [r[0] for r in rows[:-1]], f"{key}: parent chain broken"

    status = {r[0]: r[3] for r in rows}
    approved = [r[0] for r in rows if r[3] == "approved"]
    assert len(approved) <= 1, f"{key}: {len(approved)} approved versions"
    assert not [r for r in rows if r[3] in ("draft", "pending_approval")], f"{key}: a version was left open"
    assert all(status[v] == "rejected" for v in tally.rejected[key])
    assert all(status[v] in ("approved", "superseded") for v in tally.approved[key])
    approvals = sorted(tally.approved[key], key=lambda v: next(r[1] for r in rows if r[0] == v))
    if approvals:
        assert approved == [approvals[-1]], f"{key}: the last approval is not the approved version"

    artifacts = conn.execute(
        """
        SELECT reference_id, superseded_at IS NULL
          FROM phaseline.approved_artifacts
         WHERE cycle_id = %s AND report_id = %s AND artifact_type = 'attribute' AND artifact_key = %s
        """,
        (w["cycle"], w["report"], key),
    ).fetchall()
    assert sorted(a[0] for a in artifacts) == sorted(tally.approved[key]), f"{key}: one artifact per approval"
    assert [a[0] for a in artifacts if a[1]] == approved, f"{key}: the current artifact is not the approved version"


def test_concurrent_writers_of_one_attribute_keep_its_versions_consistent(phaseline_dsn, world):
    tally = Tally()
    errors = run_threads(attribute_worker(phaseline_dsn, world, ["amount"], 10, tally), N_THREADS)
    assert errors == [], "\n".join(errors)
    assert tally.created["amount"] == 10 * N_THREADS
    assert tally.refused > 0, "the writers never collided: the test did not race"
    with connect(phaseline_dsn) as conn:
        check_attribute_key(conn, world, "amount", tally)


def test_concurrent_writers_of_many_attributes_keep_each_key_consistent(phaseline_dsn, world):
    keys = [f"attr_{k}" for k in range(5)]
    tally = Tally()
    errors = run_threads(attribute_worker(phaseline_dsn, world, keys, 12, tally), N_THREADS)
    assert errors == [], "\n".join(errors)
    assert sum(tally.created.values()) == 12 * N_THREADS
    with connect(phaseline_dsn) as conn:
        for key in keys:
            check_attribute_key(conn, world, key, tally)
        versions = conn.execute(
            "SELECT count(*) FROM phaseline.report_attributes WHERE cycle_id = %s AND report_id = %s",
            (world["cycle"], world["report"]),
        ).fetchone()[0]
        audited = conn.execute(
            "SELECT count(*) FROM phaseline.audit_log WHERE table_name = 'report_attributes' AND action = 'INSERT'"
        ).fetchone()[0]
    assert versions == audited == 12 * N_THREADS


# --- sample decisions ------------------------------------------------------------


def samples(keys) -> Jsonb:
    return Jsonb([{"sample_key": k, "data": {"key": k}} for k in keys])


def test_concurrent_deciders_lose_no_decision_and_approval_waits_for_all(phaseline_dsn, world):
    w = world
    keys = [f"s{j:03d}" for j in range(80)]
    with connect(phaseline_dsn) as conn:
        vid = conn.execute(
            "SELECT phaseline_api.start_sample_selection(%s, %s, %s)", (w["cycle"], w["report"], w["tester"])
        ).fetchone()[0]
        conn.execute("SELECT phaseline_api.recommend_samples(%s, %s, 'tester', %s)", (vid, samples(keys), w["tester"]))
        conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (vid, w["tester"]))
        with pytest.raises(psycopg.Error) as refused:
            conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (vid, w["owner"]))
        assert rule_of(refused.value) == ("55000", "pending_decisions")
        # The deciders modify samples, which makes them contributors (four
        # eyes, issue 12 finding 1): a third reviewer approves.
        approver_id = conn.execute(
            "SELECT phaseline_api.create_user('approver@test.io', 'Ann Approver', 'admin', %s)", (w["admin"],)
        ).fetchone()[0]

    n_deciders = 6
    actors = [w["owner"], w["admin"]] * (n_deciders // 2)
    own = [keys[d::n_deciders] for d in range(n_deciders)]  # disjoint slices
    # Each decider's last key is decided by it alone, as its last call: the
    # selection cannot be approved before every decider is done, so no
    # decider may ever see the decision window closed.
    finals = {s[-1] for s in own}
    shared = [k for k in keys if k not in finals]
    done_calls: list[tuple[int, str, list[dict]]] = []
    done_lock = threading.Lock()
    approval: dict = {}
    deciders_left = [n_deciders]  # the approver stops trying once none is left

    def decide(conn, d: int, rng: random.Random, batch: list[str], tag: str) -> None:
        decisions = []
        for k in batch:
            status = rng.choice(["approved", "rejected", "modified"])
            item = {"sample_key": k, "status": status, "note": tag}
            if status == "modified":
                item["data"] = {"key": k, "by": tag}
            decisions.append(item)
        count = conn.execute(
            "SELECT phaseline_api.decide_samples(%s, %s, %s)", (vid, Jsonb(decisions), actors[d])
        ).fetchone()[0]
        assert count == len(batch), f"{tag}: decided {count} of {len(batch)}"
        with done_lock:
            done_calls.append((actors[d], tag, decisions))

    def decider(d: int, start: threading.Barrier) -> None:
        rng = random.Random(100 + d)
        mine = [k for k in own[d] if k not in finals]
        calls = [mine[j : j + 4] for j in range(0, len(mine), 4)]
        # overlapping calls: samples of the other deciders, in a random order
        calls += [rng.sample([k for k in shared if k not in own[d]], 8) for _ in range(8)]
        rng.shuffle(calls)
        calls.append([own[d][-1]])
        try:
            with connect(phaseline_dsn) as conn:
                start.wait()
                for c, batch in enumerate(calls):
                    decide(conn, d, rng, batch, f"d{d}c{c}")
        finally:
            with done_lock:
                deciders_left[0] -= 1

    def approver(start: threading.Barrier) -> None:
        deadline = time.monotonic() + DEADLINE_S
        with connect(phaseline_dsn) as conn:
            start.wait()
            while time.monotonic() < deadline:
                with done_lock:
                    last_try = deciders_left[0] == 0
                try:
                    approval["artifact"] = conn.execute(
                        "SELECT phaseline_api.approve_version(%s, %s)", (vid, approver_id)
                    ).fetchone()[0]
                    return
                except psycopg.Error as exc:
                    if rule_of(exc) != ("55000", "pending_decisions"):
                        raise
                    if last_try:
                        return  # a decider failed, so decisions stay pending: reported as its error
                    time.sleep(0.001)

    def work(i: int, start: threading.Barrier) -> None:
        if i == n_deciders:
            approver(start)
        else:
            decider(i, start)

    errors = run_threads(work, n_deciders + 1)
    assert errors == [], "\n".join(errors)
    assert "artifact" in approval, "the selection was never approved"

    with connect(phaseline_dsn) as conn:
        status = conn.execute(
            "SELECT version_status::text FROM phaseline.sample_selection_versions WHERE id = %s", (vid,)
        ).fetchone()[0]
        assert status == "approved"
        current = conn.execute(
            "SELECT id FROM phaseline_api.approved_artifact(%s, %s, 'samples')", (w["cycle"], w["report"])
        ).fetchall()
        assert current == [(approval["artifact"],)]
        final = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT sample_key, decision_status::text, decided_by, decision_note, sample_data"
                "  FROM phaseline.sample_decisions WHERE version_id = %s",
                (vid,),
            )
        }
        audit = conn.execute(
            """
            SELECT id, new_row ->> 'sample_key', new_row ->> 'decision_status', (new_row ->> 'decided_by')::int,
                   new_row ->> 'decision_note', new_row -> 'sample_data', actor
              FROM phaseline.audit_log
             WHERE table_name = 'sample_decisions' AND action = 'UPDATE' AND new_row ->> 'version_id' = %s
             ORDER BY id
            """,
            (str(vid),),
        ).fetchall()

    assert sorted(final) == keys
    assert not [k for k, v in final.items() if v[0] == "pending"]
    # One audit row per decision made, each with its decider: none lost, none doubled.
    made = collections.Counter(
        (d["sample_key"], d["status"], actor, tag) for actor, tag, decisions in done_calls for d in decisions
    )
    logged = collections.Counter((a[1], a[2], a[3], a[4]) for a in audit)
    assert logged == made
    assert all(a[3] == a[6] for a in audit), "the audit actor is the decider"
    assert sum(made.values()) > len(keys), "no sample was decided twice: the calls did not overlap"
    # Each sample ends as its last logged decision left it.
    last = {a[1]: a for a in audit}
    for k, (status, by, note, data) in final.items():
        assert (status, by, note, data) == (last[k][2], last[k][3], last[k][4], last[k][5]), k


def test_submit_racing_recommend_never_lets_samples_into_a_pending_version(phaseline_dsn, world):
    w = world
    rounds = 24
    with connect(phaseline_dsn) as conn:
        vid = conn.execute(
            "SELECT phaseline_api.start_sample_selection(%s, %s, %s)", (w["cycle"], w["report"], w["tester"])
        ).fetchone()[0]
    outcomes: list[tuple[int, str, bool]] = []  # round, how, landed

    def recommender(conn, r: int, how: str, rng: random.Random) -> None:
        keys = [f"r{r:02d}_{j:03d}" for j in range(60)]
        try:
            if how == "api":
                conn.execute(
                    "SELECT phaseline_api.recommend_samples(%s, %s, 'llm', %s)", (vid, samples(keys), w["tester"])
                )
            elif how == "api_slow":
                # hold the transaction open: a submit arriving now must wait for it
                with conn.transaction():
                    conn.execute(
                        "SELECT phaseline_api.recommend_samples(%s, %s, 'llm', %s)", (vid, samples(keys), w["tester"])
                    )
                    time.sleep(rng.uniform(0, 0.01))
            else:  # a direct table write, as the owner of the tables
                with conn.transaction():
                    conn.execute("SELECT set_config('phaseline.actor', %s, true)", (str(w["tester"]),))
                    conn.execute(
                        "INSERT INTO phaseline.sample_decisions (version_id, sample_key, recommendation_source, recommended_by)"
                        " SELECT %s, k, 'manual', %s FROM unnest(%s::text[]) AS k",
                        (vid, w["tester"], keys),
                    )
            outcomes.append((r, how, True))
        except psycopg.Error as exc:
            if rule_of(exc) != ("55000", "version_not_draft"):
                raise
            outcomes.append((r, how, False))

    def submitter(conn, rng: random.Random) -> None:
        with conn.transaction():
            conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (vid, w["tester"]))
            # hold the transaction open: a recommend arriving now must wait, then be refused
            time.sleep(rng.uniform(0, 0.01))

    for r in range(rounds):
        how = ("api", "api_slow", "direct")[r % 3]

        def work(i: int, start: threading.Barrier, r: int = r, how: str = how) -> None:
            rng = random.Random(r * 2 + i)
            with connect(phaseline_dsn) as conn:
                start.wait()
                time.sleep(rng.uniform(0, 0.003))
                if i == 0:
                    submitter(conn, rng)
                else:
                    recommender(conn, r, how, rng)

        errors = run_threads(work, 2)
        assert errors == [], f"round {r} ({how}): " + "\n".join(errors)
        if r < rounds - 1:
            with connect(phaseline_dsn) as conn:
                conn.execute("SELECT phaseline_api.withdraw_version(%s, %s)", (vid, w["tester"]))

    with connect(phaseline_dsn) as conn:
        assert (
            conn.execute(
                "SELECT version_status::text FROM phaseline.sample_selection_versions WHERE id = %s", (vid,)
            ).fetchone()[0]
            == "pending_approval"
        )
        held = {
            r[0]
            for r in conn.execute("SELECT sample_key FROM phaseline.sample_decisions WHERE version_id = %s", (vid,))
        }
        # The audit log orders the events: the version lock serializes a
        # recommend and a submit, so their audit ids follow commit order.
        events = conn.execute(
            """
            SELECT id, CASE WHEN table_name = 'sample_decisions' THEN 'sample'
                            ELSE new_row ->> 'version_status' END
              FROM phaseline.audit_log
             WHERE (table_name = 'sample_decisions' AND action = 'INSERT' AND new_row ->> 'version_id' = %(v)s)
                OR (table_name = 'sample_selection_versions' AND action = 'UPDATE' AND row_id = %(v)s)
             ORDER BY id
            """,
            {"v": str(vid)},
        ).fetchall()

    for r, how, landed in outcomes:
        round_keys = {f"r{r:02d}_{j:03d}" for j in range(60)}
        if landed:
            assert round_keys <= held, f"round {r} ({how}): a recommend that succeeded lost samples"
        else:
            assert not round_keys & held, f"round {r} ({how}): a refused recommend left samples"
    state = "draft"
    for audit_id, what in events:
        if what == "sample":
            assert state == "draft", f"audit row {audit_id}: a sample was added while the version was {state}"
        else:
            state = what
    landed = [x for x in outcomes if x[2]]
    refused = [x for x in outcomes if not x[2]]
    assert landed and refused, f"every round went the same way ({len(landed)} landed): the test did not race"
