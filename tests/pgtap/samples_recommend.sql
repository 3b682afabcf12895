-- recommend_samples adds many samples in one call, recommended by the
-- actor and pending. It refuses duplicate keys (inside the call, or
-- already in the version, carried ones included), malformed samples,
-- sources other than tester/llm/manual, and any version that is not a
-- draft; a refused call writes nothing. The same rules for a direct
-- INSERT: samples_recommend_direct.sql.
BEGIN;
SELECT plan(29);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
CREATE FUNCTION pg_temp.n(p_version uuid) RETURNS int LANGUAGE sql AS
    $$SELECT count(*)::int FROM peek.sample_decisions WHERE version_id = p_version$$;

SELECT is(phaseline_api.recommend_samples(test.uid('v1'),
              (SELECT jsonb_agg(jsonb_build_object('sample_key', format('S%s', lpad(i::text, 3, '0')), 'data', jsonb_build_object('loan', i)))
                 FROM generate_series(1, 50) AS i), 'tester', test.id('tester')), 50, 'one call recommends 50 samples');
SELECT is((SELECT count(*)::int FROM peek.sample_decisions d
            WHERE version_id = test.uid('v1') AND recommended_by = test.id('tester') AND recommendation_source = 'tester'
              AND decision_status = 'pending' AND decided_by IS NULL AND carried_from_decision_id IS NULL),
    50, 'every sample is the tester''s recommendation, pending and not carried');
SELECT is((SELECT sample_data FROM peek.sample_decisions WHERE version_id = test.uid('v1') AND sample_key = 'S007'),
    '{"loan": 7}'::jsonb, 'each sample keeps its data');
SELECT is(phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "L1"}, {"sample_key": "L2", "data": {}}]', 'llm', test.id('admin')), 2,
    'an admin adds llm samples, data being optional');
SELECT is((SELECT string_agg(recommendation_source || ':' || (recommended_by = test.id('admin')) || ':' || sample_data, ',' ORDER BY sample_key)
             FROM peek.sample_decisions WHERE version_id = test.uid('v1') AND sample_key LIKE 'L%'),
    'llm:true:{},llm:true:{}', 'the llm samples are recommended by the acting admin, with empty data');

-- Duplicate keys.
CREATE TEMP TABLE e1 AS SELECT * FROM test.error_of($$SELECT phaseline_api.recommend_samples(test.uid('v1'),
    '[{"sample_key": "N1"}, {"sample_key": "N2"}, {"sample_key": "N1"}, {"sample_key": "N3"}, {"sample_key": "N2"}]', 'tester', test.id('tester'))$$);
SELECT is((SELECT state || ' ' || rule FROM e1), '22023 duplicate_sample_key', 'a key named twice in one call is refused');
SELECT is((SELECT array(SELECT m[1] FROM regexp_matches(detail, '''(\w+)''', 'g') AS m ORDER BY 1) FROM e1), ARRAY['N1', 'N2'],
    'the DETAIL names every key named twice, and only those');
CREATE TEMP TABLE e2 AS SELECT * FROM test.error_of($$SELECT phaseline_api.recommend_samples(test.uid('v1'),
    '[{"sample_key": "S010"}, {"sample_key": "N9"}, {"sample_key": "L1"}]', 'tester', test.id('tester'))$$);
SELECT is((SELECT state || ' ' || rule FROM e2), '22023 duplicate_sample_key', 'a key the version already holds is refused');
SELECT is((SELECT array(SELECT m[1] FROM regexp_matches(detail, '''(\w+)''', 'g') AS m ORDER BY 1) FROM e2), ARRAY['L1', 'S010'],
    'the DETAIL names every key already held');

-- Shapes and sources.
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), '{"sample_key": "N1"}', 'tester', test.id('tester'))$$,
    '22023', 'samples_shape', 'p_samples that is not an array is refused');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), NULL, 'tester', test.id('tester'))$$,
    '22023', 'samples_shape', 'null p_samples is refused');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), '["N1"]', 'tester', test.id('tester'))$$,
    '22023', 'samples_shape', 'a sample that is not an object is refused');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "N1"}, {"data": {}}]', 'tester', test.id('tester'))$$,
    '22023', 'samples_shape', 'a sample without a sample_key is refused');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": 5}]', 'tester', test.id('tester'))$$,
    '22023', 'samples_shape', 'a sample_key that is not a string is refused');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "  "}]', 'tester', test.id('tester'))$$,
    '22023', 'samples_shape', 'a blank sample_key is refused');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "N1", "data": [1]}]', 'tester', test.id('tester'))$$,
    '22023', 'samples_shape', 'data that is not an object is refused');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "N1", "status": "approved"}]', 'tester', test.id('tester'))$$,
    '22023', 'samples_shape', 'a sample with a key other than sample_key and data is refused');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "N1"}]', 'carried_forward', test.id('tester'))$$,
    '22023', 'unknown_source', 'carried_forward is not a source a caller may claim');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "N1"}]', 'oracle', test.id('tester'))$$,
    '22023', 'unknown_source', 'an unknown source is refused');
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(gen_random_uuid(), '[{"sample_key": "N1"}]', 'tester', test.id('tester'))$$,
    'P0002', 'unknown_version', 'an unknown version is refused');
SELECT is(pg_temp.n(test.uid('v1')), 52, 'the refused calls added no sample');

-- One more sample, D1, for the counts and the carried keys below.
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "D1"}]', 'manual', test.id('tester'));

-- Only a draft takes samples.
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "N1"}]', 'tester', test.id('tester'))$$,
    '55000', 'version_not_draft', 'recommending into a version pending approval is refused');
SELECT is(pg_temp.n(test.uid('v1')), 53, 'the pending version took no sample');

SELECT phaseline_api.decide_samples(test.uid('v1'), (SELECT jsonb_agg(jsonb_build_object('sample_key', sample_key, 'status', 'approved'))
                                           FROM peek.sample_decisions WHERE version_id = test.uid('v1')), test.id('owner'));
SELECT phaseline_api.approve_version(test.uid('v1'), test.id('owner'));
SELECT test.throws_rule($$SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "N1"}]', 'tester', test.id('tester'))$$,
    '55000', 'version_not_draft', 'recommending into an approved version is refused');

-- Carried samples are held by the new version: recommending them again is a duplicate.
SELECT test.remember('v2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT is(pg_temp.n(test.uid('v2')), 53, 'version 2 starts with the 53 approved samples carried');
CREATE TEMP TABLE e3 AS SELECT * FROM test.error_of($$SELECT phaseline_api.recommend_samples(test.uid('v2'),
    '[{"sample_key": "N1"}, {"sample_key": "S001"}, {"sample_key": "D1"}]', 'tester', test.id('tester'))$$);
SELECT is((SELECT state || ' ' || rule FROM e3), '22023 duplicate_sample_key', 'recommending a carried sample again is refused');
SELECT is((SELECT array(SELECT m[1] FROM regexp_matches(detail, '''(\w+)''', 'g') AS m ORDER BY 1) FROM e3), ARRAY['D1', 'S001'],
    'the DETAIL names the carried keys');
SELECT is(pg_temp.n(test.uid('v2')), 53, 'the refused call added nothing to version 2');
SELECT is(phaseline_api.recommend_samples(test.uid('v2'), '[{"sample_key": "N1"}, {"sample_key": "N2"}]', 'manual', test.id('tester')), 2,
    'new keys are recommended next to the carried ones');

SELECT * FROM finish();
ROLLBACK;
