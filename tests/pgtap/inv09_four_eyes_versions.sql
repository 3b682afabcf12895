-- Invariant 9, for versions: nobody approves or rejects a version they
-- created or submitted (42501 four_eyes), and only the report's owner or an
-- admin reviews at all (42501 not_reviewer). Through the API and through a
-- direct UPDATE with the actor set (set_config(..., true) is SET LOCAL).
BEGIN;
SELECT plan(27);

CREATE TEMP TABLE w AS SELECT * FROM test.world();
-- owner2 owns a report of their own: owning some report is not owning this one.
CREATE TEMP TABLE w2 AS SELECT phaseline_api.create_report('FFIEC 031', owner2, admin) AS other_report FROM w;
SELECT phaseline_api.assign_report(cycle, other_report, tester, admin) FROM w, w2;
CREATE TEMP TABLE v (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION pg_temp.v(p_name text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM v WHERE name = p_name $$;
CREATE FUNCTION pg_temp.act(p_user integer) RETURNS void LANGUAGE sql AS $$ SELECT set_config('phaseline.actor', p_user::text, true) $$;
CREATE FUNCTION pg_temp.approve(p_name text, p_actor integer) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('SELECT phaseline_api.approve_version(%L, %s)', pg_temp.v(p_name), p_actor) $$;
CREATE FUNCTION pg_temp.reject(p_name text, p_actor integer) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format($q$SELECT phaseline_api.reject_version(%L, %s, 'not like this')$q$, pg_temp.v(p_name), p_actor) $$;

-- by_owner: created by the owner, submitted by the tester.
INSERT INTO v SELECT 'by_owner', phaseline_api.propose_report_attribute(cycle, report, 'created_by_owner', '{}', owner) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('by_owner'), tester) FROM w;
-- sub_owner: created by the tester, submitted by the owner.
INSERT INTO v SELECT 'sub_owner', phaseline_api.propose_report_attribute(cycle, report, 'submitted_by_owner', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('sub_owner'), owner) FROM w;
-- by_admin: created and submitted by the admin.
INSERT INTO v SELECT 'by_admin', phaseline_api.propose_report_attribute(cycle, report, 'created_by_admin', '{}', admin) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('by_admin'), admin) FROM w;
-- plain: created and submitted by the tester; owner-approved and admin-approved twins.
INSERT INTO v SELECT 'plain', phaseline_api.propose_report_attribute(cycle, report, 'plain', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('plain'), tester) FROM w;
INSERT INTO v SELECT 'for_admin', phaseline_api.propose_report_attribute(cycle, report, 'for_admin', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('for_admin'), tester) FROM w;
INSERT INTO v SELECT 'for_reject', phaseline_api.propose_report_attribute(cycle, report, 'for_reject', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('for_reject'), tester) FROM w;

-- Through the API.
SELECT test.throws_rule(pg_temp.approve('by_owner', owner), '42501', 'four_eyes', 'the owner cannot approve a version they created') FROM w;
SELECT test.throws_rule(pg_temp.reject('by_owner', owner), '42501', 'four_eyes', 'the owner cannot reject a version they created') FROM w;
SELECT test.throws_rule(pg_temp.approve('sub_owner', owner), '42501', 'four_eyes', 'the owner cannot approve a version they submitted') FROM w;
SELECT test.throws_rule(pg_temp.reject('sub_owner', owner), '42501', 'four_eyes', 'the owner cannot reject a version they submitted') FROM w;
SELECT test.throws_rule(pg_temp.approve('by_admin', admin), '42501', 'four_eyes', 'an admin cannot approve their own version') FROM w;
SELECT test.throws_rule(pg_temp.approve('plain', tester), '42501', 'not_reviewer', 'the tester cannot approve') FROM w;
SELECT test.throws_rule(pg_temp.approve('plain', tester2), '42501', 'not_reviewer', 'another tester cannot approve') FROM w;
SELECT test.throws_rule(pg_temp.reject('plain', tester2), '42501', 'not_reviewer', 'another tester cannot reject') FROM w;
SELECT test.throws_rule(pg_temp.approve('plain', owner2), '42501', 'not_reviewer', 'the owner of another report cannot approve') FROM w;
SELECT test.throws_rule(pg_temp.reject('plain', owner2), '42501', 'not_reviewer', 'the owner of another report cannot reject') FROM w;
SELECT is((SELECT count(*)::int FROM phaseline.report_attributes WHERE version_status = 'pending_approval'), 6,
    'every refused review left its version pending');
