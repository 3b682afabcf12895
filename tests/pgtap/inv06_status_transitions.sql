-- Invariant 6: a version's status moves only draft -> pending_approval
-- (submit), pending_approval -> draft (withdraw), pending_approval ->
-- approved (approve), pending_approval -> rejected (reject, with a note), and
-- approved -> superseded (by the engine). Each legal move works through the
-- API and through a direct UPDATE (set_config(..., true) is SET LOCAL);
-- every other move is refused with 55000 illegal_transition.
BEGIN;
SELECT plan(52);

CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION pg_temp.v(p_name text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM v WHERE name = p_name $$;
CREATE FUNCTION pg_temp.status(p_id uuid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT version_status::text FROM phaseline.report_attributes WHERE id = p_id $$;
CREATE FUNCTION pg_temp.act(p_user integer) RETURNS void LANGUAGE sql AS $$ SELECT set_config('phaseline.actor', p_user::text, true) $$;
-- A direct status UPDATE of a report attribute version, as SQL text for throws_rule.
CREATE FUNCTION pg_temp.set_status(p_name text, p_status text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('UPDATE phaseline.report_attributes SET version_status = %L WHERE id = %L', p_status, pg_temp.v(p_name)) $$;

-- Legal moves through the API.
INSERT INTO v SELECT 'api', phaseline_api.propose_report_attribute(cycle, report, 'via_api', '{}', tester) FROM w;
SELECT lives_ok(format('SELECT phaseline_api.submit_version(%L, %s)', pg_temp.v('api'), tester), 'the API submits a draft') FROM w;
SELECT results_eq(format('SELECT version_status::text, submitted_by FROM phaseline.report_attributes WHERE id = %L', pg_temp.v('api')),
    format($$VALUES ('pending_approval', %s)$$, tester), 'a submitted version is pending and names its submitter') FROM w;
SELECT lives_ok(format('SELECT phaseline_api.withdraw_version(%L, %s)', pg_temp.v('api'), tester), 'the API withdraws a pending version') FROM w;
SELECT results_eq(format('SELECT version_status::text, submitted_by, submitted_at FROM phaseline.report_attributes WHERE id = %L', pg_temp.v('api')),
    $$VALUES ('draft', NULL::int, NULL::timestamptz)$$, 'a withdrawn version is a draft again with no submitter');
SELECT phaseline_api.submit_version(pg_temp.v('api'), tester) FROM w;
SELECT lives_ok(format($$SELECT phaseline_api.approve_version(%L, %s, 'fine')$$, pg_temp.v('api'), owner), 'the API approves a pending version') FROM w;
SELECT results_eq(format('SELECT version_status::text, reviewed_by, review_note FROM phaseline.report_attributes WHERE id = %L', pg_temp.v('api')),
    format($$VALUES ('approved', %s, 'fine')$$, owner), 'an approved version names its reviewer and keeps the note') FROM w;
INSERT INTO v SELECT 'api_rej', phaseline_api.propose_report_attribute(cycle, report, 'via_api_rejected', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('api_rej'), tester) FROM w;
SELECT lives_ok(format($$SELECT phaseline_api.reject_version(%L, %s, 'wrong type')$$, pg_temp.v('api_rej'), owner), 'the API rejects a pending version with a note') FROM w;
SELECT results_eq(format('SELECT version_status::text, reviewed_by, review_note FROM phaseline.report_attributes WHERE id = %L', pg_temp.v('api_rej')),
    format($$VALUES ('rejected', %s, 'wrong type')$$, owner), 'a rejected version names its reviewer and the note') FROM w;
INSERT INTO v SELECT 'api2', phaseline_api.propose_report_attribute(cycle, report, 'via_api', '{"v": 2}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('api2'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('api2'), owner) FROM w;
SELECT is(pg_temp.status(pg_temp.v('api')), 'superseded', 'the engine moves an approved version to superseded');

-- Legal moves by direct UPDATE.
SELECT pg_temp.act(tester) FROM w;
WITH i AS (INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) SELECT cycle, report, 'direct' FROM w RETURNING id)
INSERT INTO v SELECT 'dir', id FROM i;
SELECT lives_ok(pg_temp.set_status('dir', 'pending_approval'), 'a direct UPDATE submits a draft');
SELECT results_eq(format('SELECT version_status::text, submitted_by, submitted_at IS NOT NULL FROM phaseline.report_attributes WHERE id = %L', pg_temp.v('dir')),
    format($$VALUES ('pending_approval', %s, true)$$, tester), 'the engine fills in the submitter of a direct submit') FROM w;
SELECT lives_ok(pg_temp.set_status('dir', 'draft'), 'a direct UPDATE withdraws a pending version');
SELECT results_eq(format('SELECT version_status::text, submitted_by FROM phaseline.report_attributes WHERE id = %L', pg_temp.v('dir')),
    $$VALUES ('draft', NULL::int)$$, 'the engine clears the submitter of a direct withdrawal');
SELECT lives_ok(pg_temp.set_status('dir', 'pending_approval'), 'a direct UPDATE submits it again');
SELECT pg_temp.act(owner) FROM w;
SELECT lives_ok(pg_temp.set_status('dir', 'approved'), 'a direct UPDATE by the owner approves a pending version');
SELECT results_eq(format('SELECT version_status::text, reviewed_by FROM phaseline.report_attributes WHERE id = %L', pg_temp.v('dir')),
    format($$VALUES ('approved', %s)$$, owner), 'the engine fills in the reviewer of a direct approval') FROM w;
SELECT is((SELECT count(*)::int FROM phaseline.approved_artifacts WHERE reference_id = pg_temp.v('dir')), 1,
    'a direct approval records its artifact');
SELECT pg_temp.act(tester) FROM w;
WITH i AS (INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) SELECT cycle, report, 'direct_rejected' FROM w RETURNING id)
INSERT INTO v SELECT 'dir_rej', id FROM i;
UPDATE phaseline.report_attributes SET version_status = 'pending_approval' WHERE id = pg_temp.v('dir_rej');
SELECT pg_temp.act(owner) FROM w;
SELECT lives_ok(format($$UPDATE phaseline.report_attributes SET version_status = 'rejected', review_note = 'no source' WHERE id = %L$$, pg_temp.v('dir_rej')),
    'a direct UPDATE by the owner rejects a pending version with a note');
SELECT results_eq(format('SELECT version_status::text, reviewed_by, review_note FROM phaseline.report_attributes WHERE id = %L', pg_temp.v('dir_rej')),
    format($$VALUES ('rejected', %s, 'no source')$$, owner), 'the direct rejection keeps its reviewer and note') FROM w;

-- The same engine moves the other tables: a sample selection by direct UPDATE.
INSERT INTO v SELECT 'sel', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT pg_temp.act(tester) FROM w;
UPDATE phaseline.sample_selection_versions SET version_status = 'pending_approval' WHERE id = pg_temp.v('sel');
SELECT pg_temp.act(owner) FROM w;
UPDATE phaseline.sample_selection_versions SET version_status = 'approved' WHERE id = pg_temp.v('sel');
SELECT results_eq(format('SELECT version_status::text, submitted_by, reviewed_by FROM phaseline.sample_selection_versions WHERE id = %L', pg_temp.v('sel')),
    format($$VALUES ('approved', %s, %s)$$, tester, owner), 'a sample selection moves draft -> pending -> approved by direct UPDATE') FROM w;

-- Versions in each state, for the illegal moves: 'draft', 'pending', 'rejected' ('api_rej'), 'approved' ('api2'), 'superseded' ('api').
INSERT INTO v SELECT 'draft', phaseline_api.propose_report_attribute(cycle, report, 'a_draft', '{}', tester) FROM w;
INSERT INTO v SELECT 'pending', phaseline_api.propose_report_attribute(cycle, report, 'a_pending', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('pending'), tester) FROM w;

-- Illegal moves through the API (the owner asks, so only the transition is wrong).
SELECT test.throws_rule(format('SELECT phaseline_api.approve_version(%L, %s)', pg_temp.v('draft'), owner),
    '55000', 'illegal_transition', 'the API cannot approve a draft') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.reject_version(%L, %s, 'no')$$, pg_temp.v('draft'), owner),
    '55000', 'illegal_transition', 'the API cannot reject a draft') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.withdraw_version(%L, %s)', pg_temp.v('draft'), tester),
    '55000', 'illegal_transition', 'the API cannot withdraw a draft') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.submit_version(%L, %s)', pg_temp.v('pending'), tester),
    '55000', 'illegal_transition', 'the API cannot submit a version twice') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.withdraw_version(%L, %s)', pg_temp.v('api_rej'), tester),
    '55000', 'illegal_transition', 'the API cannot take a rejected version back to draft') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.submit_version(%L, %s)', pg_temp.v('api_rej'), tester),
    '55000', 'illegal_transition', 'the API cannot resubmit a rejected version') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.approve_version(%L, %s)', pg_temp.v('api_rej'), owner),
    '55000', 'illegal_transition', 'the API cannot approve a rejected version') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.withdraw_version(%L, %s)', pg_temp.v('api2'), tester),
    '55000', 'illegal_transition', 'the API cannot take an approved version back to draft') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.reject_version(%L, %s, 'changed my mind')$$, pg_temp.v('api2'), owner),
    '55000', 'illegal_transition', 'the API cannot reject an approved version') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.approve_version(%L, %s)', pg_temp.v('api2'), admin),
    '55000', 'illegal_transition', 'the API cannot approve a version twice') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.approve_version(%L, %s)', pg_temp.v('api'), owner),
    '55000', 'illegal_transition', 'the API cannot approve a superseded version') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.submit_version(%L, %s)', pg_temp.v('api'), tester),
    '55000', 'illegal_transition', 'the API cannot resubmit a superseded version') FROM w;

