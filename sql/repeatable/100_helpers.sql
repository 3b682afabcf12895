-- Private helpers shared by the triggers and the API.

-- The acting phaseline user of this transaction. API functions set it with
-- _set_actor(); a direct writer sets it with SET LOCAL phaseline.actor = '<user_id>'.
-- Every audited write needs one (invariant 10), and it is checked here on
-- every use, so a direct write cannot act as a user who does not exist, is
-- inactive or only views.
CREATE OR REPLACE FUNCTION {{ schema }}._actor() RETURNS integer
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_setting text := current_setting('phaseline.actor', true);
    v_user    {{ schema }}.users;
BEGIN
    IF coalesce(v_setting, '') !~ '^[0-9]{1,9}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'actor_required',
            MESSAGE = 'no acting user is set for this write',
            DETAIL = format('phaseline attributes every change to a user; phaseline.actor is %s.',
                            coalesce(quote_literal(nullif(v_setting, '')), 'empty')),
            HINT = 'Call the phaseline_api functions, or SET LOCAL phaseline.actor = ''<user_id>'' before writing directly.';
    END IF;
    SELECT * INTO v_user FROM {{ schema }}.users WHERE user_id = v_setting::integer;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_user',
            MESSAGE = format('user %s does not exist', v_setting),
            HINT = 'Act as an existing user (phaseline_api.create_user).';
    END IF;
    IF NOT v_user.is_active THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'inactive_user',
            MESSAGE = format('user %s (%s) is inactive', v_user.user_id, v_user.email),
            HINT = 'Act as an active user, or have an admin reactivate this one.';
    END IF;
    IF v_user.role = 'viewer' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'viewer_read_only',
            MESSAGE = format('user %s (%s) is a viewer and cannot change anything', v_user.user_id, v_user.email),
            HINT = 'Viewers read the views; act as a tester, report owner or admin.';
    END IF;
    RETURN v_user.user_id;
END
$fn$;

-- Make p_actor this transaction's actor, after _actor()'s checks.
CREATE OR REPLACE FUNCTION {{ schema }}._set_actor(p_actor integer) RETURNS integer
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF p_actor IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'actor_required',
            MESSAGE = 'p_actor is null: every change needs an acting user',
            HINT = 'Pass the user_id of the person on whose behalf you call.';
    END IF;
    PERFORM set_config('phaseline.actor', p_actor::text, true);
    RETURN {{ schema }}._actor();
END
$fn$;

-- The migration's escape hatch (phaseline migrate-legacy backfill): with
-- SET LOCAL phaseline.backfill = 'on', historical rows go in as they were
-- (numbers, statuses, reviewers, decisions) and the workflow triggers stand
-- aside. The unique indexes still hold invariants 1-4, audit still records
-- every row, and the migration's verify step checks the rest.
-- API callers can set any custom setting, and API functions run with owner
-- rights, so neither the setting nor current_user says who may use it.
-- Two callers may: a session of the schema's owner (or a superuser), the
-- backfill; and a legacy application's transaction while the migration's
-- sync trigger mirrors its statement. That trigger runs as the owner but
-- in the application's session, so it registers the transaction in
-- <migration_schema>.mirrors, a table only the owner writes, for exactly
-- the length of the mirror. Read by name: the table exists only between
-- migrate-legacy expand and contract.
CREATE OR REPLACE FUNCTION {{ schema }}._backfilling() RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_mirrored boolean;
BEGIN
    IF coalesce(current_setting('phaseline.backfill', true), '') <> 'on' THEN
        RETURN false;
    END IF;
    IF pg_has_role(session_user, (SELECT nspowner FROM pg_namespace WHERE nspname = {{ schema_name | literal }}), 'MEMBER') THEN
        RETURN true;
    END IF;
    IF to_regclass({{ (migration_schema ~ '.mirrors') | literal }}) IS NULL
       OR pg_current_xact_id_if_assigned() IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT FROM %I.mirrors WHERE backend_pid = pg_backend_pid() AND xact = pg_current_xact_id_if_assigned())',
                   {{ migration_schema_name | literal }})
       INTO v_mirrored;
    RETURN v_mirrored;
END
$fn$;

-- p_actor must be an admin, or the owner of the report, and (invariant 9,
-- four eyes) none of p_contributors: who created, edited or submitted what
-- is reviewed.
CREATE OR REPLACE FUNCTION {{ schema }}._check_reviewer(
    p_actor integer, p_report uuid, p_contributors integer[], p_what text
) RETURNS void
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_role  {{ schema }}.user_role;
    v_owner integer;
BEGIN
    SELECT u.role INTO v_role FROM {{ schema }}.users u WHERE u.user_id = p_actor;
    SELECT r.owner_user_id INTO v_owner FROM {{ schema }}.reports r WHERE r.report_id = p_report;
    IF v_role IS DISTINCT FROM 'admin' AND v_owner IS DISTINCT FROM p_actor THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'not_reviewer',
            MESSAGE = format('user %s may not review %s', p_actor, p_what),
            DETAIL = format('reviewers are the report owner (user %s) or an admin; user %s is a %s', v_owner, p_actor, v_role),
            HINT = 'Ask the report owner or an admin to review it.';
    END IF;
    IF p_actor = ANY (p_contributors) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'four_eyes',
            MESSAGE = format('user %s may not review %s: they created, edited or submitted it', p_actor, p_what),
            DETAIL = format('contributors: %s', (SELECT string_agg(DISTINCT c::text, ', ') FROM unnest(p_contributors) AS c)),
            HINT = 'Four eyes: another owner or admin must review it.';
    END IF;
END
$fn$;

-- Invariant 8 (and the audit log's append-only rule): rows are never deleted.
CREATE OR REPLACE FUNCTION {{ schema }}._refuse_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'no_delete',
        MESSAGE = format('rows of %I.%I are never deleted (%s refused)', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP),
        HINT = CASE TG_TABLE_NAME
                   WHEN 'users' THEN 'Deactivate the user instead.'
                   WHEN 'audit_log' THEN 'The audit log is append-only.'
                   ELSE 'History is kept: reject, supersede or start a new version instead.' END;
END
$fn$;

-- The audit log accepts inserts only.
CREATE OR REPLACE FUNCTION {{ schema }}._refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'audit_append_only',
        MESSAGE = format('the audit log is append-only (%s refused)', TG_OP),
        HINT = 'Audit rows are evidence: they are never changed or removed.';
END
$fn$;