SELECT lives_ok(pg_temp.approve('plain', owner), 'the owner approves what someone else created and submitted') FROM w;
SELECT lives_ok(pg_temp.approve('by_owner', admin), 'an admin approves what the owner created') FROM w;
SELECT lives_ok(pg_temp.reject('for_reject', owner), 'the owner rejects what someone else created and submitted') FROM w;
SELECT lives_ok(pg_temp.approve('sub_owner', admin), 'an admin approves what the owner submitted') FROM w;
SELECT results_eq(
    format('SELECT attribute_name, version_status::text, reviewed_by FROM phaseline.report_attributes WHERE id IN (%L, %L, %L, %L) ORDER BY 1',
           pg_temp.v('plain'), pg_temp.v('by_owner'), pg_temp.v('for_reject'), pg_temp.v('sub_owner')),
    format($$VALUES ('created_by_owner', 'approved', %1$s), ('for_reject', 'rejected', %2$s), ('plain', 'approved', %2$s), ('submitted_by_owner', 'approved', %1$s)$$, admin, owner),
    'the allowed reviews are recorded with their reviewer') FROM w;

-- Direct UPDATEs, the table owner acting as each user.
INSERT INTO v SELECT 'd_by_owner', phaseline_api.propose_report_attribute(cycle, report, 'd_created_by_owner', '{}', owner) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('d_by_owner'), tester) FROM w;
INSERT INTO v SELECT 'd_sub_owner', phaseline_api.propose_report_attribute(cycle, report, 'd_submitted_by_owner', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('d_sub_owner'), owner) FROM w;
SELECT pg_temp.act(owner) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = %L$$, pg_temp.v('d_by_owner')),
    '42501', 'four_eyes', 'a direct approval by the creator is refused');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'rejected', review_note = 'x' WHERE id = %L$$, pg_temp.v('d_sub_owner')),
    '42501', 'four_eyes', 'a direct rejection by the submitter is refused');
SELECT pg_temp.act(owner2) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = %L$$, pg_temp.v('for_admin')),
    '42501', 'not_reviewer', 'a direct approval by another report''s owner is refused');
SELECT pg_temp.act(tester2) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = %L$$, pg_temp.v('for_admin')),
    '42501', 'not_reviewer', 'a direct approval by a tester is refused');
SELECT pg_temp.act(admin) FROM w;
SELECT lives_ok(format($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = %L$$, pg_temp.v('for_admin')),
    'a direct approval by an admin who neither created nor submitted it goes through');
SELECT pg_temp.act(owner) FROM w;
SELECT is((SELECT reviewed_by FROM phaseline.report_attributes WHERE id = pg_temp.v('for_admin')), (SELECT admin FROM w),
    'the direct approval names the admin as reviewer');

-- A deactivated owner is no longer a reviewer, whichever way they write.
INSERT INTO v SELECT 'late', phaseline_api.propose_report_attribute(cycle, report, 'late', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('late'), tester) FROM w;
SELECT phaseline_api.set_user_active(owner, false, admin) FROM w;
SELECT test.throws_rule(pg_temp.approve('late', owner), '42501', 'inactive_user', 'a deactivated owner cannot approve through the API') FROM w;
SELECT pg_temp.act(owner) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = %L$$, pg_temp.v('late')),
    '42501', 'inactive_user', 'a deactivated owner cannot approve by direct UPDATE');
SELECT phaseline_api.set_user_active(owner, true, admin) FROM w;

-- The other versioned tables follow the same rule.
INSERT INTO v SELECT 'sel', phaseline_api.start_sample_selection(cycle, report, owner) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('sel'), tester) FROM w;
SELECT test.throws_rule(pg_temp.approve('sel', owner), '42501', 'four_eyes', 'the owner cannot approve a sample selection they started') FROM w;
INSERT INTO v SELECT 'phase', phaseline_api.start_phase(cycle, report, 'scoping', tester) FROM w;
SELECT phaseline_api.save_phase_data(pg_temp.v('phase'), '{"attributes_scoped": 1}', tester) FROM w;
SELECT phaseline_api.complete_phase(pg_temp.v('phase'), tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('phase'), owner) FROM w;
SELECT test.throws_rule(pg_temp.reject('phase', owner), '42501', 'four_eyes', 'the owner cannot reject phase data they submitted') FROM w;
SELECT test.throws_rule(pg_temp.approve('phase', owner2), '42501', 'not_reviewer', 'another report''s owner cannot approve phase data') FROM w;

SELECT * FROM finish();
ROLLBACK;
