-- The extension's API: open a new draft version of an evidence request.
CREATE OR REPLACE FUNCTION {{ api_schema }}.request_evidence(
    p_cycle uuid, p_report uuid, p_request_key text, p_request text, p_actor integer DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_id    uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    INSERT INTO {{ schema }}.evidence_requests (cycle_id, report_id, request_key, request)
    VALUES (p_cycle, p_report, p_request_key, p_request)
    RETURNING id INTO v_id;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION {{ api_schema }}.request_evidence(uuid, uuid, text, text, integer) IS
    'Opens a new draft version of an evidence request (the acme extension). Returns its version id.';
{% include 'include/api_grants.sql' %}
