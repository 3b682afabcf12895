-- The test helpers themselves: test.world() builds a usable world once and
-- records its ids; test.id/test.uid read them (and any test.remember'd id)
-- by name, and refuse an unknown name rather than return null;
-- test.throws_rule() matches SQLSTATE and rule; test.act() sets the actor
-- of direct writes and nothing else.
BEGIN;
SELECT plan(12);
SELECT test.world();
SELECT is((SELECT count(*)::int FROM peek.users), 6, 'the world has six users');
SELECT is((SELECT role::text FROM peek.users WHERE user_id = test.id('owner')), 'report_owner', 'test.id names a user by the world''s name');
SELECT is((SELECT tester_user_id FROM peek.cycle_reports WHERE cycle_id = test.uid('cycle') AND report_id = test.uid('report')),
    test.id('tester'), 'the world''s report is assigned to its tester in its cycle');
SELECT is((SELECT report FROM test.world()), test.uid('report'), 'a second test.world() returns the same world');
SELECT is((SELECT count(*)::int FROM peek.users), 6, 'and creates nobody');
SELECT throws_ok($$SELECT test.uid('no_such_name')$$, 'P0001', NULL, 'an unknown name is an error, not a null');
CREATE TEMP TABLE kept AS
SELECT test.remember('a1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester'))) AS id;
SELECT is((SELECT id FROM kept), test.uid('a1'), 'test.remember returns the id it keeps');
SELECT throws_ok($$SELECT test.remember('a1', gen_random_uuid())$$, 'P0001', NULL, 'a name is remembered once');
SELECT is(test.act('owner'), test.id('owner'), 'test.act returns the acting user');
SELECT is(current_setting('phaseline.actor'), test.id('owner')::text, 'and makes it the actor of direct writes');
SELECT test.throws_rule($$SELECT phaseline_api.create_user('x@y.z', 'X', 'wizard', test.id('admin'))$$, '22023', 'unknown_role',
    'throws_rule passes on the right SQLSTATE and rule');
SELECT is((SELECT count(*)::int FROM peek.users WHERE email = 'x@y.z'), 0,
    'the refused call wrote nothing');
SELECT * FROM finish();
ROLLBACK;
