-- Callers reach phaseline only through the API schema: the app role runs
-- the API functions and reads the views, and cannot touch the tables.
-- This file runs as the application role (as every pgTAP file does unless
-- it says direct-writes), so what it is refused is what applications are.
BEGIN;
SELECT plan(9);

SELECT has_schema('phaseline');
SELECT has_schema('phaseline_api');
SELECT has_role('phaseline_app');
SELECT has_role('phaseline_readonly');

SELECT ok(pg_has_role(current_user, 'phaseline_app', 'USAGE'), 'the file runs as a member of the application role');
SELECT throws_ok('SELECT * FROM phaseline.users', '42501', NULL,
    'the app role cannot read a table');
SELECT throws_ok($$INSERT INTO phaseline.users (email, display_name, role) VALUES ('a@b.c', 'A', 'admin')$$, '42501', NULL,
    'the app role cannot write a table');
SELECT lives_ok($$SELECT phaseline_api.create_user('first@x.io', 'First', 'admin')$$,
    'the app role can call the API');
SELECT is((SELECT count(*)::int FROM peek.users WHERE email = 'first@x.io'), 1, 'the API call wrote through definer rights');

SELECT * FROM finish();
ROLLBACK;
