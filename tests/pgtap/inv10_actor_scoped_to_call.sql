-- The actor an API call sets lasts for that call only: a direct write later
-- in the same transaction without its own SET LOCAL phaseline.actor is
-- refused, not credited to whoever the last API call acted for.
BEGIN;
SELECT plan(3);
CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v AS
SELECT phaseline_api.propose_report_attribute(cycle, report, 'amount', '{}', tester) AS a1 FROM w;
SELECT is(current_setting('phaseline.actor', true), '', 'after an API call no actor is left set');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET definition = '{"x": 1}' WHERE id = (SELECT a1 FROM v)$$,
    '42501', 'actor_required', 'a direct write after an API call still needs its own actor');
SELECT is((SELECT count(*)::int FROM phaseline.audit_log WHERE row_id = (SELECT a1 FROM v)::text AND action = 'UPDATE'), 0,
    'nothing was written or audited');
SELECT * FROM finish();
ROLLBACK;
