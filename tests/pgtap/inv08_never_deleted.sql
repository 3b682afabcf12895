-- Invariant 8: version rows and sample decisions are never deleted, nor are
-- users and the other reference rows (55000 no_delete, for DELETE and
-- TRUNCATE alike); the audit log is never updated, deleted or truncated
-- (55000 audit_append_only). TRUNCATE uses CASCADE where foreign keys would
-- otherwise stop it first, so the guard itself is what refuses.
-- phaseline: direct-writes
BEGIN;
SELECT plan(29);

SELECT test.world();

-- One row in every table, an approval among them.
SELECT test.remember('attr', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('attr'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('attr'), test.id('owner'));
SELECT test.remember('sel', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('sel'), '[{"sample_key": "L-1"}, {"sample_key": "L-2"}]', 'tester', test.id('tester'));
SELECT test.remember('phase', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
-- Row counts of every table, read now (before) and again at the end.
CREATE TEMP VIEW counts AS
SELECT 'report_attributes' AS t, count(*) AS n FROM phaseline.report_attributes
UNION ALL SELECT 'sample_selection_versions', count(*) FROM phaseline.sample_selection_versions
UNION ALL SELECT 'workflow_phase_data', count(*) FROM phaseline.workflow_phase_data
UNION ALL SELECT 'sample_decisions', count(*) FROM phaseline.sample_decisions
UNION ALL SELECT 'users', count(*) FROM phaseline.users
UNION ALL SELECT 'test_cycles', count(*) FROM phaseline.test_cycles
UNION ALL SELECT 'reports', count(*) FROM phaseline.reports
UNION ALL SELECT 'cycle_reports', count(*) FROM phaseline.cycle_reports
UNION ALL SELECT 'approved_artifacts', count(*) FROM phaseline.approved_artifacts
UNION ALL SELECT 'workflow_phases', count(*) FROM phaseline.workflow_phases
UNION ALL SELECT 'audit_events', count(*) FROM phaseline.audit_events;
CREATE TEMP TABLE before AS SELECT * FROM counts;

-- The refusal comes from the rule, not from a missing actor.
SELECT test.act('admin');

-- Versioned tables.
SELECT test.throws_rule($$DELETE FROM phaseline.report_attributes WHERE id = test.uid('attr')$$,
    '55000', 'no_delete', 'an approved report attribute version cannot be deleted');
SELECT test.throws_rule('DELETE FROM phaseline.report_attributes WHERE false',
    '55000', 'no_delete', 'even a DELETE that matches nothing is refused on report_attributes');
SELECT test.throws_rule('TRUNCATE phaseline.report_attributes',
    '55000', 'no_delete', 'report_attributes cannot be truncated');
SELECT test.throws_rule($$DELETE FROM phaseline.sample_selection_versions WHERE id = test.uid('sel')$$,
    '55000', 'no_delete', 'a draft sample selection version cannot be deleted');
SELECT test.throws_rule('TRUNCATE phaseline.sample_selection_versions CASCADE',
    '55000', 'no_delete', 'sample_selection_versions cannot be truncated');
SELECT test.throws_rule($$DELETE FROM phaseline.workflow_phase_data WHERE id = test.uid('phase')$$,
    '55000', 'no_delete', 'a draft phase data version cannot be deleted');
SELECT test.throws_rule('TRUNCATE phaseline.workflow_phase_data',
    '55000', 'no_delete', 'workflow_phase_data cannot be truncated');

-- Sample decisions, even of a draft.
SELECT test.throws_rule($$DELETE FROM phaseline.sample_decisions WHERE sample_key = 'L-1'$$,
    '55000', 'no_delete', 'a sample decision of a draft cannot be deleted');
SELECT test.throws_rule('TRUNCATE phaseline.sample_decisions',
    '55000', 'no_delete', 'sample_decisions cannot be truncated');

-- Reference tables and the artifact registry.
SELECT test.throws_rule($$DELETE FROM phaseline.users WHERE user_id = test.id('viewer')$$,
    '55000', 'no_delete', 'a user who never acted cannot be deleted either');
SELECT test.throws_rule('TRUNCATE phaseline.users CASCADE',
    '55000', 'no_delete', 'users cannot be truncated');
SELECT test.throws_rule('DELETE FROM phaseline.test_cycles',
    '55000', 'no_delete', 'test cycles cannot be deleted');
SELECT test.throws_rule('TRUNCATE phaseline.test_cycles CASCADE',
    '55000', 'no_delete', 'test_cycles cannot be truncated');
SELECT test.throws_rule('DELETE FROM phaseline.reports',
    '55000', 'no_delete', 'reports cannot be deleted');
SELECT test.throws_rule('TRUNCATE phaseline.reports CASCADE',
    '55000', 'no_delete', 'reports cannot be truncated');
SELECT test.throws_rule('DELETE FROM phaseline.cycle_reports',
    '55000', 'no_delete', 'assignments cannot be deleted');
SELECT test.throws_rule('TRUNCATE phaseline.cycle_reports CASCADE',
    '55000', 'no_delete', 'cycle_reports cannot be truncated');
SELECT test.throws_rule('DELETE FROM phaseline.approved_artifacts',
    '55000', 'no_delete', 'approved artifacts cannot be deleted');
SELECT test.throws_rule('TRUNCATE phaseline.approved_artifacts',
    '55000', 'no_delete', 'approved_artifacts cannot be truncated');
SELECT test.throws_rule($$DELETE FROM phaseline.workflow_phases WHERE phase_name = 'test_report'$$,
    '55000', 'no_delete', 'a phase of the catalog cannot be deleted');
SELECT test.throws_rule('TRUNCATE phaseline.workflow_phases CASCADE',
    '55000', 'no_delete', 'workflow_phases cannot be truncated');

-- The audit log: append-only. Its storage is audit_events (partitioned;
-- inv10_audit_storage.sql tries each partition and 0.1.0's table);
-- phaseline.audit_log is a read-only view over it.
SELECT test.throws_rule($$UPDATE phaseline.audit_events SET actor = actor$$,
    '55000', 'audit_append_only', 'audit rows cannot be updated, even to the same value');
SELECT test.throws_rule($$UPDATE phaseline.audit_events SET old_values = '{}' WHERE row_key = $$ || quote_literal(test.uid('attr')),
    '55000', 'audit_append_only', 'the recorded change of an audit entry cannot be rewritten');
SELECT test.throws_rule('DELETE FROM phaseline.audit_events',
    '55000', 'audit_append_only', 'audit rows cannot be deleted');
SELECT test.throws_rule('DELETE FROM phaseline.audit_events WHERE false',
    '55000', 'audit_append_only', 'even a DELETE from the audit log that matches nothing is refused');
SELECT test.throws_rule('TRUNCATE phaseline.audit_events',
    '55000', 'audit_append_only', 'the audit log cannot be truncated');
SELECT set_config('phaseline.actor', '', true);
SELECT test.throws_rule('DELETE FROM phaseline.audit_events',
    '55000', 'audit_append_only', 'the audit log refuses a DELETE without an actor for the same reason');

-- Nothing went missing.
SELECT results_eq(
    $$SELECT t, n FROM before ORDER BY t$$,
    $$SELECT t, n FROM counts ORDER BY t$$,
    'every table holds as many rows as before the attempts');
SELECT ok((SELECT n FROM before WHERE t = 'sample_decisions') = 2 AND (SELECT n FROM before WHERE t = 'approved_artifacts') = 1,
    'the attempts had rows to delete');

SELECT * FROM finish();
ROLLBACK;
