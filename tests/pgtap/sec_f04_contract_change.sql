-- Issue 12, finding 4: changing a phase's contract must not block the phase
-- for good. A new version starts from the parent's data even when that data
-- breaks the new contract, each save checks what it sets, and completing
-- checks everything; register_phase(..., NULL) is refused instead of
-- silently wiping the contract.
BEGIN;
SELECT plan(9);
CREATE TEMP TABLE w AS SELECT * FROM test.world();
SELECT phaseline_api.register_phase('walkthrough', 8, '{"properties": {"steps": {"type": "integer"}}, "required": ["steps"]}', admin) FROM w;
CREATE TEMP TABLE v AS SELECT phaseline_api.start_phase(cycle, report, 'walkthrough', tester) AS v1, NULL::uuid AS v2 FROM w;
SELECT phaseline_api.save_phase_data(v1, '{"steps": 3, "who": "ops"}', tester) FROM v, w;
SELECT phaseline_api.complete_phase(v1, tester) FROM v, w;
SELECT phaseline_api.submit_version(v1, tester) FROM v, w;
SELECT phaseline_api.approve_version(v1, owner) FROM v, w;

-- The contract changes: steps becomes a list, and a new key is required.
SELECT phaseline_api.register_phase('walkthrough', 8,
    '{"properties": {"steps": {"type": "array"}, "signed": {"type": "boolean"}}, "required": ["steps", "signed"]}', admin) FROM w;
SELECT lives_ok(format($$UPDATE v SET v2 = phaseline_api.start_phase(%L, %L, 'walkthrough', %s)$$, cycle, report, tester),
    'a new version starts although the parent''s data breaks the new contract') FROM w;
SELECT is((SELECT phase_data FROM phaseline.workflow_phase_data WHERE id = (SELECT v2 FROM v)), '{"steps": 3, "who": "ops"}'::jsonb,
    'it starts from the parent''s data');
SELECT lives_ok(format($$SELECT phaseline_api.save_phase_data(%L, '{"who": "risk"}', %s, p_merge => true)$$, v2, tester),
    'a save that does not touch the stale key goes through') FROM v, w;
SELECT test.throws_rule(format($$SELECT phaseline_api.complete_phase(%L, %s)$$, v2, tester),
    '23514', 'phase_contract', 'completing checks every key against the new contract') FROM v, w;
SELECT test.throws_rule(format($$SELECT phaseline_api.save_phase_data(%L, '{"steps": 4}', %s, p_merge => true)$$, v2, tester),
    '23514', 'phase_contract', 'a save that sets a key checks it against the new contract') FROM v, w;
SELECT lives_ok(format($$SELECT phaseline_api.save_phase_data(%L, '{"steps": ["a", "b"], "signed": true}', %s, p_merge => true)$$, v2, tester),
    'the data is fixed under the new contract') FROM v, w;
SELECT lives_ok(format($$SELECT phaseline_api.complete_phase(%L, %s)$$, v2, tester), 'and the phase completes') FROM v, w;

-- A null contract wipes nothing.
SELECT test.throws_rule(format($$SELECT phaseline_api.register_phase('walkthrough', 8, NULL, %s)$$, admin),
    '22023', 'phase_contract_malformed', 'register_phase with a null contract is refused') FROM w;
SELECT is((SELECT data_contract -> 'required' FROM phaseline.workflow_phases WHERE phase_name = 'walkthrough'), '["steps", "signed"]'::jsonb,
    'and the contract is still there');

SELECT * FROM finish();
ROLLBACK;
