-- API: decision-based sample selection. Bulk paths are single statements
-- over jsonb_to_recordset; the rules themselves live in the statement
-- triggers of 130_sample_decisions.sql and hold for direct writes too.

{% set renamed = ['sample_lineage'] %}
{% include 'include/drop_renamed.sql' %}

-- The version row, locked: FOR UPDATE serializes the writers of one
-- version's samples (recommend, carry-forward, decide), so their checks see
-- each other and their row locks cannot interleave, and it blocks submit and
-- approval meanwhile; FOR SHARE only blocks those status changes.
CREATE OR REPLACE FUNCTION {{ schema }}._lock_sample_version(p_version uuid, p_exclusive boolean)
RETURNS {{ schema }}.sample_selection_versions
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_row {{ schema }}.sample_selection_versions;
BEGIN
    IF p_exclusive THEN
        SELECT * INTO v_row FROM {{ schema }}.sample_selection_versions WHERE id = p_version FOR UPDATE;
    ELSE
        SELECT * INTO v_row FROM {{ schema }}.sample_selection_versions WHERE id = p_version FOR SHARE;
    END IF;
    IF v_row.id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
            MESSAGE = format('sample selection version %s does not exist', coalesce(p_version::text, 'null')),
            HINT = 'Start one with phaseline_api.start_sample_selection.';
    END IF;
    RETURN v_row;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ schema }}._require_draft_selection(p_version {{ schema }}.sample_selection_versions, p_what text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF p_version.version_status <> 'draft' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'version_not_draft',
            MESSAGE = format('cannot %s sample selection version %s: it is %s', p_what, p_version.version_number, p_version.version_status),
            DETAIL = format('version id=%s, cycle_id=%s, report_id=%s', p_version.id, p_version.cycle_id, p_version.report_id),
            HINT = 'Samples are added to a draft; start a new version with start_sample_selection.';
    END IF;
END
$fn$;

-- Shared checks of the bulk calls' JSON arguments.
CREATE OR REPLACE FUNCTION {{ schema }}._require_json_array(p_value jsonb, p_name text, p_rule text, p_hint text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF jsonb_typeof(p_value) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = p_rule,
            MESSAGE = format('%s must be a JSON array', p_name),
            DETAIL = format('got: %s', coalesce({{ schema }}._prefix(left(p_value::text, 41)), 'null')),
            HINT = p_hint;
    END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ schema }}._refuse_repeated_keys(p_items jsonb, p_name text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_keys text;
BEGIN
    SELECT string_agg(quote_literal(k), ', ' ORDER BY k) INTO v_keys
      FROM (SELECT e ->> 'sample_key' AS k FROM jsonb_array_elements(p_items) AS e
             GROUP BY 1 HAVING count(*) > 1) AS dup;
    IF v_keys IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'duplicate_sample_key',
            MESSAGE = format('%s names some samples more than once', p_name),
            DETAIL = format('sample_key: %s', left(v_keys, 1000)),
            HINT = 'Pass each sample once per call.';
    END IF;
END
$fn$;

-- Limits of the items of p_samples and p_decisions, after their shape was
-- checked: each sample_key within its length (22001 sample_key_length),
-- each note within its length (22001 decision_note_length), each data
-- object within max_json_bytes (22023 json_too_large). Messages show only a
-- prefix of the offending value.
CREATE OR REPLACE FUNCTION {{ schema }}._check_sample_items(p_items jsonb) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_item jsonb;
    v_i    integer;
BEGIN
    SELECT e.x, e.i - 1 INTO v_item, v_i FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(x, i)
     WHERE char_length(e.x ->> 'sample_key') > {{ schema }}._text_limit('sample_key') ORDER BY e.i LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'string_data_right_truncation', CONSTRAINT = 'sample_key_length',
            MESSAGE = format('sample_key #%s is %s characters long; at most %s are allowed', v_i,
                             char_length(v_item ->> 'sample_key'), {{ schema }}._text_limit('sample_key')),
            DETAIL = format('sample_key starts with: %s', quote_literal({{ schema }}._prefix(v_item ->> 'sample_key'))),
            HINT = 'A sample key is an identifier; keep descriptions in the data.';
    END IF;
    SELECT e.x, e.i - 1 INTO v_item, v_i FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(x, i)
     WHERE char_length(e.x ->> 'note') > {{ schema }}._text_limit('decision_note') ORDER BY e.i LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'string_data_right_truncation', CONSTRAINT = 'decision_note_length',
            MESSAGE = format('the note of decision #%s is %s characters long; at most %s are allowed', v_i,
                             char_length(v_item ->> 'note'), {{ schema }}._text_limit('decision_note')),
            DETAIL = format('sample_key: %s; note starts with: %s', quote_literal({{ schema }}._prefix(v_item ->> 'sample_key')),
                            quote_literal({{ schema }}._prefix(v_item ->> 'note'))),
            HINT = 'Shorten the note.';
    END IF;
    SELECT e.x, e.i - 1 INTO v_item, v_i FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(x, i)
     WHERE pg_column_size(e.x -> 'data') > {{ schema }}._max_json_bytes() ORDER BY e.i LIMIT 1;
    IF FOUND THEN
        PERFORM {{ schema }}._check_json_size(v_item -> 'data', format('the data of sample #%s', v_i));
    END IF;
END
$fn$;

-- Copy the approved and modified decisions of p_from into p_to, once: a
-- key already in p_to (carried before, or recommended) is skipped, so a
-- second run carries nothing. The anti-join is exact because every caller
-- holds p_to's row lock (FOR UPDATE, or p_to was created in this
-- transaction), so no other carry or recommend into p_to runs meanwhile; a
-- direct writer racing it gets the unique index's 23505. (An anti-join
-- instead of ON CONFLICT DO NOTHING: plain inserts skip speculative
-- insertion, which matters at a million rows.)
CREATE OR REPLACE FUNCTION {{ schema }}._carry_forward(p_from uuid, p_to uuid, p_actor integer) RETURNS integer
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_count integer;
BEGIN
    -- Into an empty version (start_sample_selection's, always) there is
    -- nothing to skip, and no anti-join is planned at all. That is not only
    -- cheaper: right after a bulk recommend or decide the statistics do not
    -- know p_from's rows yet, and the planner, expecting one row, probed
    -- p_to's index by version only and filtered on the key, rescanning for
    -- every carried row the entries this very statement had added
    -- (quadratic: a 200k carry ran for minutes).
    -- (min() of the key: always one descent of the (version_id, sample_key)
    -- index. An EXISTS was planned as a Seq Scan that stops at the first
    -- match, expecting many rows per version, and read the whole table
    -- when there was none.)
    IF (SELECT min(t.sample_key) FROM {{ schema }}.sample_decisions t WHERE t.version_id = p_to) IS NULL THEN
        INSERT INTO {{ schema }}.sample_decisions
               (version_id, sample_key, sample_data, recommendation_source, recommended_by, recommended_at,
                decision_status, decided_by, decided_at, decision_note,
                carried_from_version_id, carried_from_decision_id, origin_decision_id)
        SELECT p_to, d.sample_key, d.sample_data, 'carried_forward', p_actor, now(),
               d.decision_status, d.decided_by, d.decided_at, d.decision_note,
               d.version_id, d.id, coalesce(d.origin_decision_id, d.id)
          FROM {{ schema }}.sample_decisions d
         WHERE d.version_id = p_from AND d.decision_status IN ('approved', 'modified');
        GET DIAGNOSTICS v_count = ROW_COUNT;
        RETURN v_count;
    END IF;
    -- Into a version that holds rows already (carry_forward into a draft
    -- with recommendations): skip the keys it holds. With fresh statistics
    -- this is a hash anti-join; after a bulk load an ANALYZE keeps it so.
    INSERT INTO {{ schema }}.sample_decisions
           (version_id, sample_key, sample_data, recommendation_source, recommended_by, recommended_at,
            decision_status, decided_by, decided_at, decision_note,
            carried_from_version_id, carried_from_decision_id, origin_decision_id)
    SELECT p_to, d.sample_key, d.sample_data, 'carried_forward', p_actor, now(),
           d.decision_status, d.decided_by, d.decided_at, d.decision_note,
           d.version_id, d.id, coalesce(d.origin_decision_id, d.id)
      FROM {{ schema }}.sample_decisions d
     WHERE d.version_id = p_from AND d.decision_status IN ('approved', 'modified')
       AND NOT EXISTS (SELECT FROM {{ schema }}.sample_decisions t WHERE t.version_id = p_to AND t.sample_key = d.sample_key);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$fn$;

-- A new draft version; the approved and modified decisions of the latest
-- closed version (its parent, whatever its outcome) are carried into it.
CREATE OR REPLACE FUNCTION {{ api_schema }}.start_sample_selection(p_cycle uuid, p_report uuid, p_actor integer DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_id     uuid;
    v_parent uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._require_cycle_report(p_cycle, p_report);
    PERFORM {{ schema }}._require_assigned(p_actor, p_cycle, p_report, 'start a sample selection');
    INSERT INTO {{ schema }}.sample_selection_versions (cycle_id, report_id)
    VALUES (p_cycle, p_report)
    RETURNING id, parent_version_id INTO v_id, v_parent;
    IF v_parent IS NOT NULL THEN
        PERFORM {{ schema }}._carry_forward(v_parent, v_id, p_actor);
    END IF;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.carry_forward(p_from_version uuid, p_to_version uuid, p_actor integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_to   {{ schema }}.sample_selection_versions;
    v_from {{ schema }}.sample_selection_versions;
    v_count integer;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    v_to := {{ schema }}._lock_sample_version(p_to_version, true);
    -- p_from is read without a lock: only decisions of closed versions are
    -- carried meaningfully, and those never change again.
    SELECT * INTO v_from FROM {{ schema }}.sample_selection_versions WHERE id = p_from_version;
    IF v_from.id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
            MESSAGE = format('sample selection version %s does not exist', coalesce(p_from_version::text, 'null')),
            HINT = 'Pass the parent of the version decisions are carried into.';
    END IF;
    PERFORM {{ schema }}._require_assigned(p_actor, v_to.cycle_id, v_to.report_id, 'carry decisions into a sample selection');
    PERFORM {{ schema }}._require_draft_selection(v_to, 'carry decisions into');
    -- Only from the parent: carrying from an older version would bring back,
    -- already approved, samples a later review rejected.
    IF v_to.parent_version_id IS DISTINCT FROM v_from.id THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'carry_scope',
            MESSAGE = format('decisions are carried into version %s only from its parent, version %s',
                             v_to.version_number, v_to.version_number - 1),
            DETAIL = format('from version %s (cycle_id=%s, report_id=%s), to version %s (cycle_id=%s, report_id=%s)',
                            v_from.version_number, v_from.cycle_id, v_from.report_id,
                            v_to.version_number, v_to.cycle_id, v_to.report_id);
    END IF;
    v_count := {{ schema }}._carry_forward(p_from_version, p_to_version, p_actor);
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_count;
END
$fn$;

-- p_samples: [{"sample_key": "...", "data": {...}}, ...]; p_source: tester, llm or manual.
CREATE OR REPLACE FUNCTION {{ api_schema }}.recommend_samples(p_version uuid, p_samples jsonb, p_source text, p_actor integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_version {{ schema }}.sample_selection_versions;
    v_bad     text;
    v_count   integer;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    IF p_source IS NULL OR p_source NOT IN ('tester', 'llm', 'manual') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'unknown_source',
            MESSAGE = format('%s is not a recommendation source for new samples', coalesce(quote_literal({{ schema }}._prefix(p_source)), 'null')),
            DETAIL = 'sources: tester, llm, manual',
            HINT = 'carried_forward rows come from carry_forward and start_sample_selection.';
    END IF;
    PERFORM {{ schema }}._require_json_array(p_samples, 'p_samples', 'samples_shape',
                                             'Pass [{"sample_key": "...", "data": {...}}, ...].');
    SELECT string_agg(format('#%s %s', e.i - 1, {{ schema }}._prefix(left(e.x::text, 41))), '; ' ORDER BY e.i) INTO v_bad
      FROM jsonb_array_elements(p_samples) WITH ORDINALITY AS e(x, i)
     WHERE jsonb_typeof(e.x) <> 'object'
        OR jsonb_typeof(e.x -> 'sample_key') IS DISTINCT FROM 'string'
        OR {{ schema }}._is_blank(e.x ->> 'sample_key')
        OR (e.x ? 'data' AND jsonb_typeof(e.x -> 'data') <> 'object')
        OR (e.x - ARRAY['sample_key', 'data']) <> '{}';  -- no other keys (cheaper than listing them per element)
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'samples_shape',
            MESSAGE = 'some samples are not {"sample_key": "<non-empty string>", "data": {object}}',
            DETAIL = left(v_bad, 1000),
            HINT = 'Each element needs a sample_key; data is optional and an object; no other keys.';
    END IF;
    PERFORM {{ schema }}._check_sample_items(p_samples);

    v_version := {{ schema }}._lock_sample_version(p_version, true);
    PERFORM {{ schema }}._require_assigned(p_actor, v_version.cycle_id, v_version.report_id, 'recommend samples for a sample selection');
    PERFORM {{ schema }}._require_draft_selection(v_version, 'recommend samples for');

    -- A key given twice, or already in the version, is a unique violation
    -- of (version_id, sample_key): the insert itself finds it, and only then
    -- are the two scans run that say which keys and why. The happy path of
    -- a bulk call pays for neither.
    BEGIN
        INSERT INTO {{ schema }}.sample_decisions (version_id, sample_key, sample_data, recommendation_source, recommended_by)
        SELECT p_version, s.sample_key, coalesce(s.data, '{}'), p_source::{{ schema }}.recommendation_source, p_actor
          FROM jsonb_to_recordset(p_samples) AS s(sample_key text, data jsonb);
        GET DIAGNOSTICS v_count = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
        PERFORM {{ schema }}._refuse_repeated_keys(p_samples, 'p_samples');
        SELECT string_agg(format('%L (%s)', d.sample_key, d.recommendation_source), ', ' ORDER BY d.sample_key) INTO v_bad
          FROM jsonb_array_elements(p_samples) AS e
          JOIN {{ schema }}.sample_decisions d ON d.version_id = p_version AND d.sample_key = e ->> 'sample_key';
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'duplicate_sample_key',
                MESSAGE = format('sample selection version %s already holds some of these samples', v_version.version_number),
                DETAIL = format('sample_key: %s', left(v_bad, 1000)),
                HINT = 'Carried samples keep their decision; recommend only samples not in the version yet.';
        END IF;
        RAISE;
    END;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_count;
END
$fn$;

-- p_decisions: [{"sample_key": "...", "status": "approved|rejected|modified", "note": "...", "data": {...}}]
-- "data" comes with, and only with, "modified": it replaces the sample's data
-- (the recommended data stays in the audit trail).
CREATE OR REPLACE FUNCTION {{ api_schema }}.decide_samples(p_version uuid, p_decisions jsonb, p_actor integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_version {{ schema }}.sample_selection_versions;
    v_bad     text;
    v_count   integer;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._require_json_array(p_decisions, 'p_decisions', 'decisions_shape',
        'Pass [{"sample_key": "...", "status": "approved|rejected|modified", "note": "...", "data": {...}}, ...].');
    SELECT string_agg(format('#%s %s', e.i - 1, {{ schema }}._prefix(left(e.x::text, 41))), '; ' ORDER BY e.i) INTO v_bad
      FROM jsonb_array_elements(p_decisions) WITH ORDINALITY AS e(x, i)
     WHERE jsonb_typeof(e.x) <> 'object'
        OR jsonb_typeof(e.x -> 'sample_key') IS DISTINCT FROM 'string'
        OR (e.x ->> 'status') IS NULL OR (e.x ->> 'status') NOT IN ('approved', 'rejected', 'modified')
        OR coalesce(jsonb_typeof(e.x -> 'note'), 'null') NOT IN ('string', 'null')
        OR ((e.x ->> 'status') = 'modified') <> coalesce(jsonb_typeof(e.x -> 'data') = 'object', false)
        OR (e.x - ARRAY['sample_key', 'status', 'note', 'data']) <> '{}';  -- no other keys
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'decisions_shape',
            MESSAGE = 'some decisions are malformed',
            DETAIL = left(v_bad, 1000),
            HINT = 'Each needs sample_key and status (approved, rejected, modified); "modified" needs a data object and only it may carry one.';
    END IF;
    PERFORM {{ schema }}._check_sample_items(p_decisions);

    -- Exclusive: deciders of one version take turns. Each UPDATE then locks
    -- its rows with no other decider holding any of them, so two deciders
    -- with overlapping lists cannot deadlock, without a locking pass in key
    -- order first (which cost a sixth of a 100k-decision call).
    v_version := {{ schema }}._lock_sample_version(p_version, true);
    IF v_version.version_status <> 'pending_approval' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'decision_window',
            MESSAGE = format('sample selection version %s is %s: samples are decided only while it is pending approval',
                             v_version.version_number, v_version.version_status),
            DETAIL = format('version id=%s', v_version.id),
            HINT = 'Submit the version first (submit_version).';
    END IF;
    PERFORM {{ schema }}._check_reviewer(p_actor, v_version.report_id,
                ARRAY[v_version.created_by, v_version.submitted_by] || v_version.contributors,
                format('samples of sample selection version %s (cycle_id=%s, report_id=%s)',
                       v_version.version_number, v_version.cycle_id, v_version.report_id));

    UPDATE {{ schema }}.sample_decisions AS d
       SET decision_status = s.status::{{ schema }}.decision_status,
           decided_by      = p_actor,
           decided_at      = now(),
           decision_note   = s.note,
           sample_data     = CASE WHEN s.status = 'modified' THEN s.data ELSE d.sample_data END
      FROM jsonb_to_recordset(p_decisions) AS s(sample_key text, status text, note text, data jsonb)
     WHERE d.version_id = p_version AND d.sample_key = s.sample_key;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    -- A key given twice updates its row once; an unknown key updates none.
    -- Either leaves the count short, and only then is the input scanned to
    -- say which (the error undoes the update).
    IF v_count <> jsonb_array_length(p_decisions) THEN
        PERFORM {{ schema }}._refuse_repeated_keys(p_decisions, 'p_decisions');
        SELECT string_agg(quote_literal(e ->> 'sample_key'), ', ' ORDER BY e ->> 'sample_key') INTO v_bad
          FROM jsonb_array_elements(p_decisions) AS e
         WHERE NOT EXISTS (SELECT FROM {{ schema }}.sample_decisions d
                            WHERE d.version_id = p_version AND d.sample_key = e ->> 'sample_key');
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_sample_key',
            MESSAGE = format('sample selection version %s has no such sample(s)', v_version.version_number),
            DETAIL = format('sample_key: %s', left(v_bad, 1000)),
            HINT = 'Decide samples that were recommended or carried into this version.';
    END IF;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_count;
END
$fn$;

CREATE OR REPLACE VIEW {{ api_schema }}.sample_decisions AS
SELECT d.id, d.version_id, d.sample_key, d.sample_data, d.recommendation_source, d.recommended_by,
       d.recommended_at, d.decision_status, d.decided_by, d.decided_at, d.decision_note,
       d.carried_from_version_id, d.carried_from_decision_id,
       v.version_number, v.cycle_id, v.report_id, v.version_status, v.is_latest,
       coalesce(d.origin_decision_id, d.id)                      AS origin_decision_id,
       coalesce(o.recommendation_source, d.recommendation_source) AS origin_source,
       coalesce(o.recommended_by, d.recommended_by)               AS origin_recommended_by
  FROM {{ schema }}.sample_decisions d
  INNER JOIN {{ schema }}.sample_selection_versions v ON d.version_id = v.id
  LEFT JOIN {{ schema }}.sample_decisions o ON d.origin_decision_id = o.id;
COMMENT ON VIEW {{ api_schema }}.sample_decisions IS
    'Every sample decision with its version and the source and recommender of the decision its chain started from.';

-- The decision and each one it was carried from, back to the origin (step 0 = the given one).
CREATE OR REPLACE FUNCTION {{ api_schema }}.sample_lineage(p_decision uuid)
RETURNS TABLE (
    step integer, version_id uuid, version_number integer, decision_id uuid, sample_key text,
    recommendation_source text, recommended_by integer, decision_status text, decided_by integer,
    decided_at timestamptz, decision_note text, sample_data jsonb
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN QUERY
    WITH RECURSIVE chain AS (
        SELECT 0 AS step, d.* FROM {{ schema }}.sample_decisions d WHERE d.id = p_decision
        UNION ALL
        SELECT c.step + 1, d.* FROM chain c JOIN {{ schema }}.sample_decisions d ON d.id = c.carried_from_decision_id
    )
    SELECT c.step, c.version_id, v.version_number, c.id, c.sample_key, c.recommendation_source::text,
           c.recommended_by, c.decision_status::text, c.decided_by, c.decided_at, c.decision_note, c.sample_data
      FROM chain c JOIN {{ schema }}.sample_selection_versions v ON v.id = c.version_id
     ORDER BY c.step;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_decision',
            MESSAGE = format('sample decision %s does not exist', coalesce(p_decision::text, 'null')),
            HINT = 'Pass the id of a row of the sample_decisions view.';
    END IF;
END
$fn$;

{% include 'include/api_grants.sql' -%}
