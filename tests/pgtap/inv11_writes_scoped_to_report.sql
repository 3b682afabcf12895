-- Invariant 11 (issue 12): versions of a report's data are created, edited,
-- submitted and withdrawn only by the tester assigned to that cycle and
-- report, the report's owner, or an admin: 42501 not_assigned for anyone
-- else, through the API and a direct write alike, and nothing is written.
BEGIN;
SELECT plan(20);
CREATE TEMP TABLE w AS SELECT * FROM test.world();  -- tester is assigned; tester2 is not
CREATE TEMP TABLE v AS
SELECT phaseline_api.propose_report_attribute(cycle, report, 'balance', '{}', tester) AS attr,
       phaseline_api.start_sample_selection(cycle, report, tester) AS samples,
       phaseline_api.start_phase(cycle, report, 'scoping', tester) AS phase
  FROM w;
CREATE TEMP TABLE before AS SELECT * FROM test.state();

-- Creating.
SELECT test.throws_rule(format($$SELECT phaseline_api.propose_report_attribute(%L, %L, 'rate', '{}', %s)$$, cycle, report, tester2),
    '42501', 'not_assigned', 'an unassigned tester cannot propose an attribute') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.start_phase(%L, %L, 'data_profiling', %s)$$, cycle, report, tester2),
    '42501', 'not_assigned', 'an unassigned tester cannot start a phase') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.start_sample_selection(%L, %L, %s)$$, cycle, report, owner2),
    '42501', 'not_assigned', 'the owner of another report cannot start a sample selection') FROM w;
-- Editing.
SELECT test.throws_rule(format($$SELECT phaseline_api.update_report_attribute(%L, '{"x": 1}', %s)$$, attr, tester2),
    '42501', 'not_assigned', 'an unassigned tester cannot edit an attribute') FROM v, w;
SELECT test.throws_rule(format($$SELECT phaseline_api.save_phase_data(%L, '{"scoping_notes": "x"}', %s)$$, phase, tester2),
    '42501', 'not_assigned', 'an unassigned tester cannot save phase data') FROM v, w;
SELECT test.throws_rule(format($$SELECT phaseline_api.complete_phase(%L, %s)$$, phase, tester2),
    '42501', 'not_assigned', 'an unassigned tester cannot complete a phase') FROM v, w;
SELECT test.throws_rule(format($$SELECT phaseline_api.recommend_samples(%L, '[{"sample_key": "S1"}]', 'tester', %s)$$, samples, tester2),
    '42501', 'not_assigned', 'an unassigned tester cannot recommend samples') FROM v, w;
SELECT test.throws_rule(format($$SELECT phaseline_api.recommend_samples(%L, '[]', 'tester', %s)$$, samples, tester2),
    '42501', 'not_assigned', 'not even an empty recommendation') FROM v, w;
-- Submitting.
SELECT test.throws_rule(format($$SELECT phaseline_api.submit_version(%L, %s)$$, attr, tester2),
    '42501', 'not_assigned', 'an unassigned tester cannot submit a version') FROM v, w;
-- Direct writes.
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT tester2 FROM w)::text, true); END$$;
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET definition = '{"y": 2}' WHERE id = (SELECT attr FROM v)$$,
    '42501', 'not_assigned', 'a direct edit by an unassigned tester is refused');
SELECT test.throws_rule(format($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) VALUES (%L, %L, 'limit')$$, cycle, report),
    '42501', 'not_assigned', 'a direct insert by an unassigned tester is refused') FROM w;
SELECT results_eq('SELECT * FROM test.state()', 'SELECT * FROM before', 'the refused writes changed no table');

-- Withdrawing.
SELECT phaseline_api.submit_version(attr, tester) FROM v, w;
SELECT test.throws_rule(format($$SELECT phaseline_api.withdraw_version(%L, %s)$$, attr, tester2),
    '42501', 'not_assigned', 'an unassigned tester cannot withdraw a version') FROM v, w;

-- Who may: the assigned tester, the owner, an admin.
SELECT lives_ok(format($$SELECT phaseline_api.withdraw_version(%L, %s)$$, attr, owner), 'the owner withdraws') FROM v, w;
SELECT lives_ok(format($$SELECT phaseline_api.update_report_attribute(%L, '{"z": 3}', %s)$$, attr, admin), 'an admin edits') FROM v, w;
SELECT lives_ok(format($$SELECT phaseline_api.recommend_samples(%L, '[{"sample_key": "S1"}]', 'manual', %s)$$, samples, owner),
    'the owner recommends samples') FROM v, w;
SELECT lives_ok(format($$SELECT phaseline_api.save_phase_data(%L, '{"scoping_notes": "x"}', %s)$$, phase, tester), 'the assigned tester saves') FROM v, w;

-- Reassigning moves the right with the assignment.
SELECT phaseline_api.assign_report(cycle, report, tester2, admin) FROM w;
SELECT lives_ok(format($$SELECT phaseline_api.save_phase_data(%L, '{"scoping_notes": "y"}', %s)$$, phase, tester2),
    'the newly assigned tester writes') FROM v, w;
SELECT test.throws_rule(format($$SELECT phaseline_api.save_phase_data(%L, '{"scoping_notes": "z"}', %s)$$, phase, tester),
    '42501', 'not_assigned', 'the formerly assigned tester no longer does') FROM v, w;
-- Reviews are not writes: the owner still approves.
SELECT phaseline_api.submit_version(attr, tester2) FROM v, w;
SELECT lives_ok(format($$SELECT phaseline_api.approve_version(%L, %s)$$, attr, owner), 'the owner reviews as before') FROM v, w;

SELECT * FROM finish();
ROLLBACK;
