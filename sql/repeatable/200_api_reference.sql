-- API: users, test cycles, reports and assignments.
-- Every API function is SECURITY DEFINER: callers hold no rights on the
-- tables, so the function acts with its owner's, after checking the actor.
-- search_path is pinned so no caller-created object can shadow ours, and
-- the actor is scoped to the call (_enter ... _leave, see 100_helpers.sql):
-- the actor one call sets must not linger and be credited with the caller's
-- later direct writes.

CREATE OR REPLACE FUNCTION {{ schema }}._require_admin(p_actor integer, p_what text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF NOT EXISTS (SELECT FROM {{ schema }}.users WHERE user_id = p_actor AND role = 'admin') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'admin_only',
            MESSAGE = format('user %s may not %s', p_actor, p_what),
            DETAIL = 'Reference data (users, cycles, reports, assignments, phases) is kept by admins.',
            HINT = 'Act as an admin.';
    END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.create_user(
    p_email text, p_display_name text, p_role text, p_actor integer DEFAULT NULL
) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer     text := coalesce(current_setting('phaseline.actor', true), '');
    v_bootstrap boolean := false;
    v_email     text;
    v_id        integer;
BEGIN
    -- Who may create users comes first (finding 9): a caller without the
    -- right learns nothing about which emails exist. Users are created by an
    -- admin. Without an actor (trusted_app) or an unmapped role (session),
    -- only the very first user of an installation, an admin: the contract's
    -- three-argument call bootstraps phaseline. Once any user exists (even
    -- if every admin were inactive) the bootstrap path is closed for good.
    -- The table lock makes two concurrent bootstraps one.
    IF p_actor IS NULL AND ({{ schema }}._actor_binding() = 'trusted_app' OR {{ schema }}._session_user() IS NULL) THEN
        LOCK TABLE {{ schema }}.users IN SHARE ROW EXCLUSIVE MODE;
        IF EXISTS (SELECT FROM {{ schema }}.users) THEN
            IF {{ schema }}._actor_binding() = 'session' THEN
                PERFORM {{ schema }}._set_actor(NULL);  -- raises role_not_mapped
            END IF;
            RAISE EXCEPTION USING
                ERRCODE = 'insufficient_privilege', CONSTRAINT = 'actor_required',
                MESSAGE = 'users are created by an admin',
                DETAIL = 'Only the first user of an installation, an admin, is created without p_actor.',
                HINT = 'Pass an admin''s user_id as p_actor.';
        END IF;
        IF p_role IS DISTINCT FROM 'admin' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'insufficient_privilege', CONSTRAINT = 'actor_required',
                MESSAGE = 'the first user of an installation is an admin',
                DETAIL = format('role: %s', coalesce(quote_literal({{ schema }}._prefix(p_role)), 'null')),
                HINT = 'Create the first admin without p_actor; that admin creates everyone else.';
        END IF;
        v_bootstrap := true;
    ELSE
        v_outer := {{ schema }}._enter(p_actor);
        p_actor := {{ schema }}._entered();
        PERFORM {{ schema }}._require_admin(p_actor, 'create users');
    END IF;

    IF p_role IS NULL OR NOT p_role = ANY (enum_range(NULL::{{ schema }}.user_role)::text[]) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'unknown_role',
            MESSAGE = format('unknown role %s', coalesce(quote_literal({{ schema }}._prefix(p_role)), 'null')),
            DETAIL = format('roles: %s', array_to_string(enum_range(NULL::{{ schema }}.user_role)::text[], ', ')),
            HINT = 'Pass one of the roles listed.';
    END IF;
    -- An address is stored trimmed and in NFC, so that the same address
    -- typed on two keyboards is one account (once/080: _is_email).
    v_email := normalize({{ schema }}._trim(p_email), NFC);
    IF char_length(v_email) > {{ schema }}._text_limit('email') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'string_data_right_truncation', CONSTRAINT = 'email_length',
            MESSAGE = format('the email is %s characters long; at most %s are allowed', char_length(v_email), {{ schema }}._text_limit('email')),
            DETAIL = format('email starts with: %s', quote_literal({{ schema }}._prefix(v_email))),
            HINT = 'Pass a deliverable address (RFC 5321: at most 254 characters).';
    END IF;
    IF v_email IS NULL OR NOT {{ schema }}._is_email(v_email) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'email_is_address',
            MESSAGE = format('%s is not an email address', coalesce(quote_literal({{ schema }}._prefix(p_email)), 'null')),
            DETAIL = 'An address has one @ with something on each side, and no whitespace, control or invisible format character.',
            HINT = 'Pass an address of the form name@domain.';
    END IF;
    PERFORM {{ schema }}._check_text(p_display_name, 'display_name', 'the display name');
    IF EXISTS (SELECT FROM {{ schema }}.users WHERE lower(email) = lower(v_email)) THEN
        -- the unique index users_email_key says the same under a race
        RAISE EXCEPTION USING
            ERRCODE = 'unique_violation', CONSTRAINT = 'users_email_key',
            MESSAGE = format('a user with email %s already exists', quote_literal(v_email)),
            DETAIL = 'Emails are unique regardless of case.',
            HINT = 'Reuse the existing user, or reactivate it.';
    END IF;

    -- The id is drawn only now that every check passed (finding 3: a
    -- refused call used to consume one). The bootstrap admin is the audit's
    -- actor of its own creation, so it needs its id before the insert.
    IF v_bootstrap THEN
        v_id := nextval(pg_get_serial_sequence({{ (schema_name ~ '.users') | literal }}, 'user_id'));
        PERFORM set_config('phaseline.actor', v_id::text, true);
        INSERT INTO {{ schema }}.users (user_id, email, display_name, role)
        OVERRIDING SYSTEM VALUE
        VALUES (v_id, v_email, {{ schema }}._trim(p_display_name), p_role::{{ schema }}.user_role);
        -- session binding: the role that bootstraps acts as the first admin
        IF {{ schema }}._actor_binding() = 'session' THEN
            INSERT INTO {{ schema }}.user_db_roles (role_name, user_id, mapped_by)
            VALUES ({{ schema }}._session_role(), v_id, v_id);
        END IF;
    ELSE
        INSERT INTO {{ schema }}.users (email, display_name, role)
        VALUES (v_email, {{ schema }}._trim(p_display_name), p_role::{{ schema }}.user_role)
        RETURNING user_id INTO v_id;
    END IF;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.set_user_active(p_user integer, p_active boolean, p_actor integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_user  {{ schema }}.users;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._require_admin(p_actor, 'activate or deactivate users');
    IF p_active IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'argument_required',
            MESSAGE = 'p_active is null: say whether the user is to be active',
            HINT = 'Pass true or false.';
    END IF;
    IF p_user = p_actor AND NOT p_active THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'no_self_deactivation',
            MESSAGE = format('user %s cannot deactivate themselves', p_actor),
            HINT = 'Another admin must do it, so there is always one left.';
    END IF;
    -- Finding 2: two admins deactivating each other at once must not leave
    -- none. The lock conflicts with itself, so deactivations queue, and
    -- each counts the active admins after the one before it committed
    -- (READ COMMITTED: a fresh snapshot per statement).
    IF NOT p_active THEN
        LOCK TABLE {{ schema }}.users IN SHARE ROW EXCLUSIVE MODE;
    END IF;
    SELECT * INTO v_user FROM {{ schema }}.users WHERE user_id = p_user;
    IF v_user.user_id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_user',
            MESSAGE = format('user %s does not exist', p_user),
            HINT = 'Pass the user_id of an existing user.';
    END IF;
    IF NOT p_active AND v_user.role = 'admin' AND v_user.is_active
       AND NOT EXISTS (SELECT FROM {{ schema }}.users WHERE role = 'admin' AND is_active AND user_id <> p_user) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'last_admin',
            MESSAGE = format('user %s is the last active admin and cannot be deactivated', p_user),
            HINT = 'Create or reactivate another admin first.';
    END IF;
    UPDATE {{ schema }}.users SET is_active = p_active WHERE user_id = p_user AND is_active IS DISTINCT FROM p_active;
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.create_cycle(
    p_name text, p_period_start date, p_period_end date, p_actor integer DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_id uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._require_admin(p_actor, 'create test cycles');
    PERFORM {{ schema }}._check_text(p_name, 'cycle_name', 'the name of a test cycle');
    IF p_period_start IS NULL OR p_period_end IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'cycle_period_required',
            MESSAGE = format('test cycle %s needs the first and the last day of its period', quote_literal({{ schema }}._prefix(p_name))),
            DETAIL = format('period_start=%s, period_end=%s', coalesce(p_period_start::text, 'null'), coalesce(p_period_end::text, 'null')),
            HINT = 'Pass both dates.';
    END IF;
    IF p_period_end < p_period_start THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'cycle_period_ordered',
            MESSAGE = format('test cycle %s needs a period that ends on or after it starts', quote_literal({{ schema }}._prefix(p_name))),
            DETAIL = format('period_start=%s, period_end=%s', p_period_start, p_period_end),
            HINT = 'Pass an end on or after the start.';
    END IF;
    IF NOT (isfinite(p_period_start) AND isfinite(p_period_end)) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'cycle_period_finite',
            MESSAGE = format('test cycle %s needs a period of calendar dates', quote_literal({{ schema }}._prefix(p_name))),
            DETAIL = format('period_start=%s, period_end=%s', p_period_start, p_period_end),
            HINT = 'infinity and -infinity are not dates a testing period starts or ends on.';
    END IF;
    IF EXISTS (SELECT FROM {{ schema }}.test_cycles WHERE lower(name) = lower({{ schema }}._trim(p_name))) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'unique_violation', CONSTRAINT = 'test_cycles_name_key',
            MESSAGE = format('a test cycle named %s already exists', quote_literal({{ schema }}._prefix(p_name))),
            HINT = 'Cycle names are unique regardless of case.';
    END IF;
    INSERT INTO {{ schema }}.test_cycles (name, period_start, period_end, created_by)
    VALUES ({{ schema }}._trim(p_name), p_period_start, p_period_end, p_actor)
    RETURNING cycle_id INTO v_id;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.create_report(p_name text, p_owner integer, p_actor integer DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_owner {{ schema }}.users;
    v_id    uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._require_admin(p_actor, 'create reports');
    PERFORM {{ schema }}._check_text(p_name, 'report_name', 'the name of a report');
    SELECT * INTO v_owner FROM {{ schema }}.users WHERE user_id = p_owner;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_user',
            MESSAGE = format('owner %s of report %s does not exist', coalesce(p_owner::text, 'null'), quote_literal({{ schema }}._prefix(p_name))),
            HINT = 'Pass the user_id of an active report owner or admin.';
    END IF;
    IF v_owner.role NOT IN ('report_owner', 'admin') OR NOT v_owner.is_active THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'owner_can_review',
            MESSAGE = format('user %s cannot own report %s', p_owner, quote_literal({{ schema }}._prefix(p_name))),
            DETAIL = format('role=%s, is_active=%s', v_owner.role, v_owner.is_active),
            HINT = 'The owner reviews the report''s work: pass an active report_owner or admin.';
    END IF;
    IF EXISTS (SELECT FROM {{ schema }}.reports WHERE lower(name) = lower({{ schema }}._trim(p_name))) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'unique_violation', CONSTRAINT = 'reports_name_key',
            MESSAGE = format('a report named %s already exists', quote_literal({{ schema }}._prefix(p_name))),
            HINT = 'Report names are unique regardless of case.';
    END IF;
    INSERT INTO {{ schema }}.reports (name, owner_user_id, created_by)
    VALUES ({{ schema }}._trim(p_name), p_owner, p_actor)
    RETURNING report_id INTO v_id;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

-- Puts a report in scope of a cycle with its tester; assigning again changes the tester.
CREATE OR REPLACE FUNCTION {{ api_schema }}.assign_report(p_cycle uuid, p_report uuid, p_tester integer, p_actor integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_tester {{ schema }}.users;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._require_admin(p_actor, 'assign reports');
    IF NOT EXISTS (SELECT FROM {{ schema }}.test_cycles WHERE cycle_id = p_cycle) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_cycle',
            MESSAGE = format('test cycle %s does not exist', coalesce(p_cycle::text, 'null')),
            HINT = 'Pass the id create_cycle returned.';
    END IF;
    IF NOT EXISTS (SELECT FROM {{ schema }}.reports WHERE report_id = p_report) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_report',
            MESSAGE = format('report %s does not exist', coalesce(p_report::text, 'null')),
            HINT = 'Pass the id create_report returned.';
    END IF;
    SELECT * INTO v_tester FROM {{ schema }}.users WHERE user_id = p_tester;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_user',
            MESSAGE = format('tester %s does not exist', coalesce(p_tester::text, 'null')),
            HINT = 'Pass the user_id of an active tester or admin.';
    END IF;
    IF v_tester.role NOT IN ('tester', 'admin') OR NOT v_tester.is_active THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'tester_can_test',
            MESSAGE = format('user %s cannot be the tester of report %s', p_tester, p_report),
            DETAIL = format('role=%s, is_active=%s', v_tester.role, v_tester.is_active),
            HINT = 'Pass an active tester or admin.';
    END IF;
    INSERT INTO {{ schema }}.cycle_reports (cycle_id, report_id, tester_user_id, assigned_by)
    VALUES (p_cycle, p_report, p_tester, p_actor)
    ON CONFLICT (cycle_id, report_id) DO UPDATE
        SET tester_user_id = EXCLUDED.tester_user_id, assigned_by = EXCLUDED.assigned_by, assigned_at = now()
        WHERE cycle_reports.tester_user_id IS DISTINCT FROM EXCLUDED.tester_user_id;
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

-- Actor binding: which mode this database was deployed with (read-only;
-- change it by deploying with --var actor_binding=...).
CREATE OR REPLACE FUNCTION {{ api_schema }}.actor_binding() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT {{ schema }}._actor_binding();
$fn$;

-- The phaseline user the calling session's database role acts as in
-- session mode (null when unmapped): what an application shows as "you".
CREATE OR REPLACE FUNCTION {{ api_schema }}.session_user_id() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT {{ schema }}._session_user();
$fn$;

-- Map a database role to the phaseline user it acts as (session binding).
-- Admins only. A role acts as one user at a time: mapping it again to
-- another user needs unmap_user_role first, so nobody is silently re-bound.
CREATE OR REPLACE FUNCTION {{ api_schema }}.map_user_role(p_user integer, p_role text, p_actor integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer   text;
    v_user    {{ schema }}.users;
    v_current integer;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._require_admin(p_actor, 'map database roles to users');
    PERFORM {{ schema }}._check_text(p_role, 'db_role', 'the database role');
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = p_role) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_db_role',
            MESSAGE = format('database role %s does not exist', quote_ident(p_role)),
            HINT = 'Create the role first (CREATE ROLE), then map it; role names are case-sensitive.';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = p_role AND rolsuper) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege', CONSTRAINT = 'db_role_superuser',
            MESSAGE = format('database role %s is a superuser and cannot act as a phaseline user', quote_ident(p_role)),
            DETAIL = 'A superuser bypasses every rule phaseline keeps; its writes cannot be evidence of a person.',
            HINT = 'Map a plain login, or a role a pooler sets with SET ROLE.';
    END IF;
    SELECT * INTO v_user FROM {{ schema }}.users WHERE user_id = p_user;
    IF v_user.user_id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_user',
            MESSAGE = format('user %s does not exist', coalesce(p_user::text, 'null')),
            HINT = 'Pass the user_id of an existing user.';
    END IF;
    -- Serialize mappings of one role: the partial unique index would refuse
    -- a concurrent second mapping with a bare 23505; this says why.
    PERFORM pg_advisory_xact_lock(hashtext('phaseline.user_db_roles'), hashtext(p_role));
    SELECT user_id INTO v_current FROM {{ schema }}.user_db_roles WHERE role_name = p_role AND unmapped_at IS NULL;
    IF v_current = p_user THEN
        PERFORM {{ schema }}._leave(v_outer);
        RETURN;  -- already so: idempotent
    END IF;
    IF v_current IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'unique_violation', CONSTRAINT = 'db_role_mapped',
            MESSAGE = format('database role %s already acts as user %s', quote_ident(p_role), v_current),
            DETAIL = format('asked to map it to user %s', p_user),
            HINT = 'Unmap it first (phaseline_api.unmap_user_role).';
    END IF;
    INSERT INTO {{ schema }}.user_db_roles (role_name, user_id, mapped_by) VALUES (p_role, p_user, p_actor);
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

-- End a role's mapping: from now on it acts as nobody (its history stays).
CREATE OR REPLACE FUNCTION {{ api_schema }}.unmap_user_role(p_role text, p_actor integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._require_admin(p_actor, 'unmap database roles');
    PERFORM {{ schema }}._check_text(p_role, 'db_role', 'the database role');
    UPDATE {{ schema }}.user_db_roles SET unmapped_at = greatest(now(), mapped_at), unmapped_by = p_actor
     WHERE role_name = p_role AND unmapped_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_db_role',
            MESSAGE = format('database role %s is not mapped to a user', quote_ident(p_role)),
            HINT = 'Nothing to unmap.';
    END IF;
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

{% include 'include/api_grants.sql' -%}
