{% import 'include/decision_set.sql' as ds with context -%}
-- The rules of every decision set of phaseline.toml and its extensions
-- (include/decision_set.sql), samples included: statement-level triggers
-- over transition tables, four eyes on the versions, "every item decided"
-- before approval, and the audit of the items.
--
-- Locking: each check first takes FOR SHARE on the versions the statement
-- touched. A status change of a version (submit, withdraw, approve) updates
-- that row and so waits for these share locks until the writer commits, and
-- the status read under the lock is the committed one. That makes "insert
-- only into a draft" and "decide only while pending" race-free.

-- A set's items refer to versions, users and other items without per-row
-- foreign keys (see once/060); this names the ones that do not exist.
-- p_rule: the set's references rule (decision_items_references, or
-- sample_decisions_references for samples).
DROP FUNCTION IF EXISTS {{ schema }}._raise_dangling_items(text, text, bigint, text);  -- before the rule was the set's
CREATE OR REPLACE FUNCTION {{ schema }}._raise_dangling_items(p_rule text, p_table text, p_what text, p_count bigint, p_values text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF p_count > 0 THEN
        CASE p_rule
{%- for rule in decision_sets | map(attribute='rule_references') | unique | sort %}
        WHEN {{ rule | literal }} THEN
            RAISE EXCEPTION USING
                ERRCODE = 'foreign_key_violation', CONSTRAINT = {{ rule | literal }},
                MESSAGE = format('%s item(s) of %s refer to %s that do(es) not exist', p_count, p_table, p_what),
                DETAIL = left(p_values, 1000),
                HINT = 'Refer to existing users, and carry items with phaseline_api.carry_items_forward.';
{%- endfor %}
        END CASE;
    END IF;
END
$fn$;

-- Every set's items are audited per statement (see 110_audit.sql): one INSERT
-- event per statement and version, listing its rows.
CREATE OR REPLACE FUNCTION {{ schema }}._tg_audit_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp SET jit TO off AS $fn$
BEGIN
    INSERT INTO {{ schema }}.audit_events (actor, db_user, action, table_name, row_key, row_ids)
    SELECT (SELECT {{ schema }}._actor()), (SELECT {{ schema }}._session_role()), 'INSERT', TG_TABLE_NAME, n.version_id::text, array_agg(n.id)
      FROM new_rows n
     GROUP BY n.version_id;
    RETURN NULL;
END
$fn$;
{% for s in decision_sets %}

{{ ds.rules(s) }}
{%- endfor %}
