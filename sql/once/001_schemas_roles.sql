-- Schemas and group roles. Roles are cluster-wide and may already exist
-- (another database on the same server deployed phaseline): create only
-- what is missing. Tables stay private to the owner; callers reach the API
-- schema only.

DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY[{{ app_role_name | literal }}, {{ readonly_role_name | literal }}] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION WHEN duplicate_object THEN
                -- a concurrent deploy into another database created it first
                NULL;
            END;
        END IF;
    END LOOP;
END
$roles$;

CREATE SCHEMA IF NOT EXISTS {{ schema }};
CREATE SCHEMA IF NOT EXISTS {{ api_schema }};
COMMENT ON SCHEMA {{ schema }} IS 'phaseline: tables, types and private helpers. Not for callers: use the API schema.';
COMMENT ON SCHEMA {{ api_schema }} IS 'phaseline public API: functions and views. The contract is documented in README.md.';

REVOKE ALL ON SCHEMA {{ schema }} FROM PUBLIC;
REVOKE ALL ON SCHEMA {{ api_schema }} FROM PUBLIC;
GRANT USAGE ON SCHEMA {{ api_schema }} TO {{ app_role }}, {{ readonly_role }};

-- Functions are executable by PUBLIC unless told otherwise; API functions
-- are granted explicitly (include/api_grants.sql).
ALTER DEFAULT PRIVILEGES IN SCHEMA {{ api_schema }} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA {{ schema }} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
