-- Invariant 7: content changes only while a version is draft. Edits of a
-- pending, approved, rejected or superseded version are refused (55000
-- version_frozen), through the API and by direct UPDATE; a status change may
-- not carry a content change; the identity columns never change
-- (immutable_column); submission and review fields are the engine's
-- (engine_managed).
-- phaseline: direct-writes
BEGIN;
SELECT plan(37);

SELECT test.world();

CREATE FUNCTION pg_temp.def(p_name text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT definition FROM phaseline.report_attributes WHERE id = test.uid(p_name) $$;

-- A draft is editable, through the API and directly.
SELECT test.remember('draft', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 0}', test.id('tester')));
SELECT lives_ok($$SELECT phaseline_api.update_report_attribute(test.uid('draft'), '{"v": 1}', test.id('tester'))$$,
    'update_report_attribute edits a draft');
SELECT is(pg_temp.def('draft'), '{"v": 1}'::jsonb, 'the draft holds the new definition');
SELECT test.act('tester');
SELECT lives_ok($$UPDATE phaseline.report_attributes SET definition = '{"v": 2}' WHERE id = test.uid('draft')$$,
    'a direct UPDATE edits a draft');
SELECT is(pg_temp.def('draft'), '{"v": 2}'::jsonb, 'the draft holds the directly written definition');

-- Pending: frozen until withdrawn.
SELECT phaseline_api.submit_version(test.uid('draft'), test.id('tester'));
SELECT test.throws_rule($$SELECT phaseline_api.update_report_attribute(test.uid('draft'), '{"v": 3}', test.id('tester'))$$,
    '55000', 'version_frozen', 'update_report_attribute refuses a pending version');
SELECT test.act('tester');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET definition = '{"v": 3}' WHERE id = test.uid('draft')$$,
    '55000', 'version_frozen', 'a direct UPDATE of the definition of a pending version is refused');
SELECT phaseline_api.withdraw_version(test.uid('draft'), test.id('tester'));
SELECT lives_ok($$SELECT phaseline_api.update_report_attribute(test.uid('draft'), '{"v": 4}', test.id('tester'))$$,
    'a withdrawn version is editable again');

-- Approved, rejected, superseded: frozen for good.
SELECT phaseline_api.submit_version(test.uid('draft'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('draft'), test.id('owner'));
SELECT test.remember('rejected', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 5}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('rejected'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('rejected'), test.id('owner'), 'no');
SELECT test.remember('approved', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 6}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('approved'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('approved'), test.id('owner'));
SELECT test.remember('superseded', test.uid('draft'));
SELECT test.remember('pending', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 7}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('pending'), test.id('tester'));

SELECT test.throws_rule($$SELECT phaseline_api.update_report_attribute(test.uid('approved'), '{"x": 1}', test.id('tester'))$$,
    '55000', 'version_frozen', 'update_report_attribute refuses an approved version');
SELECT test.throws_rule($$SELECT phaseline_api.update_report_attribute(test.uid('rejected'), '{"x": 1}', test.id('tester'))$$,
    '55000', 'version_frozen', 'update_report_attribute refuses a rejected version');
SELECT test.throws_rule($$SELECT phaseline_api.update_report_attribute(test.uid('superseded'), '{"x": 1}', test.id('owner'))$$,
    '55000', 'version_frozen', 'update_report_attribute refuses a superseded version');
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET definition = '{"x": 1}' WHERE id = test.uid('approved')$$,
    '55000', 'version_frozen', 'a direct UPDATE of an approved definition is refused');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET definition = '{"x": 1}' WHERE id = test.uid('rejected')$$,
    '55000', 'version_frozen', 'a direct UPDATE of a rejected definition is refused');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET definition = '{"x": 1}' WHERE id = test.uid('superseded')$$,
    '55000', 'version_frozen', 'a direct UPDATE of a superseded definition is refused');
SELECT results_eq(
    $$SELECT definition ->> 'v' FROM phaseline.report_attributes ORDER BY version_number$$,
    ARRAY['4', '5', '6', '7'], 'no refused edit changed a definition');

-- Phase data and sample selections freeze the same way.
SELECT test.remember('phase', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'request_info', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('phase'), '{"requests_sent": 1}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('phase'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('phase'), test.id('tester'));
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('phase'), '{"requests_sent": 2}', test.id('tester'))$$,
    '55000', 'version_frozen', 'save_phase_data refuses a pending phase version');
