{% from 'migrate/_shapes.sql' import phase_tables %}
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
-- Deletes re-derive their groups like any write: phaseline never deletes
-- (invariant 8), so a migrated row whose legacy row is gone becomes a
-- blocking deleted_in_legacy defect of its group, which clears when the row
-- is put back, or turns non-blocking when a DBA accepts the deletion
-- (accept_defect; docs/MIGRATION.md).
--
-- The functions are SECURITY DEFINER: the legacy application's role writes
-- the legacy tables but has no rights on phaseline's (nor should it). The
-- engine's triggers then see a session that is not phaseline's owner; the
-- mirror registers its transaction in mirrors, which is what lets
-- _backfilling() stand the engine aside for it (and for nobody else).
--
-- READ COMMITTED writers are mirrored in place: each statement of the mirror
-- sees what is committed once the group lock is held. A REPEATABLE READ or
-- SERIALIZABLE writer would derive from its older snapshot and fail, or
-- write stale rows, where a backfill batch committed since; its groups go
-- to sync_queue instead, and the next backfill run places them.

CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_sync_begin() RETURNS text[]
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_prev text[] := ARRAY[current_setting('phaseline.backfill', true), current_setting('phaseline.actor', true),
                           current_setting('phaseline.legacy_sync', true)];
BEGIN
    INSERT INTO {{ migration_schema }}.mirrors (backend_pid, xact)
    VALUES (pg_backend_pid(), pg_current_xact_id())
    ON CONFLICT DO NOTHING;
    PERFORM set_config('phaseline.backfill', 'on', true);
    PERFORM set_config('phaseline.legacy_sync', 'on', true);
    RETURN v_prev;
END
$fn$;

-- Hand the writer's transaction back as it was: the engine bypass must not
-- outlive the mirror.
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_sync_end(p_prev text[]) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    DELETE FROM {{ migration_schema }}.mirrors WHERE backend_pid = pg_backend_pid() AND xact = pg_current_xact_id();
    PERFORM set_config('phaseline.backfill', coalesce(p_prev[1], ''), true);
    PERFORM set_config('phaseline.actor', coalesce(p_prev[2], ''), true);
    PERFORM set_config('phaseline.legacy_sync', coalesce(p_prev[3], ''), true);
END
$fn$;

-- Whether this legacy statement is mirrored now (READ COMMITTED) or queued.
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_sync_in_place() RETURNS boolean
LANGUAGE sql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT current_setting('transaction_isolation') = 'read committed';
$fn$;

