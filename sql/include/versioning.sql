{#-
  The versioning engine's behaviour, as one template. Every versioned entity
  of phaseline.toml ([[versioned]]) gets from here, and only from here,
    triggers(e)  its trigger functions and triggers (sql/repeatable/120_versioning.sql).
  Its table shapes (columns(e), indexes(e)) are in include/shapes.sql, which
  is frozen: run-once files render from it, repeatable files from here.
  The generated SQL is static per table: no catalog look-up or dynamic SQL
  per row. Rules are raised with the rule name in CONSTRAINT (DESIGN.md).
-#}

{#- "cycle_id=..., report_id=..., attribute_name=..." for messages, from the row in `r` -#}
{% macro key_text(e, r) -%}
format('{% for k in e.key_names %}{{ k }}=%s{{ ", " if not loop.last }}{% endfor %}'{% for k in e.key %}, {{ r }}.{{ k }}{% endfor %})
{%- endmacro %}

{% macro key_match(e, r) -%}
{% for k in e.key %}{{ k }} = {{ r }}.{{ k }}{{ " AND " if not loop.last }}{% endfor %}
{%- endmacro %}

{% macro triggers(e) -%}
{%- set t = schema ~ '.' ~ e.table -%}
{%- set fn = schema ~ '.' ~ ('_' ~ e.table_name ~ '_version') | ident -%}
{%- set label = e.label -%}
-- ---------------------------------------------------------------------------
-- {{ label }} ({{ e.table_name }}): version bump, status workflow, immutability.
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION {{ fn }}_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_actor integer := {{ schema }}._actor();
    v_prev  {{ t }};
BEGIN
    IF {{ schema }}._backfilling() THEN
        RETURN NEW;  -- history goes in as it was; the unique indexes still apply
    END IF;
    IF NEW.version_status IS DISTINCT FROM 'draft' OR NEW.is_latest IS DISTINCT FROM true
       OR NEW.version_number IS NOT NULL OR NEW.parent_version_id IS NOT NULL
       OR NEW.submitted_at IS NOT NULL OR NEW.submitted_by IS NOT NULL
       OR NEW.reviewed_at IS NOT NULL OR NEW.reviewed_by IS NOT NULL OR NEW.review_note IS NOT NULL
       OR NEW.contributors <> '{}' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'engine_managed',
            MESSAGE = 'a new {{ label }} version starts as an unsubmitted draft; its number, parent, latest flag and review fields are the engine''s',
            DETAIL = format('given: version_status=%s, version_number=%s, is_latest=%s, parent_version_id=%s, submitted_by=%s, reviewed_by=%s, reviewed_at=%s, review_note=%s',
                            NEW.version_status, NEW.version_number, NEW.is_latest, NEW.parent_version_id,
                            NEW.submitted_by, NEW.reviewed_by, NEW.reviewed_at, NEW.review_note),
            HINT = 'Insert only the key and content columns.';
    END IF;
    IF NEW.created_by IS DISTINCT FROM v_actor AND NEW.created_by IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'actor_mismatch',
            MESSAGE = format('created_by %s is not the acting user %s', NEW.created_by, v_actor),
            HINT = 'Leave created_by empty: the engine sets it from the acting user.';
    END IF;

    -- Race-free numbering. Makers of a version of one key queue on that key's
    -- row in version_key_locks (created on first use; ON CONFLICT waits for
    -- a concurrent creator). Once the lock is granted, the next statement
    -- takes a fresh READ COMMITTED snapshot and sees the version the previous
    -- holder committed. A row lock rather than an advisory lock: it takes no
    -- slot in the shared lock table, so one transaction can make any number
    -- of versions. The unique indexes back this; under REPEATABLE READ the
    -- snapshot predates the lock and they turn the race into an error.
    -- Every version after a key's first finds its row and locks it at once;
    -- only the first inserts it, then goes round to lock it (the row is never
    -- deleted, so the second pass finds it).
    LOOP
        PERFORM FROM {{ schema }}.version_key_locks
          WHERE entity = {{ e.entity | literal }}
            AND version_key = ARRAY[{% for k in e.key %}NEW.{{ k }}::text{{ ", " if not loop.last }}{% endfor %}]
            FOR UPDATE;
        EXIT WHEN FOUND;
        INSERT INTO {{ schema }}.version_key_locks (entity, version_key)
        VALUES ({{ e.entity | literal }}, ARRAY[{% for k in e.key %}NEW.{{ k }}::text{{ ", " if not loop.last }}{% endfor %}])
        ON CONFLICT DO NOTHING;
    END LOOP;
    SELECT * INTO v_prev FROM {{ t }} WHERE {{ key_match(e, 'NEW') }} AND is_latest;

    -- An id that exists already would fail the insert after this trigger
    -- moved the latest flag, or, under ON CONFLICT DO NOTHING, be skipped
    -- and leave the key without a latest version: refuse before anything moves.
    IF EXISTS (SELECT FROM {{ t }} WHERE id = NEW.id) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'unique_violation', CONSTRAINT = {{ (e.table_name ~ '_pkey') | literal }},
            MESSAGE = format('{{ label }} version id %s exists already', NEW.id),
            HINT = 'Let the id default; a version is never inserted twice.';
    END IF;

    -- Invariant 3: the unique index backs this with a plain 23505; this says why.
    IF v_prev.version_status IN ('draft', 'pending_approval') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'open_version_exists',
            MESSAGE = format('{{ label }} version %s is still %s', v_prev.version_number, v_prev.version_status),
            DETAIL = format('%s, open version id=%s', {{ key_text(e, 'NEW') }}, v_prev.id),
            HINT = 'Submit and get the open version reviewed, or withdraw and edit it, before starting another.';
    END IF;

    NEW.version_number    := coalesce(v_prev.version_number, 0) + 1;
    NEW.parent_version_id := v_prev.id;   -- invariant 5: the version that was latest
    NEW.created_by        := v_actor;
    NEW.created_at        := now();
    NEW.contributors      := ARRAY[v_actor];

    IF v_prev.id IS NOT NULL THEN
        -- Invariant 2: flip the old latest before this row enters the
        -- (key) WHERE is_latest index. 'phaseline.engine' lets the update
        -- guard accept this one engine-shaped change.
        PERFORM set_config('phaseline.engine', 'on', true);
        UPDATE {{ t }} SET is_latest = false WHERE id = v_prev.id;
        PERFORM set_config('phaseline.engine', '', true);
    END IF;
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ fn }}_update() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_actor integer;
    v_cmp   {{ t }};
