-- Rules that no test asserted before the rule-coverage test
-- (tests/test_rules.py) named them: each raised by the API, and, where it
-- is a table's rule, by a direct write as well.
-- phaseline: direct-writes
BEGIN;
SELECT plan(10);
SELECT test.world();

SELECT test.throws_rule($$SELECT phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'),
    'total_assets', '[1, 2]', test.id('tester'))$$,
    '22023', 'attribute_shape', 'an attribute definition that is not a JSON object is refused');

SELECT test.throws_rule($$SELECT phaseline_api.register_phase('Bad Name', 42, '{}', test.id('admin'))$$,
    '22023', 'phase_name_is_plain', 'a phase name that is not plain is refused');
SELECT test.throws_rule($$SELECT phaseline_api.register_phase('plain_name', 0, '{}', test.id('admin'))$$,
    '22023', 'phase_ordinal_positive', 'a plain name at ordinal 0 is refused for its ordinal, under its own rule');
SELECT test.throws_rule($$SELECT phaseline_api.register_phase('plain_name', NULL, '{}', test.id('admin'))$$,
    '22023', 'phase_ordinal_positive', 'so is a phase without an ordinal');
SELECT test.throws_rule($$INSERT INTO phaseline.workflow_phases (phase_name, ordinal, display_name) VALUES ('Bad Name', 42, 'x')$$,
    '23514', 'phase_name_is_plain', 'a direct insert of a phase name that is not plain is refused');

SELECT test.throws_rule($$SELECT phaseline_api.set_user_active(test.id('tester'), NULL, test.id('admin'))$$,
    '22023', 'argument_required', 'set_user_active without saying active or not is refused');

SELECT test.throws_rule($$SELECT phaseline_api.map_user_role(test.id('tester'), 'no_such_role_' || md5(random()::text), test.id('admin'))$$,
    'P0002', 'unknown_db_role', 'mapping a database role that does not exist is refused');

-- A decision note over its limit, through the API and directly.
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "S1", "data": {}}]', 'tester', test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT test.throws_rule(format($$SELECT phaseline_api.decide_samples(test.uid('v1'),
    '[{"sample_key": "S1", "status": "rejected", "note": "%s"}]', test.id('owner'))$$, repeat('n', 100000)),
    '22001', 'decision_note_length', 'a decision note over its limit is refused');
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET decision_status = 'rejected', decided_by = test.id('owner'),
    decided_at = now(), decision_note = repeat('n', 100000) WHERE version_id = test.uid('v1')$$,
    '23514', 'decision_note_length', 'a direct write of a decision note over its limit is refused');

-- A decision that points at a version that does not exist: checked per statement.
SELECT test.act('tester');
SELECT test.throws_rule($$INSERT INTO phaseline.sample_decisions (version_id, sample_key, recommendation_source, recommended_by)
    VALUES (gen_random_uuid(), 'S9', 'tester', test.id('tester'))$$,
    '23503', 'sample_decisions_references', 'a decision of a version that does not exist is refused');

SELECT * FROM finish();
ROLLBACK;
