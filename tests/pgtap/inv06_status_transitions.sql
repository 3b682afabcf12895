-- Invariant 6: a version's status moves only draft -> pending_approval
-- (submit), pending_approval -> draft (withdraw), pending_approval ->
-- approved (approve), pending_approval -> rejected (reject, with a note), and
-- approved -> superseded (by the engine). Each legal move works through the
-- API and through a direct UPDATE (set_config(..., true) is SET LOCAL);
-- every other move is refused with 55000 illegal_transition.
-- phaseline: direct-writes
BEGIN;
SELECT plan(52);

SELECT test.world();

CREATE FUNCTION pg_temp.status(p_id uuid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT version_status::text FROM phaseline.report_attributes WHERE id = p_id $$;
-- A direct status UPDATE of a report attribute version, as SQL text for throws_rule.
CREATE FUNCTION pg_temp.set_status(p_name text, p_status text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('UPDATE phaseline.report_attributes SET version_status = %L WHERE id = %L', p_status, test.uid(p_name)) $$;

-- Legal moves through the API.
SELECT test.remember('api', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'via_api', '{}', test.id('tester')));
SELECT lives_ok($$SELECT phaseline_api.submit_version(test.uid('api'), test.id('tester'))$$, 'the API submits a draft');
SELECT results_eq($$SELECT version_status::text, submitted_by FROM phaseline.report_attributes WHERE id = test.uid('api')$$,
    $$VALUES ('pending_approval', test.id('tester'))$$, 'a submitted version is pending and names its submitter');
SELECT lives_ok($$SELECT phaseline_api.withdraw_version(test.uid('api'), test.id('tester'))$$, 'the API withdraws a pending version');
SELECT results_eq($$SELECT version_status::text, submitted_by, submitted_at FROM phaseline.report_attributes WHERE id = test.uid('api')$$,
    $$VALUES ('draft', NULL::int, NULL::timestamptz)$$, 'a withdrawn version is a draft again with no submitter');
SELECT phaseline_api.submit_version(test.uid('api'), test.id('tester'));
SELECT lives_ok($$SELECT phaseline_api.approve_version(test.uid('api'), test.id('owner'), 'fine')$$, 'the API approves a pending version');
SELECT results_eq($$SELECT version_status::text, reviewed_by, review_note FROM phaseline.report_attributes WHERE id = test.uid('api')$$,
    $$VALUES ('approved', test.id('owner'), 'fine')$$, 'an approved version names its reviewer and keeps the note');
SELECT test.remember('api_rej', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'via_api_rejected', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('api_rej'), test.id('tester'));
SELECT lives_ok($$SELECT phaseline_api.reject_version(test.uid('api_rej'), test.id('owner'), 'wrong type')$$, 'the API rejects a pending version with a note');
SELECT results_eq($$SELECT version_status::text, reviewed_by, review_note FROM phaseline.report_attributes WHERE id = test.uid('api_rej')$$,
    $$VALUES ('rejected', test.id('owner'), 'wrong type')$$, 'a rejected version names its reviewer and the note');
SELECT test.remember('api2', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'via_api', '{"v": 2}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('api2'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('api2'), test.id('owner'));
SELECT is(pg_temp.status(test.uid('api')), 'superseded', 'the engine moves an approved version to superseded');

-- Legal moves by direct UPDATE.
SELECT test.act('tester');
WITH i AS (INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) SELECT test.uid('cycle'), test.uid('report'), 'direct' RETURNING id)
SELECT test.remember('dir', id) FROM i;
SELECT lives_ok(pg_temp.set_status('dir', 'pending_approval'), 'a direct UPDATE submits a draft');
SELECT results_eq($$SELECT version_status::text, submitted_by, submitted_at IS NOT NULL FROM phaseline.report_attributes WHERE id = test.uid('dir')$$,
    $$VALUES ('pending_approval', test.id('tester'), true)$$, 'the engine fills in the submitter of a direct submit');
SELECT lives_ok(pg_temp.set_status('dir', 'draft'), 'a direct UPDATE withdraws a pending version');
SELECT results_eq($$SELECT version_status::text, submitted_by FROM phaseline.report_attributes WHERE id = test.uid('dir')$$,
    $$VALUES ('draft', NULL::int)$$, 'the engine clears the submitter of a direct withdrawal');
SELECT lives_ok(pg_temp.set_status('dir', 'pending_approval'), 'a direct UPDATE submits it again');
SELECT test.act('owner');
SELECT lives_ok(pg_temp.set_status('dir', 'approved'), 'a direct UPDATE by the owner approves a pending version');
SELECT results_eq($$SELECT version_status::text, reviewed_by FROM phaseline.report_attributes WHERE id = test.uid('dir')$$,
    $$VALUES ('approved', test.id('owner'))$$, 'the engine fills in the reviewer of a direct approval');
SELECT is((SELECT count(*)::int FROM phaseline.approved_artifacts WHERE reference_id = test.uid('dir')), 1,
    'a direct approval records its artifact');
SELECT test.act('tester');
WITH i AS (INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) SELECT test.uid('cycle'), test.uid('report'), 'direct_rejected' RETURNING id)
SELECT test.remember('dir_rej', id) FROM i;
UPDATE phaseline.report_attributes SET version_status = 'pending_approval' WHERE id = test.uid('dir_rej');
SELECT test.act('owner');
SELECT lives_ok($$UPDATE phaseline.report_attributes SET version_status = 'rejected', review_note = 'no source' WHERE id = test.uid('dir_rej')$$,
    'a direct UPDATE by the owner rejects a pending version with a note');
