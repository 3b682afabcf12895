-- Invariant 7: content changes only while a version is draft. Edits of a
-- pending, approved, rejected or superseded version are refused (55000
-- version_frozen), through the API and by direct UPDATE; a status change may
-- not carry a content change; the identity columns never change
-- (immutable_column); submission and review fields are the engine's
-- (engine_managed).
BEGIN;
SELECT plan(37);

CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION pg_temp.v(p_name text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM v WHERE name = p_name $$;
CREATE FUNCTION pg_temp.act(p_user integer) RETURNS void LANGUAGE sql AS $$ SELECT set_config('phaseline.actor', p_user::text, true) $$;
CREATE FUNCTION pg_temp.def(p_name text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT definition FROM phaseline.report_attributes WHERE id = pg_temp.v(p_name) $$;

-- A draft is editable, through the API and directly.
INSERT INTO v SELECT 'draft', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"v": 0}', tester) FROM w;
SELECT lives_ok(format($$SELECT phaseline_api.update_report_attribute(%L, '{"v": 1}', %s)$$, pg_temp.v('draft'), tester),
    'update_report_attribute edits a draft') FROM w;
SELECT is(pg_temp.def('draft'), '{"v": 1}'::jsonb, 'the draft holds the new definition');
SELECT pg_temp.act(tester) FROM w;
SELECT lives_ok(format($$UPDATE phaseline.report_attributes SET definition = '{"v": 2}' WHERE id = %L$$, pg_temp.v('draft')),
    'a direct UPDATE edits a draft');
SELECT is(pg_temp.def('draft'), '{"v": 2}'::jsonb, 'the draft holds the directly written definition');

-- Pending: frozen until withdrawn.
SELECT phaseline_api.submit_version(pg_temp.v('draft'), tester) FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.update_report_attribute(%L, '{"v": 3}', %s)$$, pg_temp.v('draft'), tester),
    '55000', 'version_frozen', 'update_report_attribute refuses a pending version') FROM w;
SELECT pg_temp.act(tester) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET definition = '{"v": 3}' WHERE id = %L$$, pg_temp.v('draft')),
    '55000', 'version_frozen', 'a direct UPDATE of the definition of a pending version is refused');
SELECT phaseline_api.withdraw_version(pg_temp.v('draft'), tester) FROM w;
SELECT lives_ok(format($$SELECT phaseline_api.update_report_attribute(%L, '{"v": 4}', %s)$$, pg_temp.v('draft'), tester),
    'a withdrawn version is editable again') FROM w;

-- Approved, rejected, superseded: frozen for good.
SELECT phaseline_api.submit_version(pg_temp.v('draft'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('draft'), owner) FROM w;
INSERT INTO v SELECT 'rejected', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"v": 5}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('rejected'), tester) FROM w;
SELECT phaseline_api.reject_version(pg_temp.v('rejected'), owner, 'no') FROM w;
INSERT INTO v SELECT 'approved', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"v": 6}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('approved'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('approved'), owner) FROM w;
INSERT INTO v SELECT 'superseded', pg_temp.v('draft');
INSERT INTO v SELECT 'pending', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"v": 7}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('pending'), tester) FROM w;

SELECT test.throws_rule(format($$SELECT phaseline_api.update_report_attribute(%L, '{"x": 1}', %s)$$, pg_temp.v('approved'), tester),
    '55000', 'version_frozen', 'update_report_attribute refuses an approved version') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.update_report_attribute(%L, '{"x": 1}', %s)$$, pg_temp.v('rejected'), tester),
    '55000', 'version_frozen', 'update_report_attribute refuses a rejected version') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.update_report_attribute(%L, '{"x": 1}', %s)$$, pg_temp.v('superseded'), owner),
    '55000', 'version_frozen', 'update_report_attribute refuses a superseded version') FROM w;
SELECT pg_temp.act(owner) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET definition = '{"x": 1}' WHERE id = %L$$, pg_temp.v('approved')),
    '55000', 'version_frozen', 'a direct UPDATE of an approved definition is refused');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET definition = '{"x": 1}' WHERE id = %L$$, pg_temp.v('rejected')),
    '55000', 'version_frozen', 'a direct UPDATE of a rejected definition is refused');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET definition = '{"x": 1}' WHERE id = %L$$, pg_temp.v('superseded')),
    '55000', 'version_frozen', 'a direct UPDATE of a superseded definition is refused');
SELECT results_eq(
    $$SELECT definition ->> 'v' FROM phaseline.report_attributes ORDER BY version_number$$,
    ARRAY['4', '5', '6', '7'], 'no refused edit changed a definition');

-- Phase data and sample selections freeze the same way.
INSERT INTO v SELECT 'phase', phaseline_api.start_phase(cycle, report, 'request_info', tester) FROM w;
SELECT phaseline_api.save_phase_data(pg_temp.v('phase'), '{"requests_sent": 1}', tester) FROM w;
SELECT phaseline_api.complete_phase(pg_temp.v('phase'), tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('phase'), tester) FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.save_phase_data(%L, '{"requests_sent": 2}', %s)$$, pg_temp.v('phase'), tester),
    '55000', 'version_frozen', 'save_phase_data refuses a pending phase version') FROM w;
