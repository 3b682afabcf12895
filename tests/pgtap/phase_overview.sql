-- phase_overview gives one row per catalog phase, in ordinal order, for a
-- cycle and report: not_started with nulls before any work, then the
-- latest and the approved version and their times. start_phase copies the
-- data of the latest version, whatever its outcome.
BEGIN;
SELECT plan(11);
SELECT test.world();
SELECT test.remember('report2', phaseline_api.create_report('Call Report', test.id('owner'), test.id('admin')));
SELECT phaseline_api.assign_report(test.uid('cycle'), test.uid('report2'), test.id('tester'), test.id('admin'));

SELECT results_eq($$SELECT phase_name, ordinal, phase_status, latest_version_id, latest_version_number, latest_version_status,
                          approved_version_id, started_at, completed_at
                     FROM phaseline_api.phase_overview(test.uid('cycle'), test.uid('report'))$$,
    $$SELECT phase_name, ordinal, 'not_started'::text, NULL::uuid, NULL::int, NULL::text, NULL::uuid, NULL::timestamptz, NULL::timestamptz
        FROM peek.workflow_phases ORDER BY ordinal$$,
    'before any work every catalog phase has a row, in order, not started and with nulls');

-- Scoping: version 1 approved, version 2 in progress.
SELECT test.remember('s1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('s1'), '{"attributes_scoped": 12, "scoping_notes": "first pass"}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('s1'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('s1'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('s1'), test.id('owner'));
SELECT test.remember('s2', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT is((SELECT phase_data FROM peek.workflow_phase_data WHERE id = test.uid('s2')),
    '{"attributes_scoped": 12, "scoping_notes": "first pass"}'::jsonb, 'start_phase copies the data of the approved latest version');
SELECT is((SELECT phase_status::text || ' ' || (completed_at IS NULL) || ' ' || (started_at IS NOT NULL)
             FROM peek.workflow_phase_data WHERE id = test.uid('s2')),
    'in_progress true true', 'the new version is in progress again, started and not completed');

-- Data profiling: version 1 in progress.
SELECT test.remember('d1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'data_profiling', test.id('tester')));
-- Sample selection: version 1 rejected, version 2 completed and pending.
SELECT test.remember('m1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'sample_selection', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('m1'), '{"sample_size_target": 25, "selection_method": "random"}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('m1'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('m1'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('m1'), test.id('owner'), 'target too small');
SELECT test.remember('m2', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'sample_selection', test.id('tester')));
SELECT is((SELECT phase_data FROM peek.workflow_phase_data WHERE id = test.uid('m2')),
    '{"sample_size_target": 25, "selection_method": "random"}'::jsonb, 'start_phase copies the data of a rejected latest version too');
SELECT phaseline_api.save_phase_data(test.uid('m2'), '{"sample_size_target": 60}', test.id('tester'), p_merge => true);
SELECT phaseline_api.complete_phase(test.uid('m2'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('m2'), test.id('tester'));

CREATE TEMP TABLE o AS SELECT * FROM phaseline_api.phase_overview(test.uid('cycle'), test.uid('report'));
SELECT is((SELECT array_agg(phase_name ORDER BY ordinal) FROM o), (SELECT array_agg(phase_name ORDER BY ordinal) FROM peek.workflow_phases),
    'after some work there is still one row per catalog phase');
SELECT results_eq($$SELECT phase_name FROM phaseline_api.phase_overview(test.uid('cycle'), test.uid('report'))$$,
    $$SELECT phase_name FROM peek.workflow_phases ORDER BY ordinal$$, 'the rows come in ordinal order');
SELECT results_eq(
    $$SELECT phase_name, phase_status, latest_version_id, latest_version_number, latest_version_status, approved_version_id,
             started_at, completed_at FROM o WHERE phase_name IN ('data_profiling', 'scoping', 'sample_selection') ORDER BY ordinal$$,
    $$SELECT p.phase_name, p.phase_status::text, p.id, p.version_number, p.version_status::text,
             (SELECT a.id FROM peek.workflow_phase_data a WHERE a.cycle_id = p.cycle_id AND a.report_id = p.report_id
                 AND a.phase_name = p.phase_name AND a.version_status = 'approved'),
             p.started_at, p.completed_at
        FROM (VALUES (test.uid('d1'), 1), (test.uid('s2'), 2), (test.uid('m2'), 3)) AS x(id, ord)
        JOIN peek.workflow_phase_data p ON p.id = x.id ORDER BY x.ord$$,
    'each started phase shows its latest version, its approved one and the latest version''s times');
SELECT results_eq(
    $$SELECT phase_name, phase_status, latest_version_number, latest_version_status, approved_version_id = test.uid('s1'),
             completed_at IS NOT NULL FROM o WHERE phase_name IN ('data_profiling', 'scoping', 'sample_selection') ORDER BY ordinal$$,
    $$VALUES ('data_profiling', 'in_progress', 1, 'draft', NULL::boolean, false),
             ('scoping', 'in_progress', 2, 'draft', true, false),
             ('sample_selection', 'completed', 2, 'pending_approval', NULL, true)$$,
    'scoping shows version 1 approved and 2 in progress; sample selection its completed version 2 pending');
SELECT is((SELECT count(*)::int FROM o WHERE phase_status = 'not_started' AND latest_version_id IS NULL AND approved_version_id IS NULL
             AND started_at IS NULL AND completed_at IS NULL), 4, 'the four untouched phases are still not started, with nulls');

SELECT is((SELECT count(*)::int FROM phaseline_api.phase_overview(test.uid('cycle'), test.uid('report2'))
            WHERE phase_status = 'not_started' AND latest_version_id IS NULL), 7,
    'another report of the same cycle is untouched by this report''s work');

SELECT test.throws_rule($$SELECT * FROM phaseline_api.phase_overview(test.uid('cycle'), gen_random_uuid())$$, 'P0002', 'unknown_cycle_report',
    'a report that is not in the cycle is refused, not shown as seven phases not started');

SELECT * FROM finish();
ROLLBACK;
