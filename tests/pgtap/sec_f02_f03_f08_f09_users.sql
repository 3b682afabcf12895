-- Issue 12, the findings about users:
--  2  the last active admin cannot be deactivated (55000 last_admin), and
--     the bootstrap path exists only while there are no users at all;
--  3  user ids of 1,000,000,000 and more act; refused create_user calls
--     consume no id; an unknown or out-of-range actor is P0002 unknown_user;
--  8  user_id never changes (55000 immutable_column);
--  9  create_user checks the right to create users before the email, and
--     errors about an actor name them by id, never by email.
-- phaseline: direct-writes
BEGIN;
SELECT plan(18);
SELECT test.world();

-- 2
SELECT test.throws_rule($$SELECT phaseline_api.set_user_active(test.id('admin'), false, test.id('admin'))$$,
    '22023', 'no_self_deactivation', 'an admin cannot deactivate themselves');
SELECT test.remember('a2', phaseline_api.create_user('admin2@test.io', 'Ann Admin', 'admin', test.id('admin')));
SELECT phaseline_api.set_user_active(test.id('admin'), false, test.id('a2'));
DO $$BEGIN PERFORM set_config('phaseline.actor', test.id('a2')::text, true); END$$;
SELECT test.throws_rule($$UPDATE phaseline.users SET is_active = false WHERE user_id = test.id('a2')$$,
    '55000', 'last_admin', 'a direct UPDATE deactivating the last active admin is refused');
SELECT test.throws_rule($$UPDATE phaseline.users SET role = 'tester' WHERE user_id = test.id('a2')$$,
    '55000', 'last_admin', 'a direct UPDATE demoting the last active admin is refused');
SELECT is((SELECT count(*)::int FROM phaseline.users WHERE role = 'admin' AND is_active), 1, 'one active admin is left');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('root@x.io', 'Root', 'admin')$$,
    '42501', 'actor_required', 'with users present the bootstrap path stays closed');

-- 3
SELECT test.throws_rule($$SELECT phaseline_api.create_user('n1@test.io', 'N', 'tester', test.id('tester'))$$,
    '42501', 'admin_only', 'a tester cannot create users');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('n1@test.io', ' ', 'tester', test.id('a2'))$$,
    '22023', 'display_name_not_blank', 'nor can a blank name');
CREATE TEMP TABLE seq AS SELECT last_value FROM phaseline.users_user_id_seq;
SELECT is(phaseline_api.create_user('n1@test.io', 'N', 'tester', test.id('a2'))::bigint, (SELECT last_value + 1 FROM seq),
    'refused calls consumed no user id');
ALTER SEQUENCE phaseline.users_user_id_seq RESTART WITH 1000000000;
SELECT test.remember('big', phaseline_api.create_user('big@test.io', 'Billy Big', 'admin', test.id('a2')));
SELECT is(test.id('big'), 1000000000, 'a user id of ten digits');
SELECT lives_ok($$SELECT phaseline_api.create_cycle('Big cycle', '2026-01-01', '2026-01-31', test.id('big'))$$,
    'a user with a ten-digit id acts');
SELECT test.throws_rule($$SELECT phaseline_api.create_cycle('C', '2026-01-01', '2026-01-31', 2147483647)$$,
    'P0002', 'unknown_user', 'the largest unknown id is P0002');
SELECT test.throws_rule($$SELECT phaseline_api.create_cycle('C', '2026-01-01', '2026-01-31', -1)$$,
    'P0002', 'unknown_user', 'a negative id is P0002');
SELECT test.throws_rule($$SELECT phaseline_api.create_cycle('C', '2026-01-01', '2026-01-31', 0)$$,
    'P0002', 'unknown_user', 'id 0 is P0002');
SET LOCAL phaseline.actor = '99999999999';
SELECT test.throws_rule($$INSERT INTO phaseline.test_cycles (name, period_start, period_end, created_by) VALUES ('C', '2026-01-01', '2026-01-02', 1)$$,
    'P0002', 'unknown_user', 'a direct writer naming an id beyond integer is P0002');

-- 8
DO $$BEGIN PERFORM set_config('phaseline.actor', test.id('a2')::text, true); END$$;
SELECT test.throws_rule($$UPDATE phaseline.users SET user_id = DEFAULT WHERE email = 'tester@test.io'$$,
    '55000', 'immutable_column', 'renumbering a user is refused, even for the owner');

-- 9
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('owner@test.io', 'Spy', 'tester', %s)$$, test.id('tester')),
    '42501', 'admin_only', 'a caller without the right learns nothing about an existing email');
CREATE TEMP TABLE e AS
SELECT (test.error_of($$SELECT phaseline_api.create_cycle('C', '2026-01-01', '2026-01-31', test.id('viewer'))$$)).*,
       (test.error_of($$SELECT phaseline_api.create_cycle('C', '2026-01-01', '2026-01-31', test.id('admin'))$$)).message AS inactive_message;
SELECT is((SELECT rule FROM e), 'viewer_read_only', 'a viewer cannot act');
SELECT ok((SELECT message || coalesce(detail, '') || inactive_message FROM e) !~ '@',
    'errors about the actor name users by id, never by email');

SELECT * FROM finish();
ROLLBACK;
