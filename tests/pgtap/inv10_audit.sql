-- Invariant 10: every change lands in the audit log with its actor. API
-- calls and direct writes alike are recorded with actor, action,
-- table_name, row_id and the old and new row; audit_trail(row_id) returns
-- them oldest first; the engine's own writes (the latest flag, superseding,
-- closing an artifact) are audited too; a direct write without an actor is
-- refused (42501 actor_required) and writes nothing.
BEGIN;
SELECT plan(23);

CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION pg_temp.v(p_name text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM v WHERE name = p_name $$;
CREATE FUNCTION pg_temp.act(p_user integer) RETURNS void LANGUAGE sql AS $$ SELECT set_config('phaseline.actor', p_user::text, true) $$;

-- Reference data written by test.world() through the API.
SELECT results_eq(
    format($$SELECT actor, action FROM phaseline.audit_log WHERE table_name = 'users' AND row_id = %L$$, owner),
    format($$VALUES (%s, 'INSERT')$$, admin),
    'creating a user is recorded with the admin who did it') FROM w;
SELECT results_eq(
    format($$SELECT actor, action, new_row ->> 'tester_user_id' FROM phaseline.audit_log WHERE table_name = 'cycle_reports'
              AND new_row ->> 'report_id' = %L$$, report),
    format($$VALUES (%s, 'INSERT', '%s')$$, admin, tester),
    'assigning a report is recorded with its tester in the new row') FROM w;

-- One attribute through its life, by the API and by a direct write.
INSERT INTO v SELECT 'a1', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"v": 1}', tester) FROM w;
SELECT phaseline_api.update_report_attribute(pg_temp.v('a1'), '{"v": 2}', tester) FROM w;
SELECT pg_temp.act(admin) FROM w;
UPDATE phaseline.report_attributes SET definition = '{"v": 3}' WHERE id = pg_temp.v('a1');
SELECT phaseline_api.submit_version(pg_temp.v('a1'), tester) FROM w;
INSERT INTO v SELECT 'art1', phaseline_api.approve_version(pg_temp.v('a1'), owner, 'ok') FROM w;

SELECT results_eq(
    format($$SELECT actor, action, table_name, row_id FROM phaseline_api.audit_trail(%L)$$, pg_temp.v('a1')),
    format($$VALUES (%1$s, 'INSERT', 'report_attributes', %3$L), (%1$s, 'UPDATE', 'report_attributes', %3$L),
                    (%2$s, 'UPDATE', 'report_attributes', %3$L), (%1$s, 'UPDATE', 'report_attributes', %3$L),
                    (%4$s, 'UPDATE', 'report_attributes', %3$L)$$, tester, admin, pg_temp.v('a1'), owner),
    'audit_trail returns propose, API edit, direct edit, submit and approve, oldest first, each with its actor') FROM w;
SELECT results_eq(
    format($$SELECT old_row -> 'definition', new_row -> 'definition' FROM phaseline_api.audit_trail(%L)$$, pg_temp.v('a1')),
    $$VALUES (NULL::jsonb, '{"v": 1}'::jsonb), ('{"v": 1}', '{"v": 2}'), ('{"v": 2}', '{"v": 3}'), ('{"v": 3}', '{"v": 3}'), ('{"v": 3}', '{"v": 3}')$$,
    'each entry holds the row before and after: no old row for the insert');
SELECT results_eq(
    format($$SELECT old_row ->> 'version_status', new_row ->> 'version_status', new_row ->> 'submitted_by', new_row ->> 'reviewed_by', new_row ->> 'review_note'
               FROM phaseline_api.audit_trail(%L) OFFSET 3$$, pg_temp.v('a1')),
    format($$VALUES ('draft', 'pending_approval', '%1$s', NULL, NULL), ('pending_approval', 'approved', '%1$s', '%2$s', 'ok')$$, tester, owner),
    'the submit and approve entries show the status change and who did it') FROM w;
SELECT is((SELECT count(*)::int FROM phaseline_api.audit_trail(pg_temp.v('a1')) WHERE at IS NULL), 0,
    'every audit entry has its time');
SELECT results_eq(
    format($$SELECT actor, action, new_row ->> 'reference_id', new_row ->> 'superseded_at' FROM phaseline_api.audit_trail(%L)$$, pg_temp.v('art1')),
    format($$VALUES (%s, 'INSERT', %L, NULL)$$, owner, pg_temp.v('a1')),
    'the artifact the approval wrote is audited, under the approver') FROM w;

-- The engine's own writes: the latest flag moves, v1 is superseded, its artifact closed.
INSERT INTO v SELECT 'a2', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"v": 4}', tester) FROM w;
SELECT results_eq(
    format($$SELECT actor, action, (old_row ->> 'is_latest')::boolean, (new_row ->> 'is_latest')::boolean
               FROM phaseline_api.audit_trail(%L) OFFSET 5$$, pg_temp.v('a1')),
    format($$VALUES (%s, 'UPDATE', true, false)$$, tester),
    'taking the latest flag off v1 is audited under whoever made v2') FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('a2'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('a2'), admin) FROM w;
SELECT results_eq(
    format($$SELECT actor, action, old_row ->> 'version_status', new_row ->> 'version_status'
               FROM phaseline_api.audit_trail(%L) OFFSET 6$$, pg_temp.v('a1')),
    format($$VALUES (%s, 'UPDATE', 'approved', 'superseded')$$, admin),
    'superseding v1 is audited under the approver of v2') FROM w;
