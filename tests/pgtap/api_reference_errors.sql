-- The reference API's errors: create_user, create_cycle, create_report,
-- assign_report and set_user_active refuse bad arguments and actors that may
-- not act, each with its SQLSTATE and rule, and write nothing when they do.
BEGIN;
SELECT plan(44);

CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE u AS
SELECT phaseline_api.create_user('admin2@test.io', 'Ann Admin', 'admin', admin) AS admin2,
       phaseline_api.create_user('gone@test.io', 'Gus Gone', 'report_owner', admin) AS gone_owner
  FROM w;
SELECT phaseline_api.set_user_active(admin2, false, admin) FROM w, u;
SELECT phaseline_api.set_user_active(gone_owner, false, admin) FROM w, u;
CREATE TEMP TABLE mark AS
SELECT (SELECT count(*) FROM phaseline.users) AS users, (SELECT count(*) FROM phaseline.test_cycles) AS cycles,
       (SELECT count(*) FROM phaseline.reports) AS reports;

-- create_user: arguments.
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('OWNER@Test.IO', 'Twin', 'tester', %s)$$, admin),
    '23505', 'users_email_key', 'an email that exists in another case is a duplicate') FROM w;
SELECT test.throws_rule($$SELECT phaseline_api.create_user('owner@test.io', 'Twin', 'tester')$$,
    '42501', 'actor_required', 'without an actor the permission is checked first: no word on whether the email exists');
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('new@test.io', 'New', 'wizard', %s)$$, admin),
    '22023', 'unknown_role', 'an unknown role is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('new@test.io', 'New', NULL, %s)$$, admin),
    '22023', 'unknown_role', 'a missing role is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('not-an-address', 'New', 'tester', %s)$$, admin),
    '22023', 'email_is_address', 'an email without @ is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('a@b@c', 'New', 'tester', %s)$$, admin),
    '22023', 'email_is_address', 'an email with two @ is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('', 'New', 'tester', %s)$$, admin),
    '22023', 'email_is_address', 'an empty email is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('new@test.io', '  ', 'tester', %s)$$, admin),
    '22023', 'display_name_not_blank', 'a blank display name is refused') FROM w;
-- create_user: actors.
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('new@test.io', 'New', 'tester', %s)$$, owner),
    '42501', 'admin_only', 'a report owner cannot create users') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('new@test.io', 'New', 'tester', %s)$$, tester),
    '42501', 'admin_only', 'a tester cannot create users') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('new@test.io', 'New', 'tester', %s)$$, admin2),
    '42501', 'inactive_user', 'an inactive admin cannot create users') FROM u;
SELECT test.throws_rule($$SELECT phaseline_api.create_user('new@test.io', 'New', 'tester', 99999)$$,
    'P0002', 'unknown_user', 'an actor who does not exist cannot create users');
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('new@test.io', 'New', 'tester', %s)$$, viewer),
    '42501', 'viewer_read_only', 'a viewer cannot create users') FROM w;
SELECT is((SELECT count(*) FROM phaseline.users), (SELECT users FROM mark), 'no refused create_user wrote a user');

-- create_cycle.
SELECT test.throws_rule(format($$SELECT phaseline_api.create_cycle('Q2 2026', '2026-06-30', '2026-04-01', %s)$$, admin),
    '22023', 'cycle_period_ordered', 'a period that ends before it starts is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_cycle('Q2 2026', NULL, '2026-06-30', %s)$$, admin),
    '22023', 'cycle_period_ordered', 'a period without a start is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_cycle('q1 2026', '2026-01-01', '2026-03-31', %s)$$, admin),
    '23505', 'test_cycles_name_key', 'a cycle name that exists in another case is a duplicate') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_cycle('Q2 2026', '2026-04-01', '2026-06-30', %s)$$, owner),
    '42501', 'admin_only', 'a report owner cannot create cycles') FROM w;
SELECT is((SELECT count(*) FROM phaseline.test_cycles), (SELECT cycles FROM mark), 'no refused create_cycle wrote a cycle');
SELECT lives_ok(format($$SELECT phaseline_api.create_cycle('Year end', '2026-12-31', '2026-12-31', %s)$$, admin),
    'a one-day period is accepted') FROM w;

-- create_report: the owner reviews, so must be an active report owner or admin.
SELECT test.throws_rule(format($$SELECT phaseline_api.create_report('FR 2052a', %s, %s)$$, tester, admin),
    '22023', 'owner_can_review', 'a tester cannot own a report') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_report('FR 2052a', %s, %s)$$, viewer, admin),
    '22023', 'owner_can_review', 'a viewer cannot own a report') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_report('FR 2052a', %s, %s)$$, gone_owner, admin),
    '22023', 'owner_can_review', 'an inactive report owner cannot own a report') FROM w, u;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_report('FR 2052a', 99999, %s)$$, admin),
    'P0002', 'unknown_user', 'an owner who does not exist is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_report('FR 2052a', %s, %s)$$, owner, owner),
    '42501', 'admin_only', 'a report owner cannot create reports') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_report('fr y-9c', %s, %s)$$, owner2, admin),
    '23505', 'reports_name_key', 'a report name that exists in another case is a duplicate') FROM w;
