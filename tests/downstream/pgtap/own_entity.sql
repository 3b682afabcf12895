-- The project's own versioned entity (its extension, deployed into the template
-- with phaseline through PHASELINE_TEST_EXTENSIONS), tested as the application:
-- its API function, the engine's numbering and four eyes, read back through peek.
BEGIN;
SELECT plan(4);
SELECT test.world();
SELECT test.remember('e1', phaseline_api.request_evidence(test.uid('cycle'), test.uid('report'), 'gl', 'GL extract', test.id('tester')));
SELECT is((SELECT version_number FROM peek.evidence_requests WHERE id = test.uid('e1')), 1, 'the engine numbers the project''s versions');
SELECT phaseline_api.submit_version(test.uid('e1'), test.id('tester'));
SELECT test.throws_rule(format('SELECT phaseline_api.approve_version(%L, %s)', test.uid('e1'), test.id('tester')),
    '42501', 'not_reviewer', 'four eyes holds for the project''s entity');
SELECT phaseline_api.approve_version(test.uid('e1'), test.id('owner'));
SELECT is((SELECT version_status::text FROM peek.evidence_requests WHERE id = test.uid('e1')), 'approved', 'the owner approves it');
SELECT is((SELECT artifact_type FROM phaseline_api.current_artifacts WHERE reference_id = test.uid('e1')), 'evidence_request',
    'its approval is in the registry');
SELECT * FROM finish();
ROLLBACK;
