-- Private helpers shared by the triggers and the API.

-- Actor binding, chosen per database at deploy time (phaseline.toml [vars]
-- actor_binding, or --var actor_binding=session) and recorded here, in the
-- rendered text the ledger checksums:
--   trusted_app  the application vouches for p_actor (any phaseline_app
--                login may pass any user id);
--   session      the acting user is the phaseline user mapped to the
--                database role the session acts as (user_db_roles); a
--                p_actor that differs is refused (42501 actor_not_session).
DO $binding$
BEGIN
    IF {{ actor_binding_name | literal }} NOT IN ('trusted_app', 'session') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'unknown_actor_binding',
            MESSAGE = format('unknown actor binding "%s"', left({{ actor_binding_name | literal }}, 40)),
            DETAIL = 'actor_binding is trusted_app or session.',
            HINT = 'Deploy with --var actor_binding=trusted_app or --var actor_binding=session.';
    END IF;
END
$binding$;

CREATE OR REPLACE FUNCTION {{ schema }}._actor_binding() RETURNS text
LANGUAGE sql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT {{ actor_binding_name | literal }}::text;
$fn$;

-- At most 40 characters of a caller's value, for messages: an error never
-- echoes more of a bad input than that (issue 12, finding 6).
CREATE OR REPLACE FUNCTION {{ schema }}._prefix(p_value text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT CASE WHEN char_length(p_value) > 40 THEN left(p_value, 40) || '...' ELSE p_value END;
$fn$;

-- The largest JSON document phaseline stores (phaseline.toml max_json_bytes),
-- measured as the binary jsonb value (pg_column_size, before compression).
DO $size$
DECLARE
    v_size text := {{ max_json_bytes_name | literal }};
    v_ok   boolean := v_size ~ '^[0-9]{1,10}$';
BEGIN
    -- two steps: SQL promises no order for OR, and a cast of a constant is folded early
    IF v_ok THEN
        v_ok := v_size::bigint BETWEEN 1024 AND 268435455;
    END IF;
    IF NOT v_ok THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'unknown_max_json_bytes',
            MESSAGE = format('max_json_bytes "%s" is not a size between 1024 and 268435455 bytes', left({{ max_json_bytes_name | literal }}, 40)),
            HINT = 'Deploy with --var max_json_bytes=<bytes>.';
    END IF;
END
$size$;

CREATE OR REPLACE FUNCTION {{ schema }}._max_json_bytes() RETURNS integer
LANGUAGE sql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT {{ max_json_bytes_name | literal }}::integer;
$fn$;

-- 22023 json_too_large when p_value is bigger than max_json_bytes.
CREATE OR REPLACE FUNCTION {{ schema }}._check_json_size(p_value jsonb, p_what text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF pg_column_size(p_value) > {{ schema }}._max_json_bytes() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'json_too_large',
            MESSAGE = format('%s is %s bytes; at most %s are stored', p_what, pg_column_size(p_value), {{ schema }}._max_json_bytes()),
            DETAIL = format('starts with: %s', {{ schema }}._prefix(left(p_value::text, 41))),
            HINT = 'Store large content elsewhere and keep a reference; the limit is the deploy variable max_json_bytes.';
    END IF;
END
$fn$;

-- A caller's text against its field's rules (once/080): not blank (22023
-- <field>_not_blank) and not longer than its limit (22001 <field>_length).
-- p_label names the value in the message.
CREATE OR REPLACE FUNCTION {{ schema }}._check_text(p_value text, p_field text, p_label text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF p_value IS NULL OR {{ schema }}._is_blank(p_value) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = p_field || '_not_blank',
            MESSAGE = format('%s is %s', p_label, CASE WHEN p_value IS NULL THEN 'missing' ELSE 'blank' END),
            DETAIL = format('%s: %s', p_field, coalesce(quote_literal({{ schema }}._prefix(p_value)), 'null')),
            HINT = format('Pass a %s with at least one visible character.', replace(p_field, '_', ' '));
    END IF;
    IF char_length(p_value) > {{ schema }}._text_limit(p_field) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'string_data_right_truncation', CONSTRAINT = p_field || '_length',
            MESSAGE = format('%s is %s characters long; at most %s are allowed', p_label, char_length(p_value), {{ schema }}._text_limit(p_field)),
            DETAIL = format('%s starts with: %s', p_field, quote_literal({{ schema }}._prefix(p_value))),
            HINT = format('Shorten the %s.', replace(p_field, '_', ' '));
    END IF;
END
$fn$;

-- The database role the session acts as: the role of SET ROLE (a pooler's
-- or PostgREST's per-request role) or, without one, the login. Inside a
-- SECURITY DEFINER function current_user and current_role are the
-- function's owner, so they cannot say who called; the "role" setting is
-- untouched by the switch, and PostgreSQL lets a session set it only to a
-- role its login is a member of. A caller that is itself a SECURITY DEFINER
-- function of another owner still acts as the session's role, never as
-- that owner: the binding cannot be widened by wrapping.
-- PL/pgSQL, as the helpers every write calls are: a SQL function is parsed
-- and planned again in every transaction that calls it (080_input_rules).
CREATE OR REPLACE FUNCTION {{ schema }}._session_role() RETURNS text
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN CASE WHEN current_setting('role') = 'none' THEN session_user::text ELSE current_setting('role') END;
END
$fn$;

-- The phaseline user mapped to the session's role, or null.
CREATE OR REPLACE FUNCTION {{ schema }}._session_user() RETURNS integer
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN (SELECT m.user_id FROM {{ schema }}.user_db_roles m
             WHERE m.role_name = {{ schema }}._session_role() AND m.unmapped_at IS NULL);
END
$fn$;

-- The acting phaseline user of this transaction. API functions set it with
-- _enter(); a direct writer sets it with SET LOCAL phaseline.actor = '<user_id>'.
-- Every audited write needs one (invariant 10), and it is checked here on
-- every use, so a direct write cannot act as a user who does not exist, is
-- inactive or only views. Errors name users by id, never by email: the
-- caller may have no right to learn who has which address.
CREATE OR REPLACE FUNCTION {{ schema }}._actor() RETURNS integer
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_setting text := current_setting('phaseline.actor', true);
    v_user    {{ schema }}.users;
BEGIN
    IF coalesce(v_setting, '') !~ '^-?[0-9]{1,30}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'actor_required',
            MESSAGE = 'no acting user is set for this write',
            DETAIL = format('phaseline attributes every change to a user; phaseline.actor is %s.',
                            coalesce(quote_literal({{ schema }}._prefix(nullif(v_setting, ''))), 'empty')),
            HINT = 'Call the phaseline_api functions, or SET LOCAL phaseline.actor = ''<user_id>'' before writing directly.';
    END IF;
    -- Any integer a user id can be (1 .. 2^31-1) is looked up; anything
    -- else names no user, which is what P0002 says.
    IF v_setting::numeric BETWEEN 1 AND 2147483647 THEN
        SELECT * INTO v_user FROM {{ schema }}.users WHERE user_id = v_setting::integer;
    END IF;
    IF v_user.user_id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_user',
            MESSAGE = format('user %s does not exist', v_setting),
            HINT = 'Act as an existing user (phaseline_api.create_user).';
    END IF;
    IF NOT v_user.is_active THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'inactive_user',
            MESSAGE = format('user %s is inactive', v_user.user_id),
            HINT = 'Act as an active user, or have an admin reactivate this one.';
    END IF;
    IF v_user.role = 'viewer' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'viewer_read_only',
            MESSAGE = format('user %s is a viewer and cannot change anything', v_user.user_id),
            HINT = 'Viewers read the views; act as a tester, report owner or admin.';
    END IF;
    RETURN v_user.user_id;
END
$fn$;

-- Make the acting user this transaction's actor, after _actor()'s checks.
-- trusted_app: p_actor, which must be given. session: the user mapped to
-- the session's role; p_actor may be null, and must match when given.
CREATE OR REPLACE FUNCTION {{ schema }}._set_actor(p_actor integer) RETURNS integer
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_session integer;
BEGIN
    IF {{ schema }}._actor_binding() = 'session' THEN
        v_session := {{ schema }}._session_user();
        IF v_session IS NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'insufficient_privilege', CONSTRAINT = 'role_not_mapped',
                MESSAGE = format('database role %s acts as no phaseline user', quote_ident({{ schema }}._session_role())),
                DETAIL = 'This database binds the actor to the session (actor_binding = session).',
                HINT = 'Have an admin map the role to a user (phaseline_api.map_user_role), or SET ROLE to a mapped role.';
        END IF;
        IF p_actor IS DISTINCT FROM v_session AND p_actor IS NOT NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'insufficient_privilege', CONSTRAINT = 'actor_not_session',
                MESSAGE = format('database role %s acts as user %s, not as user %s',
                                 quote_ident({{ schema }}._session_role()), v_session, p_actor),
                DETAIL = 'This database binds the actor to the session (actor_binding = session).',
                HINT = 'Omit p_actor, or pass the user the session''s role is mapped to.';
        END IF;
        PERFORM set_config('phaseline.actor', v_session::text, true);
        RETURN {{ schema }}._actor();
    END IF;
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

-- An API call's actor, scoped to the call. A function-level
-- `SET phaseline.actor TO ''` would do this for free, but PostgreSQL 15
-- lets only a superuser (or a GRANT SET ON PARAMETER, which only a
-- superuser can give) attach a custom parameter to a function, and phaseline
-- deploys without one. So each mutating API function brackets its body:
--     v_outer := _enter(p_actor);  p_actor := _entered();  ...  PERFORM _leave(v_outer);
-- _enter checks and sets the actor and returns the caller's value; _entered
-- is the actor it set (in session mode p_actor may be null, and the body
-- must use the bound user); _leave puts the caller's value back on the way
-- out. An error needs no _leave: the aborted (sub)transaction rolls the
-- set_config back with everything else.
CREATE OR REPLACE FUNCTION {{ schema }}._enter(p_actor integer) RETURNS text
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text := coalesce(current_setting('phaseline.actor', true), '');
BEGIN
    PERFORM {{ schema }}._set_actor(p_actor);
    RETURN v_outer;
END
$fn$;

-- The actor _enter set (checked there).
CREATE OR REPLACE FUNCTION {{ schema }}._entered() RETURNS integer
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN current_setting('phaseline.actor')::integer;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ schema }}._leave(p_outer text) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM set_config('phaseline.actor', coalesce(p_outer, ''), true);
END
$fn$;

-- Is the statement that fired a statement trigger on p_table the engine's
-- own bulk write, issued by the PL/pgSQL function p_caller (e.g.
-- 'phaseline._ds_samples_carry(uuid,uuid,integer)')? Its rules trigger then
-- skips the checks that function has made, or made redundant, under its
-- locks. Two conditions:
--   * the first function on the call stack after the trigger's own line
--     is p_caller (the statement's text sits in between);
--   * the statement runs as the table's owner. Every phaseline function
--     that writes runs as the owner (the API is SECURITY DEFINER); a direct
--     writer runs as itself. The stack alone is not proof: it quotes the
--     text of each statement, and a direct writer's statement can carry a
--     comment that looks like a stack line. Only the owner could forge one
--     and be believed, and the owner can disable the trigger anyway.
-- Any other write, a direct one by the owner included, is checked in full.
CREATE OR REPLACE FUNCTION {{ schema }}._engine_statement(p_table regclass, p_stack text, p_caller text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN coalesce(starts_with(substring(p_stack FROM E'\nPL/pgSQL function [^\n]*'),
                                E'\nPL/pgSQL function ' || p_caller || ' line '), false)
       AND (SELECT c.relowner = to_regrole(current_user)::oid FROM pg_class c WHERE c.oid = p_table);
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
CREATE OR REPLACE FUNCTION {{ schema }}._tg_no_delete() RETURNS trigger
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
CREATE OR REPLACE FUNCTION {{ schema }}._tg_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'audit_append_only',
        MESSAGE = format('the audit log is append-only (%s refused)', TG_OP),
        HINT = 'Audit rows are evidence: they are never changed or removed.';
END
$fn$;
