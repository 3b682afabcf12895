-- The phase catalog binds direct writes too (phase_unknown_phase.sql has the
-- API's refusals): a version of an unlisted phase has nothing to hang on, and
-- a direct INSERT of one is refused by the catalog's foreign key.
-- phaseline: direct-writes
BEGIN;
SELECT plan(2);
SELECT test.world();

SELECT test.act('tester');
SELECT test.throws_rule($$INSERT INTO phaseline.workflow_phase_data (cycle_id, report_id, phase_name, started_at)
    SELECT test.uid('cycle'), test.uid('report'), 'fieldwork', now()$$,
    '23503', 'workflow_phase_data_phase_name_fkey', 'a direct INSERT of an unknown phase is refused by the catalog''s foreign key');
SELECT is((SELECT count(*)::int FROM phaseline.workflow_phase_data), 0, 'the refused INSERT started no phase');

SELECT * FROM finish();
ROLLBACK;
