-- Carry-forward copies the approved and modified decisions (not the
-- rejected ones) of an earlier version of the same sample selection into a
-- draft, as carried_forward rows keeping decision, decider and time, with
-- lineage to their source and origin. Running it again carries nothing
-- twice; it is refused into a non-draft and across reports; a direct
-- INSERT of a carried row must match its source.
BEGIN;
SELECT plan(26);
CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v AS SELECT phaseline_api.start_sample_selection(cycle, report, tester) AS v1, NULL::uuid AS v2, NULL::uuid AS v3 FROM w;
SELECT phaseline_api.recommend_samples(v1, '[{"sample_key": "S1", "data": {"loan": 1}}, {"sample_key": "S2", "data": {"loan": 2}},
    {"sample_key": "S3"}, {"sample_key": "S4"}]', 'tester', tester) FROM v, w;
SELECT phaseline_api.submit_version(v1, tester) FROM v, w;
SELECT phaseline_api.decide_samples(v1, '[{"sample_key": "S1", "status": "approved", "note": "fine"},
    {"sample_key": "S2", "status": "modified", "data": {"loan": 22}}, {"sample_key": "S3", "status": "rejected"}]', owner) FROM v, w;
SELECT phaseline_api.decide_samples(v1, '[{"sample_key": "S4", "status": "approved"}]', admin) FROM v, w;
SELECT phaseline_api.approve_version(v1, admin) FROM v, w;

-- Decisions made in this transaction all carry now(); move version 1's back
-- three days (as history, in backfill mode) so a carry that stamped now()
-- instead of copying the time would show.
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT admin FROM w)::text, true); END$$;
SET LOCAL phaseline.backfill = 'on';
UPDATE phaseline.sample_decisions SET decided_at = decided_at - interval '3 days' WHERE version_id = (SELECT v1 FROM v);
SET LOCAL phaseline.backfill = 'off';

-- Version 2 through the API: carried at start.
UPDATE v SET v2 = phaseline_api.start_sample_selection(cycle, report, owner) FROM w;
SELECT results_eq(
    $$SELECT sample_key, recommendation_source::text, recommended_by, decision_status::text, decided_by, decided_at, decision_note,
             sample_data, carried_from_version_id, carried_from_decision_id, origin_decision_id
        FROM phaseline.sample_decisions WHERE version_id = (SELECT v2 FROM v) ORDER BY sample_key$$,
    $$SELECT sample_key, 'carried_forward', (SELECT owner FROM w), decision_status::text, decided_by, decided_at, decision_note,
             sample_data, version_id, id, id
        FROM phaseline.sample_decisions WHERE version_id = (SELECT v1 FROM v) AND sample_key IN ('S1', 'S2', 'S4') ORDER BY sample_key$$,
    'start_sample_selection carries S1, S2 and S4 as carried_forward by the starter, keeping decision, decider, time, note and data');
SELECT is((SELECT count(*)::int FROM phaseline.sample_decisions WHERE version_id = (SELECT v2 FROM v) AND sample_key = 'S3'), 0,
    'the rejected sample is not carried');
SELECT is(phaseline_api.carry_forward(v1, v2, owner), 0, 'carrying from the same version again carries nothing') FROM v, w;
SELECT is((SELECT count(*)::int FROM phaseline.sample_decisions WHERE version_id = (SELECT v2 FROM v)), 3, 'version 2 still holds three samples');

SELECT phaseline_api.submit_version(v2, owner) FROM v, w;
SELECT test.throws_rule($$SELECT phaseline_api.carry_forward((SELECT v1 FROM v), (SELECT v2 FROM v), (SELECT owner FROM w))$$,
    '55000', 'version_not_draft', 'carrying into a version pending approval is refused');
SELECT phaseline_api.approve_version(v2, admin) FROM v, w;

-- Version 3 made by a direct INSERT is an empty draft: nothing carried yet.
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT tester FROM w)::text, true); END$$;
INSERT INTO phaseline.sample_selection_versions (cycle_id, report_id) SELECT cycle, report FROM w;
UPDATE v SET v3 = (SELECT id FROM phaseline.sample_selection_versions WHERE version_number = 3);

-- A faithful copy of any decision into version 3, by the tester; the
-- cases below each break one thing about it.
CREATE TEMP VIEW carry AS
SELECT gen_random_uuid() AS id, (SELECT v3 FROM v) AS version_id, s.sample_key, s.sample_data,
       'carried_forward'::phaseline.recommendation_source AS recommendation_source, (SELECT tester FROM w) AS recommended_by,
       now() AS recommended_at, s.decision_status, s.decided_by, s.decided_at, s.decision_note,
       s.version_id AS carried_from_version_id, s.id AS carried_from_decision_id, coalesce(s.origin_decision_id, s.id) AS origin_decision_id
  FROM phaseline.sample_decisions s;
