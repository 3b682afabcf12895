{% from 'legacy/_shapes.sql' import phase_tables %}
{#- Not applied by expand: `phaseline migrate-legacy contract` runs it, in one
    transaction, only after the last verify passed with no legacy write
    since (harness/migrate.py checks that under an exclusive lock on the
    legacy tables); --dry-run prints it. -#}
{%- set legacy_tables = ['sample_records', 'sample_sets', 'report_attributes'] + (phase_tables | map(attribute='table') | list) + ['users'] %}
{%- set sync_functions = ['users', 'report_attributes', 'sample_sets', 'sample_records'] + (phase_tables | map(attribute='table') | list) %}
-- migrate-legacy contract: the sync triggers, the legacy tables and the
-- migration functions that read them go; the compatibility views (over
-- phaseline), the master-id map and the migration's records stay.
{% for t in legacy_tables %}
DROP TRIGGER _mig_sync_insert ON {{ legacy_schema }}.{{ t | ident }};
DROP TRIGGER _mig_sync_update ON {{ legacy_schema }}.{{ t | ident }};
DROP TRIGGER _mig_sync_delete ON {{ legacy_schema }}.{{ t | ident }};
{%- endfor %}

DROP VIEW {{ compat_schema }}._mig_legacy_phases;
{% for t in legacy_tables %}
DROP TABLE {{ legacy_schema }}.{{ t | ident }};
{%- endfor %}
{% for name in sync_functions %}{% for op in ['insert', 'update', 'delete'] %}
DROP FUNCTION {{ compat_schema }}.{{ ('_mig_sync_' ~ name ~ '_' ~ op) | ident }}();
{%- endfor %}{% endfor %}
DROP FUNCTION {{ compat_schema }}._mig_sync_begin();
DROP FUNCTION {{ compat_schema }}._mig_sync_end(text[]);
DROP FUNCTION {{ compat_schema }}._mig_sync_orphans(uuid[]);
DROP FUNCTION {{ compat_schema }}._mig_backfill_batch(text, integer);
DROP FUNCTION {{ compat_schema }}._mig_backfill_restart();
DROP FUNCTION {{ compat_schema }}._mig_backfill_analyze(text);
DROP FUNCTION {{ compat_schema }}._mig_verify();
DROP FUNCTION {{ compat_schema }}._mig_apply_users(integer[]);
DROP FUNCTION {{ compat_schema }}._mig_ensure_users(integer[]);
DROP FUNCTION {{ compat_schema }}._mig_apply_reference(uuid[], uuid[]);
DROP FUNCTION {{ compat_schema }}._mig_ensure_reference(uuid[], uuid[]);
DROP FUNCTION {{ compat_schema }}._mig_apply_attributes(uuid[]);
DROP FUNCTION {{ compat_schema }}._mig_apply_sample_sets(uuid[]);
DROP FUNCTION {{ compat_schema }}._mig_apply_phase_data(uuid[], uuid[], text[]);
DROP FUNCTION {{ compat_schema }}._mig_apply_orphans(uuid, uuid);
DROP FUNCTION {{ compat_schema }}._mig_apply_keyless_phases();
DROP FUNCTION {{ compat_schema }}._mig_lock(integer, text[]);
DROP FUNCTION {{ compat_schema }}._mig_defects_begin();
DROP FUNCTION {{ compat_schema }}._mig_defects_commit(text[], text[]);
DROP FUNCTION {{ compat_schema }}._mig_role(text);
DROP FUNCTION {{ compat_schema }}._mig_slot({{ schema }}.version_status);
DROP FUNCTION {{ compat_schema }}._mig_user();

UPDATE {{ compat_schema }}.migration_state SET contracted_at = now();

-- The legacy schema goes too when nothing else lives in it.
DO $contract$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_class WHERE relnamespace = {{ legacy_schema_name | literal }}::regnamespace)
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_proc WHERE pronamespace = {{ legacy_schema_name | literal }}::regnamespace)
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_type WHERE typnamespace = {{ legacy_schema_name | literal }}::regnamespace) THEN
        EXECUTE format('DROP SCHEMA %I', {{ legacy_schema_name | literal }});
    END IF;
END
$contract$;
