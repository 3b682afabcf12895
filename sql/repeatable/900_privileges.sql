-- The whole privilege state of phaseline, in one file applied last (issue
-- 12, finding 7). Idempotent: it revokes everything from PUBLIC and the
-- application roles on everything in both schemas, then grants exactly
-- what callers need, so applying it again restores any grant that was
-- tampered with. (The ALTER DEFAULT PRIVILEGES ... FROM PUBLIC of once/001
-- does nothing: per-schema defaults can only add to the global default,
-- which lets PUBLIC execute every new function. Hence the explicit REVOKEs.)
--
--   PUBLIC               nothing: no schema usage, no execute, no read, no type usage
--   {{ app_role_name }}        USAGE on {{ api_schema_name }}; EXECUTE on every API function; SELECT on the API views
--   {{ readonly_role_name }}   USAGE on {{ api_schema_name }}; EXECUTE on the API functions that change
--                        nothing (STABLE or IMMUTABLE); SELECT on the API views
--   both                 nothing in {{ schema_name }}: no table, sequence or function
DO $privileges$
DECLARE
    c_schemas  CONSTANT text[] := ARRAY[{{ schema_name | literal }}, {{ api_schema_name | literal }}];
    c_api      CONSTANT text := {{ api_schema_name | literal }};
    c_app      CONSTANT text := {{ app_role_name | literal }};
    c_readonly CONSTANT text := {{ readonly_role_name | literal }};
    r record;
BEGIN
    -- Schemas.
    EXECUTE format('REVOKE ALL ON SCHEMA %I, %I FROM PUBLIC, %I, %I', c_schemas[1], c_schemas[2], c_app, c_readonly);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I, %I', c_api, c_app, c_readonly);

    -- Functions and procedures.
    FOR r IN
        SELECT p.oid::regprocedure AS fn, n.nspname, p.provolatile, p.prokind
          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = ANY (c_schemas)
         ORDER BY 1::text
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC, %I, %I',
                       CASE r.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, r.fn, c_app, c_readonly);
        IF r.nspname = c_api THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', r.fn, c_app);
            IF r.provolatile <> 'v' THEN
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', r.fn, c_readonly);
            END IF;
        END IF;
    END LOOP;

    -- Tables, partitions, views, sequences.
    FOR r IN
        SELECT c.oid::regclass AS rel, n.nspname, c.relkind
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY (c_schemas) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
         ORDER BY 1::text
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC, %I, %I',
                       CASE r.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.rel, c_app, c_readonly);
        IF r.nspname = c_api AND r.relkind IN ('v', 'm') THEN
            EXECUTE format('GRANT SELECT ON TABLE %s TO %I, %I', r.rel, c_app, c_readonly);
        END IF;
    END LOOP;

    -- Types that carry their own privileges (enums, domains, ranges,
    -- standalone composites). Array types and the row types of tables
    -- follow their element type and table. Reading a value of a type needs
    -- no USAGE, so the API's callers need none.
    FOR r IN
        SELECT t.oid::regtype AS typ
          FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname = ANY (c_schemas)
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
           AND (t.typtype IN ('e', 'd', 'r', 'm')
                OR (t.typtype = 'c' AND (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c'))
         ORDER BY 1::text
    LOOP
        EXECUTE format('REVOKE ALL ON TYPE %s FROM PUBLIC, %I, %I', r.typ, c_app, c_readonly);
    END LOOP;
END
$privileges$;