BEGIN
    IF {{ schema }}._backfilling() THEN
        RETURN NEW;
    END IF;
    -- Changes the engine itself makes (see _insert above and approval below):
    -- exactly a latest flag going off, or an approved version being superseded.
    -- They are issued from inside a trigger (depth 2 here); a session that
    -- sets phaseline.engine itself writes at depth 1 and gets no pass.
    IF current_setting('phaseline.engine', true) = 'on' AND pg_trigger_depth() > 1 THEN
        v_cmp := OLD;
        v_cmp.is_latest := NEW.is_latest;
        v_cmp.version_status := NEW.version_status;
        IF v_cmp IS NOT DISTINCT FROM NEW AND (
               (OLD.is_latest AND NOT NEW.is_latest AND OLD.version_status = NEW.version_status)
            OR (OLD.version_status = 'approved' AND NEW.version_status = 'superseded' AND OLD.is_latest = NEW.is_latest)) THEN
            RETURN NEW;
        END IF;
    END IF;

    IF NEW.id IS DISTINCT FROM OLD.id{% for k in e.key %} OR NEW.{{ k }} IS DISTINCT FROM OLD.{{ k }}{% endfor %}
       OR NEW.version_number IS DISTINCT FROM OLD.version_number OR NEW.parent_version_id IS DISTINCT FROM OLD.parent_version_id
       OR NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.created_by IS DISTINCT FROM OLD.created_by THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'immutable_column',
            MESSAGE = format('the identity of {{ label }} version %s cannot change', OLD.version_number),
            DETAIL = format('id, key, version_number, parent_version_id and created_* are fixed; %s, id=%s', {{ key_text(e, 'OLD') }}, OLD.id),
            HINT = 'Start a new version instead.';
    END IF;
    IF NEW.is_latest IS DISTINCT FROM OLD.is_latest THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'engine_managed',
            MESSAGE = format('is_latest of {{ label }} version %s is managed by the engine', OLD.version_number),
            DETAIL = format('%s, id=%s, is_latest=%s', {{ key_text(e, 'OLD') }}, OLD.id, OLD.is_latest),
            HINT = 'Insert a new version; the engine moves the latest flag.';
    END IF;

    -- Who contributed, submitted and reviewed, and when, is the engine's to
    -- write: from the actor and the clock (below). Only the review note
    -- comes from the caller, and only with a status change.
    IF NEW.submitted_at IS DISTINCT FROM OLD.submitted_at OR NEW.submitted_by IS DISTINCT FROM OLD.submitted_by
       OR NEW.reviewed_at IS DISTINCT FROM OLD.reviewed_at OR NEW.reviewed_by IS DISTINCT FROM OLD.reviewed_by
       OR NEW.contributors IS DISTINCT FROM OLD.contributors
       OR (NEW.review_note IS DISTINCT FROM OLD.review_note AND NEW.version_status IS NOT DISTINCT FROM OLD.version_status) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'engine_managed',
            MESSAGE = format('submission and review fields of {{ label }} version %s are set by the engine', OLD.version_number),
            DETAIL = format('%s, id=%s, version_status=%s', {{ key_text(e, 'OLD') }}, OLD.id, OLD.version_status),
            HINT = 'Change version_status (and review_note) only; or use submit_version, withdraw_version, approve_version, reject_version.';
    END IF;

    IF NEW.version_status IS NOT DISTINCT FROM OLD.version_status THEN
        -- Invariant 7: content changes only while draft. Even a write of the
        -- same values is refused: a caller who saves into a frozen version
        -- must hear that it did not happen, and the audit log stays quiet.
        IF OLD.version_status <> 'draft' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'version_frozen',
                MESSAGE = format('{{ label }} version %s is %s and cannot change', OLD.version_number, OLD.version_status),
                DETAIL = format('%s, id=%s', {{ key_text(e, 'OLD') }}, OLD.id),
                HINT = CASE WHEN OLD.version_status = 'pending_approval'
                            THEN 'Withdraw it to draft first, or start a new version once it is reviewed.'
                            ELSE 'Start a new version.' END;
        END IF;
        IF NEW IS DISTINCT FROM OLD THEN
            v_actor := {{ schema }}._actor();
            IF NOT v_actor = ANY (OLD.contributors) THEN
                NEW.contributors := OLD.contributors || v_actor;  -- an editor is a contributor
            END IF;
        END IF;
        RETURN NEW;
    END IF;

    -- A status change. It may carry a review note and nothing else.
    v_cmp := OLD;
    v_cmp.version_status := NEW.version_status;
    v_cmp.review_note := NEW.review_note;
    IF v_cmp IS DISTINCT FROM NEW THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'version_frozen',
            MESSAGE = format('a status change of {{ label }} version %s cannot also change its content', OLD.version_number),
            DETAIL = format('%s, id=%s, %s -> %s', {{ key_text(e, 'OLD') }}, OLD.id, OLD.version_status, NEW.version_status),
            HINT = 'Edit the content while draft, in a statement of its own.';
    END IF;

    v_actor := {{ schema }}._actor();
    -- Invariant 6: the only moves (approved -> superseded is the engine's, above).
    CASE
    WHEN OLD.version_status = 'draft' AND NEW.version_status = 'pending_approval' THEN
        {%- if e.before_submit %}
        PERFORM {{ schema }}.{{ e.before_submit }}(NEW);
        {%- endif %}
        NEW.submitted_at := now();
        NEW.submitted_by := v_actor;
        NEW.review_note := NULL;
        IF NOT v_actor = ANY (OLD.contributors) THEN
            NEW.contributors := OLD.contributors || v_actor;
        END IF;
    WHEN OLD.version_status = 'pending_approval' AND NEW.version_status = 'draft' THEN
        NEW.submitted_at := NULL;
        NEW.submitted_by := NULL;
        NEW.review_note := NULL;
    WHEN OLD.version_status = 'pending_approval' AND NEW.version_status IN ('approved', 'rejected') THEN
        PERFORM {{ schema }}._check_reviewer(v_actor, NEW.report_id, ARRAY[OLD.created_by, OLD.submitted_by] || OLD.contributors,
                                             format('{{ label }} version %s (%s)', OLD.version_number, {{ key_text(e, 'OLD') }}));
        IF NEW.version_status = 'rejected' AND coalesce(btrim(NEW.review_note), '') = '' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'review_note_required',
                MESSAGE = format('rejecting {{ label }} version %s needs a note', OLD.version_number),
                DETAIL = format('%s, id=%s', {{ key_text(e, 'OLD') }}, OLD.id),
                HINT = 'Say what must change, so the next version can address it.';
        END IF;
        -- now() is the transaction's start; a review that began before the
        -- submit committed still happens after it.
        NEW.reviewed_at := greatest(now(), OLD.submitted_at);
        NEW.reviewed_by := v_actor;
        IF NEW.version_status = 'approved' THEN
            {%- if e.before_approve %}
            PERFORM {{ schema }}.{{ e.before_approve }}(NEW);
            {%- endif %}
            -- Invariant 4: the previously approved version of the key steps down
            -- before this row enters the (key) WHERE approved index. No lock is
            -- needed beyond this row's: only the one open version of a key can
            -- be approved, and its row lock is held by this UPDATE.
            PERFORM set_config('phaseline.engine', 'on', true);
            UPDATE {{ t }} SET version_status = 'superseded'
             WHERE {{ key_match(e, 'NEW') }} AND version_status = 'approved';
            UPDATE {{ schema }}.approved_artifacts SET superseded_at = greatest(now(), approved_at)
             WHERE cycle_id = NEW.cycle_id AND report_id = NEW.report_id
               AND artifact_type = {{ e.artifact_type | literal }}
               AND {{ ('artifact_key = NEW.' ~ e.artifact_key ~ '::text') if e.artifact_key else 'artifact_key IS NULL' }}  -- indexable, unlike IS NOT DISTINCT FROM
               AND superseded_at IS NULL;
            INSERT INTO {{ schema }}.approved_artifacts
                   (cycle_id, report_id, phase_name, artifact_type, artifact_key,
                    reference_table, reference_id, reference_version, approved_by, approved_at)
            VALUES (NEW.cycle_id, NEW.report_id,
                    {{ ('NEW.' ~ e.phase_column) if e.phase_column else (e.phase_literal | literal if e.phase_literal else 'NULL') }},
                    {{ e.artifact_type | literal }},
                    {{ ('NEW.' ~ e.artifact_key ~ '::text') if e.artifact_key else 'NULL' }},
                    {{ e.table_name | literal }}, NEW.id, NEW.version_number, v_actor, now());
            PERFORM set_config('phaseline.engine', '', true);
        END IF;
    ELSE
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'illegal_transition',
            MESSAGE = format('{{ label }} version %s cannot go from %s to %s', OLD.version_number, OLD.version_status, NEW.version_status),
            DETAIL = format('%s, id=%s', {{ key_text(e, 'OLD') }}, OLD.id),
            HINT = 'Allowed: draft -> pending_approval (submit), pending_approval -> draft (withdraw), '
                   'pending_approval -> approved (approve) or rejected (reject). Superseding is done by approving a newer version.';
    END CASE;
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE TRIGGER _100_version_insert BEFORE INSERT ON {{ t }}
    FOR EACH ROW EXECUTE FUNCTION {{ fn }}_insert();
CREATE OR REPLACE TRIGGER _100_version_update BEFORE UPDATE ON {{ t }}
    FOR EACH ROW EXECUTE FUNCTION {{ fn }}_update();
-- Invariant 8: versions are never deleted.
CREATE OR REPLACE TRIGGER _100_no_delete BEFORE DELETE OR TRUNCATE ON {{ t }}
    FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._tg_no_delete();
{%- endmacro %}
