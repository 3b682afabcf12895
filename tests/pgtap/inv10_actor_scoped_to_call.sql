-- The actor an API call sets lasts for that call only: a direct write later
-- in the same transaction without its own SET LOCAL phaseline.actor is
-- refused, not credited to whoever the last API call acted for.
-- phaseline: direct-writes
BEGIN;
SELECT plan(3);
SELECT test.world();
SELECT test.remember('a1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'amount', '{}', test.id('tester')));
SELECT is(current_setting('phaseline.actor', true), '', 'after an API call no actor is left set');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET definition = '{"x": 1}' WHERE id = test.uid('a1')$$,
    '42501', 'actor_required', 'a direct write after an API call still needs its own actor');
SELECT is((SELECT count(*)::int FROM phaseline.audit_log WHERE row_id = test.uid('a1')::text AND action = 'UPDATE'), 0,
    'nothing was written or audited');
SELECT * FROM finish();
ROLLBACK;
