-- The generic version API: an unknown version id is P0002 unknown_version
-- for submit, withdraw, approve, reject and version_history; an unknown
-- artifact type is 22023; version_history returns every version of the key,
-- oldest first, with the versioning columns.
BEGIN;
SELECT plan(17);

SELECT test.world();

CREATE TEMP TABLE mark AS SELECT count(*) AS n FROM peek.audit_log;

SELECT test.throws_rule($$SELECT phaseline_api.submit_version(gen_random_uuid(), test.id('tester'))$$,
    'P0002', 'unknown_version', 'submitting an unknown version is refused');
SELECT test.throws_rule($$SELECT phaseline_api.withdraw_version(gen_random_uuid(), test.id('tester'))$$,
    'P0002', 'unknown_version', 'withdrawing an unknown version is refused');
SELECT test.throws_rule($$SELECT phaseline_api.approve_version(gen_random_uuid(), test.id('owner'))$$,
    'P0002', 'unknown_version', 'approving an unknown version is refused');
SELECT test.throws_rule($$SELECT phaseline_api.reject_version(gen_random_uuid(), test.id('owner'), 'no')$$,
    'P0002', 'unknown_version', 'rejecting an unknown version is refused');
SELECT test.throws_rule('SELECT * FROM phaseline_api.version_history(gen_random_uuid())',
    'P0002', 'unknown_version', 'the history of an unknown version is refused');
SELECT test.throws_rule($$SELECT * FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'attributes', 'balance')$$,
    '22023', 'unknown_artifact_type', 'an unknown artifact type is refused');
SELECT test.throws_rule($$SELECT * FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), NULL)$$,
    '22023', 'unknown_artifact_type', 'a missing artifact type is refused');
SELECT is((SELECT count(*) FROM peek.audit_log), (SELECT n FROM mark), 'the refused calls wrote nothing');
SELECT is_empty($$SELECT * FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'attribute', 'balance')$$,
    'a known type with nothing approved returns no row');

-- version_history: three versions of balance, one of rate.
SELECT test.remember('a1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('a1'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('a1'), test.id('owner'), 'vague');
SELECT test.remember('a2', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('a2'), test.id('owner'));
SELECT phaseline_api.approve_version(test.uid('a2'), test.id('admin'), 'fine');
SELECT test.remember('a3', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('owner')));
SELECT test.remember('r1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'rate', '{}', test.id('tester')));

SELECT ok((SELECT proargnames FROM pg_proc WHERE oid = 'phaseline_api.version_history(uuid)'::regprocedure)
          @> ARRAY['id', 'version_number', 'is_latest', 'version_status', 'parent_version_id', 'created_at', 'created_by',
                   'submitted_at', 'submitted_by', 'reviewed_at', 'reviewed_by', 'review_note'],
    'version_history returns every versioning column');
SELECT results_eq(
    $$SELECT id, version_number, is_latest, version_status::text, parent_version_id, created_by, submitted_by, reviewed_by, review_note
               FROM phaseline_api.version_history(test.uid('a2'))$$,
    format($$VALUES (%1$L::uuid, 1, false, 'rejected', NULL::uuid, %4$s, %4$s, %6$s, 'vague'),
                    (%2$L::uuid, 2, false, 'approved', %1$L::uuid, %4$s, %5$s, %7$s, 'fine'),
                    (%3$L::uuid, 3, true, 'draft', %2$L::uuid, %5$s, NULL::int, NULL::int, NULL::text)$$,
           test.uid('a1'), test.uid('a2'), test.uid('a3'), test.id('tester'), test.id('owner'), test.id('owner'), test.id('admin')),
    'version_history of the middle version lists all three, oldest first, with their workflow fields');
SELECT results_eq(
    $$SELECT created_at IS NOT NULL, submitted_at IS NOT NULL, reviewed_at IS NOT NULL FROM phaseline_api.version_history(test.uid('a3'))$$,
    $$VALUES (true, true, true), (true, true, true), (true, false, false)$$,
    'version_history carries the times of creation, submission and review');
SELECT results_eq(
    $$SELECT id FROM phaseline_api.version_history(test.uid('a1'))$$,
    $$SELECT id FROM phaseline_api.version_history(test.uid('a3'))$$,
    'any version of a key gives the same history');
SELECT results_eq(
    $$SELECT id FROM phaseline_api.version_history(test.uid('r1'))$$,
    $$VALUES (test.uid('r1')::uuid)$$,
    'the history of another attribute holds only its own versions');

-- The other entities.
SELECT test.remember('s1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('s1'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('s1'), test.id('owner'));
SELECT test.remember('s2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT results_eq(
    $$SELECT id, version_status::text FROM phaseline_api.version_history(test.uid('s2'))$$,
    $$VALUES (test.uid('s1')::uuid, 'approved'), (test.uid('s2')::uuid, 'draft')$$,
    'version_history works for a sample selection');
SELECT test.remember('p1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT test.remember('q1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'data_profiling', test.id('tester')));
SELECT results_eq(
    $$SELECT id, version_number FROM phaseline_api.version_history(test.uid('p1'))$$,
    $$VALUES (test.uid('p1')::uuid, 1)$$,
    'version_history of a phase holds only that phase''s versions');
SELECT test.throws_rule($$SELECT phaseline_api.submit_version(test.uid('report'), test.id('tester'))$$,
    'P0002', 'unknown_version', 'an id that is not a version (a report id) is an unknown version');

SELECT * FROM finish();
ROLLBACK;
