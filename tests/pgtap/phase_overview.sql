-- phase_overview gives one row per catalog phase, in ordinal order, for a
-- cycle and report: not_started with nulls before any work, then the
-- latest and the approved version and their times. start_phase copies the
-- data of the latest version, whatever its outcome.
BEGIN;
SELECT plan(10);
CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE r2 AS SELECT phaseline_api.create_report('Call Report', owner, admin) AS report FROM w;
SELECT phaseline_api.assign_report(cycle, (SELECT report FROM r2), tester, admin) FROM w;

SELECT results_eq($$SELECT phase_name, ordinal, phase_status, latest_version_id, latest_version_number, latest_version_status,
                          approved_version_id, started_at, completed_at
                     FROM phaseline_api.phase_overview((SELECT cycle FROM w), (SELECT report FROM w))$$,
    $$SELECT phase_name, ordinal, 'not_started'::text, NULL::uuid, NULL::int, NULL::text, NULL::uuid, NULL::timestamptz, NULL::timestamptz
        FROM phaseline.workflow_phases ORDER BY ordinal$$,
    'before any work every catalog phase has a row, in order, not started and with nulls');

-- Scoping: version 1 approved, version 2 in progress.
CREATE TEMP TABLE s1 AS SELECT phaseline_api.start_phase(cycle, report, 'scoping', tester) AS id FROM w;
SELECT phaseline_api.save_phase_data(id, '{"attributes_scoped": 12, "scoping_notes": "first pass"}', tester) FROM s1, w;
SELECT phaseline_api.complete_phase(id, tester) FROM s1, w;
SELECT phaseline_api.submit_version(id, tester) FROM s1, w;
SELECT phaseline_api.approve_version(id, owner) FROM s1, w;
CREATE TEMP TABLE s2 AS SELECT phaseline_api.start_phase(cycle, report, 'scoping', tester) AS id FROM w;
SELECT is((SELECT phase_data FROM phaseline.workflow_phase_data WHERE id = (SELECT id FROM s2)),
    '{"attributes_scoped": 12, "scoping_notes": "first pass"}'::jsonb, 'start_phase copies the data of the approved latest version');
SELECT is((SELECT phase_status::text || ' ' || (completed_at IS NULL) || ' ' || (started_at IS NOT NULL)
             FROM phaseline.workflow_phase_data WHERE id = (SELECT id FROM s2)),
    'in_progress true true', 'the new version is in progress again, started and not completed');

-- Data profiling: version 1 in progress.
CREATE TEMP TABLE d1 AS SELECT phaseline_api.start_phase(cycle, report, 'data_profiling', tester) AS id FROM w;
-- Sample selection: version 1 rejected, version 2 completed and pending.
CREATE TEMP TABLE m1 AS SELECT phaseline_api.start_phase(cycle, report, 'sample_selection', tester) AS id FROM w;
SELECT phaseline_api.save_phase_data(id, '{"sample_size_target": 25, "selection_method": "random"}', tester) FROM m1, w;
SELECT phaseline_api.complete_phase(id, tester) FROM m1, w;
SELECT phaseline_api.submit_version(id, tester) FROM m1, w;
SELECT phaseline_api.reject_version(id, owner, 'target too small') FROM m1, w;
CREATE TEMP TABLE m2 AS SELECT phaseline_api.start_phase(cycle, report, 'sample_selection', tester) AS id FROM w;
SELECT is((SELECT phase_data FROM phaseline.workflow_phase_data WHERE id = (SELECT id FROM m2)),
    '{"sample_size_target": 25, "selection_method": "random"}'::jsonb, 'start_phase copies the data of a rejected latest version too');
SELECT phaseline_api.save_phase_data(id, '{"sample_size_target": 60}', tester, p_merge => true) FROM m2, w;
SELECT phaseline_api.complete_phase(id, tester) FROM m2, w;
SELECT phaseline_api.submit_version(id, tester) FROM m2, w;

CREATE TEMP TABLE o AS SELECT * FROM phaseline_api.phase_overview((SELECT cycle FROM w), (SELECT report FROM w));
SELECT is((SELECT array_agg(phase_name ORDER BY ordinal) FROM o), (SELECT array_agg(phase_name ORDER BY ordinal) FROM phaseline.workflow_phases),
    'after some work there is still one row per catalog phase');
SELECT results_eq($$SELECT phase_name FROM phaseline_api.phase_overview((SELECT cycle FROM w), (SELECT report FROM w))$$,
    $$SELECT phase_name FROM phaseline.workflow_phases ORDER BY ordinal$$, 'the rows come in ordinal order');
SELECT results_eq(
    $$SELECT phase_name, phase_status, latest_version_id, latest_version_number, latest_version_status, approved_version_id,
             started_at, completed_at FROM o WHERE phase_name IN ('data_profiling', 'scoping', 'sample_selection') ORDER BY ordinal$$,
    $$SELECT p.phase_name, p.phase_status::text, p.id, p.version_number, p.version_status::text,
             (SELECT a.id FROM phaseline.workflow_phase_data a WHERE a.cycle_id = p.cycle_id AND a.report_id = p.report_id
                 AND a.phase_name = p.phase_name AND a.version_status = 'approved'),
             p.started_at, p.completed_at
        FROM (VALUES ((SELECT id FROM d1), 1), ((SELECT id FROM s2), 2), ((SELECT id FROM m2), 3)) AS x(id, ord)
        JOIN phaseline.workflow_phase_data p ON p.id = x.id ORDER BY x.ord$$,
    'each started phase shows its latest version, its approved one and the latest version''s times');
SELECT results_eq(
    $$SELECT phase_name, phase_status, latest_version_number, latest_version_status, approved_version_id = (SELECT id FROM s1),
             completed_at IS NOT NULL FROM o WHERE phase_name IN ('data_profiling', 'scoping', 'sample_selection') ORDER BY ordinal$$,
    $$VALUES ('data_profiling', 'in_progress', 1, 'draft', NULL::boolean, false),
             ('scoping', 'in_progress', 2, 'draft', true, false),
             ('sample_selection', 'completed', 2, 'pending_approval', NULL, true)$$,
    'scoping shows version 1 approved and 2 in progress; sample selection its completed version 2 pending');
SELECT is((SELECT count(*)::int FROM o WHERE phase_status = 'not_started' AND latest_version_id IS NULL AND approved_version_id IS NULL
             AND started_at IS NULL AND completed_at IS NULL), 4, 'the four untouched phases are still not started, with nulls');

SELECT is((SELECT count(*)::int FROM phaseline_api.phase_overview((SELECT cycle FROM w), (SELECT report FROM r2))
            WHERE phase_status = 'not_started' AND latest_version_id IS NULL), 7,
    'another report of the same cycle is untouched by this report''s work');

SELECT * FROM finish();
ROLLBACK;
