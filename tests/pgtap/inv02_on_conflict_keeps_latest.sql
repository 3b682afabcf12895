-- Re-inserting an existing version (as a replay with ON CONFLICT DO NOTHING
-- would) is refused before the engine moves the latest flag, so the key
-- keeps exactly one latest version.
-- phaseline: direct-writes
BEGIN;
SELECT plan(3);
SELECT test.world();
SELECT test.remember('a1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'amount', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('a1'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('a1'), test.id('owner'));
SELECT test.act('tester');
SELECT test.throws_rule(
    $$INSERT INTO phaseline.report_attributes (id, cycle_id, report_id, attribute_name)
      SELECT test.uid('a1'), test.uid('cycle'), test.uid('report'), 'amount' ON CONFLICT DO NOTHING$$,
    '23505', 'report_attributes_pkey', 'a replayed insert of an existing version is refused');
SELECT is((SELECT count(*)::int FROM phaseline.report_attributes WHERE attribute_name = 'amount' AND is_latest), 1,
    'the key still has exactly one latest version');
SELECT is((SELECT is_latest FROM phaseline.report_attributes WHERE id = test.uid('a1')), true,
    'and it is still the approved version');
SELECT * FROM finish();
ROLLBACK;
