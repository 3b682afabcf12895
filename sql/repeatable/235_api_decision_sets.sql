{% import 'include/decision_set.sql' as ds with context -%}
-- API: decision sets, sample selection generalized (DESIGN.md "Decision
-- sets"). Every set of phaseline.toml and its extensions gets its static
-- functions from include/decision_set.sql; the generic calls below check
-- their arguments once, find the set (by name, or by a primary-key probe of
-- each set's versions table for a version id) and call the set's function:
-- no dynamic SQL, and the bulk paths are the set's few set-based statements.
-- samples' own API (230_api_samples.sql) calls the same functions.

{#- The items or decisions p_arg of the generic API, keyed as set s's functions take them (<noun>_key). -#}
{% macro keyed(s, p_arg) -%}
{%- if s.json_key == 'item_key' -%}
{{ p_arg }}
{%- else -%}
(SELECT jsonb_agg((e.x - 'item_key') || jsonb_build_object({{ s.json_key | literal }}, e.x -> 'item_key') ORDER BY e.i)
               FROM jsonb_array_elements({{ p_arg }}) WITH ORDINALITY AS e (x, i))
{%- endif %}
{%- endmacro %}

-- The declared sets, for callers and for the rules (the item contracts).
INSERT INTO {{ schema }}.decision_sets AS d (set_name, entity, versions_table, items_table, item_key, item_data, item_contract)
VALUES
{%- for s in decision_sets %}
    ({{ s.name | literal }}, {{ s.entity.entity | literal }}, {{ s.entity.table_name | literal }}, {{ s.items_name | literal }},
     {{ s.item_key_name | literal }}, {{ s.item_data_name | literal }}, {{ s.contract_json | literal }}){{ "," if not loop.last }}
{%- endfor %}
ON CONFLICT (set_name) DO UPDATE
    SET entity = excluded.entity, versions_table = excluded.versions_table, items_table = excluded.items_table,
        item_key = excluded.item_key, item_data = excluded.item_data, item_contract = excluded.item_contract
    WHERE (d.entity, d.versions_table, d.items_table, d.item_key, d.item_data, d.item_contract)
          IS DISTINCT FROM (excluded.entity, excluded.versions_table, excluded.items_table, excluded.item_key, excluded.item_data, excluded.item_contract);

-- Limits of the items of p_items and p_decisions, after their shape was
-- checked, for every set (the sample functions call it too): each
-- <noun>_key within its length (22001 item_key_length, sample_key_length for
-- samples), each note within its length (22001 decision_note_length), each
-- data object within max_json_bytes (22023 json_too_large). p_noun: what the
-- caller's JSON calls an item ("item", or "sample"). Messages show only a
-- prefix of the offending value.
DROP FUNCTION IF EXISTS {{ schema }}._check_decision_items(jsonb);  -- before it took the noun
CREATE OR REPLACE FUNCTION {{ schema }}._check_decision_items(p_items jsonb, p_noun text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_key    text := p_noun || '_key';
    v_item   jsonb;
    v_i      integer;
    v_msg    text;
    v_detail text;
    v_hint   text;
BEGIN
    SELECT e.x, e.i - 1 INTO v_item, v_i FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e (x, i)
     WHERE char_length(e.x ->> v_key) > {{ schema }}._text_limit('sample_key') ORDER BY e.i LIMIT 1;
    IF FOUND THEN
        v_msg := format('%s #%s is %s characters long; at most %s are allowed', v_key, v_i,
                        char_length(v_item ->> v_key), {{ schema }}._text_limit('sample_key'));
        v_detail := format('%s starts with: %s', v_key, quote_literal({{ schema }}._prefix(v_item ->> v_key)));
        v_hint := format('A %s key is an identifier; keep descriptions in the data.', p_noun);
        IF p_noun = 'sample' THEN  -- the samples' own name, as in release 0.1.0
            RAISE EXCEPTION USING ERRCODE = 'string_data_right_truncation', CONSTRAINT = 'sample_key_length',
                MESSAGE = v_msg, DETAIL = v_detail, HINT = v_hint;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'string_data_right_truncation', CONSTRAINT = 'item_key_length',
            MESSAGE = v_msg, DETAIL = v_detail, HINT = v_hint;
    END IF;
    SELECT e.x, e.i - 1 INTO v_item, v_i FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e (x, i)
     WHERE char_length(e.x ->> 'note') > {{ schema }}._text_limit('decision_note') ORDER BY e.i LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'string_data_right_truncation', CONSTRAINT = 'decision_note_length',
            MESSAGE = format('the note of decision #%s is %s characters long; at most %s are allowed', v_i,
                             char_length(v_item ->> 'note'), {{ schema }}._text_limit('decision_note')),
            DETAIL = format('%s: %s; note starts with: %s', v_key, quote_literal({{ schema }}._prefix(v_item ->> v_key)),
                            quote_literal({{ schema }}._prefix(v_item ->> 'note'))),
            HINT = 'Shorten the note.';
    END IF;
    SELECT e.x, e.i - 1 INTO v_item, v_i FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e (x, i)
     WHERE pg_column_size(e.x -> 'data') > {{ schema }}._max_json_bytes() ORDER BY e.i LIMIT 1;
    IF FOUND THEN
        PERFORM {{ schema }}._check_json_size(v_item -> 'data', format('the data of %s #%s', p_noun, v_i));
    END IF;
END
$fn$;

-- The arguments of a recommend call, for every set (the sample functions
-- call it with their noun, "sample", and keep release 0.1.0's rule name
-- samples_shape): p_source one of tester, llm, manual (22023
-- unknown_source); p_items a JSON array of {"<noun>_key": "<non-blank>",
-- "data": {object}} and nothing else (22023 items_shape); then their limits.
CREATE OR REPLACE FUNCTION {{ schema }}._check_recommendation(p_items jsonb, p_source text, p_arg text, p_noun text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_key  text := p_noun || '_key';
    v_rule text := CASE p_noun WHEN 'sample' THEN 'samples_shape' ELSE 'items_shape' END;
    v_bad  text;
    v_long boolean;
    v_key_max  integer := {{ schema }}._text_limit('sample_key');
    v_note_max integer := {{ schema }}._text_limit('decision_note');
    v_data_max integer := {{ schema }}._max_json_bytes();
    v_msg  text;
    v_hint text;
BEGIN
    IF p_source IS NULL OR p_source NOT IN ('tester', 'llm', 'manual') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'unknown_source',
            MESSAGE = format('%s is not a recommendation source for new %ss',
                             coalesce(quote_literal({{ schema }}._prefix(p_source)), 'null'), p_noun),
            DETAIL = 'sources: tester, llm, manual',
            HINT = CASE p_noun WHEN 'sample' THEN 'carried_forward rows come from carry_forward and start_sample_selection.'
                               ELSE 'carried_forward items come from carry_items_forward and start_decision_set.' END;
    END IF;
    PERFORM {{ schema }}._require_json_array(p_items, p_arg, v_rule, format('Pass [{"%s": "...", "data": {...}}, ...].', v_key));
    SELECT string_agg(format('#%s %s', e.i - 1, {{ schema }}._prefix(left(e.x::text, 41))), '; ' ORDER BY e.i)
               FILTER (WHERE jsonb_typeof(e.x) <> 'object'
                          OR jsonb_typeof(e.x -> v_key) IS DISTINCT FROM 'string'
                          -- a key with an ASCII letter or digit is not blank: only the others pay _is_blank's call
                          OR ((e.x ->> v_key) !~ '[0-9A-Za-z]' AND {{ schema }}._is_blank(e.x ->> v_key))
                          OR (e.x ? 'data' AND jsonb_typeof(e.x -> 'data') <> 'object')
                          OR (e.x - ARRAY[v_key, 'data']) <> '{}'),  -- no other keys (cheaper than listing them per element)
           -- the limits _check_decision_items names, in this pass (a pass each cost more)
           bool_or(char_length(e.x ->> v_key) > v_key_max OR char_length(e.x ->> 'note') > v_note_max
                   OR pg_column_size(e.x -> 'data') > v_data_max)
      INTO v_bad, v_long
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e (x, i);
    IF v_bad IS NOT NULL THEN
        v_msg := format('some %ss are not {"%s": "<non-empty string>", "data": {object}}', p_noun, v_key);
        v_hint := format('Each element needs %s %s; data is optional and an object; no other keys.',
                         CASE WHEN p_noun ~ '^[aeiou]' THEN 'an' ELSE 'a' END, v_key);
        IF p_noun = 'sample' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'samples_shape',
                MESSAGE = v_msg, DETAIL = left(v_bad, 1000), HINT = v_hint;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'items_shape',
            MESSAGE = v_msg, DETAIL = left(v_bad, 1000), HINT = v_hint;
    END IF;
    IF v_long THEN
        PERFORM {{ schema }}._check_decision_items(p_items, p_noun);
    END IF;
END
$fn$;

-- The decisions of a decide call, for every set: a JSON array of
-- {"<noun>_key": "...", "status": "approved|rejected|modified", "note": "...",
-- "data": {...}}, "data" with and only with "modified" (22023
-- decisions_shape); then their limits.
CREATE OR REPLACE FUNCTION {{ schema }}._check_decisions(p_decisions jsonb, p_noun text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_key  text := p_noun || '_key';
    v_bad  text;
    v_long boolean;
    v_key_max  integer := {{ schema }}._text_limit('sample_key');
    v_note_max integer := {{ schema }}._text_limit('decision_note');
    v_data_max integer := {{ schema }}._max_json_bytes();
BEGIN
    PERFORM {{ schema }}._require_json_array(p_decisions, 'p_decisions', 'decisions_shape',
        format('Pass [{"%s": "...", "status": "approved|rejected|modified", "note": "...", "data": {...}}, ...].', v_key));
    SELECT string_agg(format('#%s %s', e.i - 1, {{ schema }}._prefix(left(e.x::text, 41))), '; ' ORDER BY e.i)
               FILTER (WHERE jsonb_typeof(e.x) <> 'object'
                          OR jsonb_typeof(e.x -> v_key) IS DISTINCT FROM 'string'
                          OR (e.x ->> 'status') IS NULL OR (e.x ->> 'status') NOT IN ('approved', 'rejected', 'modified')
                          OR coalesce(jsonb_typeof(e.x -> 'note'), 'null') NOT IN ('string', 'null')
                          OR ((e.x ->> 'status') = 'modified') <> coalesce(jsonb_typeof(e.x -> 'data') = 'object', false)
                          OR (e.x - ARRAY[v_key, 'status', 'note', 'data']) <> '{}'),  -- no other keys
           -- the limits _check_decision_items names, in this pass (a pass each cost more)
           bool_or(char_length(e.x ->> v_key) > v_key_max OR char_length(e.x ->> 'note') > v_note_max
                   OR pg_column_size(e.x -> 'data') > v_data_max)
      INTO v_bad, v_long
      FROM jsonb_array_elements(p_decisions) WITH ORDINALITY AS e (x, i);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'decisions_shape',
            MESSAGE = 'some decisions are malformed',
            DETAIL = left(v_bad, 1000),
            HINT = format('Each needs %s and status (approved, rejected, modified); "modified" needs a data object and only it may carry one.', v_key);
    END IF;
    IF v_long THEN
        PERFORM {{ schema }}._check_decision_items(p_decisions, p_noun);
    END IF;
END
$fn$;

-- An item named twice in p_items, keyed p_key (item_key, or a set's
-- <noun>_key): duplicate_<noun>_key.
DROP FUNCTION IF EXISTS {{ schema }}._refuse_repeated_items(jsonb, text);  -- before it took the set's key and noun
CREATE OR REPLACE FUNCTION {{ schema }}._refuse_repeated_items(p_items jsonb, p_name text, p_key text, p_noun text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_keys text;
BEGIN
    SELECT string_agg(quote_literal(dup.k), ', ' ORDER BY dup.k) INTO v_keys
      FROM (SELECT e.value ->> p_key AS k FROM jsonb_array_elements(p_items) AS e
             GROUP BY 1 HAVING count(*) > 1) AS dup;
    IF v_keys IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = format('duplicate_%s_key', p_noun),
            MESSAGE = format('%s names some %ss more than once', p_name, p_noun),
            DETAIL = format('%s: %s', p_key, left(v_keys, 1000)),
            HINT = format('Pass each %s once per call.', p_noun);
    END IF;
END
$fn$;

-- The set a version belongs to: one primary-key probe per set.
CREATE OR REPLACE FUNCTION {{ schema }}._decision_set_of(p_version uuid) RETURNS text
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
{%- for s in decision_sets %}
    IF EXISTS (SELECT FROM {{ schema }}.{{ s.entity.table }} v WHERE v.id = p_version) THEN
        RETURN {{ s.name | literal }};
    END IF;
{%- endfor %}
    RAISE EXCEPTION USING
        ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
        MESSAGE = format('decision set version %s does not exist', coalesce(p_version::text, 'null')),
        HINT = 'Pass the id start_decision_set returned.';
END
$fn$;
{% for s in decision_sets %}

{{ ds.api(s) }}
{% endfor %}

-- A new draft version of the decision set p_set for a cycle and report; the
-- approved and modified items of the latest closed version are carried into it.
CREATE OR REPLACE FUNCTION {{ api_schema }}.start_decision_set(p_set text, p_cycle uuid, p_report uuid, p_actor integer DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_id    uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    CASE p_set
{%- for s in decision_sets %}
    WHEN {{ s.name | literal }} THEN
        v_id := {{ ds.fn_name(s, '_start') }}(p_cycle, p_report, p_actor);
{%- endfor %}
    ELSE
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'unknown_decision_set',
            MESSAGE = format('unknown decision set %s', coalesce(quote_literal({{ schema }}._prefix(p_set)), 'null')),
            DETAIL = 'decision sets: {% for s in decision_sets %}{{ s.name }}{{ ", " if not loop.last }}{% endfor %}',
            HINT = 'Pass the name of a declared decision set ([[decision_set]] of phaseline.toml or an extension''s; DETAIL lists them).';
    END CASE;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

-- p_items: [{"item_key": "...", "data": {...}}, ...]; p_source: tester, llm or manual.
CREATE OR REPLACE FUNCTION {{ api_schema }}.recommend_items(p_version uuid, p_items jsonb, p_source text, p_actor integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_count integer;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._check_recommendation(p_items, p_source, 'p_items', 'item');
    CASE {{ schema }}._decision_set_of(p_version)
{%- for s in decision_sets %}
    WHEN {{ s.name | literal }} THEN
        v_count := {{ ds.fn_name(s, '_recommend') }}(p_version, {{ keyed(s, 'p_items') }}, p_source::{{ schema }}.recommendation_source, p_actor);
{%- endfor %}
    END CASE;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_count;
END
$fn$;

-- p_decisions: [{"item_key": "...", "status": "approved|rejected|modified", "note": "...", "data": {...}}]
CREATE OR REPLACE FUNCTION {{ api_schema }}.decide_items(p_version uuid, p_decisions jsonb, p_actor integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_count integer;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._check_decisions(p_decisions, 'item');
    CASE {{ schema }}._decision_set_of(p_version)
{%- for s in decision_sets %}
    WHEN {{ s.name | literal }} THEN
        v_count := {{ ds.fn_name(s, '_decide') }}(p_version, {{ keyed(s, 'p_decisions') }}, p_actor);
{%- endfor %}
    END CASE;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_count;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.carry_items_forward(p_from_version uuid, p_to_version uuid, p_actor integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_count integer;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    CASE {{ schema }}._decision_set_of(p_to_version)
{%- for s in decision_sets %}
    WHEN {{ s.name | literal }} THEN
        v_count := {{ ds.fn_name(s, '_carry_into') }}(p_from_version, p_to_version, p_actor);
{%- endfor %}
    END CASE;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_count;
END
$fn$;

CREATE OR REPLACE VIEW {{ api_schema }}.decision_items AS
{%- for s in decision_sets %}
SELECT {{ s.name | literal }}::text AS set_name, d.id, d.version_id, d.{{ s.item_key }}::text AS item_key, d.{{ s.item_data }} AS item_data,
       d.recommendation_source, d.recommended_by, d.recommended_at, d.decision_status, d.decided_by, d.decided_at, d.decision_note,
       d.carried_from_version_id, d.carried_from_decision_id,
       v.version_number, v.cycle_id, v.report_id, v.version_status, v.is_latest,
       coalesce(d.origin_decision_id, d.id)                      AS origin_decision_id,
       coalesce(o.recommendation_source, d.recommendation_source) AS origin_source,
       coalesce(o.recommended_by, d.recommended_by)               AS origin_recommended_by
  FROM {{ schema }}.{{ s.items_table }} d
  INNER JOIN {{ schema }}.{{ s.entity.table }} v ON d.version_id = v.id
  LEFT JOIN {{ schema }}.{{ s.items_table }} o ON d.origin_decision_id = o.id
{%- if not loop.last %}
UNION ALL
{%- endif %}
{%- endfor %};
COMMENT ON VIEW {{ api_schema }}.decision_items IS
    'Every item of every decision set with its set, version and the source and recommender of the item its chain started from.';

-- The item and each one it was carried from, back to the origin (step 0 = the given one).
CREATE OR REPLACE FUNCTION {{ api_schema }}.item_lineage(p_item uuid)
RETURNS TABLE (
    step integer, set_name text, version_id uuid, version_number integer, item_id uuid, item_key text,
    recommendation_source text, recommended_by integer, decision_status text, decided_by integer,
    decided_at timestamptz, decision_note text, item_data jsonb
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
{%- for s in decision_sets %}
    IF EXISTS (SELECT FROM {{ schema }}.{{ s.items_table }} i WHERE i.id = p_item) THEN
        RETURN QUERY
        WITH RECURSIVE chain AS (
            SELECT 0 AS step, d.id, d.carried_from_decision_id FROM {{ schema }}.{{ s.items_table }} d WHERE d.id = p_item
            UNION ALL
            SELECT c.step + 1, d.id, d.carried_from_decision_id
              FROM chain c INNER JOIN {{ schema }}.{{ s.items_table }} d ON c.carried_from_decision_id = d.id
        )
        SELECT c.step, {{ s.name | literal }}::text, d.version_id, v.version_number, d.id, d.{{ s.item_key }}::text,
               d.recommendation_source::text, d.recommended_by, d.decision_status::text, d.decided_by, d.decided_at,
               d.decision_note, d.{{ s.item_data }}
          FROM chain c
          INNER JOIN {{ schema }}.{{ s.items_table }} d ON c.id = d.id
          INNER JOIN {{ schema }}.{{ s.entity.table }} v ON d.version_id = v.id
         ORDER BY c.step;
        RETURN;
    END IF;
{%- endfor %}
    RAISE EXCEPTION USING
        ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_item',
        MESSAGE = format('decision set item %s does not exist', coalesce(p_item::text, 'null')),
        HINT = 'Pass the id of a row of the decision_items view.';
END
$fn$;

{% include 'include/api_grants.sql' -%}
