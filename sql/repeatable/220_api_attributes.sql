-- API: report attributes, the versioning engine's first entity.

CREATE OR REPLACE FUNCTION {{ api_schema }}.propose_report_attribute(
    p_cycle uuid, p_report uuid, p_attribute_name text, p_definition jsonb, p_actor integer
) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_id uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    PERFORM {{ schema }}._require_cycle_report(p_cycle, p_report);
    IF coalesce(btrim(p_attribute_name), '') = '' OR jsonb_typeof(p_definition) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'attribute_shape',
            MESSAGE = format('attribute "%s" needs a name and a JSON object as definition', p_attribute_name),
            DETAIL = format('definition: %s', left(p_definition::text, 200));
    END IF;
    INSERT INTO {{ schema }}.report_attributes (cycle_id, report_id, attribute_name, definition)
    VALUES (p_cycle, p_report, p_attribute_name, p_definition)
    RETURNING id INTO v_id;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

-- Replace the definition of a draft attribute version.
CREATE OR REPLACE FUNCTION {{ api_schema }}.update_report_attribute(p_version_id uuid, p_definition jsonb, p_actor integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    IF jsonb_typeof(p_definition) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'attribute_shape',
            MESSAGE = 'an attribute definition is a JSON object',
            DETAIL = format('definition: %s', left(p_definition::text, 200));
    END IF;
    UPDATE {{ schema }}.report_attributes SET definition = p_definition WHERE id = p_version_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
            MESSAGE = format('report attribute version %s does not exist', p_version_id);
    END IF;
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

{% include 'include/api_grants.sql' %}
