-- Invariant 10: every insert and update on phaseline's tables lands in the
-- audit log with its actor. Statement-level triggers with transition tables:
-- a bulk write of a million rows pays one INSERT ... SELECT, not a million
-- trigger calls. Also attaches the no-delete guard to every audited table.

-- One statement each: queries over transition tables are planned afresh on
-- every call, so the fewer the better for single-row writes. The actor is
-- an uncorrelated subquery, evaluated once and only if there is a row: a
-- statement that changed nothing needs no actor. db_user is the database
-- role the session acts as (_session_role: the SET ROLE role of a pooler
-- or PostgREST, else the login), not the column's default session_user,
-- which names only the pooler.
CREATE OR REPLACE FUNCTION {{ schema }}._audit_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    -- TG_ARGV[0]: the primary key column, whose value becomes row_id
    INSERT INTO {{ schema }}.audit_log (actor, db_user, action, table_name, row_id, new_row)
    SELECT (SELECT {{ schema }}._actor()), (SELECT {{ schema }}._session_role()), 'INSERT', TG_TABLE_NAME, j ->> TG_ARGV[0], j
      FROM new_rows n CROSS JOIN LATERAL to_jsonb(n) AS j;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ schema }}._audit_update() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    -- Old and new rows pair up on the primary key, which the guards keep
    -- fixed; a FULL JOIN still records both halves should one ever differ.
    INSERT INTO {{ schema }}.audit_log (actor, db_user, action, table_name, row_id, old_row, new_row)
    SELECT (SELECT {{ schema }}._actor()), (SELECT {{ schema }}._session_role()), 'UPDATE', TG_TABLE_NAME, coalesce(n.j, o.j) ->> TG_ARGV[0], o.j, n.j
      FROM (SELECT to_jsonb(r) AS j FROM old_rows r) AS o
      FULL JOIN (SELECT to_jsonb(r) AS j FROM new_rows r) AS n ON (o.j ->> TG_ARGV[0]) = (n.j ->> TG_ARGV[0]);
    RETURN NULL;
END
$fn$;

{% macro audit(table, pk) %}
CREATE OR REPLACE TRIGGER _900_audit_insert AFTER INSERT ON {{ schema }}.{{ table | ident }}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._audit_insert({{ pk | literal }});
CREATE OR REPLACE TRIGGER _900_audit_update AFTER UPDATE ON {{ schema }}.{{ table | ident }}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._audit_update({{ pk | literal }});
{%- endmacro %}

-- Tables outside the versioning engine: audited, and never deleted from
-- (users are deactivated; the engine's tables get _100_no_delete from it).
{% for table, pk in [('users', 'user_id'), ('test_cycles', 'cycle_id'), ('reports', 'report_id'), ('cycle_reports', 'id'),
                     ('approved_artifacts', 'id'), ('workflow_phases', 'phase_name'), ('sample_decisions', 'id'),
                     ('user_db_roles', 'id')] %}
{{- audit(table, pk) }}
CREATE OR REPLACE TRIGGER _100_no_delete BEFORE DELETE OR TRUNCATE ON {{ schema }}.{{ table | ident }}
    FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._refuse_delete();
{% endfor %}
-- Every versioned entity of phaseline.toml.
{% for e in versioned %}
{{- audit(e.table_name, 'id') }}
{% endfor %}
-- The log itself: append-only, even for its owner (grants do not bind owners).
CREATE OR REPLACE TRIGGER _100_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {{ schema }}.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._refuse_audit_change();
