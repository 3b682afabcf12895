-- Invariant 11 (issue 12) under direct writes: the write-scope trigger
-- refuses a direct INSERT or UPDATE of a report's data by a tester who is not
-- assigned to the cycle and report (42501 not_assigned), as the API does
-- (inv11_writes_scoped_to_report.sql), and nothing is written. A write for a
-- cycle and report that are not assigned at all says that (P0002
-- unknown_cycle_report), not that the writer is not assigned.
-- phaseline: direct-writes
BEGIN;
SELECT plan(4);
SELECT test.world();  -- tester is assigned; tester2 is not
SELECT test.remember('attr', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
CREATE TEMP TABLE before AS SELECT * FROM test.state();

SELECT test.act('tester2');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET definition = '{"y": 2}' WHERE id = test.uid('attr')$$,
    '42501', 'not_assigned', 'a direct edit by an unassigned tester is refused');
SELECT test.throws_rule($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) VALUES (test.uid('cycle'), test.uid('report'), 'limit')$$,
    '42501', 'not_assigned', 'a direct insert by an unassigned tester is refused');
SELECT test.throws_rule($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) VALUES (gen_random_uuid(), test.uid('report'), 'limit')$$,
    'P0002', 'unknown_cycle_report', 'a direct insert for an unknown cycle says so');
SELECT results_eq('SELECT * FROM test.state()', 'SELECT * FROM before', 'the refused writes changed no table');

SELECT * FROM finish();
ROLLBACK;
