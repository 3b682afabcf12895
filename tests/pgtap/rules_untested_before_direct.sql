-- Rules that no test asserted before the rule-coverage test
-- (tests/test_rules.py) named them, where they are a table's rule: raised
-- by a direct write (rules_untested_before.sql has the API's side).
-- phaseline: direct-writes
BEGIN;
SELECT plan(3);
SELECT test.world();

SELECT test.act('admin');
SELECT test.throws_rule($$INSERT INTO phaseline.workflow_phases (phase_name, ordinal, display_name) VALUES ('Bad Name', 42, 'x')$$,
    '23514', 'phase_name_is_plain', 'a direct insert of a phase name that is not plain is refused');

-- A decision note over its limit.
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "S1", "data": {}}]', 'tester', test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
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
