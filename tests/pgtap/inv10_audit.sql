-- Invariant 10: every change lands in the audit log with its actor. API
-- calls and direct writes alike are recorded with actor, action,
-- table_name, row_id and the old and new row; audit_trail(row_id) returns
-- them oldest first; the engine's own writes (the latest flag, superseding,
-- closing an artifact) are audited too; a direct write without an actor is
-- refused (42501 actor_required) and writes nothing.
-- phaseline: direct-writes
BEGIN;
SELECT plan(23);

SELECT test.world();


-- Reference data written by test.world() through the API.
SELECT results_eq(
    $$SELECT actor, action FROM phaseline.audit_log WHERE table_name = 'users' AND row_id = test.id('owner')::text$$,
    $$VALUES (test.id('admin'), 'INSERT')$$,
    'creating a user is recorded with the admin who did it');
SELECT results_eq(
    $$SELECT actor, action, new_row ->> 'tester_user_id' FROM phaseline.audit_log WHERE table_name = 'cycle_reports'
              AND new_row ->> 'report_id' = test.uid('report')::text$$,
    $$VALUES (test.id('admin'), 'INSERT', test.id('tester')::text)$$,
    'assigning a report is recorded with its tester in the new row');

-- One attribute through its life, by the API and by a direct write.
SELECT test.remember('a1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 1}', test.id('tester')));
SELECT phaseline_api.update_report_attribute(test.uid('a1'), '{"v": 2}', test.id('tester'));
SELECT test.act('admin');
UPDATE phaseline.report_attributes SET definition = '{"v": 3}' WHERE id = test.uid('a1');
SELECT phaseline_api.submit_version(test.uid('a1'), test.id('tester'));
SELECT test.remember('art1', phaseline_api.approve_version(test.uid('a1'), test.id('owner'), 'ok'));

SELECT results_eq(
    $$SELECT actor, action, table_name, row_id FROM phaseline_api.audit_trail(test.uid('a1'))$$,
    format($$VALUES (%1$s, 'INSERT', 'report_attributes', %3$L), (%1$s, 'UPDATE', 'report_attributes', %3$L),
                    (%2$s, 'UPDATE', 'report_attributes', %3$L), (%1$s, 'UPDATE', 'report_attributes', %3$L),
                    (%4$s, 'UPDATE', 'report_attributes', %3$L)$$, test.id('tester'), test.id('admin'), test.uid('a1'), test.id('owner')),
    'audit_trail returns propose, API edit, direct edit, submit and approve, oldest first, each with its actor');
SELECT results_eq(
    $$SELECT old_row -> 'definition', new_row -> 'definition' FROM phaseline_api.audit_trail(test.uid('a1'))$$,
    $$VALUES (NULL::jsonb, '{"v": 1}'::jsonb), ('{"v": 1}', '{"v": 2}'), ('{"v": 2}', '{"v": 3}'), ('{"v": 3}', '{"v": 3}'), ('{"v": 3}', '{"v": 3}')$$,
    'each entry holds the row before and after: no old row for the insert');
SELECT results_eq(
    $$SELECT old_row ->> 'version_status', new_row ->> 'version_status', new_row ->> 'submitted_by', new_row ->> 'reviewed_by', new_row ->> 'review_note'
               FROM phaseline_api.audit_trail(test.uid('a1')) OFFSET 3$$,
    format($$VALUES ('draft', 'pending_approval', '%1$s', NULL, NULL), ('pending_approval', 'approved', '%1$s', '%2$s', 'ok')$$, test.id('tester'), test.id('owner')),
    'the submit and approve entries show the status change and who did it');
SELECT is((SELECT count(*)::int FROM phaseline_api.audit_trail(test.uid('a1')) WHERE at IS NULL), 0,
    'every audit entry has its time');
SELECT results_eq(
    $$SELECT actor, action, new_row ->> 'reference_id', new_row ->> 'superseded_at' FROM phaseline_api.audit_trail(test.uid('art1'))$$,
    $$VALUES (test.id('owner'), 'INSERT', test.uid('a1')::text, NULL)$$,
    'the artifact the approval wrote is audited, under the approver');

-- The engine's own writes: the latest flag moves, v1 is superseded, its artifact closed.
SELECT test.remember('a2', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 4}', test.id('tester')));
SELECT results_eq(
    $$SELECT actor, action, (old_row ->> 'is_latest')::boolean, (new_row ->> 'is_latest')::boolean
               FROM phaseline_api.audit_trail(test.uid('a1')) OFFSET 5$$,
    $$VALUES (test.id('tester'), 'UPDATE', true, false)$$,
    'taking the latest flag off v1 is audited under whoever made v2');