-- Reject needs a note.
SELECT test.throws_rule(format('SELECT phaseline_api.reject_version(%L, %s, NULL)', pg_temp.v('pending'), owner),
    '22023', 'review_note_required', 'rejecting without a note is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.reject_version(%L, %s, '   ')$$, pg_temp.v('pending'), owner),
    '22023', 'review_note_required', 'rejecting with a blank note is refused') FROM w;
SELECT pg_temp.act(owner) FROM w;
SELECT test.throws_rule(pg_temp.set_status('pending', 'rejected'),
    '22023', 'review_note_required', 'a direct rejection without a note is refused');

-- Illegal moves by direct UPDATE, as the owner.
SELECT pg_temp.act(owner) FROM w;
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
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'rejected', review_note = 'no' WHERE id = %L$$, pg_temp.v('api2')),
    '55000', 'illegal_transition', 'approved -> rejected is refused');
SELECT test.throws_rule(pg_temp.set_status('api2', 'superseded'), '55000', 'illegal_transition', 'approved -> superseded by hand is refused');
SELECT test.throws_rule(pg_temp.set_status('api', 'approved'), '55000', 'illegal_transition', 'superseded -> approved is refused');
SELECT test.throws_rule(pg_temp.set_status('api', 'draft'), '55000', 'illegal_transition', 'superseded -> draft is refused');
SELECT test.throws_rule(pg_temp.set_status('api', 'pending_approval'), '55000', 'illegal_transition', 'superseded -> pending_approval is refused');
SELECT test.throws_rule(format($$UPDATE phaseline.sample_selection_versions SET version_status = 'draft' WHERE id = %L$$, pg_temp.v('sel')),
    '55000', 'illegal_transition', 'approved -> draft is refused for a sample selection too');

SELECT results_eq(
    format($$SELECT version_status::text FROM phaseline.report_attributes WHERE id IN (%L, %L, %L, %L, %L) ORDER BY attribute_name, version_number$$,
           pg_temp.v('draft'), pg_temp.v('pending'), pg_temp.v('api'), pg_temp.v('api2'), pg_temp.v('api_rej')),
    ARRAY['draft', 'pending_approval', 'superseded', 'approved', 'rejected'],
    'every refused move left the status where it was');

SELECT * FROM finish();
ROLLBACK;