SELECT test.remember('sel', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('sel'), test.id('tester'));
SELECT test.act('tester');
SELECT test.throws_rule($$UPDATE phaseline.sample_selection_versions SET note = 'x' WHERE id = test.uid('sel')$$,
    '55000', 'version_frozen', 'a direct UPDATE of a pending sample selection''s note is refused');

-- A status change that also changes content.
SELECT test.remember('other', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'rate', '{"v": 0}', test.id('tester')));
SELECT test.act('tester');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'pending_approval', definition = '{"v": 9}' WHERE id = test.uid('other')$$,
    '55000', 'version_frozen', 'submitting and editing in one UPDATE is refused');
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'approved', definition = '{"v": 9}' WHERE id = test.uid('pending')$$,
    '55000', 'version_frozen', 'approving and editing in one UPDATE is refused');
SELECT results_eq(
    $$SELECT version_status::text, definition FROM phaseline.report_attributes WHERE id IN (test.uid('pending'), test.uid('other')) ORDER BY attribute_name$$,
    $$VALUES ('pending_approval', '{"v": 7}'::jsonb), ('draft', '{"v": 0}'::jsonb)$$,
    'the refused combined updates changed neither status nor content');

-- Identity columns, even of a draft.
SELECT test.act('tester');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET id = gen_random_uuid() WHERE id = test.uid('other')$$,
    '55000', 'immutable_column', 'the id of a version cannot change');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET attribute_name = 'renamed' WHERE id = test.uid('other')$$,
    '55000', 'immutable_column', 'the key of a draft cannot change');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET report_id = gen_random_uuid() WHERE id = test.uid('other')$$,
    '55000', 'immutable_column', 'the report of a draft cannot change');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_number = 2 WHERE id = test.uid('other')$$,
    '55000', 'immutable_column', 'the version number cannot change');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET created_by = test.id('owner') WHERE id = test.uid('other')$$,
    '55000', 'immutable_column', 'the creator cannot change');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET created_at = now() - interval '1 day' WHERE id = test.uid('other')$$,
    '55000', 'immutable_column', 'the creation time cannot change');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_name = 'scoping' WHERE id = test.uid('phase')$$,
    '55000', 'immutable_column', 'the phase of a phase data version cannot change');

-- Submission and review fields, without a status change.
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET submitted_by = test.id('tester2') WHERE id = test.uid('pending')$$,
    '55000', 'engine_managed', 'the submitter of a pending version cannot be rewritten');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET submitted_at = now() - interval '1 day' WHERE id = test.uid('pending')$$,
    '55000', 'engine_managed', 'the submission time cannot be rewritten');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET reviewed_by = test.id('admin') WHERE id = test.uid('approved')$$,
    '55000', 'engine_managed', 'the reviewer of an approved version cannot be rewritten');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET reviewed_at = now() - interval '1 day' WHERE id = test.uid('rejected')$$,
    '55000', 'engine_managed', 'the review time cannot be rewritten');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET review_note = 'softer words' WHERE id = test.uid('rejected')$$,
    '55000', 'engine_managed', 'the review note of a rejected version cannot be rewritten');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET submitted_by = test.id('tester'), submitted_at = now() WHERE id = test.uid('other')$$,
    '55000', 'engine_managed', 'a draft cannot be marked submitted without submitting it');
-- ... nor riding along with a status change the engine accepts.
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'approved', submitted_by = test.id('tester2'), submitted_at = now() - interval '1 day' WHERE id = test.uid('pending')$$,
    '55000', 'engine_managed', 'an approval cannot rewrite who submitted the version and when');
SELECT test.act('tester');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'pending_approval', reviewed_at = now() - interval '1 day' WHERE id = test.uid('other')$$,
    '55000', 'engine_managed', 'a submission cannot bring a review time with it');
SELECT test.throws_rule($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, reviewed_at, review_note)
                                 VALUES (test.uid('cycle'), test.uid('report'), 'planted', now() - interval '1 day', 'pre-approved')$$,
    '55000', 'engine_managed', 'a direct INSERT cannot bring a review time and note with it');
SELECT results_eq(
    $$SELECT submitted_by, reviewed_by FROM phaseline.report_attributes WHERE id = test.uid('pending')$$,
    $$VALUES (test.id('tester'), NULL::int)$$,
    'the pending version still names its real submitter and no reviewer');
SELECT results_eq(
    $$SELECT version_status::text, reviewed_at FROM phaseline.report_attributes WHERE id = test.uid('other')$$,
    $$VALUES ('draft', NULL::timestamptz)$$,
    'the draft was neither submitted nor given a review time') ;

SELECT * FROM finish();
ROLLBACK;
