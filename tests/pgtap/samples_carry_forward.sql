-- Carry-forward copies the approved and modified decisions (not the
-- rejected ones) of an earlier version of the same sample selection into a
-- draft, as carried_forward rows keeping decision, decider and time, with
-- lineage to their source and origin. Running it again carries nothing
-- twice; it is refused into a non-draft and across reports; a direct
-- INSERT of a carried row must match its source.
-- phaseline: direct-writes
BEGIN;
SELECT plan(26);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "S1", "data": {"loan": 1}}, {"sample_key": "S2", "data": {"loan": 2}},
    {"sample_key": "S3"}, {"sample_key": "S4"}]', 'tester', test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "S1", "status": "approved", "note": "fine"},
    {"sample_key": "S2", "status": "modified", "data": {"loan": 22}}, {"sample_key": "S3", "status": "rejected"}]', test.id('owner'));
SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "S4", "status": "approved"}]', test.id('admin'));
SELECT phaseline_api.approve_version(test.uid('v1'), test.id('admin'));

-- Decisions made in this transaction all carry now(); move version 1's back
-- three days (as history, in backfill mode) so a carry that stamped now()
-- instead of copying the time would show.
SELECT test.act('admin');
SET LOCAL phaseline.backfill = 'on';
UPDATE phaseline.sample_decisions SET decided_at = decided_at - interval '3 days' WHERE version_id = test.uid('v1');
SET LOCAL phaseline.backfill = 'off';

-- Version 2 through the API: carried at start.
SELECT test.remember('v2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('owner')));
SELECT results_eq(
    $$SELECT sample_key, recommendation_source::text, recommended_by, decision_status::text, decided_by, decided_at, decision_note,
             sample_data, carried_from_version_id, carried_from_decision_id, origin_decision_id
        FROM phaseline.sample_decisions WHERE version_id = test.uid('v2') ORDER BY sample_key$$,
    $$SELECT sample_key, 'carried_forward', test.id('owner'), decision_status::text, decided_by, decided_at, decision_note,
             sample_data, version_id, id, id
        FROM phaseline.sample_decisions WHERE version_id = test.uid('v1') AND sample_key IN ('S1', 'S2', 'S4') ORDER BY sample_key$$,
    'start_sample_selection carries S1, S2 and S4 as carried_forward by the starter, keeping decision, decider, time, note and data');
SELECT is((SELECT count(*)::int FROM phaseline.sample_decisions WHERE version_id = test.uid('v2') AND sample_key = 'S3'), 0,
    'the rejected sample is not carried');
SELECT is(phaseline_api.carry_forward(test.uid('v1'), test.uid('v2'), test.id('owner')), 0, 'carrying from the same version again carries nothing');
SELECT is((SELECT count(*)::int FROM phaseline.sample_decisions WHERE version_id = test.uid('v2')), 3, 'version 2 still holds three samples');

SELECT phaseline_api.submit_version(test.uid('v2'), test.id('owner'));
SELECT test.throws_rule($$SELECT phaseline_api.carry_forward(test.uid('v1'), test.uid('v2'), test.id('owner'))$$,
    '55000', 'version_not_draft', 'carrying into a version pending approval is refused');
SELECT phaseline_api.approve_version(test.uid('v2'), test.id('admin'));

-- Version 3 made by a direct INSERT is an empty draft: nothing carried yet.
SELECT test.act('tester');
INSERT INTO phaseline.sample_selection_versions (cycle_id, report_id) SELECT test.uid('cycle'), test.uid('report');
SELECT test.remember('v3', (SELECT id FROM phaseline.sample_selection_versions WHERE version_number = 3));

-- A faithful copy of any decision into version 3, by the tester; the
-- cases below each break one thing about it.
CREATE TEMP VIEW carry AS
SELECT gen_random_uuid() AS id, test.uid('v3') AS version_id, s.sample_key, s.sample_data,
       'carried_forward'::phaseline.recommendation_source AS recommendation_source, test.id('tester') AS recommended_by,
       now() AS recommended_at, s.decision_status, s.decided_by, s.decided_at, s.decision_note,
       s.version_id AS carried_from_version_id, s.id AS carried_from_decision_id, coalesce(s.origin_decision_id, s.id) AS origin_decision_id
  FROM phaseline.sample_decisions s;
CREATE FUNCTION pg_temp.insert_carried(p_from uuid, p_key text, p_override jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO phaseline.sample_decisions
    SELECT (jsonb_populate_record(NULL::phaseline.sample_decisions, to_jsonb(c) || p_override)).*
      FROM carry c WHERE c.carried_from_version_id = p_from AND c.sample_key = p_key
$$;
SELECT test.act('tester');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried(test.uid('v1'), 'S3', '{}')$$,
    '22023', 'carried_lineage', 'a direct INSERT carrying a rejected decision is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried(test.uid('v2'), 'S1', '{"sample_key": "S9"}')$$,
    '22023', 'carried_lineage', 'a direct INSERT carrying a decision under another sample_key is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried(test.uid('v2'), 'S1', jsonb_build_object('carried_from_version_id', test.uid('v1')))$$,
    '22023', 'carried_lineage', 'a direct INSERT naming a version its source decision is not in is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried(test.uid('v2'), 'S1', '{"decision_status": "modified"}')$$,
    '22023', 'carried_lineage', 'a direct INSERT changing the carried decision is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried(test.uid('v2'), 'S1', jsonb_build_object('decided_by', test.id('admin')))$$,
    '22023', 'carried_lineage', 'a direct INSERT changing the carried decider is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried(test.uid('v2'), 'S1', jsonb_build_object('decided_at', now()))$$,
    '22023', 'carried_lineage', 'a direct INSERT stamping the carried decision with a new time is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried(test.uid('v2'), 'S1', '{"decision_note": "approved as is, said nobody"}')$$,
    '22023', 'carried_lineage', 'a direct INSERT putting words in the decider''s note is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried(test.uid('v2'), 'S2', '{"sample_data": {"loan": 2}}')$$,
    '22023', 'carried_lineage', 'a direct INSERT carrying the recommended data instead of the modified data is refused');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried(test.uid('v2'), 'S1', jsonb_build_object('origin_decision_id', (SELECT carried_from_decision_id FROM carry WHERE carried_from_version_id = test.uid('v2') AND sample_key = 'S1')))$$,
    '22023', 'carried_lineage', 'a direct INSERT naming its source as its origin when the source has an older origin is refused');