SELECT results_eq($$SELECT version_status::text, reviewed_by, review_note FROM phaseline.report_attributes WHERE id = test.uid('dir_rej')$$,
    $$VALUES ('rejected', test.id('owner'), 'no source')$$, 'the direct rejection keeps its reviewer and note');

-- The same engine moves the other tables: a sample selection by direct UPDATE.
SELECT test.remember('sel', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT test.act('tester');
UPDATE phaseline.sample_selection_versions SET version_status = 'pending_approval' WHERE id = test.uid('sel');
SELECT test.act('owner');
UPDATE phaseline.sample_selection_versions SET version_status = 'approved' WHERE id = test.uid('sel');
SELECT results_eq($$SELECT version_status::text, submitted_by, reviewed_by FROM phaseline.sample_selection_versions WHERE id = test.uid('sel')$$,
    $$VALUES ('approved', test.id('tester'), test.id('owner'))$$, 'a sample selection moves draft -> pending -> approved by direct UPDATE');

-- Versions in each state, for the illegal moves: 'draft', 'pending', 'rejected' ('api_rej'), 'approved' ('api2'), 'superseded' ('api').
SELECT test.remember('draft', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'a_draft', '{}', test.id('tester')));
SELECT test.remember('pending', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'a_pending', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('pending'), test.id('tester'));

-- Illegal moves through the API (the owner asks, so only the transition is wrong).
SELECT test.throws_rule($$SELECT phaseline_api.approve_version(test.uid('draft'), test.id('owner'))$$,
    '55000', 'illegal_transition', 'the API cannot approve a draft');
SELECT test.throws_rule($$SELECT phaseline_api.reject_version(test.uid('draft'), test.id('owner'), 'no')$$,
    '55000', 'illegal_transition', 'the API cannot reject a draft');
SELECT test.throws_rule($$SELECT phaseline_api.withdraw_version(test.uid('draft'), test.id('tester'))$$,
    '55000', 'illegal_transition', 'the API cannot withdraw a draft');
SELECT test.throws_rule($$SELECT phaseline_api.submit_version(test.uid('pending'), test.id('tester'))$$,
    '55000', 'illegal_transition', 'the API cannot submit a version twice');
SELECT test.throws_rule($$SELECT phaseline_api.withdraw_version(test.uid('api_rej'), test.id('tester'))$$,
    '55000', 'illegal_transition', 'the API cannot take a rejected version back to draft');
SELECT test.throws_rule($$SELECT phaseline_api.submit_version(test.uid('api_rej'), test.id('tester'))$$,
    '55000', 'illegal_transition', 'the API cannot resubmit a rejected version');
SELECT test.throws_rule($$SELECT phaseline_api.approve_version(test.uid('api_rej'), test.id('owner'))$$,
    '55000', 'illegal_transition', 'the API cannot approve a rejected version');
SELECT test.throws_rule($$SELECT phaseline_api.withdraw_version(test.uid('api2'), test.id('tester'))$$,
    '55000', 'illegal_transition', 'the API cannot take an approved version back to draft');
SELECT test.throws_rule($$SELECT phaseline_api.reject_version(test.uid('api2'), test.id('owner'), 'changed my mind')$$,
    '55000', 'illegal_transition', 'the API cannot reject an approved version');
