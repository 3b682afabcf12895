{% from 'legacy/_shapes.sql' import phase_tables %}
-- migrate-legacy sync: while the legacy tables live, every insert, update
-- and delete on them is mirrored into phaseline in the same transaction.
-- Statement-level AFTER triggers with transition tables: the groups the
-- statement touched (users, masters, phase keys) are re-derived from the
-- legacy rows as they now are, by the functions the backfill uses, so a
-- mirrored write and a backfilled one are the same write. The legacy row
-- itself is never changed: legacy writes work exactly as before.
--
-- Guard: phaseline.legacy_sync is on while a mirror runs, and the triggers
-- stand aside when it is, so nothing the migration writes (today it writes
-- no legacy table; a reverse sync would) echoes back into a second mirror.
--
-- Deletes are not mirrored (phaseline never deletes versions, decisions or
-- users, invariant 8): a deleted row that phaseline holds becomes a
-- blocking defect, and verify fails until someone decides what it means.
--
-- The functions are SECURITY DEFINER: the legacy application's role writes
-- the legacy tables but has no rights on phaseline's (nor should it).

CREATE OR REPLACE FUNCTION {{ compat_schema }}._mig_sync_begin() RETURNS text[]
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_prev text[] := ARRAY[current_setting('phaseline.backfill', true), current_setting('phaseline.actor', true),
                           current_setting('phaseline.legacy_sync', true)];
BEGIN
    PERFORM set_config('phaseline.backfill', 'on', true);
    PERFORM set_config('phaseline.legacy_sync', 'on', true);
    RETURN v_prev;
END
$fn$;

-- Hand the writer's transaction back as it was: the engine bypass must not
-- outlive the mirror.
CREATE OR REPLACE FUNCTION {{ compat_schema }}._mig_sync_end(p_prev text[]) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM set_config('phaseline.backfill', coalesce(p_prev[1], ''), true);
    PERFORM set_config('phaseline.actor', coalesce(p_prev[2], ''), true);
    PERFORM set_config('phaseline.legacy_sync', coalesce(p_prev[3], ''), true);
END
$fn$;

-- Orphan defects for these records, when their set is missing.
CREATE OR REPLACE FUNCTION {{ compat_schema }}._mig_sync_orphans(p_ids uuid[]) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    INSERT INTO {{ compat_schema }}.migration_defects AS d (legacy_table, legacy_id, kind, group_id, absent, detail)
    SELECT 'sample_records', r.record_id::text, 'orphan_record', 'orphans', true,
           jsonb_build_object('row', to_jsonb(r), 'why', 'its set_id names no sample set: there is no version to place it in; the row is kept here')
      FROM {{ legacy_schema }}.sample_records r
     WHERE r.record_id = ANY (p_ids)
       AND (r.set_id IS NULL OR NOT EXISTS (SELECT FROM {{ legacy_schema }}.sample_sets s WHERE s.set_id = r.set_id))
    ON CONFLICT (legacy_table, legacy_id, kind) DO UPDATE SET detail = EXCLUDED.detail
     WHERE d.detail IS DISTINCT FROM EXCLUDED.detail;
END
$fn$;

