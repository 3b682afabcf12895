-- Invariant 11 (issue 12): versions of a report's data are created, edited,
-- submitted and withdrawn only by the tester assigned to that cycle and
-- report, the report's owner, or an admin: 42501 not_assigned for anyone
-- else, and nothing is written. The same rule under direct writes:
-- inv11_writes_scoped_to_report_direct.sql.
BEGIN;
SELECT plan(18);
SELECT test.world();  -- tester is assigned; tester2 is not
SELECT test.remember('attr', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester'))), test.remember('samples', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester'))), test.remember('phase', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
CREATE TEMP TABLE before AS SELECT * FROM test.state();

-- Creating.
SELECT test.throws_rule($$SELECT phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'rate', '{}', test.id('tester2'))$$,
    '42501', 'not_assigned', 'an unassigned tester cannot propose an attribute');
SELECT test.throws_rule($$SELECT phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'data_profiling', test.id('tester2'))$$,
    '42501', 'not_assigned', 'an unassigned tester cannot start a phase');
SELECT test.throws_rule($$SELECT phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('owner2'))$$,
    '42501', 'not_assigned', 'the owner of another report cannot start a sample selection');
-- Editing.
SELECT test.throws_rule($$SELECT phaseline_api.update_report_attribute(test.uid('attr'), '{"x": 1}', test.id('tester2'))$$,
    '42501', 'not_assigned', 'an unassigned tester cannot edit an attribute');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('phase'), '{"scoping_notes": "x"}', test.id('tester2'))$$,
    '42501', 'not_assigned', 'an unassigned tester cannot save phase data');
SELECT test.throws_rule($$SELECT phaseline_api.complete_phase(test.uid('phase'), test.id('tester2'))$$,
    '42501', 'not_assigned', 'an unassigned tester cannot complete a phase');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('samples'), '[{"sample_key": "S1"}]', 'tester', test.id('tester2'))$$,
    '42501', 'not_assigned', 'an unassigned tester cannot recommend samples');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('samples'), '[]', 'tester', test.id('tester2'))$$,
    '42501', 'not_assigned', 'not even an empty recommendation');
-- Submitting.
SELECT test.throws_rule($$SELECT phaseline_api.submit_version(test.uid('attr'), test.id('tester2'))$$,
    '42501', 'not_assigned', 'an unassigned tester cannot submit a version');
SELECT results_eq('SELECT * FROM test.state()', 'SELECT * FROM before', 'the refused calls changed no table');

-- Withdrawing.
SELECT phaseline_api.submit_version(test.uid('attr'), test.id('tester'));
SELECT test.throws_rule($$SELECT phaseline_api.withdraw_version(test.uid('attr'), test.id('tester2'))$$,
    '42501', 'not_assigned', 'an unassigned tester cannot withdraw a version');

-- Who may: the assigned tester, the owner, an admin.
SELECT lives_ok($$SELECT phaseline_api.withdraw_version(test.uid('attr'), test.id('owner'))$$, 'the owner withdraws');
SELECT lives_ok($$SELECT phaseline_api.update_report_attribute(test.uid('attr'), '{"z": 3}', test.id('admin'))$$, 'an admin edits');
SELECT lives_ok($$SELECT phaseline_api.recommend_samples(test.uid('samples'), '[{"sample_key": "S1"}]', 'manual', test.id('owner'))$$,
    'the owner recommends samples');
SELECT lives_ok($$SELECT phaseline_api.save_phase_data(test.uid('phase'), '{"scoping_notes": "x"}', test.id('tester'))$$, 'the assigned tester saves');

-- Reassigning moves the right with the assignment.
SELECT phaseline_api.assign_report(test.uid('cycle'), test.uid('report'), test.id('tester2'), test.id('admin'));
SELECT lives_ok($$SELECT phaseline_api.save_phase_data(test.uid('phase'), '{"scoping_notes": "y"}', test.id('tester2'))$$,
    'the newly assigned tester writes');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('phase'), '{"scoping_notes": "z"}', test.id('tester'))$$,
    '42501', 'not_assigned', 'the formerly assigned tester no longer does');
-- Reviews are not writes: the owner still approves.
SELECT phaseline_api.submit_version(test.uid('attr'), test.id('tester2'));
SELECT lives_ok($$SELECT phaseline_api.approve_version(test.uid('attr'), test.id('owner'))$$, 'the owner reviews as before');

SELECT * FROM finish();
ROLLBACK;
