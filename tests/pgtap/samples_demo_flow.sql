-- The seed example, through the API only: the tester recommends 100
-- samples, the owner approves 80 and rejects 20 and approves version 1;
-- version 2 carries the 80, the tester adds 10, the owner approves them
-- and version 2. Counts per version by source and decision, the current
-- samples artifact and the superseded version 1 are checked. Like every
-- file without the direct-writes marker, it runs as phaseline_app, the
-- role applications get, which sees only phaseline_api.
BEGIN;
SELECT plan(11);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));

SELECT is(phaseline_api.recommend_samples(test.uid('v1'),
              (SELECT jsonb_agg(jsonb_build_object('sample_key', format('S%s', lpad(i::text, 3, '0')), 'data', jsonb_build_object('loan', i)) ORDER BY i)
                 FROM generate_series(1, 100) AS i), 'tester', test.id('tester')), 100, 'the tester recommends 100 samples');
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT is(phaseline_api.decide_samples(test.uid('v1'),
              (SELECT jsonb_agg(jsonb_build_object('sample_key', format('S%s', lpad(i::text, 3, '0')),
                                                   'status', CASE WHEN i <= 80 THEN 'approved' ELSE 'rejected' END))
                 FROM generate_series(1, 100) AS i), test.id('owner')), 100, 'the owner decides all 100: 80 approved, 20 rejected');
SELECT lives_ok($$SELECT phaseline_api.approve_version(test.uid('v1'), test.id('owner'))$$, 'the owner approves version 1');

SELECT test.remember('v2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT is((SELECT count(*)::int FROM phaseline_api.sample_decisions WHERE version_id = test.uid('v2')), 80,
    'version 2 starts with the 80 approved samples');
SELECT is(phaseline_api.recommend_samples(test.uid('v2'),
              (SELECT jsonb_agg(jsonb_build_object('sample_key', format('S%s', i)) ORDER BY i) FROM generate_series(101, 110) AS i), 'tester', test.id('tester')),
    10, 'the tester adds 10 samples');
SELECT phaseline_api.submit_version(test.uid('v2'), test.id('tester'));
SELECT is(phaseline_api.decide_samples(test.uid('v2'),
              (SELECT jsonb_agg(jsonb_build_object('sample_key', format('S%s', i), 'status', 'approved')) FROM generate_series(101, 110) AS i), test.id('owner')),
    10, 'the owner approves the 10 new samples');
SELECT lives_ok($$SELECT phaseline_api.approve_version(test.uid('v2'), test.id('owner'))$$, 'the owner approves version 2');

SELECT results_eq(
    $$SELECT version_number, recommendation_source::text, decision_status::text, origin_source::text, count(*)::int
        FROM phaseline_api.sample_decisions WHERE cycle_id = test.uid('cycle') AND report_id = test.uid('report')
       GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3$$,
    $$VALUES (1, 'tester', 'approved', 'tester', 80), (1, 'tester', 'rejected', 'tester', 20),
             (2, 'carried_forward', 'approved', 'tester', 80), (2, 'tester', 'approved', 'tester', 10)$$,
    'per version, source and decision: 80 + 20 in version 1; 80 carried + 10 new, all approved, in version 2');
SELECT results_eq(
    $$SELECT artifact_type, reference_id, reference_version FROM phaseline_api.current_artifacts
       WHERE cycle_id = test.uid('cycle') AND report_id = test.uid('report')$$,
    $$SELECT 'samples', test.uid('v2'), 2$$,
    'the one current artifact of the report is the samples artifact of version 2');
SELECT results_eq($$SELECT version_number, version_status, is_latest FROM phaseline_api.version_history(test.uid('v2'))$$,
    $$VALUES (1, 'superseded', false), (2, 'approved', true)$$, 'version 1 is superseded by version 2');
SELECT is((SELECT count(*)::int FROM phaseline_api.current_artifacts WHERE reference_id = test.uid('v1')), 0,
    'version 1''s artifact is no longer current');

SELECT * FROM finish();
ROLLBACK;
