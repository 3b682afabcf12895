-- Invariant 5: parent_version_id is the version that was latest when this
-- one was made: null for the first, the rejected one after a rejection, the
-- approved one after an approval. Nobody changes it afterwards.
BEGIN;
SELECT plan(11);

CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION pg_temp.v(p_name text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM v WHERE name = p_name $$;
CREATE FUNCTION pg_temp.parent(p_id uuid) RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT parent_version_id FROM phaseline.report_attributes WHERE id = p_id
    UNION ALL SELECT parent_version_id FROM phaseline.sample_selection_versions WHERE id = p_id
    UNION ALL SELECT parent_version_id FROM phaseline.workflow_phase_data WHERE id = p_id $$;

INSERT INTO v SELECT 'a1', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{}', tester) FROM w;
SELECT is(pg_temp.parent(pg_temp.v('a1')), NULL, 'the first version has no parent');
SELECT phaseline_api.submit_version(pg_temp.v('a1'), tester) FROM w;
SELECT phaseline_api.reject_version(pg_temp.v('a1'), owner, 'no') FROM w;
INSERT INTO v SELECT 'a2', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{}', tester) FROM w;
SELECT is(pg_temp.parent(pg_temp.v('a2')), pg_temp.v('a1'), 'after a rejection the parent is the rejected version');
SELECT phaseline_api.submit_version(pg_temp.v('a2'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('a2'), owner) FROM w;
-- v3 made by a direct INSERT
SELECT set_config('phaseline.actor', tester::text, true) FROM w;
WITH i AS (INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) SELECT cycle, report, 'balance' FROM w RETURNING id)
INSERT INTO v SELECT 'a3', id FROM i;
SELECT is(pg_temp.parent(pg_temp.v('a3')), pg_temp.v('a2'), 'after an approval the parent is the approved version, also for a direct INSERT');
SELECT phaseline_api.submit_version(pg_temp.v('a3'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('a3'), owner) FROM w;
INSERT INTO v SELECT 'a4', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{}', tester) FROM w;
SELECT is(pg_temp.parent(pg_temp.v('a4')), pg_temp.v('a3'),
    'the parent is the latest version, not the first approved one');

-- The other tables.
INSERT INTO v SELECT 's1', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('s1'), tester) FROM w;
SELECT phaseline_api.reject_version(pg_temp.v('s1'), owner, 'no') FROM w;
INSERT INTO v SELECT 's2', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT is(pg_temp.parent(pg_temp.v('s2')), pg_temp.v('s1'), 'a sample selection version''s parent is the rejected one before it');
INSERT INTO v SELECT 'p1', phaseline_api.start_phase(cycle, report, 'scoping', tester) FROM w;
SELECT phaseline_api.save_phase_data(pg_temp.v('p1'), '{"attributes_scoped": 1}', tester) FROM w;
SELECT phaseline_api.complete_phase(pg_temp.v('p1'), tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('p1'), tester) FROM w;
SELECT phaseline_api.reject_version(pg_temp.v('p1'), owner, 'no') FROM w;
INSERT INTO v SELECT 'p2', phaseline_api.start_phase(cycle, report, 'scoping', tester) FROM w;
SELECT is(pg_temp.parent(pg_temp.v('p2')), pg_temp.v('p1'), 'a phase data version''s parent is the rejected one before it');

-- Direct UPDATEs of the parent, on a draft and on closed versions.
SELECT set_config('phaseline.actor', owner::text, true) FROM w;
SELECT test.throws_rule(format('UPDATE phaseline.report_attributes SET parent_version_id = %L WHERE id = %L', pg_temp.v('a1'), pg_temp.v('a4')),
    '55000', 'immutable_column', 'the parent of a draft cannot be changed');
SELECT test.throws_rule(format('UPDATE phaseline.report_attributes SET parent_version_id = NULL WHERE id = %L', pg_temp.v('a2')),
    '55000', 'immutable_column', 'the parent of a superseded version cannot be cleared');
SELECT test.throws_rule(format('UPDATE phaseline.report_attributes SET parent_version_id = %L WHERE id = %L', pg_temp.v('a1'), pg_temp.v('a1')),
    '55000', 'immutable_column', 'the first version cannot be given a parent');
SELECT test.throws_rule(format('UPDATE phaseline.sample_selection_versions SET parent_version_id = NULL WHERE id = %L', pg_temp.v('s2')),
    '55000', 'immutable_column', 'the parent of a sample selection version cannot be changed');
SELECT test.throws_rule(format('UPDATE phaseline.workflow_phase_data SET parent_version_id = NULL WHERE id = %L', pg_temp.v('p2')),
    '55000', 'immutable_column', 'the parent of a phase data version cannot be changed');

SELECT * FROM finish();
ROLLBACK;
