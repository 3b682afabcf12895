-- save_phase_data replaces the whole payload by default; with
-- p_merge => true it merges top-level keys (nested objects are replaced,
-- not merged) and removes the keys given as null.
BEGIN;
SELECT plan(11);
SELECT test.world();
SELECT test.remember('v', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
CREATE FUNCTION pg_temp.data() RETURNS jsonb LANGUAGE sql AS
    $$SELECT phase_data FROM peek.workflow_phase_data WHERE id = test.uid('v')$$;

SELECT phaseline_api.save_phase_data(test.uid('v'), '{"attributes_scoped": 3, "scoping_notes": "a", "extra": {"x": 1}}', test.id('tester'));
SELECT phaseline_api.save_phase_data(test.uid('v'), '{"attributes_scoped": 4}', test.id('tester'));
SELECT is(pg_temp.data(), '{"attributes_scoped": 4}'::jsonb, 'a save without p_merge replaces the whole payload');

SELECT phaseline_api.save_phase_data(test.uid('v'), '{"attributes_scoped": 5, "free": null}', test.id('tester'), p_merge => false);
SELECT is(pg_temp.data(), '{"attributes_scoped": 5, "free": null}'::jsonb,
    'p_merge => false replaces too, and keeps a key given as null');

SELECT phaseline_api.save_phase_data(test.uid('v'), '{"scoping_notes": "b", "extra": {"x": 1, "z": 0}}', test.id('tester'));
SELECT phaseline_api.save_phase_data(test.uid('v'), '{"scoping_notes": "c", "extra": {"y": 2}}', test.id('tester'), p_merge => true);
SELECT is(pg_temp.data(), '{"scoping_notes": "c", "extra": {"y": 2}}'::jsonb,
    'a merge replaces the keys it gives, and a nested object as a whole');

SELECT phaseline_api.save_phase_data(test.uid('v'), '{"attributes_scoped": 9}', test.id('tester'), p_merge => true);
SELECT is(pg_temp.data(), '{"attributes_scoped": 9, "scoping_notes": "c", "extra": {"y": 2}}'::jsonb,
    'a merge keeps the keys it does not give');

SELECT phaseline_api.save_phase_data(test.uid('v'), '{"scoping_notes": null, "never_there": null}', test.id('tester'), p_merge => true);
SELECT is(pg_temp.data(), '{"attributes_scoped": 9, "extra": {"y": 2}}'::jsonb,
    'a merge removes the keys given as null and adds no key for an absent one');

SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"attributes_scoped": "ten"}', test.id('tester'), p_merge => true)$$,
    '23514', 'phase_contract', 'a merge that breaks the contract is refused');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '[1, 2]', test.id('tester'), p_merge => true)$$,
    '22023', 'phase_data_shape', 'merging a JSON array is refused');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '"text"', test.id('tester'))$$,
    '22023', 'phase_data_shape', 'replacing the payload with a JSON string is refused');
SELECT is(pg_temp.data(), '{"attributes_scoped": 9, "extra": {"y": 2}}'::jsonb, 'refused saves changed nothing');

SELECT phaseline_api.save_phase_data(test.uid('v'), '{}', test.id('tester'));
SELECT is(pg_temp.data(), '{}'::jsonb, 'replacing with an empty object empties the payload');

-- Every save is a row change the audit log attributes.
SELECT is((SELECT count(*)::int FROM phaseline_api.audit_trail(test.uid('v')) WHERE action = 'UPDATE' AND actor = test.id('tester')),
    8, 'each accepted save is one audited update by the tester');

SELECT * FROM finish();
ROLLBACK;
