-- Issue 12, finding 4: changing a phase's contract must not block the phase
-- for good. A new version starts from the parent's data even when that data
-- breaks the new contract, each save checks what it sets, and completing
-- checks everything; register_phase(..., NULL) is refused instead of
-- silently wiping the contract.
BEGIN;
SELECT plan(9);
SELECT test.world();
SELECT phaseline_api.register_phase('walkthrough', 8, '{"properties": {"steps": {"type": "integer"}}, "required": ["steps"]}', test.id('admin'));
SELECT test.remember('v1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'walkthrough', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('v1'), '{"steps": 3, "who": "ops"}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('v1'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('v1'), test.id('owner'));

-- The contract changes: steps becomes a list, and a new key is required.
SELECT phaseline_api.register_phase('walkthrough', 8,
    '{"properties": {"steps": {"type": "array"}, "signed": {"type": "boolean"}}, "required": ["steps", "signed"]}', test.id('admin'));
SELECT lives_ok($$SELECT test.remember('v2', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'walkthrough', test.id('tester')))$$,
    'a new version starts although the parent''s data breaks the new contract');
SELECT is((SELECT phase_data FROM peek.workflow_phase_data WHERE id = test.uid('v2')), '{"steps": 3, "who": "ops"}'::jsonb,
    'it starts from the parent''s data');
SELECT lives_ok($$SELECT phaseline_api.save_phase_data(test.uid('v2'), '{"who": "risk"}', test.id('tester'), p_merge => true)$$,
    'a save that does not touch the stale key goes through');
SELECT test.throws_rule($$SELECT phaseline_api.complete_phase(test.uid('v2'), test.id('tester'))$$,
    '23514', 'phase_contract', 'completing checks every key against the new contract');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v2'), '{"steps": 4}', test.id('tester'), p_merge => true)$$,
    '23514', 'phase_contract', 'a save that sets a key checks it against the new contract');
SELECT lives_ok($$SELECT phaseline_api.save_phase_data(test.uid('v2'), '{"steps": ["a", "b"], "signed": true}', test.id('tester'), p_merge => true)$$,
    'the data is fixed under the new contract');
SELECT lives_ok($$SELECT phaseline_api.complete_phase(test.uid('v2'), test.id('tester'))$$, 'and the phase completes');

-- A null contract wipes nothing.
SELECT test.throws_rule($$SELECT phaseline_api.register_phase('walkthrough', 8, NULL, test.id('admin'))$$,
    '22023', 'phase_contract_malformed', 'register_phase with a null contract is refused');
SELECT is((SELECT data_contract -> 'required' FROM peek.workflow_phases WHERE phase_name = 'walkthrough'), '["steps", "signed"]'::jsonb,
    'and the contract is still there');

SELECT * FROM finish();
ROLLBACK;
