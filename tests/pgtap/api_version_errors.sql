-- The generic version API: an unknown version id is P0002 unknown_version
-- for submit, withdraw, approve, reject and version_history; an unknown
-- artifact type is 22023; version_history returns every version of the key,
-- oldest first, with the versioning columns.
BEGIN;
SELECT plan(17);

CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION pg_temp.v(p_name text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM v WHERE name = p_name $$;
CREATE TEMP TABLE mark AS SELECT count(*) AS n FROM phaseline.audit_log;

SELECT test.throws_rule(format('SELECT phaseline_api.submit_version(gen_random_uuid(), %s)', tester),
    'P0002', 'unknown_version', 'submitting an unknown version is refused') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.withdraw_version(gen_random_uuid(), %s)', tester),
    'P0002', 'unknown_version', 'withdrawing an unknown version is refused') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.approve_version(gen_random_uuid(), %s)', owner),
    'P0002', 'unknown_version', 'approving an unknown version is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.reject_version(gen_random_uuid(), %s, 'no')$$, owner),
    'P0002', 'unknown_version', 'rejecting an unknown version is refused') FROM w;
SELECT test.throws_rule('SELECT * FROM phaseline_api.version_history(gen_random_uuid())',
    'P0002', 'unknown_version', 'the history of an unknown version is refused');
SELECT test.throws_rule(format($$SELECT * FROM phaseline_api.approved_artifact(%L, %L, 'attributes', 'balance')$$, cycle, report),
    '22023', 'unknown_artifact_type', 'an unknown artifact type is refused') FROM w;
SELECT test.throws_rule(format('SELECT * FROM phaseline_api.approved_artifact(%L, %L, NULL)', cycle, report),
    '22023', 'unknown_artifact_type', 'a missing artifact type is refused') FROM w;
SELECT is((SELECT count(*) FROM phaseline.audit_log), (SELECT n FROM mark), 'the refused calls wrote nothing');
SELECT is_empty(format($$SELECT * FROM phaseline_api.approved_artifact(%L, %L, 'attribute', 'balance')$$, cycle, report),
    'a known type with nothing approved returns no row') FROM w;

-- version_history: three versions of balance, one of rate.
INSERT INTO v SELECT 'a1', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('a1'), tester) FROM w;
SELECT phaseline_api.reject_version(pg_temp.v('a1'), owner, 'vague') FROM w;
INSERT INTO v SELECT 'a2', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('a2'), owner) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('a2'), admin, 'fine') FROM w;
INSERT INTO v SELECT 'a3', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{}', owner) FROM w;
INSERT INTO v SELECT 'r1', phaseline_api.propose_report_attribute(cycle, report, 'rate', '{}', tester) FROM w;

SELECT ok((SELECT proargnames FROM pg_proc WHERE oid = 'phaseline_api.version_history(uuid)'::regprocedure)
          @> ARRAY['id', 'version_number', 'is_latest', 'version_status', 'parent_version_id', 'created_at', 'created_by',
                   'submitted_at', 'submitted_by', 'reviewed_at', 'reviewed_by', 'review_note'],
    'version_history returns every versioning column');
SELECT results_eq(
    format($$SELECT id, version_number, is_latest, version_status::text, parent_version_id, created_by, submitted_by, reviewed_by, review_note
               FROM phaseline_api.version_history(%L)$$, pg_temp.v('a2')),
    format($$VALUES (%1$L::uuid, 1, false, 'rejected', NULL::uuid, %4$s, %4$s, %6$s, 'vague'),
                    (%2$L::uuid, 2, false, 'approved', %1$L::uuid, %4$s, %5$s, %7$s, 'fine'),
                    (%3$L::uuid, 3, true, 'draft', %2$L::uuid, %5$s, NULL::int, NULL::int, NULL::text)$$,
           pg_temp.v('a1'), pg_temp.v('a2'), pg_temp.v('a3'), tester, owner, owner, admin),
    'version_history of the middle version lists all three, oldest first, with their workflow fields') FROM w;
SELECT results_eq(
    format($$SELECT created_at IS NOT NULL, submitted_at IS NOT NULL, reviewed_at IS NOT NULL FROM phaseline_api.version_history(%L)$$, pg_temp.v('a3')),
    $$VALUES (true, true, true), (true, true, true), (true, false, false)$$,
    'version_history carries the times of creation, submission and review') FROM w;
SELECT results_eq(
    format('SELECT id FROM phaseline_api.version_history(%L)', pg_temp.v('a1')),
    format('SELECT id FROM phaseline_api.version_history(%L)', pg_temp.v('a3')),
    'any version of a key gives the same history');
SELECT results_eq(
    format('SELECT id FROM phaseline_api.version_history(%L)', pg_temp.v('r1')),
    format('VALUES (%L::uuid)', pg_temp.v('r1')),
    'the history of another attribute holds only its own versions');

-- The other entities.
INSERT INTO v SELECT 's1', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('s1'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('s1'), owner) FROM w;
INSERT INTO v SELECT 's2', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT results_eq(
    format('SELECT id, version_status::text FROM phaseline_api.version_history(%L)', pg_temp.v('s2')),
    format($$VALUES (%L::uuid, 'approved'), (%L::uuid, 'draft')$$, pg_temp.v('s1'), pg_temp.v('s2')),
    'version_history works for a sample selection');
INSERT INTO v SELECT 'p1', phaseline_api.start_phase(cycle, report, 'scoping', tester) FROM w;
INSERT INTO v SELECT 'q1', phaseline_api.start_phase(cycle, report, 'data_profiling', tester) FROM w;
SELECT results_eq(
    format('SELECT id, version_number FROM phaseline_api.version_history(%L)', pg_temp.v('p1')),
    format('VALUES (%L::uuid, 1)', pg_temp.v('p1')),
    'version_history of a phase holds only that phase''s versions');
SELECT test.throws_rule(format('SELECT phaseline_api.submit_version(%L, %s)', report, tester),
    'P0002', 'unknown_version', 'an id that is not a version (a report id) is an unknown version') FROM w;

SELECT * FROM finish();
ROLLBACK;