SELECT phaseline_api.submit_version(test.uid('a2'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('a2'), test.id('admin'));
SELECT results_eq(
    $$SELECT actor, action, old_row ->> 'version_status', new_row ->> 'version_status'
               FROM phaseline_api.audit_trail(test.uid('a1')) OFFSET 6$$,
    $$VALUES (test.id('admin'), 'UPDATE', 'approved', 'superseded')$$,
    'superseding v1 is audited under the approver of v2');
SELECT results_eq(
    $$SELECT actor, action, old_row ->> 'superseded_at' IS NULL, new_row ->> 'superseded_at' IS NOT NULL
               FROM phaseline_api.audit_trail(test.uid('art1')) OFFSET 1$$,
    $$VALUES (test.id('admin'), 'UPDATE', true, true)$$,
    'closing v1''s artifact is audited under the approver of v2');

-- Sample decisions and phase data, in bulk and by API.
SELECT test.remember('sel', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('sel'), '[{"sample_key": "L-1"}, {"sample_key": "L-2"}, {"sample_key": "L-3"}]', 'llm', test.id('tester'));
SELECT results_eq(
    $$SELECT count(*)::int, min(actor), max(actor) FROM phaseline.audit_log l JOIN phaseline.sample_decisions d ON l.row_id = d.id::text
              WHERE l.table_name = 'sample_decisions' AND l.action = 'INSERT' AND d.version_id = test.uid('sel')$$,
    format('VALUES (3, %1$s, %1$s)', test.id('tester')),
    'a bulk recommendation writes one audit entry per sample, each with its actor');
SELECT test.remember('phase', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('phase'), '{"attributes_scoped": 2}', test.id('tester'));
SELECT results_eq(
    $$SELECT action, table_name, new_row -> 'phase_data' FROM phaseline_api.audit_trail(test.uid('phase'))$$,
    $$VALUES ('INSERT', 'workflow_phase_data', '{}'::jsonb), ('UPDATE', 'workflow_phase_data', '{"attributes_scoped": 2}')$$,
    'starting a phase and saving its data are both audited');

-- A direct write to a reference table is audited too.
SELECT test.act('admin');
UPDATE phaseline.test_cycles SET name = 'Q1 2026 (rerun)' WHERE cycle_id = test.uid('cycle');
SELECT results_eq(
    $$SELECT actor, old_row ->> 'name', new_row ->> 'name' FROM phaseline_api.audit_trail(test.uid('cycle')) WHERE action = 'UPDATE'$$,
    $$VALUES (test.id('admin'), 'Q1 2026', 'Q1 2026 (rerun)')$$,
    'a direct rename of a cycle is audited with old and new name');

-- Without an actor, direct writes are refused and nothing is written.
CREATE TEMP TABLE mark AS SELECT count(*) AS n FROM phaseline.audit_log;
SELECT set_config('phaseline.actor', '', true);
SELECT test.throws_rule($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) VALUES (test.uid('cycle'), test.uid('report'), 'anonymous')$$,
    '42501', 'actor_required', 'a direct INSERT of a version without an actor is refused');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_data = '{"attributes_scoped": 9}' WHERE id = test.uid('phase')$$,
    '42501', 'actor_required', 'a direct edit of a draft without an actor is refused');
SELECT test.throws_rule($$UPDATE phaseline.sample_selection_versions SET version_status = 'pending_approval' WHERE id = test.uid('sel')$$,
    '42501', 'actor_required', 'a direct submit without an actor is refused');
SELECT test.throws_rule($$INSERT INTO phaseline.users (email, display_name, role) VALUES ('ghost@test.io', 'Ghost', 'admin')$$,
    '42501', 'actor_required', 'a direct INSERT of a user without an actor is refused');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET sample_data = '{"x": 1}' WHERE version_id = test.uid('sel')$$,
    '42501', 'actor_required', 'a direct edit of sample decisions without an actor is refused');
SELECT test.throws_rule($$UPDATE phaseline.reports SET name = 'renamed' WHERE report_id = test.uid('report')$$,
    '42501', 'actor_required', 'a direct rename of a report without an actor is refused');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM phaseline.audit_log) - (SELECT n FROM mark),
             (SELECT count(*) FROM phaseline.users WHERE email = 'ghost@test.io'),
             (SELECT count(*) FROM phaseline.report_attributes WHERE attribute_name = 'anonymous')$$,
    $$VALUES (0::bigint, 0::bigint, 0::bigint)$$,
    'the refused writes left no row and no audit entry');
SELECT results_eq(
    $$SELECT phase_data, version_status::text FROM phaseline.workflow_phase_data WHERE id = test.uid('phase')$$,
    $$VALUES ('{"attributes_scoped": 2}'::jsonb, 'draft')$$,
    'the refused edit left the phase data as it was');

-- An actor must be somebody: audit entries name users that exist.
SELECT set_config('phaseline.actor', '99999', true);
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_data = '{"attributes_scoped": 9}' WHERE id = test.uid('phase')$$,
    'P0002', 'unknown_user', 'a direct edit in the name of a user who does not exist is refused');
SELECT is((SELECT count(*)::int FROM phaseline.audit_log WHERE actor = 99999), 0,
    'no audit entry names a user who does not exist');

SELECT * FROM finish();
ROLLBACK;
