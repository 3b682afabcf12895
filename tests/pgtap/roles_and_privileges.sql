-- Callers reach phaseline only through the API schema: the app role runs
-- the API functions and reads the views, and cannot touch the tables.
BEGIN;
SELECT plan(8);

SELECT has_schema('phaseline');
SELECT has_schema('phaseline_api');
SELECT has_role('phaseline_app');
SELECT has_role('phaseline_readonly');

SET LOCAL ROLE phaseline_app;
SELECT throws_ok('SELECT * FROM phaseline.users', '42501', NULL,
    'the app role cannot read a table');
SELECT throws_ok($$INSERT INTO phaseline.users (email, display_name, role) VALUES ('a@b.c', 'A', 'admin')$$, '42501', NULL,
    'the app role cannot write a table');
SELECT lives_ok($$SELECT phaseline_api.create_user('first@x.io', 'First', 'admin')$$,
    'the app role can call the API');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM phaseline.users WHERE email = 'first@x.io'), 1, 'the API call wrote through definer rights');

SELECT * FROM finish();
ROLLBACK;
