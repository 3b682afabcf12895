{% import 'include/versioning.sql' as v with context -%}
-- The versioning engine's triggers, generated for every entity of phaseline.toml.
{% for e in versioned %}
{{ v.triggers(e) }}
{% endfor %}

-- approved_artifacts is the engine's record of approvals: only the approval
-- branch above (with phaseline.engine on) or the migration's backfill
-- writes it; anything else would let the registry disagree with the versions.
CREATE OR REPLACE FUNCTION {{ schema }}._approved_artifacts_engine_only() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF {{ schema }}._backfilling() THEN
        RETURN NEW;
    END IF;
    IF current_setting('phaseline.engine', true) = 'on' AND pg_trigger_depth() > 1  -- from the approval trigger
       AND (TG_OP = 'INSERT'
            OR (OLD.superseded_at IS NULL AND NEW.superseded_at IS NOT NULL
                AND (to_jsonb(OLD) - 'superseded_at') = (to_jsonb(NEW) - 'superseded_at'))) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'engine_managed',
        MESSAGE = format('approved_artifacts rows are written by the versioning engine (%s refused)', TG_OP),
        DETAIL = format('reference_table=%s, reference_id=%s', NEW.reference_table, NEW.reference_id),
        HINT = 'Approve a version with phaseline_api.approve_version; the engine records and supersedes artifacts.';
END
$fn$;
CREATE OR REPLACE TRIGGER _100_engine_only BEFORE INSERT OR UPDATE ON {{ schema }}.approved_artifacts
    FOR EACH ROW EXECUTE FUNCTION {{ schema }}._approved_artifacts_engine_only();
