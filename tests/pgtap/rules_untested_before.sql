-- Rules that no test asserted before the rule-coverage test
-- (tests/test_rules.py) named them, each raised by the API. Where a rule
-- is a table's, the direct write that raises it: rules_untested_before_direct.sql.
BEGIN;
SELECT plan(7);
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

SELECT test.throws_rule($$SELECT phaseline_api.set_user_active(test.id('tester'), NULL, test.id('admin'))$$,
    '22023', 'argument_required', 'set_user_active without saying active or not is refused');

SELECT test.throws_rule($$SELECT phaseline_api.map_user_role(test.id('tester'), 'no_such_role_' || md5(random()::text), test.id('admin'))$$,
    'P0002', 'unknown_db_role', 'mapping a database role that does not exist is refused');

-- A decision note over its limit.
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "S1", "data": {}}]', 'tester', test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT test.throws_rule(format($$SELECT phaseline_api.decide_samples(test.uid('v1'),
    '[{"sample_key": "S1", "status": "rejected", "note": "%s"}]', test.id('owner'))$$, repeat('n', 100000)),
    '22001', 'decision_note_length', 'a decision note over its limit is refused');

SELECT * FROM finish();
ROLLBACK;
