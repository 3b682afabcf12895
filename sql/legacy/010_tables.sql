{% from 'migrate/_shapes.sql' import phase_tables %}
-- The legacy tables (docs/LEGACY.md), as a deployed instance of the ORM-era
-- application has them: a test fixture for migrate-legacy, never part of a
-- production deploy (harness.legacy_fixture creates it, with generated data).
--
-- sample_records.set_id keeps the foreign key of the original DDL. Real
-- databases still hold records whose set is gone (the key was added late,
-- or loaded with triggers off); the generator reproduces that by loading
-- with the key dropped and adding it back NOT VALID, so old orphans stay
-- and new writes are checked, as on such a database.

CREATE SCHEMA IF NOT EXISTS {{ legacy_schema }};

CREATE TABLE {{ legacy_schema }}.users (
    user_id   serial PRIMARY KEY,
    email     text,
    full_name text,
    role      text
);

-- custom versioning #1: attributes grouped by master_attribute_id
CREATE TABLE {{ legacy_schema }}.report_attributes (
    attribute_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    master_attribute_id uuid NOT NULL,
    version_number      integer NOT NULL,
    is_latest_version   boolean NOT NULL,
    cycle_id            uuid,
    report_id           uuid,
    attribute_name      text,
    data_type           text,
    description         text,
    is_primary_key      boolean,
    is_cde              boolean,
    is_scoped           boolean,
    approval_status     text,          -- 'pending' | 'approved' | 'rejected'
    approved_by         integer,
    approved_at         timestamptz,
    created_by          integer,
    created_at          timestamptz DEFAULT now()
);

-- custom versioning #2: whole sets versioned by master_set_id
CREATE TABLE {{ legacy_schema }}.sample_sets (
    set_id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    master_set_id    uuid NOT NULL,
    version_number   integer NOT NULL,
    is_latest        boolean NOT NULL,
    cycle_id         uuid,
    report_id        uuid,
    status           text,             -- 'draft' | 'pending_approval' | 'approved' | 'rejected'
    created_by       integer,
    created_at       timestamptz DEFAULT now(),
    submitted_at     timestamptz,
    approved_by      integer,
    approved_at      timestamptz,
    rejection_reason text
);

CREATE TABLE {{ legacy_schema }}.sample_records (
    record_id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    set_id            uuid CONSTRAINT sample_records_set_id_fkey REFERENCES {{ legacy_schema }}.sample_sets,
    sample_identifier text,
    sample_data       jsonb,
    created_at        timestamptz DEFAULT now()
);

-- one table per phase, same skeleton, different payload columns
{% for p in phase_tables %}
CREATE TABLE {{ legacy_schema }}.{{ p.table | ident }} (
    phase_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cycle_id     uuid,
    report_id    uuid,
    status       text,                 -- 'not_started' | 'in_progress' | 'completed'
    started_at   timestamptz,
    completed_at timestamptz
{%- for col, type in p.payload %},
    {{ col | ident }} {{ type }}
{%- endfor %}
);
{% endfor %}
