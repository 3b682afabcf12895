-- Indexes the backfill and the sync triggers need on the legacy tables
-- (docs/LEGACY.md: none beyond the primary keys): a batch reads whole
-- master groups and a set's records; a mirrored record write reads one
-- sample in each set of its master (set_id, sample_identifier). They
-- change no table's shape, keep legacy writes working, and go with the tables at contract. On a busy
-- database create them beforehand with CREATE INDEX CONCURRENTLY under the
-- same names; IF NOT EXISTS then keeps expand from building them again.

CREATE INDEX IF NOT EXISTS phaseline_mig_attributes_master
    ON {{ legacy_schema }}.report_attributes (master_attribute_id);
CREATE INDEX IF NOT EXISTS phaseline_mig_sets_master
    ON {{ legacy_schema }}.sample_sets (master_set_id);
CREATE INDEX IF NOT EXISTS phaseline_mig_records_set_sample
    ON {{ legacy_schema }}.sample_records (set_id, sample_identifier);
{% from 'migrate/_shapes.sql' import phase_tables %}
-- A phase key's rows, for a mirrored phase write.
{%- for p in phase_tables %}
CREATE INDEX IF NOT EXISTS {{ ('phaseline_mig_' ~ p.phase ~ '_key') | ident }}
    ON {{ legacy_schema }}.{{ p.table | ident }} (cycle_id, report_id);
{%- endfor %}
