-- Issue 12, findings 5 and 6, where the application role cannot look
-- (sec_f05_f06_f10_input_rules.sql has the API's refusals): a rejection note
-- of a no-break space is blank in a direct UPDATE too (22023
-- review_note_required) and changes nothing, and the JSON cap comes from the
-- internal function phaseline._max_json_bytes() (the deploy variable
-- max_json_bytes), which only the tables' owner calls.
-- phaseline: direct-writes
BEGIN;
SELECT plan(3);
SELECT test.world();
SELECT test.remember('attr', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('attr'), test.id('tester'));
CREATE TEMP TABLE before AS SELECT * FROM test.state();

SELECT test.act('owner');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'rejected', review_note = %L WHERE id = %L$$, E'\u00a0', test.uid('attr')),
    '22023', 'review_note_required', 'a rejection note of a no-break space in a direct UPDATE is blank');
SELECT results_eq('SELECT * FROM test.state()', 'SELECT * FROM before', 'the refused UPDATE changed no table');
SELECT is(phaseline._max_json_bytes(), 1048576, 'the cap is the deploy variable max_json_bytes, 1 MiB by default');

SELECT * FROM finish();
ROLLBACK;
