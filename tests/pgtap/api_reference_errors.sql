-- The reference API's errors: create_user, create_cycle, create_report,
-- assign_report and set_user_active refuse bad arguments and actors that may
-- not act, each with its SQLSTATE and rule, and write nothing when they do.
BEGIN;
SELECT plan(45);

SELECT test.world();
SELECT test.remember('admin2', phaseline_api.create_user('admin2@test.io', 'Ann Admin', 'admin', test.id('admin'))), test.remember('gone_owner', phaseline_api.create_user('gone@test.io', 'Gus Gone', 'report_owner', test.id('admin')));
SELECT phaseline_api.set_user_active(test.id('admin2'), false, test.id('admin'));
SELECT phaseline_api.set_user_active(test.id('gone_owner'), false, test.id('admin'));
CREATE TEMP TABLE mark AS
SELECT (SELECT count(*) FROM peek.users) AS users, (SELECT count(*) FROM peek.test_cycles) AS cycles,
       (SELECT count(*) FROM peek.reports) AS reports;

-- create_user: arguments.
SELECT test.throws_rule($$SELECT phaseline_api.create_user('OWNER@Test.IO', 'Twin', 'tester', test.id('admin'))$$,
    '23505', 'users_email_key', 'an email that exists in another case is a duplicate');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('owner@test.io', 'Twin', 'tester')$$,
    '42501', 'actor_required', 'without an actor the permission is checked first: no word on whether the email exists');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('new@test.io', 'New', 'wizard', test.id('admin'))$$,
    '22023', 'unknown_role', 'an unknown role is refused');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('new@test.io', 'New', NULL, test.id('admin'))$$,
    '22023', 'unknown_role', 'a missing role is refused');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('not-an-address', 'New', 'tester', test.id('admin'))$$,
    '22023', 'email_is_address', 'an email without @ is refused');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('a@b@c', 'New', 'tester', test.id('admin'))$$,
    '22023', 'email_is_address', 'an email with two @ is refused');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('', 'New', 'tester', test.id('admin'))$$,
    '22023', 'email_is_address', 'an empty email is refused');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('new@test.io', '  ', 'tester', test.id('admin'))$$,
    '22023', 'display_name_not_blank', 'a blank display name is refused');
-- create_user: actors.
SELECT test.throws_rule($$SELECT phaseline_api.create_user('new@test.io', 'New', 'tester', test.id('owner'))$$,
    '42501', 'admin_only', 'a report owner cannot create users');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('new@test.io', 'New', 'tester', test.id('tester'))$$,
    '42501', 'admin_only', 'a tester cannot create users');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('new@test.io', 'New', 'tester', test.id('admin2'))$$,
    '42501', 'inactive_user', 'an inactive admin cannot create users');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('new@test.io', 'New', 'tester', 99999)$$,
    'P0002', 'unknown_user', 'an actor who does not exist cannot create users');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('new@test.io', 'New', 'tester', test.id('viewer'))$$,
    '42501', 'viewer_read_only', 'a viewer cannot create users');
SELECT is((SELECT count(*) FROM peek.users), (SELECT users FROM mark), 'no refused create_user wrote a user');

-- create_cycle.
SELECT test.throws_rule($$SELECT phaseline_api.create_cycle('Q2 2026', '2026-06-30', '2026-04-01', test.id('admin'))$$,
    '22023', 'cycle_period_ordered', 'a period that ends before it starts is refused');
SELECT test.throws_rule($$SELECT phaseline_api.create_cycle('Q2 2026', NULL, '2026-06-30', test.id('admin'))$$,
    '22023', 'cycle_period_required', 'a period without a start is refused, under its own rule');
SELECT test.throws_rule($$SELECT phaseline_api.create_cycle('Q2 2026', '2026-04-01', NULL, test.id('admin'))$$,
    '22023', 'cycle_period_required', 'so is a period without an end');
SELECT test.throws_rule($$SELECT phaseline_api.create_cycle('q1 2026', '2026-01-01', '2026-03-31', test.id('admin'))$$,
    '23505', 'test_cycles_name_key', 'a cycle name that exists in another case is a duplicate');
SELECT test.throws_rule($$SELECT phaseline_api.create_cycle('Q2 2026', '2026-04-01', '2026-06-30', test.id('owner'))$$,
    '42501', 'admin_only', 'a report owner cannot create cycles');
SELECT is((SELECT count(*) FROM peek.test_cycles), (SELECT cycles FROM mark), 'no refused create_cycle wrote a cycle');
SELECT lives_ok($$SELECT phaseline_api.create_cycle('Year end', '2026-12-31', '2026-12-31', test.id('admin'))$$,
    'a one-day period is accepted');

-- create_report: the owner reviews, so must be an active report owner or admin.
SELECT test.throws_rule($$SELECT phaseline_api.create_report('FR 2052a', test.id('tester'), test.id('admin'))$$,
    '22023', 'owner_can_review', 'a tester cannot own a report');
SELECT test.throws_rule($$SELECT phaseline_api.create_report('FR 2052a', test.id('viewer'), test.id('admin'))$$,
    '22023', 'owner_can_review', 'a viewer cannot own a report');
SELECT test.throws_rule($$SELECT phaseline_api.create_report('FR 2052a', test.id('gone_owner'), test.id('admin'))$$,
    '22023', 'owner_can_review', 'an inactive report owner cannot own a report');
SELECT test.throws_rule($$SELECT phaseline_api.create_report('FR 2052a', 99999, test.id('admin'))$$,
    'P0002', 'unknown_user', 'an owner who does not exist is refused');