INSERT INTO v SELECT 'sel', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('sel'), tester) FROM w;
SELECT pg_temp.act(tester) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.sample_selection_versions SET note = 'x' WHERE id = %L$$, pg_temp.v('sel')),
    '55000', 'version_frozen', 'a direct UPDATE of a pending sample selection''s note is refused');

-- A status change that also changes content.
INSERT INTO v SELECT 'other', phaseline_api.propose_report_attribute(cycle, report, 'rate', '{"v": 0}', tester) FROM w;
SELECT pg_temp.act(tester) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'pending_approval', definition = '{"v": 9}' WHERE id = %L$$, pg_temp.v('other')),
    '55000', 'version_frozen', 'submitting and editing in one UPDATE is refused');
SELECT pg_temp.act(owner) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'approved', definition = '{"v": 9}' WHERE id = %L$$, pg_temp.v('pending')),
    '55000', 'version_frozen', 'approving and editing in one UPDATE is refused');
SELECT results_eq(
    format($$SELECT version_status::text, definition FROM phaseline.report_attributes WHERE id IN (%L, %L) ORDER BY attribute_name$$, pg_temp.v('pending'), pg_temp.v('other')),
    $$VALUES ('pending_approval', '{"v": 7}'::jsonb), ('draft', '{"v": 0}'::jsonb)$$,
    'the refused combined updates changed neither status nor content');

-- Identity columns, even of a draft.
SELECT pg_temp.act(tester) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET id = gen_random_uuid() WHERE id = %L$$, pg_temp.v('other')),
    '55000', 'immutable_column', 'the id of a version cannot change');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET attribute_name = 'renamed' WHERE id = %L$$, pg_temp.v('other')),
    '55000', 'immutable_column', 'the key of a draft cannot change');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET report_id = gen_random_uuid() WHERE id = %L$$, pg_temp.v('other')),
    '55000', 'immutable_column', 'the report of a draft cannot change');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_number = 2 WHERE id = %L$$, pg_temp.v('other')),
    '55000', 'immutable_column', 'the version number cannot change');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET created_by = %s WHERE id = %L$$, owner, pg_temp.v('other')),
    '55000', 'immutable_column', 'the creator cannot change') FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET created_at = now() - interval '1 day' WHERE id = %L$$, pg_temp.v('other')),
    '55000', 'immutable_column', 'the creation time cannot change');
SELECT test.throws_rule(format($$UPDATE phaseline.workflow_phase_data SET phase_name = 'scoping' WHERE id = %L$$, pg_temp.v('phase')),
    '55000', 'immutable_column', 'the phase of a phase data version cannot change');

-- Submission and review fields, without a status change.
SELECT pg_temp.act(owner) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET submitted_by = %s WHERE id = %L$$, tester2, pg_temp.v('pending')),
    '55000', 'engine_managed', 'the submitter of a pending version cannot be rewritten') FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET submitted_at = now() - interval '1 day' WHERE id = %L$$, pg_temp.v('pending')),
    '55000', 'engine_managed', 'the submission time cannot be rewritten');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET reviewed_by = %s WHERE id = %L$$, admin, pg_temp.v('approved')),
    '55000', 'engine_managed', 'the reviewer of an approved version cannot be rewritten') FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET reviewed_at = now() - interval '1 day' WHERE id = %L$$, pg_temp.v('rejected')),
    '55000', 'engine_managed', 'the review time cannot be rewritten');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET review_note = 'softer words' WHERE id = %L$$, pg_temp.v('rejected')),
    '55000', 'engine_managed', 'the review note of a rejected version cannot be rewritten');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET submitted_by = %s, submitted_at = now() WHERE id = %L$$, tester, pg_temp.v('other')),
    '55000', 'engine_managed', 'a draft cannot be marked submitted without submitting it') FROM w;
-- ... nor riding along with a status change the engine accepts.
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'approved', submitted_by = %s, submitted_at = now() - interval '1 day' WHERE id = %L$$,
                               tester2, pg_temp.v('pending')),
    '55000', 'engine_managed', 'an approval cannot rewrite who submitted the version and when') FROM w;
SELECT pg_temp.act(tester) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'pending_approval', reviewed_at = now() - interval '1 day' WHERE id = %L$$,
                               pg_temp.v('other')),
    '55000', 'engine_managed', 'a submission cannot bring a review time with it');
SELECT test.throws_rule(format($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, reviewed_at, review_note)
                                 VALUES (%L, %L, 'planted', now() - interval '1 day', 'pre-approved')$$, cycle, report),
    '55000', 'engine_managed', 'a direct INSERT cannot bring a review time and note with it') FROM w;
SELECT results_eq(
    format('SELECT submitted_by, reviewed_by FROM phaseline.report_attributes WHERE id = %L', pg_temp.v('pending')),
    format('VALUES (%s, NULL::int)', tester),
    'the pending version still names its real submitter and no reviewer') FROM w;
SELECT results_eq(
    format('SELECT version_status::text, reviewed_at FROM phaseline.report_attributes WHERE id = %L', pg_temp.v('other')),
    $$VALUES ('draft', NULL::timestamptz)$$,
    'the draft was neither submitted nor given a review time') ;

SELECT * FROM finish();
ROLLBACK;
