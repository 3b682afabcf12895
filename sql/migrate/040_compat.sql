{% from 'migrate/_shapes.sql' import phase_tables, phase_skeleton %}
-- The compatibility views: each legacy table's shape (same names, columns,
-- order and types) computed from phaseline's tables, so a read query written
-- for the old schema runs with `SET search_path TO {{ compat_schema_name }}`
-- and returns the same rows; where the migration corrected a recorded
-- defect, it returns the corrected value (migration_defects says which).
-- They read phaseline only and outlive contract. Read-only.
--
-- Inverse mappings: superseded reads as approved (legacy had no superseded),
-- the migration user reads as null (it stands in where legacy named no one),
-- draft attributes read as pending. Phase tables show the latest version of
-- each phase (legacy had one row per phase of a report in a cycle).

CREATE OR REPLACE VIEW {{ compat_schema }}.users AS
SELECT u.user_id, u.email, u.display_name AS full_name, u.role::text AS role
  FROM {{ schema }}.users u
 WHERE u.user_id IS DISTINCT FROM (SELECT s.migration_user_id FROM {{ compat_schema }}.migration_state s);

CREATE OR REPLACE VIEW {{ compat_schema }}.report_attributes AS
SELECT a.id AS attribute_id,
       coalesce(m.master_id, first.id) AS master_attribute_id,
       a.version_number, a.is_latest AS is_latest_version, a.cycle_id, a.report_id, a.attribute_name,
       a.definition ->> 'data_type' AS data_type,
       a.definition ->> 'description' AS description,
       (a.definition ->> 'is_primary_key')::boolean AS is_primary_key,
       (a.definition ->> 'is_cde')::boolean AS is_cde,
       (a.definition ->> 'is_scoped')::boolean AS is_scoped,
       CASE WHEN a.version_status IN ('approved', 'superseded') THEN 'approved'
            WHEN a.version_status = 'rejected' THEN 'rejected' ELSE 'pending' END AS approval_status,
       nullif(a.reviewed_by, st.migration_user_id) AS approved_by, a.reviewed_at AS approved_at,
       nullif(a.created_by, st.migration_user_id) AS created_by, a.created_at
  FROM {{ schema }}.report_attributes a
  LEFT JOIN {{ compat_schema }}.migration_masters m
         ON m.entity = 'report_attribute' AND m.cycle_id = a.cycle_id AND m.report_id = a.report_id AND m.key_name = a.attribute_name
  LEFT JOIN {{ schema }}.report_attributes first
         ON first.cycle_id = a.cycle_id AND first.report_id = a.report_id AND first.attribute_name = a.attribute_name
        AND first.version_number = 1
  LEFT JOIN {{ compat_schema }}.migration_state st ON true;

CREATE OR REPLACE VIEW {{ compat_schema }}.sample_sets AS
SELECT v.id AS set_id,
       coalesce(m.master_id, first.id) AS master_set_id,
       v.version_number, v.is_latest, v.cycle_id, v.report_id,
       CASE WHEN v.version_status = 'superseded' THEN 'approved' ELSE v.version_status::text END AS status,
       nullif(v.created_by, st.migration_user_id) AS created_by, v.created_at, v.submitted_at,
       nullif(v.reviewed_by, st.migration_user_id) AS approved_by, v.reviewed_at AS approved_at,
       v.review_note AS rejection_reason
  FROM {{ schema }}.sample_selection_versions v
  LEFT JOIN {{ compat_schema }}.migration_masters m
         ON m.entity = 'sample_selection' AND m.cycle_id = v.cycle_id AND m.report_id = v.report_id AND m.key_name = ''
  LEFT JOIN {{ schema }}.sample_selection_versions first
         ON first.cycle_id = v.cycle_id AND first.report_id = v.report_id AND first.version_number = 1
  LEFT JOIN {{ compat_schema }}.migration_state st ON true;

CREATE OR REPLACE VIEW {{ compat_schema }}.sample_records AS
SELECT d.id AS record_id, d.version_id AS set_id, d.sample_key AS sample_identifier, d.sample_data,
       d.recommended_at AS created_at
  FROM {{ schema }}.sample_decisions d;

{% macro from_json(col, type) -%}
{%- if type == 'text[]' -%}
CASE WHEN d.phase_data ? {{ col | literal }} THEN ARRAY(SELECT jsonb_array_elements_text(d.phase_data -> {{ col | literal }})) END
{%- elif type == 'jsonb' -%}
d.phase_data -> {{ col | literal }}
{%- elif type == 'text' -%}
d.phase_data ->> {{ col | literal }}
{%- else -%}
(d.phase_data ->> {{ col | literal }})::{{ type }}
{%- endif -%}
{%- endmacro %}
{% for p in phase_tables %}
CREATE OR REPLACE VIEW {{ compat_schema }}.{{ p.table | ident }} AS
SELECT d.id AS phase_id, d.cycle_id, d.report_id, d.phase_status::text AS status, d.started_at, d.completed_at
{%- for col, type in p.payload %},
       {{ from_json(col, type) }} AS {{ col | ident }}
{%- endfor %}
  FROM {{ schema }}.workflow_phase_data d
 WHERE d.phase_name = {{ p.phase | literal }} AND d.is_latest;
{% endfor %}

-- Read-only, for their owner too: a simple view is updatable by default,
-- and a write through it would land in phaseline's tables behind the
-- engine and the migration alike (the next re-derivation undoes it, or
-- verify cannot explain it). Writes go to the legacy tables until
-- contract, and to phaseline_api after.
CREATE OR REPLACE FUNCTION {{ compat_schema }}._compat_read_only() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'compat_view_read_only',
        MESSAGE = format('%I.%I is a read-only compatibility view (%s refused)', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP),
        DETAIL = 'It shows phaseline''s data in the legacy table''s shape.',
        HINT = 'Write the legacy table while the migration runs, and through phaseline_api after contract.';
END
$fn$;
REVOKE ALL ON FUNCTION {{ compat_schema }}._compat_read_only() FROM PUBLIC;
{% for v in ['users', 'report_attributes', 'sample_sets', 'sample_records'] + (phase_tables | map(attribute='table') | list) %}
CREATE OR REPLACE TRIGGER _read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON {{ compat_schema }}.{{ v | ident }}
    FOR EACH ROW EXECUTE FUNCTION {{ compat_schema }}._compat_read_only();
{%- endfor %}

GRANT SELECT ON {{ compat_schema }}.users, {{ compat_schema }}.report_attributes, {{ compat_schema }}.sample_sets,
      {{ compat_schema }}.sample_records
{%- for p in phase_tables %}, {{ compat_schema }}.{{ p.table | ident }}{% endfor %}
   TO {{ app_role }}, {{ readonly_role }};
