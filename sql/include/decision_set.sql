{#-
  The behaviour of a decision set (phaseline.toml [[decision_set]]), as one
  template: sample selection's rules and API (hand-written in 0.1.0's
  repeatable/130_sample_decisions.sql and 230_api_samples.sql) generalized. For a set `s`,
    rules(s)  its statement-level rule triggers over transition tables, four
              eyes on its versions, the before_approve hook "every item
              decided", its audit and comments (repeatable/135_decision_sets.sql);
    api(s)    its static functions _ds_<name>_start/_recommend/_decide/_carry/
              _lineage, which the generic API dispatches to
              (repeatable/235_api_decision_sets.sql).
  Static SQL per set, no dynamic SQL per row: the bulk paths are a handful of
  set-based statements, as for samples.

  Rule names are the same for every set (README "Decision sets"): the rules
  sample selection shares keep their names (four_eyes, pending_decisions,
  decision_window, version_not_draft, recommendation_shape, carried_lineage,
  carry_scope, immutable_column, version_frozen, illegal_transition,
  actor_mismatch, unknown_source, decisions_shape, decision_note_length,
  unknown_version); where samples' name says "sample" a set says "item":
  items_shape, duplicate_item_key, unknown_item_key, item_key_length,
  unknown_item, decision_items_references; and item_contract (23514) for
  data that breaks the set's item contract. A set's own functions and rules
  say its noun (phaseline.toml `noun`, render.py) instead: samples keeps
  duplicate_sample_key, unknown_sample_key, sample_decisions_references and
  takes its items keyed sample_key.
-#}

