-- Names that do not exist are refused with no_data_found (P0002) and the
-- rule that says which: an unknown phase, an unknown version, a report
-- that is not in the cycle. Nothing is written. A direct INSERT of an
-- unknown phase: phase_unknown_phase_direct.sql.
BEGIN;
SELECT plan(11);
SELECT test.world();
-- a real report that is not in the world's cycle
SELECT test.remember('report2', phaseline_api.create_report('Call Report', test.id('owner'), test.id('admin')));

SELECT test.throws_rule($$SELECT phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'fieldwork', test.id('tester'))$$,
    'P0002', 'unknown_phase', 'start_phase of a phase the catalog does not hold is refused');
SELECT test.throws_rule($$SELECT phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'Scoping', test.id('tester'))$$,
    'P0002', 'unknown_phase', 'phase names are exact: "Scoping" is not "scoping"');
SELECT test.throws_rule($$SELECT phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), NULL, test.id('tester'))$$,
    'P0002', 'unknown_phase', 'a null phase is refused as unknown');

SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(gen_random_uuid(), '{}', test.id('tester'))$$,
    'P0002', 'unknown_version', 'save_phase_data of an unknown version is refused');
SELECT test.throws_rule($$SELECT phaseline_api.complete_phase(gen_random_uuid(), test.id('tester'))$$,
    'P0002', 'unknown_version', 'complete_phase of an unknown version is refused');
SELECT test.throws_rule($$SELECT phaseline_api.submit_version(gen_random_uuid(), test.id('tester'))$$,
    'P0002', 'unknown_version', 'submit_version of an unknown version is refused');

SELECT test.throws_rule($$SELECT phaseline_api.start_phase(test.uid('cycle'), test.uid('report2'), 'scoping', test.id('tester'))$$,
    'P0002', 'unknown_cycle_report', 'start_phase for a report that is not in the cycle is refused');
SELECT test.throws_rule($$SELECT phaseline_api.start_phase(gen_random_uuid(), test.uid('report'), 'scoping', test.id('tester'))$$,
    'P0002', 'unknown_cycle_report', 'start_phase for an unknown cycle is refused');
SELECT test.throws_rule($$SELECT * FROM phaseline_api.phase_overview(test.uid('cycle'), test.uid('report2'))$$,
    'P0002', 'unknown_cycle_report', 'phase_overview of a report that is not in the cycle is refused');

SELECT is((SELECT count(*)::int FROM peek.workflow_phase_data), 0, 'the refused calls started no phase');
SELECT is((SELECT count(*)::int FROM peek.workflow_phases), 7, 'and added nothing to the catalog');

SELECT * FROM finish();
ROLLBACK;
