-- Phase data is type-checked against its phase's contract on a direct write
-- by the table owner too, as on save_phase_data (phase_contract_types.sql):
-- a direct UPDATE or INSERT breaking a typed key is refused (23514
-- phase_contract) and writes nothing; one that meets the contract is stored.
-- phaseline: direct-writes
BEGIN;
SELECT plan(5);
SELECT test.world();
SELECT phaseline_api.register_phase('typed_phase', 8, '{"properties": {
    "s": {"type": "string"}, "n": {"type": "number"}, "i": {"type": "integer"},
    "b": {"type": "boolean"}, "a": {"type": "array"}, "o": {"type": "object"}}}', test.id('admin'));
SELECT test.remember('v', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'typed_phase', test.id('tester')));

SELECT test.act('tester');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_data = '{"i": 2.5}' WHERE id = test.uid('v')$$,
    '23514', 'phase_contract', 'a direct UPDATE with 2.5 for an integer is refused');
SELECT test.throws_rule($$INSERT INTO phaseline.workflow_phase_data (cycle_id, report_id, phase_name, phase_status, phase_data, started_at)
    SELECT test.uid('cycle'), test.uid('report'), 'scoping', 'in_progress', '{"attributes_scoped": "many"}', now()$$,
    '23514', 'phase_contract', 'a direct INSERT with a string for an integer is refused');
SELECT lives_ok($$UPDATE phaseline.workflow_phase_data SET phase_data = '{"i": 2, "a": []}' WHERE id = test.uid('v')$$,
    'a direct UPDATE that meets the contract is accepted');
SELECT is((SELECT phase_data FROM phaseline.workflow_phase_data WHERE id = test.uid('v')), '{"i": 2, "a": []}'::jsonb,
    'the accepted direct UPDATE stored its data');
SELECT is((SELECT count(*)::int FROM phaseline.workflow_phase_data WHERE phase_name = 'scoping'), 0,
    'the refused direct INSERT wrote no version');

SELECT * FROM finish();
ROLLBACK;
