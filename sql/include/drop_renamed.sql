{#- Included at the top of an API file whose functions had an argument renamed
    (release 0.2.0: p_version_id -> p_version, p_decision_id -> p_decision,
    p_row_id -> p_row). CREATE OR REPLACE cannot rename an argument, so a
    function that still has an old name is dropped first, in the same
    transaction as its re-creation: callers never see it missing, and its
    grants and comment come back with the file and with 900 and 950. A
    database that has the new names loses nothing. `renamed` lists the
    function names. -#}
-- Functions of this file whose arguments 0.2.0 renamed: drop the old signature first.
DO $renamed$
DECLARE
    v_fn regprocedure;
BEGIN
    FOR v_fn IN
        SELECT p.oid::regprocedure
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = {{ api_schema_name | literal }}::regnamespace
           AND p.proname = ANY (ARRAY[{% for name in renamed %}{{ name | literal }}{{ ", " if not loop.last }}{% endfor %}])
           AND p.proargnames && ARRAY['p_version_id', 'p_decision_id', 'p_row_id']
    LOOP
        EXECUTE format('DROP FUNCTION %s', v_fn);
    END LOOP;
END
$renamed$;