{#- One trigger function per table and operation, each reading only the
    transition tables its trigger has (so each can be planned and checked
    on its own). groups.sql selects the statement's groups from @rows INTO
    the variables groups.vars declares; apply re-derives them. -#}
{% macro sync_function(name, legacy_table, id_col, phaseline_table, groups, apply) %}
{%- for op, rows, referencing in [('insert', 'new_rows', 'NEW TABLE AS new_rows'),
                                  ('update', '(SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows)', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'),
                                  ('delete', 'old_rows', 'OLD TABLE AS old_rows')] %}
{%- set fn = compat_schema ~ '.' ~ ('_mig_sync_' ~ name ~ '_' ~ op) | ident %}
CREATE OR REPLACE FUNCTION {{ fn }}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp
-- its temp tables come and go; their notices are no business of the caller's
SET client_min_messages TO warning
-- small statements over temp tables: compiling them costs more than it saves
SET jit TO off AS $fn$
DECLARE
    v_prev   text[];
    v_count  bigint;
{%- for v in groups.vars %}
    {{ v }};
{%- endfor %}
BEGIN
    IF current_setting('phaseline.legacy_sync', true) = 'on' THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO v_count FROM {{ 'old_rows' if op == 'delete' else 'new_rows' }};
    IF v_count = 0 THEN
        RETURN NULL;
    END IF;
    {{ groups.sql | replace('@rows', rows) }}
    v_prev := {{ compat_schema }}._mig_sync_begin();
{%- if op == 'delete' %}
    INSERT INTO {{ compat_schema }}.migration_defects AS d (legacy_table, legacy_id, kind, group_id, blocking, detail)
    SELECT TG_TABLE_NAME, o.{{ id_col }}::text, 'deleted_in_legacy', 'deleted', true,
           jsonb_build_object('row', to_jsonb(o), 'why', 'deleted from the legacy table after it was migrated; phaseline keeps it')
      FROM old_rows o
     WHERE EXISTS (SELECT FROM {{ schema }}.{{ phaseline_table }} p WHERE p.{{ 'user_id' if phaseline_table == 'users' else 'id' }} = o.{{ id_col }})
    ON CONFLICT (legacy_table, legacy_id, kind) DO UPDATE SET detail = EXCLUDED.detail;
{%- endif %}
    {{ apply }}
    INSERT INTO {{ compat_schema }}.migration_sync_journal (legacy_table, operation, row_count)
    VALUES (TG_TABLE_NAME, TG_OP, v_count);
    PERFORM {{ compat_schema }}._mig_sync_end(v_prev);
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION {{ fn }}() FROM PUBLIC;
CREATE OR REPLACE TRIGGER {{ ('_mig_sync_' ~ op) | ident }} AFTER {{ op | upper }} ON {{ legacy_schema }}.{{ legacy_table | ident }}
    REFERENCING {{ referencing }} FOR EACH STATEMENT EXECUTE FUNCTION {{ fn }}();
{% endfor %}
{%- endmacro %}

{{ sync_function('users', 'users', 'user_id', 'users',
    {'vars': ['v_groups integer[]'],
     'sql': 'SELECT array_agg(DISTINCT r.user_id) INTO v_groups FROM @rows r;'},
    'PERFORM ' ~ compat_schema ~ '._mig_apply_users(v_groups);') }}

{{ sync_function('report_attributes', 'report_attributes', 'attribute_id', 'report_attributes',
    {'vars': ['v_groups uuid[]'],
     'sql': 'SELECT array_agg(DISTINCT r.master_attribute_id) INTO v_groups FROM @rows r;'},
    'PERFORM ' ~ compat_schema ~ '._mig_apply_attributes(v_groups);') }}

{{ sync_function('sample_sets', 'sample_sets', 'set_id', 'sample_selection_versions',
    {'vars': ['v_groups uuid[]'],
     'sql': 'SELECT array_agg(DISTINCT r.master_set_id) INTO v_groups FROM @rows r;'},
    'PERFORM ' ~ compat_schema ~ '._mig_apply_sample_sets(v_groups);') }}

{{ sync_function('sample_records', 'sample_records', 'record_id', 'sample_decisions',
    {'vars': ['v_groups uuid[]', 'v_more uuid[]'],
     'sql': 'SELECT array_agg(DISTINCT s.master_set_id) FILTER (WHERE s.master_set_id IS NOT NULL), array_agg(DISTINCT r.record_id) FILTER (WHERE s.set_id IS NULL) INTO v_groups, v_more FROM @rows r LEFT JOIN ' ~ legacy_schema ~ '.sample_sets s ON s.set_id = r.set_id;'},
    'IF v_groups IS NOT NULL THEN PERFORM ' ~ compat_schema ~ '._mig_apply_sample_sets(v_groups); END IF;
    IF v_more IS NOT NULL THEN PERFORM ' ~ compat_schema ~ '._mig_sync_orphans(v_more); END IF;') }}

{% for p in phase_tables %}
{{ sync_function(p.table, p.table, 'phase_id', 'workflow_phase_data',
    {'vars': ['v_groups uuid[]', 'v_more uuid[]', 'v_third text[]'],
     'sql': 'SELECT array_agg(r.cycle_id ORDER BY r.cycle_id, r.report_id), array_agg(r.report_id ORDER BY r.cycle_id, r.report_id), array_agg(' ~ (p.phase | literal) ~ '::text) INTO v_groups, v_more, v_third FROM (SELECT DISTINCT cycle_id, report_id FROM @rows x WHERE x.cycle_id IS NOT NULL AND x.report_id IS NOT NULL) r;'},
    'IF v_groups IS NOT NULL THEN PERFORM ' ~ compat_schema ~ '._mig_apply_phase_data(v_groups, v_more, v_third); END IF;') }}
{% endfor %}
