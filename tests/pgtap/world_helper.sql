-- The test helpers themselves: test.world() builds a usable world and
-- test.throws_rule() matches SQLSTATE and rule.
BEGIN;
SELECT plan(3);
CREATE TEMP TABLE w AS SELECT * FROM test.world();
SELECT is((SELECT count(*)::int FROM phaseline.users), 6, 'the world has six users');
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('x@y.z', 'X', 'wizard', %s)$$, admin), '22023', 'unknown_role',
    'throws_rule passes on the right SQLSTATE and rule') FROM w;
SELECT is((SELECT count(*)::int FROM phaseline.users WHERE email = 'x@y.z'), 0,
    'the refused call wrote nothing');
SELECT * FROM finish();
ROLLBACK;
