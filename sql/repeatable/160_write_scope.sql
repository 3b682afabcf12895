-- Invariant 11: versions of a report's data are created, edited, submitted
-- and withdrawn only by the tester assigned to that cycle and report, the
-- report's owner, or an admin (42501 not_assigned). Reviews (approve,
-- reject, decide) have their own rule: the owner or an admin, four eyes.
-- Held by triggers, so direct writes keep it too; the API also asks early,
-- so a caller without the right hears that before anything else.

CREATE OR REPLACE FUNCTION {{ schema }}._require_assigned(p_actor integer, p_cycle uuid, p_report uuid, p_what text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_tester integer;
    v_owner  integer;
BEGIN
    -- Asked twice per new version (by the API, then by the trigger for direct
    -- writes), so one query; the admin look-up only when it decides.
    SELECT cr.tester_user_id, r.owner_user_id INTO v_tester, v_owner
      FROM {{ schema }}.cycle_reports cr JOIN {{ schema }}.reports r ON r.report_id = cr.report_id
     WHERE cr.cycle_id = p_cycle AND cr.report_id = p_report;
    IF NOT FOUND THEN
        -- no such assignment: say that, not "not assigned" (the foreign key would say it later)
        PERFORM {{ schema }}._require_cycle_report(p_cycle, p_report);
    END IF;
    IF p_actor IS DISTINCT FROM v_tester AND p_actor IS DISTINCT FROM v_owner
       AND NOT EXISTS (SELECT FROM {{ schema }}.users WHERE user_id = p_actor AND role = 'admin') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'not_assigned',
            MESSAGE = format('user %s may not %s of report %s in cycle %s', p_actor, p_what, p_report, p_cycle),
            DETAIL = format('Writers are the assigned tester (user %s), the report owner (user %s) or an admin.',
                            coalesce(v_tester::text, 'none'), coalesce(v_owner::text, 'none')),
            HINT = 'Ask an admin to assign you to the report (assign_report), or hand the work to the assigned tester.';
    END IF;
END
$fn$;

-- One trigger function for every versioned table: each has cycle_id and
-- report_id (phaseline.toml requires the key to start with them).
-- Runs after the engine's _100_version_* triggers (names fix the order), so
-- the engine has refused illegal moves and set the actor's fields already.
CREATE OR REPLACE FUNCTION {{ schema }}._tg_write_scope() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF {{ schema }}._backfilling() THEN
        RETURN NEW;
    END IF;
    -- the engine's own moves (latest flag, superseding), made inside its trigger
    IF current_setting('phaseline.engine', true) = 'on' AND pg_trigger_depth() > 1 THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- a review is not a write of the content; _check_reviewer rules it
        IF OLD.version_status = 'pending_approval' AND NEW.version_status IN ('approved', 'rejected') THEN
            RETURN NEW;
        END IF;
        IF NEW IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
    END IF;
    PERFORM {{ schema }}._require_assigned({{ schema }}._actor(), NEW.cycle_id, NEW.report_id,
        CASE WHEN TG_OP = 'INSERT' THEN 'start a version'
             WHEN NEW.version_status = 'pending_approval' THEN 'submit a version'
             WHEN OLD.version_status = 'pending_approval' THEN 'withdraw a version'
             ELSE 'edit a version' END || format(' (%s)', TG_TABLE_NAME));
    RETURN NEW;
END
$fn$;

-- A rejection says what must change, in more than whitespace (finding 5:
-- the engine's btrim() let E' \n ' through). Migrated history is exempt.
CREATE OR REPLACE FUNCTION {{ schema }}._tg_review_note() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF NEW.version_status = 'rejected' AND OLD.version_status IS DISTINCT FROM 'rejected'
       AND coalesce({{ schema }}._is_blank(NEW.review_note), true) AND NOT {{ schema }}._backfilling() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'review_note_required',
            MESSAGE = format('rejecting version %s needs a note', NEW.version_number),
            DETAIL = format('%s id=%s, note: %s', TG_TABLE_NAME, NEW.id, coalesce(quote_literal({{ schema }}._prefix(NEW.review_note)), 'null')),
            HINT = 'Say what must change, so the next version can address it.';
    END IF;
    RETURN NEW;
END
$fn$;

-- WHEN clauses keep rows these functions would let pass from calling them
-- at all (a PL/pgSQL call per row): the engine's flip of the old latest
-- version on every new version, and its superseding on every approval. A
-- change of is_latest, or approved -> superseded, reaches _160 only from the
-- engine: _100_version_update, which runs first, refuses it from anyone else.
{% for e in versioned %}
CREATE OR REPLACE TRIGGER _160_review_note BEFORE UPDATE ON {{ schema }}.{{ e.table }}
    FOR EACH ROW WHEN (NEW.version_status = 'rejected' AND OLD.version_status IS DISTINCT FROM 'rejected')
    EXECUTE FUNCTION {{ schema }}._tg_review_note();
CREATE OR REPLACE TRIGGER _160_write_scope BEFORE INSERT ON {{ schema }}.{{ e.table }}
    FOR EACH ROW EXECUTE FUNCTION {{ schema }}._tg_write_scope();
CREATE OR REPLACE TRIGGER _160_write_scope_update BEFORE UPDATE ON {{ schema }}.{{ e.table }}
    FOR EACH ROW WHEN (OLD.is_latest = NEW.is_latest
                       AND NOT (OLD.version_status = 'approved' AND NEW.version_status = 'superseded')
                       AND NOT (OLD.version_status = 'pending_approval' AND NEW.version_status IN ('approved', 'rejected'))
                       AND OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION {{ schema }}._tg_write_scope();
{% endfor -%}
