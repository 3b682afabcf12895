-- A sample's lineage across three versions: recommended by the tester and
-- approved in version 1, carried into version 2 and again into version 3
-- (both started by another tester). sample_lineage walks back to the
-- origin; the sample_decisions view names the origin's source and
-- recommender on every row. That a carry copies the origin's decision
-- time (shown by moving it back, which needs a direct write):
-- samples_lineage_direct.sql.
BEGIN;
SELECT plan(9);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "S1", "data": {"loan": 1}}]', 'tester', test.id('tester'));
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "S2", "data": {"loan": 2}}]', 'llm', test.id('admin'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "S1", "status": "approved", "note": "keep"},
    {"sample_key": "S2", "status": "modified", "data": {"loan": 20}}]', test.id('owner'));
-- the admin recommended S2 and the owner modified it: four eyes leaves the
-- approval to a second admin (issue 12, finding 1)
SELECT test.remember('admin_b', phaseline_api.create_user('admin.b@test.io', 'Bea Admin', 'admin', test.id('admin')));
SELECT phaseline_api.approve_version(test.uid('v1'), test.id('admin_b'));
SELECT test.remember('v2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('owner')));
SELECT phaseline_api.submit_version(test.uid('v2'), test.id('owner'));
SELECT phaseline_api.approve_version(test.uid('v2'), test.id('admin'));
SELECT test.remember('v3', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('owner')));
CREATE TEMP TABLE d AS
SELECT s.version_id, s.sample_key, s.id FROM peek.sample_decisions s WHERE s.version_id IN (SELECT test.uid('v1') UNION ALL SELECT test.uid('v2') UNION ALL SELECT test.uid('v3'));
CREATE FUNCTION pg_temp.d(p_version uuid, p_key text) RETURNS uuid LANGUAGE sql AS
    $$SELECT id FROM d WHERE version_id = p_version AND sample_key = p_key$$;

SELECT results_eq(
    $$SELECT step, version_id, version_number, decision_id, sample_key, recommendation_source, recommended_by, decision_status, decided_by
        FROM phaseline_api.sample_lineage(pg_temp.d(test.uid('v3'), 'S1'))$$,
    $$SELECT * FROM (VALUES
        (0, test.uid('v3'), 3, pg_temp.d(test.uid('v3'), 'S1'), 'S1', 'carried_forward', test.id('owner'), 'approved', test.id('owner')),
        (1, test.uid('v2'), 2, pg_temp.d(test.uid('v2'), 'S1'), 'S1', 'carried_forward', test.id('owner'), 'approved', test.id('owner')),
        (2, test.uid('v1'), 1, pg_temp.d(test.uid('v1'), 'S1'), 'S1', 'tester', test.id('tester'), 'approved', test.id('owner'))) AS x$$,
    'the lineage of the version 3 decision runs steps 0, 1, 2 through versions 3, 2, 1 to the tester''s recommendation');
SELECT results_eq(
    $$SELECT step, recommendation_source, recommended_by, decision_status, sample_data
        FROM phaseline_api.sample_lineage(pg_temp.d(test.uid('v2'), 'S2'))$$,
    $$VALUES (0, 'carried_forward', test.id('owner'), 'modified', '{"loan": 20}'::jsonb),
             (1, 'llm', test.id('admin'), 'modified', '{"loan": 20}'::jsonb)$$,
    'the lineage of a modified sample leads back to its llm recommendation by the admin');
SELECT results_eq($$SELECT step, version_number FROM phaseline_api.sample_lineage(pg_temp.d(test.uid('v1'), 'S1'))$$,
    $$VALUES (0, 1)$$, 'an origin''s lineage is the origin alone');

SELECT results_eq(
    $$SELECT version_number, cycle_id, report_id, recommendation_source::text, recommended_by, origin_decision_id, origin_source::text, origin_recommended_by
        FROM phaseline_api.sample_decisions WHERE id = pg_temp.d(test.uid('v3'), 'S1')$$,
    $$SELECT 3, test.uid('cycle'), test.uid('report'), 'carried_forward', test.id('owner'), pg_temp.d(test.uid('v1'), 'S1'), 'tester', test.id('tester')$$,
    'the view shows the version 3 decision with its origin: the tester''s recommendation in version 1');
SELECT results_eq(
    $$SELECT version_number, origin_decision_id, origin_source::text, origin_recommended_by
        FROM phaseline_api.sample_decisions WHERE id = pg_temp.d(test.uid('v2'), 'S2')$$,
    $$SELECT 2, pg_temp.d(test.uid('v1'), 'S2'), 'llm', test.id('admin')$$,
    'the view names the llm and the admin as the origin of the carried modified sample');
SELECT results_eq(
    $$SELECT origin_decision_id, origin_source::text, origin_recommended_by
        FROM phaseline_api.sample_decisions WHERE id = pg_temp.d(test.uid('v1'), 'S1')$$,
    $$SELECT pg_temp.d(test.uid('v1'), 'S1'), 'tester', test.id('tester')$$,
    'an origin is its own origin in the view');
SELECT is((SELECT count(*)::int FROM phaseline_api.sample_decisions WHERE origin_decision_id = pg_temp.d(test.uid('v1'), 'S1')), 3,
    'the view finds the sample in all three versions by its origin');

SELECT test.throws_rule($$SELECT * FROM phaseline_api.sample_lineage(gen_random_uuid())$$,
    'P0002', 'unknown_decision', 'the lineage of an unknown decision is refused');
SELECT test.throws_rule($$SELECT * FROM phaseline_api.sample_lineage(test.uid('v1'))$$,
    'P0002', 'unknown_decision', 'a version id is not a decision id');

SELECT * FROM finish();
ROLLBACK;