SELECT results_eq(
    format($$SELECT actor, action, old_row ->> 'superseded_at' IS NULL, new_row ->> 'superseded_at' IS NOT NULL
               FROM phaseline_api.audit_trail(%L) OFFSET 1$$, pg_temp.v('art1')),
    format($$VALUES (%s, 'UPDATE', true, true)$$, admin),
    'closing v1''s artifact is audited under the approver of v2') FROM w;

-- Sample decisions and phase data, in bulk and by API.
INSERT INTO v SELECT 'sel', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT phaseline_api.recommend_samples(pg_temp.v('sel'), '[{"sample_key": "L-1"}, {"sample_key": "L-2"}, {"sample_key": "L-3"}]', 'llm', tester) FROM w;
SELECT results_eq(
    format($$SELECT count(*)::int, min(actor), max(actor) FROM phaseline.audit_log l JOIN phaseline.sample_decisions d ON l.row_id = d.id::text
              WHERE l.table_name = 'sample_decisions' AND l.action = 'INSERT' AND d.version_id = %L$$, pg_temp.v('sel')),
    format('VALUES (3, %1$s, %1$s)', tester),
    'a bulk recommendation writes one audit entry per sample, each with its actor') FROM w;
INSERT INTO v SELECT 'phase', phaseline_api.start_phase(cycle, report, 'scoping', tester) FROM w;
SELECT phaseline_api.save_phase_data(pg_temp.v('phase'), '{"attributes_scoped": 2}', tester) FROM w;
SELECT results_eq(
    format($$SELECT action, table_name, new_row -> 'phase_data' FROM phaseline_api.audit_trail(%L)$$, pg_temp.v('phase')),
    $$VALUES ('INSERT', 'workflow_phase_data', '{}'::jsonb), ('UPDATE', 'workflow_phase_data', '{"attributes_scoped": 2}')$$,
    'starting a phase and saving its data are both audited');

-- A direct write to a reference table is audited too.
SELECT pg_temp.act(admin) FROM w;
UPDATE phaseline.test_cycles SET name = 'Q1 2026 (rerun)' WHERE cycle_id = (SELECT cycle FROM w);
SELECT results_eq(
    format($$SELECT actor, old_row ->> 'name', new_row ->> 'name' FROM phaseline_api.audit_trail(%L) WHERE action = 'UPDATE'$$, cycle),
    format($$VALUES (%s, 'Q1 2026', 'Q1 2026 (rerun)')$$, admin),
    'a direct rename of a cycle is audited with old and new name') FROM w;

-- Without an actor, direct writes are refused and nothing is written.
CREATE TEMP TABLE mark AS SELECT count(*) AS n FROM phaseline.audit_log;
SELECT set_config('phaseline.actor', '', true);
SELECT test.throws_rule(format($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) VALUES (%L, %L, 'anonymous')$$, cycle, report),
    '42501', 'actor_required', 'a direct INSERT of a version without an actor is refused') FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.workflow_phase_data SET phase_data = '{"attributes_scoped": 9}' WHERE id = %L$$, pg_temp.v('phase')),
    '42501', 'actor_required', 'a direct edit of a draft without an actor is refused');
SELECT test.throws_rule(format($$UPDATE phaseline.sample_selection_versions SET version_status = 'pending_approval' WHERE id = %L$$, pg_temp.v('sel')),
    '42501', 'actor_required', 'a direct submit without an actor is refused');
SELECT test.throws_rule($$INSERT INTO phaseline.users (email, display_name, role) VALUES ('ghost@test.io', 'Ghost', 'admin')$$,
    '42501', 'actor_required', 'a direct INSERT of a user without an actor is refused');
SELECT test.throws_rule(format($$UPDATE phaseline.sample_decisions SET sample_data = '{"x": 1}' WHERE version_id = %L$$, pg_temp.v('sel')),
    '42501', 'actor_required', 'a direct edit of sample decisions without an actor is refused');
SELECT test.throws_rule(format($$UPDATE phaseline.reports SET name = 'renamed' WHERE report_id = %L$$, report),
    '42501', 'actor_required', 'a direct rename of a report without an actor is refused') FROM w;
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM phaseline.audit_log) - (SELECT n FROM mark),
             (SELECT count(*) FROM phaseline.users WHERE email = 'ghost@test.io'),
             (SELECT count(*) FROM phaseline.report_attributes WHERE attribute_name = 'anonymous')$$,
    $$VALUES (0::bigint, 0::bigint, 0::bigint)$$,
    'the refused writes left no row and no audit entry');
SELECT results_eq(
    format($$SELECT phase_data, version_status::text FROM phaseline.workflow_phase_data WHERE id = %L$$, pg_temp.v('phase')),
    $$VALUES ('{"attributes_scoped": 2}'::jsonb, 'draft')$$,
    'the refused edit left the phase data as it was');

-- An actor must be somebody: audit entries name users that exist.
SELECT set_config('phaseline.actor', '99999', true);
SELECT test.throws_rule(format($$UPDATE phaseline.workflow_phase_data SET phase_data = '{"attributes_scoped": 9}' WHERE id = %L$$, pg_temp.v('phase')),
    'P0002', 'unknown_user', 'a direct edit in the name of a user who does not exist is refused');
SELECT is((SELECT count(*)::int FROM phaseline.audit_log WHERE actor = 99999), 0,
    'no audit entry names a user who does not exist');

SELECT * FROM finish();
ROLLBACK;
