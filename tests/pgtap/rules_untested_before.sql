-- Rules that no test asserted before the rule-coverage test
-- (tests/test_rules.py) named them: each raised by the API, and, where it
-- is a table's rule, by a direct write as well.
BEGIN;
SELECT plan(8);
CREATE TEMP TABLE w AS SELECT * FROM test.world();

SELECT test.throws_rule($$SELECT phaseline_api.propose_report_attribute((SELECT cycle FROM w), (SELECT report FROM w),
    'total_assets', '[1, 2]', (SELECT tester FROM w))$$,
    '22023', 'attribute_shape', 'an attribute definition that is not a JSON object is refused');

SELECT test.throws_rule($$SELECT phaseline_api.register_phase('Bad Name', 42, '{}', (SELECT admin FROM w))$$,
    '22023', 'phase_name_is_plain', 'a phase name that is not plain is refused');
SELECT test.throws_rule($$INSERT INTO phaseline.workflow_phases (phase_name, ordinal, display_name) VALUES ('Bad Name', 42, 'x')$$,
    '23514', 'phase_name_is_plain', 'a direct insert of a phase name that is not plain is refused');

SELECT test.throws_rule($$SELECT phaseline_api.set_user_active((SELECT tester FROM w), NULL, (SELECT admin FROM w))$$,
    '22023', 'argument_required', 'set_user_active without saying active or not is refused');

SELECT test.throws_rule($$SELECT phaseline_api.map_user_role((SELECT tester FROM w), 'no_such_role_' || md5(random()::text), (SELECT admin FROM w))$$,
    'P0002', 'unknown_db_role', 'mapping a database role that does not exist is refused');

-- A decision note over its limit, through the API and directly.
CREATE TEMP TABLE v AS SELECT phaseline_api.start_sample_selection(cycle, report, tester) AS v1 FROM w;
SELECT phaseline_api.recommend_samples(v1, '[{"sample_key": "S1", "data": {}}]', 'tester', tester) FROM v, w;
SELECT phaseline_api.submit_version(v1, tester) FROM v, w;
SELECT test.throws_rule(format($$SELECT phaseline_api.decide_samples((SELECT v1 FROM v),
    '[{"sample_key": "S1", "status": "rejected", "note": "%s"}]', (SELECT owner FROM w))$$, repeat('n', 100000)),
    '22001', 'decision_note_length', 'a decision note over its limit is refused');
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT owner FROM w)::text, true); END$$;
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET decision_status = 'rejected', decided_by = (SELECT owner FROM w),
    decided_at = now(), decision_note = repeat('n', 100000) WHERE version_id = (SELECT v1 FROM v)$$,
    '23514', 'decision_note_length', 'a direct write of a decision note over its limit is refused');

-- A decision that points at a version that does not exist: checked per statement.
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT tester FROM w)::text, true); END$$;
SELECT test.throws_rule($$INSERT INTO phaseline.sample_decisions (version_id, sample_key, recommendation_source, recommended_by)
    VALUES (gen_random_uuid(), 'S9', 'tester', (SELECT tester FROM w))$$,
    '23503', 'sample_decisions_references', 'a decision of a version that does not exist is refused');

SELECT * FROM finish();
ROLLBACK;
