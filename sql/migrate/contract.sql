{% from 'migrate/_shapes.sql' import phase_tables %}
{#- Not applied by expand: `phaseline migrate-legacy contract` runs it, in one
    transaction, only after the last verify passed with no legacy write
    since (harness/migrate.py checks that under an exclusive lock on the
    legacy tables); --dry-run prints it. -#}
{%- set legacy_tables = ['sample_records', 'sample_sets', 'report_attributes'] + (phase_tables | map(attribute='table') | list) + ['users'] %}
-- migrate-legacy contract: the machinery schema goes whole (its functions,
-- and with them, by CASCADE, the sync triggers on the legacy tables), then
-- the legacy tables; the compatibility views (over phaseline), the
-- master-id map and the migration's records stay.
DROP SCHEMA {{ migration_schema }} CASCADE;
{% for t in legacy_tables %}
DROP TABLE {{ legacy_schema }}.{{ t | ident }};
{%- endfor %}

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