CREATE FUNCTION pg_temp.insert_carried(p_from uuid, p_key text, p_override jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO phaseline.sample_decisions
    SELECT (jsonb_populate_record(NULL::phaseline.sample_decisions, to_jsonb(c) || p_override)).*
      FROM carry c WHERE c.carried_from_version_id = p_from AND c.sample_key = p_key
$$;
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT tester FROM w)::text, true); END$$;
SELECT test.throws_rule($$SELECT pg_temp.insert_carried((SELECT v1 FROM v), 'S3', '{}')$$,
    '22023', 'carried_lineage', 'a direct INSERT carrying a rejected decision is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried((SELECT v2 FROM v), 'S1', '{"sample_key": "S9"}')$$,
    '22023', 'carried_lineage', 'a direct INSERT carrying a decision under another sample_key is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried((SELECT v2 FROM v), 'S1', jsonb_build_object('carried_from_version_id', (SELECT v1 FROM v)))$$,
    '22023', 'carried_lineage', 'a direct INSERT naming a version its source decision is not in is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried((SELECT v2 FROM v), 'S1', '{"decision_status": "modified"}')$$,
    '22023', 'carried_lineage', 'a direct INSERT changing the carried decision is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried((SELECT v2 FROM v), 'S1', jsonb_build_object('decided_by', (SELECT admin FROM w)))$$,
    '22023', 'carried_lineage', 'a direct INSERT changing the carried decider is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried((SELECT v2 FROM v), 'S1', jsonb_build_object('decided_at', now()))$$,
    '22023', 'carried_lineage', 'a direct INSERT stamping the carried decision with a new time is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried((SELECT v2 FROM v), 'S1', '{"decision_note": "approved as is, said nobody"}')$$,
    '22023', 'carried_lineage', 'a direct INSERT putting words in the decider''s note is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried((SELECT v2 FROM v), 'S2', '{"sample_data": {"loan": 2}}')$$,
    '22023', 'carried_lineage', 'a direct INSERT carrying the recommended data instead of the modified data is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried((SELECT v2 FROM v), 'S1', jsonb_build_object('origin_decision_id', (SELECT carried_from_decision_id FROM carry WHERE carried_from_version_id = (SELECT v2 FROM v) AND sample_key = 'S1')))$$,
    '22023', 'carried_lineage', 'a direct INSERT naming its source as its origin when the source has an older origin is refused');
SELECT is((SELECT count(*)::int FROM phaseline.sample_decisions WHERE version_id = (SELECT v3 FROM v)), 0, 'the refused INSERTs wrote nothing');
SELECT lives_ok($$SELECT pg_temp.insert_carried((SELECT v2 FROM v), 'S1', '{}')$$, 'a direct INSERT that copies its source faithfully is accepted');

SELECT is(phaseline_api.carry_forward(v2, v3, tester), 2, 'carry_forward carries the two decisions not yet in version 3') FROM v, w;
SELECT is(phaseline_api.carry_forward(v2, v3, tester), 0, 'running it again carries nothing') FROM v, w;
SELECT test.throws_rule($$SELECT phaseline_api.carry_forward((SELECT v1 FROM v), (SELECT v3 FROM v), (SELECT tester FROM w))$$,
    '22023', 'carry_scope', 'carrying from a version older than the parent is refused: it could revive samples a later review rejected');
SELECT results_eq(
    $$SELECT d.sample_key, d.carried_from_version_id, d.origin_decision_id FROM phaseline.sample_decisions d
       WHERE d.version_id = (SELECT v3 FROM v) ORDER BY d.sample_key$$,
    $$SELECT o.sample_key, (SELECT v2 FROM v), o.id FROM phaseline.sample_decisions o
       WHERE o.version_id = (SELECT v1 FROM v) AND o.sample_key IN ('S1', 'S2', 'S4') ORDER BY o.sample_key$$,
    'version 3 holds each sample once, carried from version 2, with its origin in version 1');

-- A carried decision is the owner's decision on that data: a draft may
-- not change the data under it (the approval of version 3 would otherwise
-- record the owner approving data they never saw).
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT tester FROM w)::text, true); END$$;
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET sample_data = '{"loan": 5}' WHERE version_id = (SELECT v3 FROM v) AND sample_key = 'S2'$$,
    '55000', 'decision_window', 'a direct UPDATE of the data of a carried decision in a draft is refused');
SELECT is((SELECT sample_data FROM phaseline.sample_decisions WHERE version_id = (SELECT v3 FROM v) AND sample_key = 'S2'),
    '{"loan": 22}'::jsonb, 'the carried decision still holds the data it was decided on');

-- Scope: only from an earlier version of the same cycle and report.
CREATE TEMP TABLE r2 AS SELECT phaseline_api.create_report('Call Report', owner, admin) AS report, NULL::uuid AS v1 FROM w;
SELECT phaseline_api.assign_report(cycle, (SELECT report FROM r2), tester, admin) FROM w;
UPDATE r2 SET v1 = phaseline_api.start_sample_selection(w.cycle, r2.report, w.tester) FROM w;
SELECT phaseline_api.recommend_samples(v1, '[{"sample_key": "R1"}]', 'tester', tester) FROM r2, w;
SELECT phaseline_api.submit_version(v1, tester) FROM r2, w;
SELECT phaseline_api.decide_samples(v1, '[{"sample_key": "R1", "status": "approved"}]', owner) FROM r2, w;
SELECT phaseline_api.approve_version(v1, admin) FROM r2, w;
SELECT test.throws_rule($$SELECT phaseline_api.carry_forward((SELECT v1 FROM r2), (SELECT v3 FROM v), (SELECT tester FROM w))$$,
    '22023', 'carry_scope', 'carrying from another report''s sample selection is refused');
SELECT test.throws_rule($$SELECT phaseline_api.carry_forward((SELECT v3 FROM v), (SELECT v3 FROM v), (SELECT tester FROM w))$$,
    '22023', 'carry_scope', 'carrying from a version that is not earlier than the target is refused');
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT tester FROM w)::text, true); END$$;
SELECT test.throws_rule($$SELECT pg_temp.insert_carried((SELECT v1 FROM r2), 'R1', '{}')$$,
    '22023', 'carried_lineage', 'a direct INSERT carrying another report''s decision is refused');
SELECT is((SELECT count(*)::int FROM phaseline.sample_decisions WHERE version_id = (SELECT v3 FROM v)), 3, 'the refusals left version 3 with its three samples');

SELECT * FROM finish();
ROLLBACK;