-- Orphan defects for these records, when their set is missing.
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_sync_orphans(p_ids uuid[]) RETURNS void
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
    the variables groups.vars declares; apply re-derives them; queue puts
    them in sync_queue instead. -#}
{% macro sync_function(name, legacy_table, groups, apply, queue) %}
{%- for op, rows, referencing in [('insert', 'new_rows', 'NEW TABLE AS new_rows'),
                                  ('update', '(SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows)', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'),
                                  ('delete', 'old_rows', 'OLD TABLE AS old_rows')] %}
{%- set fn = migration_schema ~ '.' ~ ('_mig_sync_' ~ name ~ '_' ~ op) | ident %}
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
    INSERT INTO {{ compat_schema }}.migration_sync_journal (legacy_table, operation, row_count)
    VALUES (TG_TABLE_NAME, TG_OP, v_count);
    IF NOT {{ migration_schema }}._mig_sync_in_place() THEN
        {{ queue | replace('@why', "format('%s at %s', TG_OP, current_setting('transaction_isolation'))") }}
        RETURN NULL;
    END IF;
    v_prev := {{ migration_schema }}._mig_sync_begin();
    {{ apply }}
    PERFORM {{ migration_schema }}._mig_sync_end(v_prev);
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION {{ fn }}() FROM PUBLIC;
CREATE OR REPLACE TRIGGER {{ ('_mig_sync_' ~ op) | ident }} AFTER {{ op | upper }} ON {{ legacy_schema }}.{{ legacy_table | ident }}
    REFERENCING {{ referencing }} FOR EACH STATEMENT EXECUTE FUNCTION {{ fn }}();
{% endfor %}
{%- endmacro %}

{%- set q = migration_schema ~ '.sync_queue' %}
{{ sync_function('users', 'users',
    {'vars': ['v_groups integer[]'],
     'sql': 'SELECT array_agg(DISTINCT r.user_id) INTO v_groups FROM @rows r;'},
    'PERFORM ' ~ migration_schema ~ '._mig_apply_users(v_groups);',
    'INSERT INTO ' ~ q ~ ' (legacy_table, group_kind, group_key, why) SELECT TG_TABLE_NAME, \'users\', ARRAY[g::text], @why FROM unnest(v_groups) AS g;') }}

{{ sync_function('report_attributes', 'report_attributes',
    {'vars': ['v_groups uuid[]'],
     'sql': 'SELECT array_agg(DISTINCT r.master_attribute_id) INTO v_groups FROM @rows r;'},
    'PERFORM ' ~ migration_schema ~ '._mig_apply_attributes(v_groups);',
    'INSERT INTO ' ~ q ~ ' (legacy_table, group_kind, group_key, why) SELECT TG_TABLE_NAME, \'attribute_masters\', ARRAY[g::text], @why FROM unnest(v_groups) AS g;') }}

{#- A set's own row changed: its versions, and the decisions of the sets
    the statement touched (status, reviewer and creator are each record's). -#}
{{ sync_function('sample_sets', 'sample_sets',
    {'vars': ['v_groups uuid[]', 'v_sets uuid[]'],
     'sql': 'SELECT array_agg(DISTINCT r.master_set_id), array_agg(DISTINCT r.set_id) INTO v_groups, v_sets FROM @rows r;'},
    'PERFORM ' ~ migration_schema ~ '._mig_apply_sample_sets(v_groups, \'{}\'::text[], v_sets);',
    'INSERT INTO ' ~ q ~ ' (legacy_table, group_kind, group_key, why) SELECT TG_TABLE_NAME, \'set_masters\', ARRAY[g::text], @why FROM unnest(v_groups) AS g;') }}

{#- Records: only the samples the statement touched, in every version of
    their master (lineage runs along a sample), so a write costs the same
    in a set of ten records as in one of a million. -#}
{{ sync_function('sample_records', 'sample_records',
    {'vars': ['v_groups uuid[]', 'v_more uuid[]', 'v_samples text[]'],
     'sql': 'SELECT array_agg(DISTINCT s.master_set_id) FILTER (WHERE s.master_set_id IS NOT NULL), array_agg(DISTINCT r.record_id) FILTER (WHERE s.set_id IS NULL), array_agg(DISTINCT r.sample_identifier) FILTER (WHERE s.set_id IS NOT NULL) INTO v_groups, v_more, v_samples FROM @rows r LEFT JOIN ' ~ legacy_schema ~ '.sample_sets s ON s.set_id = r.set_id;'},
    'IF v_groups IS NOT NULL THEN PERFORM ' ~ migration_schema ~ '._mig_apply_sample_sets(v_groups, v_samples, \'{}\'::uuid[]); END IF;
    IF v_more IS NOT NULL THEN PERFORM ' ~ migration_schema ~ '._mig_sync_orphans(v_more); END IF;',
    'INSERT INTO ' ~ q ~ ' (legacy_table, group_kind, group_key, samples, why) SELECT TG_TABLE_NAME, \'set_masters\', ARRAY[g::text], v_samples, @why FROM unnest(v_groups) AS g;
        INSERT INTO ' ~ q ~ ' (legacy_table, group_kind, group_key, why) SELECT TG_TABLE_NAME, \'orphans\', v_more::text[], @why WHERE v_more IS NOT NULL;') }}

{% for p in phase_tables %}
{{ sync_function(p.table, p.table,
    {'vars': ['v_groups uuid[]', 'v_more uuid[]', 'v_third text[]'],
     'sql': 'SELECT array_agg(r.cycle_id ORDER BY r.cycle_id, r.report_id), array_agg(r.report_id ORDER BY r.cycle_id, r.report_id), array_agg(' ~ (p.phase | literal) ~ '::text) INTO v_groups, v_more, v_third FROM (SELECT DISTINCT cycle_id, report_id FROM @rows x WHERE x.cycle_id IS NOT NULL AND x.report_id IS NOT NULL) r;'},
    'IF v_groups IS NOT NULL THEN PERFORM ' ~ migration_schema ~ '._mig_apply_phase_data(v_groups, v_more, v_third); END IF;',
    'INSERT INTO ' ~ q ~ ' (legacy_table, group_kind, group_key, why) SELECT TG_TABLE_NAME, \'phase_keys\', ARRAY[c::text, r::text, ph], @why FROM unnest(v_groups, v_more, v_third) AS x(c, r, ph);') }}
{% endfor %}
