-- Invariant 9, for versions: nobody approves or rejects a version they
-- created or submitted (42501 four_eyes), and only the report's owner or an
-- admin reviews at all (42501 not_reviewer). Through the API and through a
-- direct UPDATE with the actor set (set_config(..., true) is SET LOCAL).
-- phaseline: direct-writes
BEGIN;
SELECT plan(27);

SELECT test.world();
-- owner2 owns a report of their own: owning some report is not owning this one.
SELECT test.remember('other_report', phaseline_api.create_report('FFIEC 031', test.id('owner2'), test.id('admin')));
SELECT phaseline_api.assign_report(test.uid('cycle'), test.uid('other_report'), test.id('tester'), test.id('admin'));

CREATE FUNCTION pg_temp.approve(p_name text, p_actor integer) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('SELECT phaseline_api.approve_version(%L, %s)', test.uid(p_name), p_actor) $$;
CREATE FUNCTION pg_temp.reject(p_name text, p_actor integer) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format($q$SELECT phaseline_api.reject_version(%L, %s, 'not like this')$q$, test.uid(p_name), p_actor) $$;

-- by_owner: created by the owner, submitted by the tester.
SELECT test.remember('by_owner', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'created_by_owner', '{}', test.id('owner')));
SELECT phaseline_api.submit_version(test.uid('by_owner'), test.id('tester'));
-- sub_owner: created by the tester, submitted by the owner.
SELECT test.remember('sub_owner', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'submitted_by_owner', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('sub_owner'), test.id('owner'));
-- by_admin: created and submitted by the admin.
SELECT test.remember('by_admin', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'created_by_admin', '{}', test.id('admin')));
SELECT phaseline_api.submit_version(test.uid('by_admin'), test.id('admin'));
-- plain: created and submitted by the tester; owner-approved and admin-approved twins.
SELECT test.remember('plain', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'plain', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('plain'), test.id('tester'));
SELECT test.remember('for_admin', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'for_admin', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('for_admin'), test.id('tester'));
SELECT test.remember('for_reject', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'for_reject', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('for_reject'), test.id('tester'));

-- Through the API.
SELECT test.throws_rule(pg_temp.approve('by_owner', test.id('owner')), '42501', 'four_eyes', 'the owner cannot approve a version they created');
SELECT test.throws_rule(pg_temp.reject('by_owner', test.id('owner')), '42501', 'four_eyes', 'the owner cannot reject a version they created');
SELECT test.throws_rule(pg_temp.approve('sub_owner', test.id('owner')), '42501', 'four_eyes', 'the owner cannot approve a version they submitted');
SELECT test.throws_rule(pg_temp.reject('sub_owner', test.id('owner')), '42501', 'four_eyes', 'the owner cannot reject a version they submitted');
SELECT test.throws_rule(pg_temp.approve('by_admin', test.id('admin')), '42501', 'four_eyes', 'an admin cannot approve their own version');
SELECT test.throws_rule(pg_temp.approve('plain', test.id('tester')), '42501', 'not_reviewer', 'the tester cannot approve');
SELECT test.throws_rule(pg_temp.approve('plain', test.id('tester2')), '42501', 'not_reviewer', 'another tester cannot approve');
SELECT test.throws_rule(pg_temp.reject('plain', test.id('tester2')), '42501', 'not_reviewer', 'another tester cannot reject');
SELECT test.throws_rule(pg_temp.approve('plain', test.id('owner2')), '42501', 'not_reviewer', 'the owner of another report cannot approve');
SELECT test.throws_rule(pg_temp.reject('plain', test.id('owner2')), '42501', 'not_reviewer', 'the owner of another report cannot reject');
SELECT is((SELECT count(*)::int FROM phaseline.report_attributes WHERE version_status = 'pending_approval'), 6,
    'every refused review left its version pending');
SELECT lives_ok(pg_temp.approve('plain', test.id('owner')), 'the owner approves what someone else created and submitted');
SELECT lives_ok(pg_temp.approve('by_owner', test.id('admin')), 'an admin approves what the owner created');
SELECT lives_ok(pg_temp.reject('for_reject', test.id('owner')), 'the owner rejects what someone else created and submitted');
SELECT lives_ok(pg_temp.approve('sub_owner', test.id('admin')), 'an admin approves what the owner submitted');
SELECT results_eq(
    $$SELECT attribute_name, version_status::text, reviewed_by FROM phaseline.report_attributes WHERE id IN (test.uid('plain'), test.uid('by_owner'), test.uid('for_reject'), test.uid('sub_owner')) ORDER BY 1$$,
    format($$VALUES ('created_by_owner', 'approved', %1$s), ('for_reject', 'rejected', %2$s), ('plain', 'approved', %2$s), ('submitted_by_owner', 'approved', %1$s)$$, test.id('admin'), test.id('owner')),
    'the allowed reviews are recorded with their reviewer');

-- Direct UPDATEs, the table owner acting as each user.
SELECT test.remember('d_by_owner', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'd_created_by_owner', '{}', test.id('owner')));
SELECT phaseline_api.submit_version(test.uid('d_by_owner'), test.id('tester'));
SELECT test.remember('d_sub_owner', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'd_submitted_by_owner', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('d_sub_owner'), test.id('owner'));
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = test.uid('d_by_owner')$$,
    '42501', 'four_eyes', 'a direct approval by the creator is refused');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'rejected', review_note = 'x' WHERE id = test.uid('d_sub_owner')$$,
    '42501', 'four_eyes', 'a direct rejection by the submitter is refused');
SELECT test.act('owner2');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = test.uid('for_admin')$$,
    '42501', 'not_reviewer', 'a direct approval by another report''s owner is refused');
SELECT test.act('tester2');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = test.uid('for_admin')$$,
    '42501', 'not_reviewer', 'a direct approval by a tester is refused');
SELECT test.act('admin');
SELECT lives_ok($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = test.uid('for_admin')$$,
    'a direct approval by an admin who neither created nor submitted it goes through');
SELECT test.act('owner');
SELECT is((SELECT reviewed_by FROM phaseline.report_attributes WHERE id = test.uid('for_admin')), test.id('admin'),
    'the direct approval names the admin as reviewer');

-- A deactivated owner is no longer a reviewer, whichever way they write.
SELECT test.remember('late', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'late', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('late'), test.id('tester'));
SELECT phaseline_api.set_user_active(test.id('owner'), false, test.id('admin'));
SELECT test.throws_rule(pg_temp.approve('late', test.id('owner')), '42501', 'inactive_user', 'a deactivated owner cannot approve through the API');
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = test.uid('late')$$,
    '42501', 'inactive_user', 'a deactivated owner cannot approve by direct UPDATE');
SELECT phaseline_api.set_user_active(test.id('owner'), true, test.id('admin'));

-- The other versioned tables follow the same rule.
SELECT test.remember('sel', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('owner')));
SELECT phaseline_api.submit_version(test.uid('sel'), test.id('tester'));
SELECT test.throws_rule(pg_temp.approve('sel', test.id('owner')), '42501', 'four_eyes', 'the owner cannot approve a sample selection they started');
SELECT test.remember('phase', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('phase'), '{"attributes_scoped": 1}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('phase'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('phase'), test.id('owner'));
SELECT test.throws_rule(pg_temp.reject('phase', test.id('owner')), '42501', 'four_eyes', 'the owner cannot reject phase data they submitted');
SELECT test.throws_rule(pg_temp.approve('phase', test.id('owner2')), '42501', 'not_reviewer', 'another report''s owner cannot approve phase data');

SELECT * FROM finish();
ROLLBACK;