SELECT test.throws_rule($$SELECT phaseline_api.approve_version(test.uid('api2'), test.id('admin'))$$,
    '55000', 'illegal_transition', 'the API cannot approve a version twice');
SELECT test.throws_rule($$SELECT phaseline_api.approve_version(test.uid('api'), test.id('owner'))$$,
    '55000', 'illegal_transition', 'the API cannot approve a superseded version');
SELECT test.throws_rule($$SELECT phaseline_api.submit_version(test.uid('api'), test.id('tester'))$$,
    '55000', 'illegal_transition', 'the API cannot resubmit a superseded version');

-- Reject needs a note.
SELECT test.throws_rule($$SELECT phaseline_api.reject_version(test.uid('pending'), test.id('owner'), NULL)$$,
    '22023', 'review_note_required', 'rejecting without a note is refused');
SELECT test.throws_rule($$SELECT phaseline_api.reject_version(test.uid('pending'), test.id('owner'), '   ')$$,
    '22023', 'review_note_required', 'rejecting with a blank note is refused');
SELECT test.act('owner');
SELECT test.throws_rule(pg_temp.set_status('pending', 'rejected'),
    '22023', 'review_note_required', 'a direct rejection without a note is refused');

-- Illegal moves by direct UPDATE, as the owner.
SELECT test.act('owner');
SELECT test.throws_rule(pg_temp.set_status('draft', 'approved'), '55000', 'illegal_transition', 'draft -> approved is refused');
SELECT test.throws_rule(pg_temp.set_status('draft', 'rejected'), '55000', 'illegal_transition', 'draft -> rejected is refused');
SELECT test.throws_rule(pg_temp.set_status('draft', 'superseded'), '55000', 'illegal_transition', 'draft -> superseded is refused');
SELECT test.throws_rule(pg_temp.set_status('pending', 'superseded'), '55000', 'illegal_transition', 'pending_approval -> superseded is refused');
SELECT test.throws_rule(pg_temp.set_status('api_rej', 'draft'), '55000', 'illegal_transition', 'rejected -> draft is refused');
SELECT test.throws_rule(pg_temp.set_status('api_rej', 'pending_approval'), '55000', 'illegal_transition', 'rejected -> pending_approval is refused');
SELECT test.throws_rule(pg_temp.set_status('api_rej', 'approved'), '55000', 'illegal_transition', 'rejected -> approved is refused');
SELECT test.throws_rule(pg_temp.set_status('api_rej', 'superseded'), '55000', 'illegal_transition', 'rejected -> superseded is refused');
SELECT test.throws_rule(pg_temp.set_status('api2', 'draft'), '55000', 'illegal_transition', 'approved -> draft is refused');
SELECT test.throws_rule(pg_temp.set_status('api2', 'pending_approval'), '55000', 'illegal_transition', 'approved -> pending_approval is refused');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'rejected', review_note = 'no' WHERE id = test.uid('api2')$$,
    '55000', 'illegal_transition', 'approved -> rejected is refused');
SELECT test.throws_rule(pg_temp.set_status('api2', 'superseded'), '55000', 'illegal_transition', 'approved -> superseded by hand is refused');
SELECT test.throws_rule(pg_temp.set_status('api', 'approved'), '55000', 'illegal_transition', 'superseded -> approved is refused');
SELECT test.throws_rule(pg_temp.set_status('api', 'draft'), '55000', 'illegal_transition', 'superseded -> draft is refused');
SELECT test.throws_rule(pg_temp.set_status('api', 'pending_approval'), '55000', 'illegal_transition', 'superseded -> pending_approval is refused');
SELECT test.throws_rule($$UPDATE phaseline.sample_selection_versions SET version_status = 'draft' WHERE id = test.uid('sel')$$,
    '55000', 'illegal_transition', 'approved -> draft is refused for a sample selection too');

SELECT results_eq(
    $$SELECT version_status::text FROM phaseline.report_attributes WHERE id IN (test.uid('draft'), test.uid('pending'), test.uid('api'), test.uid('api2'), test.uid('api_rej')) ORDER BY attribute_name, version_number$$,
    ARRAY['draft', 'pending_approval', 'superseded', 'approved', 'rejected'],
    'every refused move left the status where it was');

SELECT * FROM finish();
ROLLBACK;
