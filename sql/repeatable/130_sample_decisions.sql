-- The rules of sample_decisions, as statement-level triggers over transition
-- tables: a bulk recommend, decide or carry-forward of a million rows is
-- checked by a few set-based queries, not a million trigger calls.
--
-- Locking: each check first takes FOR SHARE on the versions the statement
-- touched. A status change of a version (submit, withdraw, approve) updates
-- that row and so waits for these share locks until the writer commits, and
-- the status read under the lock is the committed one. That makes "insert
-- only into a draft" and "decide only while pending" race-free.

-- The references sample_decisions keeps without per-row foreign keys (see
-- once/060_sample_selection.sql): users that recommend and decide, and the
-- decision and origin a carried row points at. p_user: a user every row
-- relies on (the actor), checked once.
-- Finding 1 (issue 12): whoever adds samples to a version, or modifies a
-- sample's data with a "modified" decision, contributed to it. The engine's
-- contributors column cannot hold them (it is the engine's to write, from
-- the version's own edits), so they are read from the decisions.
-- Recommenders of a version: everyone who put a sample into it (carried
-- rows are recommended by whoever started the version).
CREATE OR REPLACE FUNCTION {{ schema }}._sample_recommenders(p_version uuid) RETURNS integer[]
LANGUAGE sql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT coalesce(array_agg(DISTINCT d.recommended_by), '{}')
      FROM {{ schema }}.sample_decisions d WHERE d.version_id = p_version;
$fn$;

-- Modifiers of a version: deciders of a "modified" decision made in it (a
-- carried decision keeps its source's decider, time and data, and was made
-- in an earlier version).
CREATE OR REPLACE FUNCTION {{ schema }}._sample_modifiers(p_version uuid) RETURNS integer[]
LANGUAGE sql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT coalesce(array_agg(DISTINCT d.decided_by), '{}')
      FROM {{ schema }}.sample_decisions d
      LEFT JOIN {{ schema }}.sample_decisions s ON s.id = d.carried_from_decision_id
     WHERE d.version_id = p_version AND d.decision_status = 'modified'
       AND (s.id IS NULL OR (s.decided_by, s.decided_at, s.sample_data) IS DISTINCT FROM (d.decided_by, d.decided_at, d.sample_data));
$fn$;

-- Invariant 9 at the review of a sample selection: the engine refuses the
-- version's creator, editors and submitter; this adds its recommenders and
-- modifiers. Runs after the engine's _100_version_update.
CREATE OR REPLACE FUNCTION {{ schema }}._sample_selection_versions_four_eyes() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_actor integer;
    v_who   integer[];
BEGIN
    IF {{ schema }}._backfilling() OR NOT (OLD.version_status = 'pending_approval' AND NEW.version_status IN ('approved', 'rejected')) THEN
        RETURN NEW;
    END IF;
    v_actor := {{ schema }}._actor();
    v_who := {{ schema }}._sample_recommenders(NEW.id) || {{ schema }}._sample_modifiers(NEW.id);
    IF v_actor = ANY (v_who) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'four_eyes',
            MESSAGE = format('user %s may not review sample selection version %s: they recommended or modified samples in it',
                             v_actor, NEW.version_number),
            DETAIL = format('cycle_id=%s, report_id=%s, id=%s; recommenders and modifiers: %s', NEW.cycle_id, NEW.report_id, NEW.id,
                            (SELECT string_agg(DISTINCT u::text, ', ') FROM unnest(v_who) AS u)),
            HINT = 'Four eyes: another owner or admin must approve or reject it.';
    END IF;
    RETURN NEW;
END
$fn$;
DROP TRIGGER IF EXISTS _150_four_eyes_samples ON {{ schema }}.sample_selection_versions;  -- its name until 0.2.0
CREATE OR REPLACE TRIGGER _150_four_eyes BEFORE UPDATE ON {{ schema }}.sample_selection_versions
    FOR EACH ROW EXECUTE FUNCTION {{ schema }}._sample_selection_versions_four_eyes();

CREATE OR REPLACE FUNCTION {{ schema }}._raise_dangling(p_what text, p_count bigint, p_values text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF p_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation', CONSTRAINT = 'sample_decisions_references',
            MESSAGE = format('%s sample decision(s) refer to %s that do(es) not exist', p_count, p_what),
            DETAIL = left(p_values, 1000),
            HINT = 'Refer to existing users, and carry decisions with phaseline_api.carry_forward.';
    END IF;
END
$fn$;

-- Each check raises on the first rule broken, naming every row that breaks it.
-- JIT is off in these triggers: their queries over transition tables are
-- planned on every call without statistics, the estimates of their joins
-- are off by orders of magnitude, and compiling them cost more than they ran.
CREATE OR REPLACE FUNCTION {{ schema }}._sample_decisions_rules_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp SET jit TO off AS $fn$
DECLARE
    v_actor   integer;
    v_stack   text;
    v_engine  boolean;
    v_bad     text;
    v_count   bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    -- The engine's own carry (_carry_forward's INSERT ... SELECT) copies the
    -- approved and modified decisions of the parent into a draft its caller
    -- has locked or just created: the checks marked "not for the engine"
    -- below are redundant for it, and on a million rows they are a quarter
    -- of the call. _engine_statement says how it is recognised; any other
    -- INSERT, a direct one by the owner included, is checked in full
    -- (samples_carry_forward.sql, samples_recommend.sql).
    GET DIAGNOSTICS v_stack = PG_CONTEXT;
    v_engine := {{ schema }}._engine_statement(TG_RELID, v_stack, {{ (schema ~ '._carry_forward(uuid,uuid,integer)') | literal }});
    -- Every row belongs to an existing version, in any mode (not for the engine).
    IF NOT v_engine THEN
        SELECT count(*), string_agg(DISTINCT n.version_id::text, ', ')
          INTO v_count, v_bad
          FROM new_rows n
         WHERE NOT EXISTS (SELECT FROM {{ schema }}.sample_selection_versions v WHERE v.id = n.version_id);
        PERFORM {{ schema }}._raise_dangling('sample selection versions', v_count, format('version_id: %s', v_bad));
    END IF;
    IF {{ schema }}._backfilling() THEN
        -- History goes in as it was, but never pointing at nothing.
        SELECT count(*), string_agg(format('%L: user %s', n.sample_key, coalesce(ru.user_id::text, n.recommended_by::text)), ', ')
          INTO v_count, v_bad
          FROM new_rows n
          LEFT JOIN {{ schema }}.users ru ON ru.user_id = n.recommended_by
          LEFT JOIN {{ schema }}.users du ON du.user_id = n.decided_by
         WHERE ru.user_id IS NULL OR (n.decided_by IS NOT NULL AND du.user_id IS NULL);
        PERFORM {{ schema }}._raise_dangling('users', v_count, v_bad);
        SELECT count(*), string_agg(quote_literal(n.sample_key), ', ')
          INTO v_count, v_bad
          FROM new_rows n
          LEFT JOIN {{ schema }}.sample_decisions src
                 ON src.id = n.carried_from_decision_id AND src.version_id = n.carried_from_version_id
          LEFT JOIN {{ schema }}.sample_decisions origin ON origin.id = n.origin_decision_id
         WHERE n.carried_from_decision_id IS NOT NULL AND (src.id IS NULL OR origin.id IS NULL);
        PERFORM {{ schema }}._raise_dangling('a source or origin decision', v_count, v_bad);
        RETURN NULL;
    END IF;
    v_actor := {{ schema }}._actor();
    -- Every new row is recommended by the actor (checked below), and carried
    -- rows copy decider and lineage from an existing source (checked below),
    -- so one look-up of the actor covers all user references.
    IF NOT EXISTS (SELECT FROM {{ schema }}.users WHERE user_id = v_actor) THEN
        PERFORM {{ schema }}._raise_dangling('users', (SELECT count(*) FROM new_rows), format('acting user %s', v_actor));
    END IF;

    -- Only a draft takes new samples (invariant 7; not for the engine).
    IF NOT v_engine THEN
        -- Lock first, read after, in two statements: a filter on the status in the locking query would
        -- be pushed below the lock, skip a row whose old version passes it, and
        -- never wait for the submit that is changing it.
        PERFORM FROM {{ schema }}.sample_selection_versions s
          WHERE s.id IN (SELECT DISTINCT version_id FROM new_rows)
          ORDER BY s.id FOR SHARE;
        SELECT string_agg(format('version %s (id=%s) is %s', v.version_number, v.id, v.version_status), '; ')
          INTO v_bad
          FROM {{ schema }}.sample_selection_versions v
         WHERE v.id IN (SELECT DISTINCT version_id FROM new_rows) AND v.version_status <> 'draft';
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'version_not_draft',
                MESSAGE = 'samples can be added only to a draft sample selection',
                DETAIL = v_bad,
                HINT = 'Start a new version with phaseline_api.start_sample_selection, or withdraw the pending one.';
        END IF;
    END IF;
    -- Invariant 11: adding samples is writing the version's content.
    PERFORM {{ schema }}._require_assigned(v_actor, v.cycle_id, v.report_id, 'add samples to a sample selection')
       FROM {{ schema }}.sample_selection_versions v
      WHERE v.id IN (SELECT DISTINCT version_id FROM new_rows);

    -- New recommendations are the actor's and undecided; carried rows are
    -- the carrier's and keep their decision (checked against the source below).
    SELECT count(*), string_agg(quote_literal(n.sample_key), ', ' ORDER BY n.sample_key)
      INTO v_count, v_bad
      FROM new_rows n
     WHERE n.recommended_by IS DISTINCT FROM v_actor
        OR (n.recommendation_source <> 'carried_forward' AND n.decision_status <> 'pending');
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'recommendation_shape',
            MESSAGE = format('%s new sample(s) are not recommended by the acting user %s, or arrive already decided', v_count, v_actor),
            DETAIL = format('sample_key: %s', left(v_bad, 1000)),
            HINT = 'Insert new samples pending, with recommended_by = the acting user; decide them with decide_samples.';
    END IF;

    -- Carried rows copy their source: same sample, same decision, an older
    -- version of the same cycle and report, and the source's origin.
    -- (Not for the engine, which reads exactly these from the parent.)
    IF v_engine THEN
        RETURN NULL;
    END IF;
    SELECT count(*), string_agg(quote_literal(n.sample_key), ', ' ORDER BY n.sample_key)
      INTO v_count, v_bad
      FROM new_rows n
      JOIN {{ schema }}.sample_selection_versions tv ON tv.id = n.version_id
      LEFT JOIN {{ schema }}.sample_decisions src ON src.id = n.carried_from_decision_id
      LEFT JOIN {{ schema }}.sample_selection_versions fv ON fv.id = src.version_id
     WHERE n.recommendation_source = 'carried_forward'
       AND (src.id IS NULL
            OR src.version_id IS DISTINCT FROM n.carried_from_version_id
            OR src.sample_key <> n.sample_key
            OR src.decision_status NOT IN ('approved', 'modified')
            OR (src.decision_status, src.decided_by, src.decided_at, src.decision_note, src.sample_data)
               IS DISTINCT FROM (n.decision_status, n.decided_by, n.decided_at, n.decision_note, n.sample_data)
            OR n.origin_decision_id IS DISTINCT FROM coalesce(src.origin_decision_id, src.id)
            OR (fv.cycle_id, fv.report_id) IS DISTINCT FROM (tv.cycle_id, tv.report_id)
            OR fv.version_number >= tv.version_number);
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'carried_lineage',
            MESSAGE = format('%s carried sample(s) do not match the decision they claim to come from', v_count),
            DETAIL = format('sample_key: %s', left(v_bad, 1000)),
            HINT = 'Carry decisions with phaseline_api.carry_forward.';
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ schema }}._sample_decisions_rules_update() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp SET jit TO off AS $fn$
DECLARE
    v_actor   integer;
    v_paired  bigint;
    v_bad     text;
    v_count   bigint;
    v_version record;
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    IF {{ schema }}._backfilling() THEN
        SELECT count(*), string_agg(format('%L: user %s', n.sample_key, n.decided_by), ', ')
          INTO v_count, v_bad
          FROM new_rows n
         WHERE n.decided_by IS NOT NULL
           AND NOT EXISTS (SELECT FROM {{ schema }}.users u WHERE u.user_id = n.decided_by);
        PERFORM {{ schema }}._raise_dangling('users', v_count, v_bad);
        RETURN NULL;
    END IF;
    v_actor := {{ schema }}._actor();
    IF NOT EXISTS (SELECT FROM {{ schema }}.users WHERE user_id = v_actor) THEN
        PERFORM {{ schema }}._raise_dangling('users', (SELECT count(*) FROM new_rows), format('acting user %s', v_actor));
    END IF;

    -- Who a sample is and where it came from never changes (and every new
    -- row pairs with its old one: the id did not change either).
    SELECT count(*) FILTER (WHERE x.moved), string_agg(quote_literal(x.sample_key), ', ' ORDER BY x.sample_key) FILTER (WHERE x.moved),
           count(*)
      INTO v_count, v_bad, v_paired
      FROM (SELECT o.sample_key,
                   (o.version_id, o.sample_key, o.recommendation_source, o.recommended_by, o.recommended_at,
                    o.carried_from_version_id, o.carried_from_decision_id, o.origin_decision_id)
                   IS DISTINCT FROM
                   (n.version_id, n.sample_key, n.recommendation_source, n.recommended_by, n.recommended_at,
                    n.carried_from_version_id, n.carried_from_decision_id, n.origin_decision_id) AS moved
              FROM old_rows o JOIN new_rows n USING (id)) AS x;
    IF v_count > 0 OR (SELECT count(*) FROM new_rows) <> v_paired THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'immutable_column',
            MESSAGE = format('the identity, recommendation and lineage of %s sample decision(s) cannot change', v_count),
            DETAIL = format('sample_key: %s', left(v_bad, 1000)),
            HINT = 'Only the sample data (while draft) and the decision (while pending approval) change.';
    END IF;

    -- One version at a time through the window checks; FOR SHARE as above.
    FOR v_version IN
        SELECT s.* FROM {{ schema }}.sample_selection_versions s
         WHERE s.id IN (SELECT DISTINCT version_id FROM new_rows)
         ORDER BY s.id FOR SHARE
    LOOP
        IF v_version.version_status = 'draft' THEN
            -- Draft: no deciding (invariant 7); the data of an undecided sample
            -- is editable, that of a decided one (carried, or decided before a
            -- withdraw) stays what it was decided on.
            SELECT count(*), string_agg(quote_literal(o.sample_key), ', ' ORDER BY o.sample_key)
              INTO v_count, v_bad
              FROM old_rows o JOIN new_rows n USING (id)
             WHERE n.version_id = v_version.id
               AND ((o.decision_status, o.decided_by, o.decided_at, o.decision_note)
                    IS DISTINCT FROM (n.decision_status, n.decided_by, n.decided_at, n.decision_note)
                    OR (o.decision_status <> 'pending' AND o.sample_data IS DISTINCT FROM n.sample_data));
            IF v_count > 0 THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'decision_window',
                    MESSAGE = format('sample selection version %s is a draft: samples are not decided in it, and decided ones keep their data',
                                     v_version.version_number),
                    DETAIL = format('version id=%s, sample_key: %s', v_version.id, left(v_bad, 1000)),
                    HINT = 'Submit the version; the report owner decides (or modifies) while it is pending approval.';
            END IF;
            -- Invariant 11: editing a draft's samples is writing its content.
            IF EXISTS (SELECT FROM old_rows o JOIN new_rows n USING (id)
                        WHERE n.version_id = v_version.id AND to_jsonb(o) IS DISTINCT FROM to_jsonb(n)) THEN
                PERFORM {{ schema }}._require_assigned(v_actor, v_version.cycle_id, v_version.report_id, 'edit the samples of a sample selection');
            END IF;
        ELSIF v_version.version_status = 'pending_approval' THEN
            -- Pending: only decisions change; sample data only with status "modified".
            SELECT count(*), string_agg(quote_literal(n.sample_key), ', ' ORDER BY n.sample_key)
              INTO v_count, v_bad
              FROM old_rows o JOIN new_rows n USING (id)
             WHERE n.version_id = v_version.id
               AND (   (n.decision_status = 'pending' AND o.decision_status <> 'pending')
                    OR (n.sample_data IS DISTINCT FROM o.sample_data AND n.decision_status <> 'modified'));
            IF v_count > 0 THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'illegal_transition',
                    MESSAGE = format('%s sample decision(s) of version %s go back to pending or change data without "modified"', v_count, v_version.version_number),
                    DETAIL = format('version id=%s, sample_key: %s', v_version.id, left(v_bad, 1000)),
                    HINT = 'Decide approved, rejected or modified; new sample data comes with "modified".';
            END IF;

            -- Invariant 9: the decider reviews the report, did not create or
            -- submit the version, and did not recommend the sample (nor its origin).
            IF EXISTS (SELECT FROM old_rows o JOIN new_rows n USING (id)
                        WHERE n.version_id = v_version.id
                          AND (o.decision_status, o.decided_by, o.decided_at, o.decision_note, o.sample_data)
                              IS DISTINCT FROM (n.decision_status, n.decided_by, n.decided_at, n.decision_note, n.sample_data)) THEN
                PERFORM {{ schema }}._check_reviewer(v_actor, v_version.report_id,
                            ARRAY[v_version.created_by, v_version.submitted_by] || v_version.contributors,
                            format('samples of sample selection version %s (cycle_id=%s, report_id=%s)',
                                   v_version.version_number, v_version.cycle_id, v_version.report_id));

                SELECT count(*), string_agg(quote_literal(n.sample_key), ', ' ORDER BY n.sample_key)
                  INTO v_count, v_bad
                  FROM old_rows o JOIN new_rows n USING (id)
                  LEFT JOIN {{ schema }}.sample_decisions origin ON origin.id = n.origin_decision_id
                 WHERE n.version_id = v_version.id
                   AND (o.decision_status, o.decided_by, o.decided_at, o.decision_note, o.sample_data)
                       IS DISTINCT FROM (n.decision_status, n.decided_by, n.decided_at, n.decision_note, n.sample_data)
                   AND (n.recommended_by = v_actor OR origin.recommended_by = v_actor);
                IF v_count > 0 THEN
                    RAISE EXCEPTION USING
                        ERRCODE = 'insufficient_privilege', CONSTRAINT = 'four_eyes',
                        MESSAGE = format('user %s may not decide %s sample(s) they recommended', v_actor, v_count),
                        DETAIL = format('version id=%s, sample_key: %s', v_version.id, left(v_bad, 1000)),
                        HINT = 'Four eyes: another owner or admin must decide them.';
                END IF;

                SELECT count(*), string_agg(quote_literal(n.sample_key), ', ' ORDER BY n.sample_key)
                  INTO v_count, v_bad
                  FROM old_rows o JOIN new_rows n USING (id)
                 WHERE n.version_id = v_version.id
                   AND (o.decision_status, o.decided_by, o.decided_at, o.decision_note, o.sample_data)
                       IS DISTINCT FROM (n.decision_status, n.decided_by, n.decided_at, n.decision_note, n.sample_data)
                   AND (n.decided_by IS DISTINCT FROM v_actor OR n.decided_at IS DISTINCT FROM now());
                IF v_count > 0 THEN
                    RAISE EXCEPTION USING
                        ERRCODE = 'insufficient_privilege', CONSTRAINT = 'actor_mismatch',
                        MESSAGE = format('%s decision(s) are not recorded as made by the acting user %s now', v_count, v_actor),
                        DETAIL = format('version id=%s, sample_key: %s', v_version.id, left(v_bad, 1000)),
                        HINT = 'Set decided_by to the acting user and decided_at to now(), or use decide_samples.';
                END IF;
            END IF;
        ELSE
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'version_frozen',
                MESSAGE = format('sample selection version %s is %s: its samples cannot change', v_version.version_number, v_version.version_status),
                DETAIL = format('version id=%s, cycle_id=%s, report_id=%s', v_version.id, v_version.cycle_id, v_version.report_id),
                HINT = 'Start a new version; approved and modified decisions are carried forward into it.';
        END IF;
    END LOOP;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER _200_rules_insert AFTER INSERT ON {{ schema }}.sample_decisions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._sample_decisions_rules_insert();
CREATE OR REPLACE TRIGGER _200_rules_update AFTER UPDATE ON {{ schema }}.sample_decisions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._sample_decisions_rules_update();

-- before_approve hook of sample_selection (phaseline.toml): every sample decided.
CREATE OR REPLACE FUNCTION {{ schema }}._sample_selection_before_approve(p_version {{ schema }}.sample_selection_versions) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_count bigint;
    v_keys  text;
BEGIN
    -- No lock needed: while the version is pending no sample can be added,
    -- and no decision can go back to pending (see the update rules above).
    SELECT count(*), string_agg(quote_literal(sample_key), ', ' ORDER BY sample_key)
      INTO v_count, v_keys
      FROM (SELECT sample_key FROM {{ schema }}.sample_decisions
             WHERE version_id = p_version.id AND decision_status = 'pending') AS p;
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'pending_decisions',
            MESSAGE = format('sample selection version %s still has %s pending decision(s)', p_version.version_number, v_count),
            DETAIL = format('version id=%s, sample_key: %s', p_version.id, left(v_keys, 1000)),
            HINT = 'Decide every sample (decide_samples) before approving the selection.';
    END IF;
END
$fn$;
