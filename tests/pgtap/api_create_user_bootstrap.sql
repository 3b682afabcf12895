-- create_user(email, name, role) without an actor bootstraps the first
-- admin of an installation and nothing else; every other user is created
-- by an admin (p_actor).
BEGIN;
SELECT plan(6);
SELECT test.throws_rule($$SELECT phaseline_api.create_user('t@x.io', 'T', 'tester')$$, '42501', 'actor_required',
    'an empty installation bootstraps an admin, not a tester');
SELECT lives_ok($$SELECT phaseline_api.create_user('root@x.io', 'Root', 'admin')$$, 'the first admin needs no actor');
SELECT is((SELECT actor FROM peek.audit_log WHERE table_name = 'users'),
          (SELECT user_id FROM peek.users WHERE email = 'root@x.io'), 'the audit names the first admin as its own creator');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('root2@x.io', 'Root 2', 'admin')$$, '42501', 'actor_required',
    'a second admin without an actor is refused');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('v@x.io', 'V', 'viewer')$$, '42501', 'actor_required',
    'so is a viewer');
SELECT lives_ok($$SELECT phaseline_api.create_user('t@x.io', 'T', 'tester', (SELECT user_id FROM peek.users WHERE email = 'root@x.io'))$$,
    'an admin creates the others');
SELECT * FROM finish();
ROLLBACK;