SELECT is((SELECT count(*)::int FROM phaseline.sample_decisions WHERE version_id = test.uid('v3')), 0, 'the refused INSERTs wrote nothing');
SELECT lives_ok($$SELECT pg_temp.insert_carried(test.uid('v2'), 'S1', '{}')$$, 'a direct INSERT that copies its source faithfully is accepted');

SELECT is(phaseline_api.carry_forward(test.uid('v2'), test.uid('v3'), test.id('tester')), 2, 'carry_forward carries the two decisions not yet in version 3');
SELECT is(phaseline_api.carry_forward(test.uid('v2'), test.uid('v3'), test.id('tester')), 0, 'running it again carries nothing');
SELECT test.throws_rule($$SELECT phaseline_api.carry_forward(test.uid('v1'), test.uid('v3'), test.id('tester'))$$,
    '22023', 'carry_scope', 'carrying from a version older than the parent is refused: it could revive samples a later review rejected');
SELECT results_eq(
    $$SELECT d.sample_key, d.carried_from_version_id, d.origin_decision_id FROM phaseline.sample_decisions d
       WHERE d.version_id = test.uid('v3') ORDER BY d.sample_key$$,
    $$SELECT o.sample_key, test.uid('v2'), o.id FROM phaseline.sample_decisions o
       WHERE o.version_id = test.uid('v1') AND o.sample_key IN ('S1', 'S2', 'S4') ORDER BY o.sample_key$$,
    'version 3 holds each sample once, carried from version 2, with its origin in version 1');

-- A carried decision is the owner's decision on that data: a draft may
-- not change the data under it (the approval of version 3 would otherwise
-- record the owner approving data they never saw).
SELECT test.act('tester');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET sample_data = '{"loan": 5}' WHERE version_id = test.uid('v3') AND sample_key = 'S2'$$,
    '55000', 'decision_window', 'a direct UPDATE of the data of a carried decision in a draft is refused');
SELECT is((SELECT sample_data FROM phaseline.sample_decisions WHERE version_id = test.uid('v3') AND sample_key = 'S2'),
    '{"loan": 22}'::jsonb, 'the carried decision still holds the data it was decided on');

-- Scope: only from an earlier version of the same cycle and report.
SELECT test.remember('report2', phaseline_api.create_report('Call Report', test.id('owner'), test.id('admin')));
SELECT phaseline_api.assign_report(test.uid('cycle'), test.uid('report2'), test.id('tester'), test.id('admin'));
SELECT test.remember('report2_v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report2'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('report2_v1'), '[{"sample_key": "R1"}]', 'tester', test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('report2_v1'), test.id('tester'));
SELECT phaseline_api.decide_samples(test.uid('report2_v1'), '[{"sample_key": "R1", "status": "approved"}]', test.id('owner'));
SELECT phaseline_api.approve_version(test.uid('report2_v1'), test.id('admin'));
SELECT test.throws_rule($$SELECT phaseline_api.carry_forward(test.uid('report2_v1'), test.uid('v3'), test.id('tester'))$$,
    '22023', 'carry_scope', 'carrying from another report''s sample selection is refused');
SELECT test.throws_rule($$SELECT phaseline_api.carry_forward(test.uid('v3'), test.uid('v3'), test.id('tester'))$$,
    '22023', 'carry_scope', 'carrying from a version that is not earlier than the target is refused');
SELECT test.act('tester');
SELECT test.throws_rule($$SELECT pg_temp.insert_carried(test.uid('report2_v1'), 'R1', '{}')$$,
    '22023', 'carried_lineage', 'a direct INSERT carrying another report''s decision is refused');
SELECT is((SELECT count(*)::int FROM phaseline.sample_decisions WHERE version_id = test.uid('v3')), 3, 'the refusals left version 3 with its three samples');

SELECT * FROM finish();
ROLLBACK;
