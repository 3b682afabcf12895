{#- Included at the end of every file that defines API objects, so a new
    function is granted by the same apply that creates it. -#}
-- Grants: the app role executes every API function and reads every view;
-- the read-only role reads the views and runs the functions that change
-- nothing (STABLE or IMMUTABLE).
DO $grants$
DECLARE
    v_fn regprocedure;
    v_volatile boolean;
BEGIN
    FOR v_fn, v_volatile IN
        SELECT p.oid::regprocedure, p.provolatile = 'v'
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = {{ api_schema_name | literal }}::regnamespace
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', v_fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', v_fn, {{ app_role_name | literal }});
        IF NOT v_volatile THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', v_fn, {{ readonly_role_name | literal }});
        END IF;
    END LOOP;
END
$grants$;
GRANT SELECT ON ALL TABLES IN SCHEMA {{ api_schema }} TO {{ app_role }}, {{ readonly_role }};
