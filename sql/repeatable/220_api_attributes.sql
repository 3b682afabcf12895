-- API: report attributes, the versioning engine's first entity.

{% set renamed = ['update_report_attribute'] %}
{% include 'include/drop_renamed.sql' %}

CREATE OR REPLACE FUNCTION {{ api_schema }}.propose_report_attribute(
    p_cycle uuid, p_report uuid, p_attribute_name text, p_definition jsonb, p_actor integer DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_id uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._require_assigned(p_actor, p_cycle, p_report, 'propose attributes');  -- unknown_cycle_report first
    PERFORM {{ schema }}._check_text(p_attribute_name, 'attribute_name', 'the attribute name');
    IF jsonb_typeof(p_definition) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'attribute_shape',
            MESSAGE = format('attribute %s needs a name and a JSON object as definition', quote_literal({{ schema }}._prefix(p_attribute_name))),
            DETAIL = format('definition: %s', coalesce({{ schema }}._prefix(left(p_definition::text, 41)), 'null')),
            HINT = 'Pass {"data_type": ..., "description": ..., ...}.';
    END IF;
    PERFORM {{ schema }}._check_attribute_definition(p_definition);
    INSERT INTO {{ schema }}.report_attributes (cycle_id, report_id, attribute_name, definition)
    VALUES (p_cycle, p_report, p_attribute_name, p_definition)
    RETURNING id INTO v_id;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

-- A definition is a JSON object (22023 attribute_shape) within max_json_bytes.
CREATE OR REPLACE FUNCTION {{ schema }}._check_attribute_definition(p_definition jsonb) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF jsonb_typeof(p_definition) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'attribute_shape',
            MESSAGE = 'an attribute definition is a JSON object',
            DETAIL = format('definition: %s', coalesce({{ schema }}._prefix(left(p_definition::text, 41)), 'null')),
            HINT = 'Pass {"data_type": ..., "description": ..., ...}.';
    END IF;
    PERFORM {{ schema }}._check_json_size(p_definition, 'the attribute definition');
END
$fn$;

-- Replace the definition of a draft attribute version.
CREATE OR REPLACE FUNCTION {{ api_schema }}.update_report_attribute(p_version uuid, p_definition jsonb, p_actor integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_row   {{ schema }}.report_attributes;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    SELECT * INTO v_row FROM {{ schema }}.report_attributes WHERE id = p_version;
    IF v_row.id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
            MESSAGE = format('report attribute version %s does not exist', coalesce(p_version::text, 'null')),
            HINT = 'Pass the id propose_report_attribute returned.';
    END IF;
    PERFORM {{ schema }}._require_assigned(p_actor, v_row.cycle_id, v_row.report_id, 'edit attributes');
    PERFORM {{ schema }}._check_attribute_definition(p_definition);
    UPDATE {{ schema }}.report_attributes SET definition = p_definition WHERE id = p_version;
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

{% include 'include/api_grants.sql' -%}
