-- A carried decision keeps its origin's decision time (samples_lineage.sql
-- has the rest of the lineage, as the application sees it). Decisions made
-- in one transaction all carry now(), so version 1's are moved back three
-- days by a direct UPDATE in backfill mode (as history is loaded); a carry
-- that stamped now() instead of copying the time would then show.
-- phaseline: direct-writes
BEGIN;
SELECT plan(2);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "S1", "data": {"loan": 1}}]', 'tester', test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "S1", "status": "approved", "note": "keep"}]', test.id('owner'));
SELECT phaseline_api.approve_version(test.uid('v1'), test.id('admin'));
SELECT test.act('admin');
SET LOCAL phaseline.backfill = 'on';
UPDATE phaseline.sample_decisions SET decided_at = decided_at - interval '3 days' WHERE version_id = test.uid('v1');
SET LOCAL phaseline.backfill = 'off';
SELECT is((SELECT array_agg(decided_at) FROM phaseline.sample_decisions WHERE version_id = test.uid('v1')),
    ARRAY[now() - interval '3 days'], 'the backfill moved version 1''s decision back three days');
SELECT test.remember('v2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('owner')));
SELECT phaseline_api.submit_version(test.uid('v2'), test.id('owner'));
SELECT phaseline_api.approve_version(test.uid('v2'), test.id('admin'));
SELECT test.remember('v3', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('owner')));

SELECT is((SELECT array_agg(DISTINCT l.decided_at) FROM phaseline.sample_decisions s,
                  phaseline_api.sample_lineage(s.id) AS l
            WHERE s.version_id = test.uid('v3') AND s.sample_key = 'S1'),
    ARRAY[now() - interval '3 days'], 'every step carries the decision time of the origin, three days ago');

SELECT * FROM finish();
ROLLBACK;
