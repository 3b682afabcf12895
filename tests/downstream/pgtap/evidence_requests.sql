-- The project's own SQL is in the template, on top of phaseline, with the test kit's helpers.
-- phaseline: direct-writes
BEGIN;
SELECT plan(3);
SELECT test.world();
SELECT has_table('acme', 'evidence_requests', 'the project''s table is loaded');
INSERT INTO acme.evidence_requests (cycle_id, report_id, request)
SELECT test.uid('cycle'), test.uid('report'), 'GL extract for Q4';
SELECT is(acme.open_requests(test.uid('cycle')), 1::bigint, 'its function sees a row tied to a phaseline assignment');
SELECT throws_ok(
    $$INSERT INTO acme.evidence_requests (cycle_id, report_id, request) VALUES (gen_random_uuid(), gen_random_uuid(), 'x')$$,
    '23503', NULL, 'the reference to phaseline holds');
SELECT * FROM finish();
ROLLBACK;
