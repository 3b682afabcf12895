-- Invariant 5: parent_version_id is the version that was latest when this
-- one was made: null for the first, the rejected one after a rejection, the
-- approved one after an approval. Nobody changes it afterwards.
-- phaseline: direct-writes
BEGIN;
SELECT plan(11);

SELECT test.world();

CREATE FUNCTION pg_temp.parent(p_id uuid) RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT parent_version_id FROM phaseline.report_attributes WHERE id = p_id
    UNION ALL SELECT parent_version_id FROM phaseline.sample_selection_versions WHERE id = p_id
    UNION ALL SELECT parent_version_id FROM phaseline.workflow_phase_data WHERE id = p_id $$;

SELECT test.remember('a1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
SELECT is(pg_temp.parent(test.uid('a1')), NULL, 'the first version has no parent');
SELECT phaseline_api.submit_version(test.uid('a1'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('a1'), test.id('owner'), 'no');
SELECT test.remember('a2', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
SELECT is(pg_temp.parent(test.uid('a2')), test.uid('a1'), 'after a rejection the parent is the rejected version');
SELECT phaseline_api.submit_version(test.uid('a2'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('a2'), test.id('owner'));
-- v3 made by a direct INSERT
SELECT test.act('tester');
WITH i AS (INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) SELECT test.uid('cycle'), test.uid('report'), 'balance' RETURNING id)
SELECT test.remember('a3', id) FROM i;
SELECT is(pg_temp.parent(test.uid('a3')), test.uid('a2'), 'after an approval the parent is the approved version, also for a direct INSERT');
SELECT phaseline_api.submit_version(test.uid('a3'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('a3'), test.id('owner'));
SELECT test.remember('a4', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
SELECT is(pg_temp.parent(test.uid('a4')), test.uid('a3'),
    'the parent is the latest version, not the first approved one');

-- The other tables.
SELECT test.remember('s1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('s1'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('s1'), test.id('owner'), 'no');
SELECT test.remember('s2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT is(pg_temp.parent(test.uid('s2')), test.uid('s1'), 'a sample selection version''s parent is the rejected one before it');
SELECT test.remember('p1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('p1'), '{"attributes_scoped": 1}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('p1'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('p1'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('p1'), test.id('owner'), 'no');
SELECT test.remember('p2', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT is(pg_temp.parent(test.uid('p2')), test.uid('p1'), 'a phase data version''s parent is the rejected one before it');

-- Direct UPDATEs of the parent, on a draft and on closed versions.
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET parent_version_id = test.uid('a1') WHERE id = test.uid('a4')$$,
    '55000', 'immutable_column', 'the parent of a draft cannot be changed');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET parent_version_id = NULL WHERE id = test.uid('a2')$$,
    '55000', 'immutable_column', 'the parent of a superseded version cannot be cleared');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET parent_version_id = test.uid('a1') WHERE id = test.uid('a1')$$,
    '55000', 'immutable_column', 'the first version cannot be given a parent');
SELECT test.throws_rule($$UPDATE phaseline.sample_selection_versions SET parent_version_id = NULL WHERE id = test.uid('s2')$$,
    '55000', 'immutable_column', 'the parent of a sample selection version cannot be changed');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET parent_version_id = NULL WHERE id = test.uid('p2')$$,
    '55000', 'immutable_column', 'the parent of a phase data version cannot be changed');

SELECT * FROM finish();
ROLLBACK;
