-- Issue 12: the catalog says who may do what. Every API function is
-- SECURITY DEFINER with a pinned search_path; nothing in phaseline's schemas
-- is executable, readable or usable by PUBLIC; the application roles hold
-- no privilege on any table, and execute nothing but the API.
BEGIN;
SELECT plan(9);

SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p
                   WHERE p.pronamespace = 'phaseline_api'::regnamespace AND NOT p.prosecdef$$,
    'every API function is SECURITY DEFINER');
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p
                   WHERE p.pronamespace IN ('phaseline_api'::regnamespace, 'phaseline'::regnamespace)
                     AND p.prokind <> 'a'  -- an aggregate has no settings; its state function has them
                     AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)$$,
    'every function of both schemas pins search_path to pg_catalog, pg_temp');
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                   WHERE p.pronamespace IN ('phaseline_api'::regnamespace, 'phaseline'::regnamespace) AND a.grantee = 0$$,
    'no function of either schema is executable by PUBLIC');
SELECT is_empty($$SELECT c.oid::regclass::text || ' ' || a.privilege_type FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
                   WHERE c.relnamespace IN ('phaseline_api'::regnamespace, 'phaseline'::regnamespace) AND a.grantee = 0$$,
    'no table, view or sequence of either schema is readable or writable by PUBLIC');
SELECT is_empty($$SELECT t.oid::regtype::text FROM pg_type t, aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) a
                   WHERE t.typnamespace IN ('phaseline_api'::regnamespace, 'phaseline'::regnamespace) AND a.grantee = 0
                     AND NOT EXISTS (SELECT FROM pg_type e WHERE e.typarray = t.oid)
                     AND (t.typtype IN ('e', 'd', 'r', 'm') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))$$,
    'no type of either schema is usable by PUBLIC');
SELECT is_empty($$SELECT n.nspname || ' ' || a.privilege_type FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
                   WHERE n.nspname IN ('phaseline_api', 'phaseline') AND a.grantee = 0$$,
    'PUBLIC has no privilege on either schema');
SELECT is_empty($$SELECT r.rolname || ' ' || c.oid::regclass::text FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    CROSS JOIN (VALUES ('phaseline_app'), ('phaseline_readonly')) AS r(rolname)
                   WHERE c.relkind IN ('r', 'p', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
                     AND n.nspname !~ '^pg_temp|^pg_toast_temp'
                     AND has_table_privilege(r.rolname, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')$$,
    'the application roles hold no privilege on any table or sequence');
SELECT is_empty($$SELECT r.rolname || ' ' || p.oid::regprocedure::text FROM pg_proc p
                    CROSS JOIN (VALUES ('phaseline_app'), ('phaseline_readonly')) AS r(rolname)
                   WHERE p.pronamespace = 'phaseline'::regnamespace AND has_function_privilege(r.rolname, p.oid, 'EXECUTE')$$,
    'the application roles execute no internal function');
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p
                   WHERE p.pronamespace = 'phaseline_api'::regnamespace AND p.provolatile = 'v'
                     AND has_function_privilege('phaseline_readonly', p.oid, 'EXECUTE')$$,
    'the read-only role executes no function that can change anything');

SELECT * FROM finish();
ROLLBACK;