{#- A trigger function serving one table is _<table>_<what> (README "Layout"). -#}
{% macro trigger_fn(table, what) -%}
{{ schema }}.{{ ('_' ~ table ~ what) | ident }}
{%- endmacro %}

{% macro fn_name(s, suffix) -%}
{{ schema }}.{{ (s.fn ~ suffix) | ident }}
{%- endmacro %}

{#- Four eyes per item, raised alike by the rules trigger and by decide. -#}
{% macro raise_four_eyes(s, actor, count, version, bad) -%}
RAISE EXCEPTION USING
    ERRCODE = 'insufficient_privilege', CONSTRAINT = 'four_eyes',
    MESSAGE = format('user %s may not decide %s {{ s.label }} item(s) they recommended', {{ actor }}, {{ count }}),
    DETAIL = format('version id=%s, {{ s.item_key_name }}: %s', {{ version }}, left({{ bad }}, 1000)),
    HINT = 'Four eyes: another owner or admin must decide them.';
{%- endmacro %}

{#- The item contract, raised alike by the rules trigger and by decide. -#}
{% macro raise_item_contract(s, count, bad, contract) -%}
RAISE EXCEPTION USING
    ERRCODE = 'check_violation', CONSTRAINT = 'item_contract',
    MESSAGE = format('the data of %s {{ s.label }} item(s) breaks the set''s item contract', {{ count }}),
    DETAIL = left({{ bad }}, 1000),
    HINT = format('The contract: %s', {{ contract }});
{%- endmacro %}

{% macro rules(s) -%}
{%- set vt = schema ~ '.' ~ s.entity.table -%}
{%- set it = schema ~ '.' ~ s.items_table -%}
{%- set k = s.item_key -%}
{%- set data = s.item_data -%}
{%- set label = s.label -%}
-- ---------------------------------------------------------------------------
-- Decision set {{ s.name }}: versions {{ s.entity.table_name }}, items {{ s.items_name }}
-- ({{ s.item_key_name }}, {{ s.item_data_name }}).
-- ---------------------------------------------------------------------------

-- Recommenders of a version: everyone who put an item into it (carried items
-- are recommended by whoever started the version).
CREATE OR REPLACE FUNCTION {{ fn_name(s, '_recommenders') }}(p_version uuid) RETURNS integer[]
LANGUAGE sql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT coalesce(array_agg(DISTINCT d.recommended_by), '{}')
      FROM {{ it }} d WHERE d.version_id = p_version;
$fn$;

-- Modifiers of a version: deciders of a "modified" decision made in it.
CREATE OR REPLACE FUNCTION {{ fn_name(s, '_modifiers') }}(p_version uuid) RETURNS integer[]
LANGUAGE sql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT coalesce(array_agg(DISTINCT d.decided_by), '{}')
      FROM {{ it }} d
      LEFT JOIN {{ it }} s ON d.carried_from_decision_id = s.id
     WHERE d.version_id = p_version AND d.decision_status = 'modified'
       AND (s.id IS NULL OR (s.decided_by, s.decided_at, s.{{ data }}) IS DISTINCT FROM (d.decided_by, d.decided_at, d.{{ data }}));
$fn$;

-- Invariant 9 at the review of a version: the engine refuses its creator,
-- editors and submitter; this adds its recommenders and modifiers.
CREATE OR REPLACE FUNCTION {{ trigger_fn(s.entity.table_name, '_four_eyes_items') }}() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_actor integer;
    v_who   integer[];
BEGIN
    IF {{ schema }}._backfilling() OR NOT (OLD.version_status = 'pending_approval' AND NEW.version_status IN ('approved', 'rejected')) THEN
        RETURN NEW;
    END IF;
    v_actor := {{ schema }}._actor();
    v_who := {{ fn_name(s, '_recommenders') }}(NEW.id) || {{ fn_name(s, '_modifiers') }}(NEW.id);
    IF v_actor = ANY (v_who) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'four_eyes',
            MESSAGE = format('user %s may not review {{ label }} version %s: they recommended or modified items in it',
                             v_actor, NEW.version_number),
            DETAIL = format('cycle_id=%s, report_id=%s, id=%s; recommenders and modifiers: %s', NEW.cycle_id, NEW.report_id, NEW.id,
                            (SELECT string_agg(DISTINCT u::text, ', ') FROM unnest(v_who) AS u)),
            HINT = 'Four eyes: another owner or admin must approve or reject it.';
    END IF;
    RETURN NEW;
END
$fn$;
CREATE OR REPLACE TRIGGER _150_four_eyes_items BEFORE UPDATE ON {{ vt }}
    FOR EACH ROW EXECUTE FUNCTION {{ trigger_fn(s.entity.table_name, '_four_eyes_items') }}();

-- before_approve hook of the set's versions (render.py attaches it): every item decided.
CREATE OR REPLACE FUNCTION {{ fn_name(s, '_before_approve') }}(p_version {{ vt }}) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_count bigint;
    v_keys  text;
BEGIN
    SELECT count(*), string_agg(quote_literal(p.item_key), ', ' ORDER BY p.item_key)
      INTO v_count, v_keys
      FROM (SELECT d.{{ k }} AS item_key FROM {{ it }} d
             WHERE d.version_id = p_version.id AND d.decision_status = 'pending') AS p;
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'pending_decisions',
            MESSAGE = format('{{ label }} version %s still has %s pending decision(s)', p_version.version_number, v_count),
            DETAIL = format('version id=%s, {{ s.item_key_name }}: %s', p_version.id, left(v_keys, 1000)),
            HINT = 'Decide every item (decide_items) before approving the version.';
    END IF;
END
$fn$;

-- The rules of {{ s.items_name }}, per statement over transition tables.
-- JIT off: queries over transition tables are planned without statistics.
CREATE OR REPLACE FUNCTION {{ trigger_fn(s.items_name, '_rules_insert') }}() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp SET jit TO off AS $fn$
DECLARE
    v_actor    integer;
    v_stack    text;
    v_engine   boolean;
    v_bad      text;
    v_count    bigint;
    v_contract jsonb;
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    -- The engine's own carry (_ds_{{ s.name }}_carry), recognised as
    -- _engine_statement says; every other INSERT is checked in full.
    GET DIAGNOSTICS v_stack = PG_CONTEXT;
    v_engine := {{ schema }}._engine_statement(TG_RELID, v_stack, {{ (schema ~ '.' ~ (s.fn ~ '_carry') | ident ~ '(uuid,uuid,integer)') | literal }});
    IF NOT v_engine THEN
        SELECT count(*), string_agg(DISTINCT n.version_id::text, ', ')
          INTO v_count, v_bad
          FROM new_rows n
         WHERE NOT EXISTS (SELECT FROM {{ vt }} v WHERE v.id = n.version_id);
        PERFORM {{ schema }}._raise_dangling_items({{ s.rule_references | literal }}, {{ s.items_name | literal }}, '{{ label }} versions', v_count, format('version_id: %s', v_bad));
    END IF;
    IF {{ schema }}._backfilling() THEN
        SELECT count(*), string_agg(format('%L: user %s', n.{{ k }}, coalesce(ru.user_id::text, n.recommended_by::text)), ', ')
          INTO v_count, v_bad
          FROM new_rows n
          LEFT JOIN {{ schema }}.users ru ON n.recommended_by = ru.user_id
          LEFT JOIN {{ schema }}.users du ON n.decided_by = du.user_id
         WHERE ru.user_id IS NULL OR (n.decided_by IS NOT NULL AND du.user_id IS NULL);
        PERFORM {{ schema }}._raise_dangling_items({{ s.rule_references | literal }}, {{ s.items_name | literal }}, 'users', v_count, v_bad);
        SELECT count(*), string_agg(quote_literal(n.{{ k }}), ', ')
          INTO v_count, v_bad
          FROM new_rows n
          LEFT JOIN {{ it }} src
                 ON n.carried_from_decision_id = src.id AND n.carried_from_version_id = src.version_id
          LEFT JOIN {{ it }} origin ON n.origin_decision_id = origin.id
         WHERE n.carried_from_decision_id IS NOT NULL AND (src.id IS NULL OR origin.id IS NULL);
        PERFORM {{ schema }}._raise_dangling_items({{ s.rule_references | literal }}, {{ s.items_name | literal }}, 'a source or origin item', v_count, v_bad);
        RETURN NULL;
    END IF;
    v_actor := {{ schema }}._actor();
    IF NOT EXISTS (SELECT FROM {{ schema }}.users WHERE user_id = v_actor) THEN
        PERFORM {{ schema }}._raise_dangling_items({{ s.rule_references | literal }}, {{ s.items_name | literal }}, 'users', (SELECT count(*) FROM new_rows), format('acting user %s', v_actor));
    END IF;

    -- Only a draft takes new items (invariant 7; not for the engine). Lock
    -- first, read after, in two statements (see 130).
    IF NOT v_engine THEN
        PERFORM FROM {{ vt }} s
          WHERE s.id IN (SELECT DISTINCT n.version_id FROM new_rows n)
          ORDER BY s.id FOR SHARE;
        SELECT string_agg(format('version %s (id=%s) is %s', v.version_number, v.id, v.version_status), '; ')
          INTO v_bad
          FROM {{ vt }} v
         WHERE v.id IN (SELECT DISTINCT n.version_id FROM new_rows n) AND v.version_status <> 'draft';
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'version_not_draft',
                MESSAGE = '{{ s.noun }}s can be added only to a draft {{ label }}',
                DETAIL = v_bad,
                HINT = 'Start a new version with phaseline_api.start_decision_set, or withdraw the pending one.';
        END IF;
    END IF;
    -- Invariant 11: adding items is writing the version's content.
    PERFORM {{ schema }}._require_assigned(v_actor, v.cycle_id, v.report_id, 'add {{ s.noun }}s to a {{ label }}')
       FROM {{ vt }} v
      WHERE v.id IN (SELECT DISTINCT n.version_id FROM new_rows n);

    SELECT count(*), string_agg(quote_literal(n.{{ k }}), ', ' ORDER BY n.{{ k }})
      INTO v_count, v_bad
      FROM new_rows n
     WHERE n.recommended_by IS DISTINCT FROM v_actor
        OR (n.recommendation_source <> 'carried_forward' AND n.decision_status <> 'pending');
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'recommendation_shape',
            MESSAGE = format('%s new item(s) are not recommended by the acting user %s, or arrive already decided', v_count, v_actor),
            DETAIL = format('{{ s.item_key_name }}: %s', left(v_bad, 1000)),
            HINT = 'Insert new items pending, with recommended_by = the acting user; decide them with decide_items.';
    END IF;

    IF v_engine THEN
        RETURN NULL;
    END IF;
    -- The item contract, held as data (decision_sets.item_contract).
    SELECT c.item_contract INTO v_contract FROM {{ schema }}.decision_sets c WHERE c.set_name = {{ s.name | literal }};
    IF v_contract IS NOT NULL AND v_contract <> '{}' THEN
        SELECT count(*), string_agg(format('%L: %s', n.{{ k }}, array_to_string(p.problems, '; ')), ', ' ORDER BY n.{{ k }})
          INTO v_count, v_bad
          FROM new_rows n
         CROSS JOIN LATERAL (SELECT {{ schema }}._phase_data_problems(v_contract, n.{{ data }}, true) AS problems) p
         WHERE n.recommendation_source <> 'carried_forward' AND p.problems IS NOT NULL;
        IF v_count > 0 THEN
            RAISE EXCEPTION USING
                ERRCODE = 'check_violation', CONSTRAINT = 'item_contract',
                MESSAGE = format('the data of %s {{ label }} item(s) breaks the set''s item contract', v_count),
                DETAIL = left(v_bad, 1000),
                HINT = format('The contract: %s', v_contract);
        END IF;
    END IF;
    -- Carried rows copy their source (not for the engine, which reads exactly these).
    SELECT count(*), string_agg(quote_literal(n.{{ k }}), ', ' ORDER BY n.{{ k }})
      INTO v_count, v_bad
      FROM new_rows n
      INNER JOIN {{ vt }} tv ON n.version_id = tv.id
      LEFT JOIN {{ it }} src ON n.carried_from_decision_id = src.id
      LEFT JOIN {{ vt }} fv ON src.version_id = fv.id
     WHERE n.recommendation_source = 'carried_forward'
       AND (src.id IS NULL
            OR src.version_id IS DISTINCT FROM n.carried_from_version_id
            OR src.{{ k }} <> n.{{ k }}
            OR src.decision_status NOT IN ('approved', 'modified')
            OR (src.decision_status, src.decided_by, src.decided_at, src.decision_note, src.{{ data }})
               IS DISTINCT FROM (n.decision_status, n.decided_by, n.decided_at, n.decision_note, n.{{ data }})
            OR n.origin_decision_id IS DISTINCT FROM coalesce(src.origin_decision_id, src.id)
            OR (fv.cycle_id, fv.report_id) IS DISTINCT FROM (tv.cycle_id, tv.report_id)
            OR fv.version_number >= tv.version_number);
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'carried_lineage',
            MESSAGE = format('%s carried item(s) do not match the item they claim to come from', v_count),
            DETAIL = format('{{ s.item_key_name }}: %s', left(v_bad, 1000)),
            HINT = 'Carry items with phaseline_api.carry_items_forward.';
    END IF;
    RETURN NULL;
END
$fn$;

-- One pass over the pairs of old and new rows counts, per version, what each
-- rule refuses (one join of the transition tables, where a join per rule was
-- a fifth of a 100k decide); only a rule that counted something reads the
-- pairs again, to name the items.
CREATE OR REPLACE FUNCTION {{ trigger_fn(s.items_name, '_rules_update') }}() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp SET jit TO off AS $fn$
DECLARE
    v_actor     integer;
    v_bad       text;
    v_count     bigint;
    v_version   record;
    v_contract  jsonb;
    v_ids       uuid[];
    v_moved     bigint[];
    v_paired    bigint;
    v_changed   bigint[];
    v_draft_bad bigint[];
    v_illegal   bigint[];
    v_own       bigint[];
    v_mismatch  bigint[];
    v_broken    bigint;
    v_stack     text;
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    -- The engine's own decide (_ds_{{ s.name }}_decide), recognised as
    -- _engine_statement says, has made every check below itself or made it
    -- redundant by its static UPDATE, under its exclusive lock of the version:
    -- version pending approval, reviewer (so a user), statuses other than
    -- pending, data only with "modified", decided_by and decided_at its own,
    -- nothing else set; four eyes per item and the item contract from its
    -- RETURNING. Every other UPDATE, the owner's included, is checked in full.
    GET DIAGNOSTICS v_stack = PG_CONTEXT;
    IF {{ schema }}._engine_statement(TG_RELID, v_stack, {{ (schema ~ '.' ~ (s.fn ~ '_decide') | ident ~ '(uuid,jsonb,integer)') | literal }}) THEN
        RETURN NULL;
    END IF;
    IF {{ schema }}._backfilling() THEN
        SELECT count(*), string_agg(format('%L: user %s', n.{{ k }}, n.decided_by), ', ')
          INTO v_count, v_bad
          FROM new_rows n
         WHERE n.decided_by IS NOT NULL
           AND NOT EXISTS (SELECT FROM {{ schema }}.users u WHERE u.user_id = n.decided_by);
        PERFORM {{ schema }}._raise_dangling_items({{ s.rule_references | literal }}, {{ s.items_name | literal }}, 'users', v_count, v_bad);
        RETURN NULL;
    END IF;
    v_actor := {{ schema }}._actor();
    IF NOT EXISTS (SELECT FROM {{ schema }}.users WHERE user_id = v_actor) THEN
        PERFORM {{ schema }}._raise_dangling_items({{ s.rule_references | literal }}, {{ s.items_name | literal }}, 'users', (SELECT count(*) FROM new_rows), format('acting user %s', v_actor));
    END IF;
    SELECT nullif(c.item_contract, '{}') INTO v_contract FROM {{ schema }}.decision_sets c WHERE c.set_name = {{ s.name | literal }};

    SELECT array_agg(x.version_id ORDER BY x.version_id), array_agg(x.moved ORDER BY x.version_id), sum(x.paired),
           array_agg(x.changed ORDER BY x.version_id), array_agg(x.draft_bad ORDER BY x.version_id),
           array_agg(x.illegal ORDER BY x.version_id), array_agg(x.own ORDER BY x.version_id),
           array_agg(x.mismatch ORDER BY x.version_id), sum(x.broken)
      INTO v_ids, v_moved, v_paired, v_changed, v_draft_bad, v_illegal, v_own, v_mismatch, v_broken
      FROM (SELECT n.version_id, count(*) AS paired,
                   count(*) FILTER (WHERE p.moved) AS moved,
                   count(*) FILTER (WHERE p.decision OR p.data) AS changed,
                   count(*) FILTER (WHERE p.decision OR (o.decision_status <> 'pending' AND p.data)) AS draft_bad,
                   count(*) FILTER (WHERE (n.decision_status = 'pending' AND o.decision_status <> 'pending')
                                       OR (p.data AND n.decision_status <> 'modified')) AS illegal,
                   count(*) FILTER (WHERE (p.decision OR p.data)
                                      AND (n.recommended_by = v_actor
                                           OR (n.origin_decision_id IS NOT NULL
                                               AND EXISTS (SELECT FROM {{ it }} g WHERE g.id = n.origin_decision_id AND g.recommended_by = v_actor)))) AS own,
                   count(*) FILTER (WHERE (p.decision OR p.data)
                                      AND (n.decided_by IS DISTINCT FROM v_actor OR n.decided_at IS DISTINCT FROM now())) AS mismatch,
                   count(*) FILTER (WHERE v_contract IS NOT NULL AND p.data
                                      AND {{ schema }}._phase_data_problems(v_contract, n.{{ data }}, true) IS NOT NULL) AS broken
              FROM old_rows o INNER JOIN new_rows n USING (id)
             CROSS JOIN LATERAL (
                   SELECT (o.version_id, o.{{ k }}, o.recommendation_source, o.recommended_by, o.recommended_at,
                           o.carried_from_version_id, o.carried_from_decision_id, o.origin_decision_id)
                          IS DISTINCT FROM
                          (n.version_id, n.{{ k }}, n.recommendation_source, n.recommended_by, n.recommended_at,
                           n.carried_from_version_id, n.carried_from_decision_id, n.origin_decision_id) AS moved,
                          (o.decision_status, o.decided_by, o.decided_at, o.decision_note)
                          IS DISTINCT FROM (n.decision_status, n.decided_by, n.decided_at, n.decision_note) AS decision,
                          o.{{ data }} IS DISTINCT FROM n.{{ data }} AS data) AS p
             GROUP BY n.version_id) AS x;

    -- Who an item is and where it came from never changes.
    IF (SELECT sum(m) FROM unnest(v_moved) AS m) > 0 OR (SELECT count(*) FROM new_rows) <> coalesce(v_paired, 0) THEN
        SELECT count(*), string_agg(quote_literal(x.item_key), ', ' ORDER BY x.item_key)
          INTO v_count, v_bad
          FROM (SELECT o.{{ k }} AS item_key
                  FROM old_rows o INNER JOIN new_rows n USING (id)
                 WHERE (o.version_id, o.{{ k }}, o.recommendation_source, o.recommended_by, o.recommended_at,
                        o.carried_from_version_id, o.carried_from_decision_id, o.origin_decision_id)
                       IS DISTINCT FROM
                       (n.version_id, n.{{ k }}, n.recommendation_source, n.recommended_by, n.recommended_at,
                        n.carried_from_version_id, n.carried_from_decision_id, n.origin_decision_id)) AS x;
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'immutable_column',
            MESSAGE = format('the identity, recommendation and lineage of %s {{ label }} item(s) cannot change', v_count),
            DETAIL = format('{{ s.item_key_name }}: %s', left(v_bad, 1000)),
            HINT = 'Only the item data (while draft) and the decision (while pending approval) change.';
    END IF;

    -- The item contract holds for edited and modified data too.
    IF v_broken > 0 THEN
        SELECT count(*), string_agg(format('%L: %s', n.{{ k }}, array_to_string(p.problems, '; ')), ', ' ORDER BY n.{{ k }})
          INTO v_count, v_bad
          FROM old_rows o INNER JOIN new_rows n USING (id)
         CROSS JOIN LATERAL (SELECT {{ schema }}._phase_data_problems(v_contract, n.{{ data }}, true) AS problems) p
         WHERE n.{{ data }} IS DISTINCT FROM o.{{ data }} AND p.problems IS NOT NULL;
        {{ raise_item_contract(s, 'v_count', 'v_bad', 'v_contract') | indent(8) }}
    END IF;

    FOR i IN 1 .. coalesce(cardinality(v_ids), 0) LOOP
        SELECT s.* INTO v_version FROM {{ vt }} s WHERE s.id = v_ids[i] FOR SHARE;
        IF NOT FOUND THEN
            CONTINUE;
        END IF;
        IF v_version.version_status = 'draft' THEN
            IF v_draft_bad[i] > 0 THEN
                SELECT count(*), string_agg(quote_literal(o.{{ k }}), ', ' ORDER BY o.{{ k }})
                  INTO v_count, v_bad
                  FROM old_rows o INNER JOIN new_rows n USING (id)
                 WHERE n.version_id = v_version.id
                   AND ((o.decision_status, o.decided_by, o.decided_at, o.decision_note)
                        IS DISTINCT FROM (n.decision_status, n.decided_by, n.decided_at, n.decision_note)
                        OR (o.decision_status <> 'pending' AND o.{{ data }} IS DISTINCT FROM n.{{ data }}));
                RAISE EXCEPTION USING
                    ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'decision_window',
                    MESSAGE = format('{{ label }} version %s is a draft: items are not decided in it, and decided ones keep their data',
                                     v_version.version_number),
                    DETAIL = format('version id=%s, {{ s.item_key_name }}: %s', v_version.id, left(v_bad, 1000)),
                    HINT = 'Submit the version; the report owner decides (or modifies) while it is pending approval.';
            END IF;
            IF v_changed[i] > 0 THEN
                PERFORM {{ schema }}._require_assigned(v_actor, v_version.cycle_id, v_version.report_id, 'edit the {{ s.noun }}s of a {{ label }}');
            END IF;
        ELSIF v_version.version_status = 'pending_approval' THEN
            IF v_illegal[i] > 0 THEN
                SELECT count(*), string_agg(quote_literal(n.{{ k }}), ', ' ORDER BY n.{{ k }})
                  INTO v_count, v_bad
                  FROM old_rows o INNER JOIN new_rows n USING (id)
                 WHERE n.version_id = v_version.id
                   AND (   (n.decision_status = 'pending' AND o.decision_status <> 'pending')
                        OR (n.{{ data }} IS DISTINCT FROM o.{{ data }} AND n.decision_status <> 'modified'));
                RAISE EXCEPTION USING
                    ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'illegal_transition',
                    MESSAGE = format('%s {{ label }} item(s) of version %s go back to pending or change data without "modified"', v_count, v_version.version_number),
                    DETAIL = format('version id=%s, {{ s.item_key_name }}: %s', v_version.id, left(v_bad, 1000)),
                    HINT = 'Decide approved, rejected or modified; new item data comes with "modified".';
            END IF;

            IF v_changed[i] > 0 THEN
                PERFORM {{ schema }}._check_reviewer(v_actor, v_version.report_id,
                            ARRAY[v_version.created_by, v_version.submitted_by] || v_version.contributors,
                            format('{{ s.noun }}s of {{ label }} version %s (cycle_id=%s, report_id=%s)',
                                   v_version.version_number, v_version.cycle_id, v_version.report_id));

                IF v_own[i] > 0 THEN
                    SELECT count(*), string_agg(quote_literal(n.{{ k }}), ', ' ORDER BY n.{{ k }})
                      INTO v_count, v_bad
                      FROM old_rows o INNER JOIN new_rows n USING (id)
                      LEFT JOIN {{ it }} origin ON n.origin_decision_id = origin.id
                     WHERE n.version_id = v_version.id
                       AND (o.decision_status, o.decided_by, o.decided_at, o.decision_note, o.{{ data }})
                           IS DISTINCT FROM (n.decision_status, n.decided_by, n.decided_at, n.decision_note, n.{{ data }})
                       AND (n.recommended_by = v_actor OR origin.recommended_by = v_actor);
                    {{ raise_four_eyes(s, 'v_actor', 'v_count', 'v_version.id', 'v_bad') | indent(20) }}
                END IF;

                IF v_mismatch[i] > 0 THEN
                    SELECT count(*), string_agg(quote_literal(n.{{ k }}), ', ' ORDER BY n.{{ k }})
                      INTO v_count, v_bad
                      FROM old_rows o INNER JOIN new_rows n USING (id)
                     WHERE n.version_id = v_version.id
                       AND (o.decision_status, o.decided_by, o.decided_at, o.decision_note, o.{{ data }})
                           IS DISTINCT FROM (n.decision_status, n.decided_by, n.decided_at, n.decision_note, n.{{ data }})
                       AND (n.decided_by IS DISTINCT FROM v_actor OR n.decided_at IS DISTINCT FROM now());
                    RAISE EXCEPTION USING
                        ERRCODE = 'insufficient_privilege', CONSTRAINT = 'actor_mismatch',
                        MESSAGE = format('%s decision(s) are not recorded as made by the acting user %s now', v_count, v_actor),
                        DETAIL = format('version id=%s, {{ s.item_key_name }}: %s', v_version.id, left(v_bad, 1000)),
                        HINT = 'Set decided_by to the acting user and decided_at to now(), or use decide_items.';
                END IF;
            END IF;
        ELSE
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'version_frozen',
                MESSAGE = format('{{ label }} version %s is %s: its items cannot change', v_version.version_number, v_version.version_status),
                DETAIL = format('version id=%s, cycle_id=%s, report_id=%s', v_version.id, v_version.cycle_id, v_version.report_id),
                HINT = 'Start a new version; approved and modified items are carried forward into it.';
        END IF;
    END LOOP;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER _200_rules_insert AFTER INSERT ON {{ it }}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{ trigger_fn(s.items_name, '_rules_insert') }}();
CREATE OR REPLACE TRIGGER _200_rules_update AFTER UPDATE ON {{ it }}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{ trigger_fn(s.items_name, '_rules_update') }}();
-- Invariant 8: items are never deleted.
CREATE OR REPLACE TRIGGER _100_no_delete BEFORE DELETE OR TRUNCATE ON {{ it }}
    FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._tg_no_delete();

-- Audit (invariant 10), as for sample_decisions: one event per statement and
-- version, the rows as an array, updates with the old values of what changed.
{%- set mutable = [s.item_data_name, 'decision_status', 'decided_by', 'decided_at', 'decision_note'] %}
{%- set fixed = ['id', 'version_id', s.item_key_name, 'recommendation_source', 'recommended_by', 'recommended_at',
                 'carried_from_version_id', 'carried_from_decision_id', 'origin_decision_id'] %}
{#- (o.a, o.b, ...): a row of the given columns of one side of the join -#}
{%- macro row_of(side, cols) %}({% for c in cols %}{{ side }}.{{ c | ident }}{{ ", " if not loop.last }}{% endfor %}){% endmacro %}
{#- the old value of each of cols that changed, as one JSON object -#}
{%- macro changed(cols) -%}
jsonb_build_object({% for c in cols %}{{ c | literal }}, o.{{ c | ident }}{{ ", " if not loop.last }}{% endfor %})
                   - ARRAY[{% for c in cols %}CASE WHEN o.{{ c | ident }} IS NOT DISTINCT FROM n.{{ c | ident }} THEN {{ c | literal }} END{{ ", " if not loop.last }}{% endfor %}]
{%- endmacro %}
-- The delta is static when only what a decision or an edit changes did
-- change (the rules refuse anything else outside a backfill), as in 110.
-- A first decision of a pending item that keeps its data has one of two
-- constant deltas (the CHECK decided_iff_not_pending makes decided_by and
-- decided_at null before and set after; the note was null or not): the rows
-- of each constant share one event whose old_values is that one object
-- (090_audit_events.sql), so a 100k decide aggregates JSON only for the items
-- it modified, where one array of 100k objects was a third of the call.
-- No whole-row reference (to_jsonb(o)), though a backfill may change any
-- column: it makes the join carry both rows as composites. The delta of a
-- modified item is built from the mutable columns, and from the fixed ones
-- only when one of them changed (a backfill): half the cost of building all
-- fourteen and deleting the unchanged. array_agg then one to_jsonb, not
-- jsonb_agg, which re-encodes every object it adds.
-- Hashing, not sorting: the transition tables are estimated, not analyzed;
-- on the estimates the planner sorted both sides on disk for a merge join
-- and the join's 100k rows again for the grouping, at twice the cost.
-- work_mem 32MB: the join's hash of a 100k decide's rows takes 18 MB; at the
-- default 4MB the join went to four batches in temporary files, which cost
-- the audit about 7 points of the call (bench row 7c: 1.15x to 1.08x of the
-- call without audit). Only this statement gets it; a larger one still
-- batches, within the same bound.
CREATE OR REPLACE FUNCTION {{ trigger_fn(s.items_name, '_audit_update') }}() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp SET jit TO off SET enable_mergejoin TO off SET enable_sort TO off
SET work_mem TO '32MB' AS $fn$
BEGIN
    INSERT INTO {{ schema }}.audit_events (actor, db_user, action, table_name, row_key, row_ids, old_values)
    SELECT (SELECT {{ schema }}._actor()), (SELECT {{ schema }}._session_role()), 'UPDATE', {{ s.items_name | literal }}, x.version_id::text, array_agg(x.id),
           CASE x.shared
                WHEN 1 THEN '{"decided_at": null, "decided_by": null, "decision_status": "pending"}'::jsonb
                WHEN 2 THEN '{"decided_at": null, "decided_by": null, "decision_note": null, "decision_status": "pending"}'::jsonb
                ELSE to_jsonb(array_agg(x.delta) FILTER (WHERE x.shared = 0)) END  -- the FILTER spares the shared rows their delta
      FROM (SELECT n.version_id, n.id,
                   CASE WHEN {{ row_of('o', fixed) }} IS NOT DISTINCT FROM {{ row_of('n', fixed) }}
                         AND o.decision_status = 'pending' AND n.decision_status <> 'pending' AND o.decision_note IS NULL
                         AND o.{{ data }} IS NOT DISTINCT FROM n.{{ data }}
                        THEN CASE WHEN n.decision_note IS NULL THEN 1 ELSE 2 END
                        ELSE 0 END AS shared,
                   -- every column that changed: outside a backfill, only mutable ones can
                   {{ changed(mutable) }}
                   || CASE WHEN {{ row_of('o', fixed) }} IS NOT DISTINCT FROM {{ row_of('n', fixed) }} THEN '{}'::jsonb
                           ELSE {{ changed(fixed) }} END AS delta
              FROM old_rows o INNER JOIN new_rows n ON o.id = n.id) AS x
     GROUP BY x.version_id, x.shared;
    RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER _900_audit_insert AFTER INSERT ON {{ it }}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._tg_audit_insert();
CREATE OR REPLACE TRIGGER _900_audit_update AFTER UPDATE ON {{ it }}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{ trigger_fn(s.items_name, '_audit_update') }}();

{% set c = schema ~ '.' ~ s.items_table ~ '.' -%}
COMMENT ON COLUMN {{ c }}id IS 'The item''s id.';
COMMENT ON COLUMN {{ c }}version_id IS {{ ('The ' ~ label ~ ' version (' ~ s.entity.table_name ~ '.id) the item belongs to; checked per statement, not by a foreign key.') | literal }};
COMMENT ON COLUMN {{ c }}{{ k }} IS 'The item''s identifier, unique within its version, not blank; its identity across versions. Byte order (COLLATE "C").';
COMMENT ON COLUMN {{ c }}{{ data }} IS 'The item''s data, a JSON object meeting the set''s item contract: as recommended (editable while draft and pending), or as replaced by a "modified" decision.';
COMMENT ON COLUMN {{ c }}recommendation_source IS 'Who recommended it: tester, llm, manual, or carried_forward for an item carried from the previous version.';
COMMENT ON COLUMN {{ c }}recommended_by IS 'users.user_id of who recommended it (for a carried item, the acting user who carried it); checked per statement.';
COMMENT ON COLUMN {{ c }}recommended_at IS 'When it was recommended (or carried).';
COMMENT ON COLUMN {{ c }}decision_status IS 'pending, approved, rejected or modified (approved with new data). Decided only while the version is pending approval; carried items keep their decision.';
COMMENT ON COLUMN {{ c }}decided_by IS 'users.user_id of the reviewer who decided it; null exactly while pending; checked per statement.';
COMMENT ON COLUMN {{ c }}decided_at IS 'When it was decided; null exactly while pending.';
COMMENT ON COLUMN {{ c }}decision_note IS 'The reviewer''s note on the decision, if any.';
COMMENT ON COLUMN {{ c }}carried_from_version_id IS 'The version of carried_from_decision_id; set exactly on carried items.';
COMMENT ON COLUMN {{ c }}carried_from_decision_id IS 'The item this one was carried from; set exactly on carried items.';
COMMENT ON COLUMN {{ c }}origin_decision_id IS 'The first item of this item''s chain of carries (null: this one is the origin); checked on insert.';
{%- endmacro %}


{#- The carry's INSERT ... SELECT of p_from's approved and modified items
    into p_to; skip_present adds the anti-join on keys p_to has already. -#}
{% macro carry_insert(it, k, data, skip_present) -%}
INSERT INTO {{ it }}
           (version_id, {{ k }}, {{ data }}, recommendation_source, recommended_by, recommended_at,
            decision_status, decided_by, decided_at, decision_note,
            carried_from_version_id, carried_from_decision_id, origin_decision_id)
    SELECT p_to, d.{{ k }}, d.{{ data }}, 'carried_forward', p_actor, now(),
           d.decision_status, d.decided_by, d.decided_at, d.decision_note,
           d.version_id, d.id, coalesce(d.origin_decision_id, d.id)
      FROM {{ it }} d
     WHERE d.version_id = p_from AND d.decision_status IN ('approved', 'modified')
{%- if skip_present %}
       AND NOT EXISTS (SELECT FROM {{ it }} t WHERE t.version_id = p_to AND t.{{ k }} = d.{{ k }})
{%- endif %};
{%- endmacro %}

{% macro api(s) -%}
{%- set vt = schema ~ '.' ~ s.entity.table -%}
{%- set it = schema ~ '.' ~ s.items_table -%}
{%- set k = s.item_key -%}
{%- set data = s.item_data -%}
{%- set label = s.label -%}
-- ---------------------------------------------------------------------------
-- Decision set {{ s.name }}: the static functions the generic API dispatches to.
-- ---------------------------------------------------------------------------

-- The version row, locked FOR UPDATE: the writers of one version's items
-- (recommend, carry, decide) take turns, so their checks see each other and
-- their row locks cannot interleave, and submit and approval wait meanwhile.
DROP FUNCTION IF EXISTS {{ fn_name(s, '_lock') }}(uuid, boolean);  -- before deciders took turns too
CREATE OR REPLACE FUNCTION {{ fn_name(s, '_lock') }}(p_version uuid) RETURNS {{ vt }}
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_row {{ vt }};
BEGIN
    SELECT * INTO v_row FROM {{ vt }} WHERE id = p_version FOR UPDATE;
    IF v_row.id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
            MESSAGE = format('{{ label }} version %s does not exist', coalesce(p_version::text, 'null')),
            HINT = 'Start one with phaseline_api.start_decision_set.';
    END IF;
    RETURN v_row;
END
$fn$;

-- Items are added only to a draft.
CREATE OR REPLACE FUNCTION {{ fn_name(s, '_require_draft') }}(p_version {{ vt }}) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF p_version.version_status <> 'draft' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'version_not_draft',
            MESSAGE = format('{{ label }} version %s is %s: items are added only to a draft', p_version.version_number, p_version.version_status),
            DETAIL = format('version id=%s, cycle_id=%s, report_id=%s', p_version.id, p_version.cycle_id, p_version.report_id),
            HINT = 'Start a new version with start_decision_set.';
    END IF;
END
$fn$;

-- Copy the approved and modified items of p_from into p_to, once: a key
-- already in p_to (carried before, or recommended) is skipped, so a second
-- run carries nothing. The anti-join is exact because every caller holds
-- p_to's row lock (FOR UPDATE, or p_to was created in this transaction), so
-- no other carry or recommend into p_to runs meanwhile; a direct writer
-- racing it gets the unique index's 23505. (An anti-join instead of ON
-- CONFLICT DO NOTHING: plain inserts skip speculative insertion, which
-- matters at a million rows.) The rules trigger recognises this function's
-- INSERTs (_engine_statement) and skips the checks its callers made.
CREATE OR REPLACE FUNCTION {{ fn_name(s, '_carry') }}(p_from uuid, p_to uuid, p_actor integer) RETURNS integer
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_count integer;
BEGIN
    -- Into an empty version (_start's, always) there is nothing to skip, and
    -- no anti-join is planned at all. That is not only cheaper: right after
    -- a bulk recommend or decide the statistics do not know p_from's rows
    -- yet, and the planner, expecting one row, probed p_to's index by
    -- version only and filtered on the key, rescanning for every carried row
    -- the entries this very statement had added (quadratic: a 200k carry ran
    -- for minutes). (min() of the key: always one descent of the
    -- (version_id, key) index. An EXISTS was planned as a Seq Scan that
    -- stops at the first match, expecting many rows per version, and read
    -- the whole table when there was none.)
    IF (SELECT min(t.{{ k }}) FROM {{ it }} t WHERE t.version_id = p_to) IS NULL THEN
        {{ carry_insert(it, k, data, false) | indent(4) }}
        GET DIAGNOSTICS v_count = ROW_COUNT;
        RETURN v_count;
    END IF;
    {{ carry_insert(it, k, data, true) }}
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$fn$;

-- A new draft version; the approved and modified items of its parent are carried into it.
CREATE OR REPLACE FUNCTION {{ fn_name(s, '_start') }}(p_cycle uuid, p_report uuid, p_actor integer) RETURNS uuid
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_id     uuid;
    v_parent uuid;
BEGIN
    PERFORM {{ schema }}._require_assigned(p_actor, p_cycle, p_report, 'start a {{ label }}');  -- unknown_cycle_report first
    INSERT INTO {{ vt }} (cycle_id, report_id)
    VALUES (p_cycle, p_report)
    RETURNING id, parent_version_id INTO v_id, v_parent;
    IF v_parent IS NOT NULL THEN
        PERFORM {{ fn_name(s, '_carry') }}(v_parent, v_id, p_actor);
    END IF;
    RETURN v_id;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ fn_name(s, '_carry_into') }}(p_from_version uuid, p_to_version uuid, p_actor integer) RETURNS integer
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_to   {{ vt }};
    v_from {{ vt }};
BEGIN
    v_to := {{ fn_name(s, '_lock') }}(p_to_version);
    SELECT * INTO v_from FROM {{ vt }} WHERE id = p_from_version;
    IF v_from.id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
            MESSAGE = format('{{ label }} version %s does not exist', coalesce(p_from_version::text, 'null')),
            HINT = 'Pass the parent of the version items are carried into.';
    END IF;
    PERFORM {{ schema }}._require_assigned(p_actor, v_to.cycle_id, v_to.report_id, 'carry {{ s.noun }}s into a {{ label }}');
    PERFORM {{ fn_name(s, '_require_draft') }}(v_to);
    IF v_to.parent_version_id IS DISTINCT FROM v_from.id THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'carry_scope',
            MESSAGE = format('items are carried into {{ label }} version %s only from its parent, version %s',
                             v_to.version_number, v_to.version_number - 1),
            DETAIL = format('from version %s (cycle_id=%s, report_id=%s), to version %s (cycle_id=%s, report_id=%s)',
                            v_from.version_number, v_from.cycle_id, v_from.report_id,
                            v_to.version_number, v_to.cycle_id, v_to.report_id),
            HINT = 'Carry from the version the target was started after.';
    END IF;
    RETURN {{ fn_name(s, '_carry') }}(p_from_version, p_to_version, p_actor);
END
$fn$;

-- p_items: [{"{{ s.json_key }}": "...", "data": {...}}, ...], shape checked by the caller (recommend_items{{ ', recommend_samples' if s.name == 'samples' }}).
CREATE OR REPLACE FUNCTION {{ fn_name(s, '_recommend') }}(p_version uuid, p_items jsonb, p_source {{ schema }}.recommendation_source, p_actor integer) RETURNS integer
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_version {{ vt }};
    v_bad     text;
    v_count   integer;
BEGIN
    v_version := {{ fn_name(s, '_lock') }}(p_version);
    PERFORM {{ schema }}._require_assigned(p_actor, v_version.cycle_id, v_version.report_id, 'recommend {{ s.noun }}s for a {{ label }}');
    PERFORM {{ fn_name(s, '_require_draft') }}(v_version);
    BEGIN
        INSERT INTO {{ it }} (version_id, {{ k }}, {{ data }}, recommendation_source, recommended_by)
        SELECT p_version, i.{{ s.json_key | ident }}, coalesce(i.data, '{}'), p_source, p_actor
          FROM jsonb_to_recordset(p_items) AS i ({{ s.json_key | ident }} text, data jsonb);
        GET DIAGNOSTICS v_count = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
        PERFORM {{ schema }}._refuse_repeated_items(p_items, 'p_items', {{ s.json_key | literal }}, {{ s.noun | literal }});
        SELECT string_agg(format('%L (%s)', d.{{ k }}, d.recommendation_source), ', ' ORDER BY d.{{ k }}) INTO v_bad
          FROM jsonb_array_elements(p_items) AS e
          INNER JOIN {{ it }} d ON d.version_id = p_version AND d.{{ k }} = e.value ->> {{ s.json_key | literal }};
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'invalid_parameter_value', CONSTRAINT = {{ s.rule_duplicate_key | literal }},
                MESSAGE = format('{{ label }} version %s already holds some of these {{ s.noun }}s', v_version.version_number),
                DETAIL = format('{{ s.item_key_name }}: %s', left(v_bad, 1000)),
                HINT = 'Carried items keep their decision; recommend only items not in the version yet.';
        END IF;
        RAISE;
    END;
    RETURN v_count;
END
$fn$;

-- p_decisions: [{"{{ s.json_key }}": "...", "status": "...", "note": "...", "data": {...}}], shape checked by decide_items{{ ' and decide_samples' if s.name == 'samples' }}.
CREATE OR REPLACE FUNCTION {{ fn_name(s, '_decide') }}(p_version uuid, p_decisions jsonb, p_actor integer) RETURNS integer
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_version  {{ vt }};
    v_bad      text;
    v_count    integer;
    v_own      integer;
    v_broken   integer;
    v_contract jsonb;
BEGIN
    -- Exclusive: deciders of one version take turns. Each UPDATE then locks
    -- its rows with no other decider holding any of them, so two deciders
    -- with overlapping lists cannot deadlock, without a locking pass in key
    -- order first (which cost a sixth of a 100k-decision call).
    v_version := {{ fn_name(s, '_lock') }}(p_version);
    IF v_version.version_status <> 'pending_approval' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'decision_window',
            MESSAGE = format('{{ label }} version %s is %s: items are decided only while it is pending approval',
                             v_version.version_number, v_version.version_status),
            DETAIL = format('version id=%s', v_version.id),
            HINT = 'Submit the version first (submit_version).';
    END IF;
    PERFORM {{ schema }}._check_reviewer(p_actor, v_version.report_id,
                ARRAY[v_version.created_by, v_version.submitted_by] || v_version.contributors,
                format('{{ s.noun }}s of {{ label }} version %s (cycle_id=%s, report_id=%s)',
                       v_version.version_number, v_version.cycle_id, v_version.report_id));
    SELECT nullif(c.item_contract, '{}') INTO v_contract FROM {{ schema }}.decision_sets c WHERE c.set_name = {{ s.name | literal }};
    -- The rules trigger skips this statement (_engine_statement): what it
    -- would check per item, four eyes and the contract of modified data, the
    -- RETURNING answers, from the rows as written.
    WITH written AS (
        UPDATE {{ it }} AS d
           SET decision_status = i.status::{{ schema }}.decision_status,
               decided_by      = p_actor,
               decided_at      = now(),
               decision_note   = i.note,
               {{ data }}      = CASE WHEN i.status = 'modified' THEN i.data ELSE d.{{ data }} END
          FROM jsonb_to_recordset(p_decisions) AS i ({{ s.json_key | ident }} text, status text, note text, data jsonb)
         WHERE d.version_id = p_version AND d.{{ k }} = i.{{ s.json_key | ident }}
     RETURNING d.{{ k }} AS item_key,
               d.recommended_by = p_actor
               OR (d.origin_decision_id IS NOT NULL
                   AND EXISTS (SELECT FROM {{ it }} g WHERE g.id = d.origin_decision_id AND g.recommended_by = p_actor)) AS own,
               CASE WHEN v_contract IS NOT NULL AND i.status = 'modified'
                    THEN {{ schema }}._phase_data_problems(v_contract, d.{{ data }}, true) END AS problems
    )
    SELECT count(*), count(*) FILTER (WHERE w.own), count(*) FILTER (WHERE w.problems IS NOT NULL)
      INTO v_count, v_own, v_broken
      FROM written w;
    IF v_own > 0 THEN
        SELECT string_agg(quote_literal(d.{{ k }}), ', ' ORDER BY d.{{ k }}) INTO v_bad
          FROM {{ it }} d
          LEFT JOIN {{ it }} origin ON d.origin_decision_id = origin.id
         WHERE d.version_id = p_version AND d.decided_by = p_actor AND d.decided_at = now()
           AND (d.recommended_by = p_actor OR origin.recommended_by = p_actor);
        {{ raise_four_eyes(s, 'p_actor', 'v_own', 'v_version.id', 'v_bad') | indent(8) }}
    END IF;
    IF v_broken > 0 THEN
        SELECT string_agg(format('%L: %s', d.{{ k }}, array_to_string({{ schema }}._phase_data_problems(v_contract, d.{{ data }}, true), '; ')), ', ' ORDER BY d.{{ k }})
          INTO v_bad
          FROM {{ it }} d
         WHERE d.version_id = p_version AND d.decision_status = 'modified' AND d.decided_by = p_actor AND d.decided_at = now()
           AND {{ schema }}._phase_data_problems(v_contract, d.{{ data }}, true) IS NOT NULL;
        {{ raise_item_contract(s, 'v_broken', 'v_bad', 'v_contract') | indent(8) }}
    END IF;
    IF v_count <> jsonb_array_length(p_decisions) THEN
        PERFORM {{ schema }}._refuse_repeated_items(p_decisions, 'p_decisions', {{ s.json_key | literal }}, {{ s.noun | literal }});
        SELECT string_agg(quote_literal(e.value ->> {{ s.json_key | literal }}), ', ' ORDER BY e.value ->> {{ s.json_key | literal }}) INTO v_bad
          FROM jsonb_array_elements(p_decisions) AS e
         WHERE NOT EXISTS (SELECT FROM {{ it }} d
                            WHERE d.version_id = p_version AND d.{{ k }} = e.value ->> {{ s.json_key | literal }});
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = {{ s.rule_unknown_key | literal }},
            MESSAGE = format('{{ label }} version %s has no such {{ s.noun }}(s)', v_version.version_number),
            DETAIL = format('{{ s.item_key_name }}: %s', left(v_bad, 1000)),
            HINT = 'Decide items that were recommended or carried into this version.';
    END IF;
    RETURN v_count;
END
$fn$;
{%- endmacro %}
