-- Re-inserting an existing version (as a replay with ON CONFLICT DO NOTHING
-- would) is refused before the engine moves the latest flag, so the key
-- keeps exactly one latest version.
BEGIN;
SELECT plan(3);
CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v AS
SELECT phaseline_api.propose_report_attribute(cycle, report, 'amount', '{}', tester) AS a1 FROM w;
SELECT phaseline_api.submit_version(a1, tester) FROM v, w;
SELECT phaseline_api.approve_version(a1, owner) FROM v, w;
SELECT set_config('phaseline.actor', (SELECT tester FROM w)::text, true);
SELECT test.throws_rule(
    $$INSERT INTO phaseline.report_attributes (id, cycle_id, report_id, attribute_name)
      SELECT (SELECT a1 FROM v), cycle, report, 'amount' FROM w ON CONFLICT DO NOTHING$$,
    '23505', 'report_attributes_pkey', 'a replayed insert of an existing version is refused');
SELECT is((SELECT count(*)::int FROM phaseline.report_attributes WHERE attribute_name = 'amount' AND is_latest), 1,
    'the key still has exactly one latest version');
SELECT is((SELECT is_latest FROM phaseline.report_attributes WHERE id = (SELECT a1 FROM v)), true,
    'and it is still the approved version');
SELECT * FROM finish();
ROLLBACK;
