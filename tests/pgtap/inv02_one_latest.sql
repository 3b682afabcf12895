-- Invariant 2: exactly one is_latest row per version key, and it is the one
-- with the highest number; a new version takes the flag over. Nobody moves
-- the flag by hand: a direct UPDATE of is_latest is refused either way.
-- phaseline: direct-writes
BEGIN;
SELECT plan(13);

SELECT test.world();

-- Keys of a table that break invariant 2: not exactly one latest, or the latest is not the highest.
CREATE FUNCTION pg_temp.bad_keys(p_table regclass, p_key text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_n bigint;
BEGIN
    EXECUTE format($q$
        SELECT count(*) FROM (
            SELECT %s FROM %s GROUP BY %s
            HAVING count(*) FILTER (WHERE is_latest) <> 1
                OR max(version_number) <> max(version_number) FILTER (WHERE is_latest)) AS k$q$,
        p_key, p_table, p_key) INTO v_n;
    RETURN v_n;
END $$;

SELECT test.remember('a1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
SELECT ok((SELECT is_latest FROM phaseline.report_attributes WHERE id = test.uid('a1')),
    'the first version of a key is its latest');
SELECT phaseline_api.submit_version(test.uid('a1'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('a1'), test.id('owner'));
SELECT test.remember('a2', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 2}', test.id('tester')));
SELECT results_eq(
    $$SELECT version_number, is_latest FROM phaseline.report_attributes WHERE attribute_name = 'balance' ORDER BY 1$$,
    $$VALUES (1, false), (2, true)$$,
    'a new version takes the latest flag from the approved one before it');
SELECT phaseline_api.submit_version(test.uid('a2'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('a2'), test.id('owner'), 'no');
SELECT test.remember('a3', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 3}', test.id('tester')));
SELECT results_eq(
    $$SELECT version_number, is_latest FROM phaseline.report_attributes WHERE attribute_name = 'balance' ORDER BY 1$$,
    $$VALUES (1, false), (2, false), (3, true)$$,
    'a new version takes the latest flag from a rejected one too');
SELECT is((SELECT is_latest FROM phaseline.report_attributes WHERE id = test.uid('a2')), false,
    'rejecting a version does not give the flag back to an older one');

-- The other tables, each with a few versions.
SELECT test.remember('s1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('s1'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('s1'), test.id('owner'));
SELECT test.remember('s2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT test.remember('p1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'request_info', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('p1'), '{"requests_sent": 2}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('p1'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('p1'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('p1'), test.id('owner'), 'redo');
SELECT test.remember('p2', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'request_info', test.id('tester')));

SELECT is(pg_temp.bad_keys('phaseline.report_attributes', 'cycle_id, report_id, attribute_name'), 0::bigint,
    'every report attribute key has one latest version, its highest');
SELECT is(pg_temp.bad_keys('phaseline.sample_selection_versions', 'cycle_id, report_id'), 0::bigint,
    'every sample selection key has one latest version, its highest');
SELECT is(pg_temp.bad_keys('phaseline.workflow_phase_data', 'cycle_id, report_id, phase_name'), 0::bigint,
    'every phase data key has one latest version, its highest');

-- Direct writes, as the table owner with an actor, that would move the flag.
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET is_latest = false WHERE id = test.uid('a3')$$,
    '55000', 'engine_managed', 'a direct UPDATE cannot take the flag off the latest version');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET is_latest = true WHERE id = test.uid('a1')$$,
    '55000', 'engine_managed', 'a direct UPDATE cannot put the flag on an older version');
SELECT test.throws_rule($$UPDATE phaseline.sample_selection_versions SET is_latest = false WHERE id = test.uid('s2')$$,
    '55000', 'engine_managed', 'the flag of a sample selection version is the engine''s too');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET is_latest = true WHERE id = test.uid('p1')$$,
    '55000', 'engine_managed', 'the flag of a phase data version is the engine''s too');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET is_latest = false, definition = '{"x": 1}' WHERE id = test.uid('a3')$$,
    '55000', 'engine_managed', 'the flag cannot ride along with an edit of a draft');
SELECT results_eq(
    $$SELECT version_number, is_latest FROM phaseline.report_attributes WHERE attribute_name = 'balance' ORDER BY 1$$,
    $$VALUES (1, false), (2, false), (3, true)$$,
    'the refused updates left the flags as they were');

SELECT * FROM finish();
ROLLBACK;