SELECT is((SELECT count(*) FROM phaseline.reports), (SELECT reports FROM mark), 'no refused create_report wrote a report');
CREATE TEMP TABLE r AS
SELECT phaseline_api.create_report('FR 2052a', owner2, admin) AS by_owner2,
       phaseline_api.create_report('FR 2900', admin, admin) AS by_admin FROM w;
SELECT results_eq(
    $$SELECT r.owner_user_id FROM phaseline.reports r WHERE r.report_id IN (SELECT by_owner2 FROM r UNION ALL SELECT by_admin FROM r) ORDER BY r.name$$,
    format('VALUES (%s), (%s)', owner2, admin),
    'a report owner or an admin can own a report') FROM w;

-- assign_report.
SELECT test.throws_rule(format('SELECT phaseline_api.assign_report(gen_random_uuid(), %L, %s, %s)', report, tester, admin),
    'P0002', 'unknown_cycle', 'assigning into an unknown cycle is refused') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.assign_report(%L, gen_random_uuid(), %s, %s)', cycle, tester, admin),
    'P0002', 'unknown_report', 'assigning an unknown report is refused') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.assign_report(%L, %L, 99999, %s)', cycle, by_owner2, admin),
    'P0002', 'unknown_user', 'assigning an unknown tester is refused') FROM w, r;
SELECT test.throws_rule(format('SELECT phaseline_api.assign_report(%L, %L, %s, %s)', cycle, by_owner2, owner, admin),
    '22023', 'tester_can_test', 'a report owner cannot be assigned as tester') FROM w, r;
SELECT test.throws_rule(format('SELECT phaseline_api.assign_report(%L, %L, %s, %s)', cycle, by_owner2, tester, owner),
    '42501', 'admin_only', 'a report owner cannot assign reports') FROM w, r;
SELECT is((SELECT count(*)::int FROM phaseline.cycle_reports), 1, 'no refused assignment wrote a row');
SELECT phaseline_api.assign_report(cycle, report, tester2, admin) FROM w;
SELECT results_eq(
    format('SELECT tester_user_id, assigned_by FROM phaseline.cycle_reports WHERE cycle_id = %L AND report_id = %L', cycle, report),
    format('VALUES (%s, %s)', tester2, admin),
    'assigning again changes the tester of the same assignment') FROM w;
CREATE TEMP TABLE mark2 AS SELECT count(*) AS n FROM phaseline.audit_log WHERE table_name = 'cycle_reports';
SELECT phaseline_api.assign_report(cycle, report, tester2, admin) FROM w;
SELECT is((SELECT count(*) FROM phaseline.audit_log WHERE table_name = 'cycle_reports'), (SELECT n FROM mark2),
    'assigning the same tester again changes nothing');

-- set_user_active.
SELECT test.throws_rule(format('SELECT phaseline_api.set_user_active(%s, false, %s)', tester, owner),
    '42501', 'admin_only', 'a report owner cannot deactivate users') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.set_user_active(%s, false, %s)', admin, admin),
    '22023', 'no_self_deactivation', 'an admin cannot deactivate themselves') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.set_user_active(99999, false, %s)', admin),
    'P0002', 'unknown_user', 'deactivating an unknown user is refused') FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.set_user_active(%s, true, %s)', admin, admin2),
    '42501', 'inactive_user', 'an inactive admin cannot reactivate anyone, themselves included') FROM w, u;
SELECT phaseline_api.set_user_active(tester, false, admin) FROM w;
SELECT is((SELECT is_active FROM phaseline.users WHERE user_id = (SELECT tester FROM w)), false, 'an admin deactivates a user');
SELECT test.throws_rule(format($$SELECT phaseline_api.propose_report_attribute(%L, %L, 'balance', '{}', %s)$$, cycle, report, tester),
    '42501', 'inactive_user', 'a deactivated user can no longer act') FROM w;
SELECT phaseline_api.set_user_active(tester, true, admin) FROM w;
SELECT phaseline_api.assign_report(cycle, report, tester, admin) FROM w;  -- back to tester: only the assigned tester writes (invariant 11)
SELECT lives_ok(format($$SELECT phaseline_api.propose_report_attribute(%L, %L, 'balance', '{}', %s)$$, cycle, report, tester),
    'a reactivated user acts again') FROM w;
SELECT results_eq(
    format($$SELECT actor, old_row ->> 'is_active', new_row ->> 'is_active' FROM phaseline.audit_log
              WHERE table_name = 'users' AND row_id = '%s' AND action = 'UPDATE' ORDER BY id$$, tester),
    format($$VALUES (%1$s, 'true', 'false'), (%1$s, 'false', 'true')$$, admin),
    'deactivation and reactivation are audited under the admin') FROM w;

SELECT * FROM finish();
ROLLBACK;