SELECT test.throws_rule($$SELECT phaseline_api.create_report('FR 2052a', test.id('owner'), test.id('owner'))$$,
    '42501', 'admin_only', 'a report owner cannot create reports');
SELECT test.throws_rule($$SELECT phaseline_api.create_report('fr y-9c', test.id('owner2'), test.id('admin'))$$,
    '23505', 'reports_name_key', 'a report name that exists in another case is a duplicate');
SELECT is((SELECT count(*) FROM peek.reports), (SELECT reports FROM mark), 'no refused create_report wrote a report');
SELECT test.remember('by_owner2', phaseline_api.create_report('FR 2052a', test.id('owner2'), test.id('admin'))), test.remember('by_admin', phaseline_api.create_report('FR 2900', test.id('admin'), test.id('admin')));
SELECT results_eq(
    $$SELECT r.owner_user_id FROM peek.reports r WHERE r.report_id IN (test.uid('by_owner2'), test.uid('by_admin')) ORDER BY r.name$$,
    $$VALUES (test.id('owner2')), (test.id('admin'))$$,
    'a report owner or an admin can own a report');

-- assign_report.
SELECT test.throws_rule($$SELECT phaseline_api.assign_report(gen_random_uuid(), test.uid('report'), test.id('tester'), test.id('admin'))$$,
    'P0002', 'unknown_cycle', 'assigning into an unknown cycle is refused');
SELECT test.throws_rule($$SELECT phaseline_api.assign_report(test.uid('cycle'), gen_random_uuid(), test.id('tester'), test.id('admin'))$$,
    'P0002', 'unknown_report', 'assigning an unknown report is refused');
SELECT test.throws_rule($$SELECT phaseline_api.assign_report(test.uid('cycle'), test.uid('by_owner2'), 99999, test.id('admin'))$$,
    'P0002', 'unknown_user', 'assigning an unknown tester is refused');
SELECT test.throws_rule($$SELECT phaseline_api.assign_report(test.uid('cycle'), test.uid('by_owner2'), test.id('owner'), test.id('admin'))$$,
    '22023', 'tester_can_test', 'a report owner cannot be assigned as tester');
SELECT test.throws_rule($$SELECT phaseline_api.assign_report(test.uid('cycle'), test.uid('by_owner2'), test.id('tester'), test.id('owner'))$$,
    '42501', 'admin_only', 'a report owner cannot assign reports');
SELECT is((SELECT count(*)::int FROM peek.cycle_reports), 1, 'no refused assignment wrote a row');
SELECT phaseline_api.assign_report(test.uid('cycle'), test.uid('report'), test.id('tester2'), test.id('admin'));
SELECT results_eq(
    $$SELECT tester_user_id, assigned_by FROM peek.cycle_reports WHERE cycle_id = test.uid('cycle') AND report_id = test.uid('report')$$,
    $$VALUES (test.id('tester2'), test.id('admin'))$$,
    'assigning again changes the tester of the same assignment');
CREATE TEMP TABLE mark2 AS SELECT count(*) AS n FROM peek.audit_log WHERE table_name = 'cycle_reports';
SELECT phaseline_api.assign_report(test.uid('cycle'), test.uid('report'), test.id('tester2'), test.id('admin'));
SELECT is((SELECT count(*) FROM peek.audit_log WHERE table_name = 'cycle_reports'), (SELECT n FROM mark2),
    'assigning the same tester again changes nothing');

-- set_user_active.
SELECT test.throws_rule($$SELECT phaseline_api.set_user_active(test.id('tester'), false, test.id('owner'))$$,
    '42501', 'admin_only', 'a report owner cannot deactivate users');
SELECT test.throws_rule($$SELECT phaseline_api.set_user_active(test.id('admin'), false, test.id('admin'))$$,
    '22023', 'no_self_deactivation', 'an admin cannot deactivate themselves');
SELECT test.throws_rule($$SELECT phaseline_api.set_user_active(99999, false, test.id('admin'))$$,
    'P0002', 'unknown_user', 'deactivating an unknown user is refused');
SELECT test.throws_rule($$SELECT phaseline_api.set_user_active(test.id('admin'), true, test.id('admin2'))$$,
    '42501', 'inactive_user', 'an inactive admin cannot reactivate anyone, themselves included');
SELECT phaseline_api.set_user_active(test.id('tester'), false, test.id('admin'));
SELECT is((SELECT is_active FROM peek.users WHERE user_id = test.id('tester')), false, 'an admin deactivates a user');
SELECT test.throws_rule($$SELECT phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester'))$$,
    '42501', 'inactive_user', 'a deactivated user can no longer act');
SELECT phaseline_api.set_user_active(test.id('tester'), true, test.id('admin'));
SELECT phaseline_api.assign_report(test.uid('cycle'), test.uid('report'), test.id('tester'), test.id('admin'));  -- back to tester: only the assigned tester writes (invariant 11)
SELECT lives_ok($$SELECT phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester'))$$,
    'a reactivated user acts again');
SELECT results_eq(
    $$SELECT actor, old_row ->> 'is_active', new_row ->> 'is_active' FROM peek.audit_log
              WHERE table_name = 'users' AND row_id = test.id('tester')::text AND action = 'UPDATE' ORDER BY id$$,
    format($$VALUES (%1$s, 'true', 'false'), (%1$s, 'false', 'true')$$, test.id('admin')),
    'deactivation and reactivation are audited under the admin');

SELECT * FROM finish();
ROLLBACK;
