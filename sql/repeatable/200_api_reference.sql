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
    v_outer text;
    v_id integer;
BEGIN
    IF p_role IS NULL OR NOT p_role = ANY (enum_range(NULL::{{ schema }}.user_role)::text[]) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'unknown_role',
            MESSAGE = format('unknown role "%s"', p_role),
            DETAIL = format('roles: %s', array_to_string(enum_range(NULL::{{ schema }}.user_role)::text[], ', ')),
            HINT = 'Pass one of the roles listed.';
    END IF;
    IF p_email IS NULL OR p_email !~ '^[^@\s]+@[^@\s]+$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'email_is_address',
            MESSAGE = format('"%s" is not an email address', p_email),
            HINT = 'Pass an address of the form name@domain.';
    END IF;
    IF coalesce(btrim(p_display_name), '') = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'display_name_not_blank',
            MESSAGE = 'a user needs a display name',
            DETAIL = format('email: %s', p_email);
    END IF;
    IF EXISTS (SELECT FROM {{ schema }}.users WHERE lower(email) = lower(p_email)) THEN
        -- the unique index users_email_key says the same under a race
        RAISE EXCEPTION USING
            ERRCODE = 'unique_violation', CONSTRAINT = 'users_email_key',
            MESSAGE = format('a user with email "%s" already exists', p_email),
            DETAIL = 'Emails are unique regardless of case.',
            HINT = 'Reuse the existing user, or reactivate it.';
    END IF;

    -- Users are created by an admin (p_actor). Without one, only the first
    -- admin of an empty installation: the contract's three-argument call
    -- bootstraps phaseline, and the audit names the new admin as its own
    -- creator. The table lock makes two concurrent bootstraps one.
    IF p_actor IS NULL THEN
        LOCK TABLE {{ schema }}.users IN SHARE ROW EXCLUSIVE MODE;
        IF p_role <> 'admin' OR EXISTS (SELECT FROM {{ schema }}.users WHERE role = 'admin' AND is_active) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'insufficient_privilege', CONSTRAINT = 'actor_required',
                MESSAGE = format('user "%s" must be created by an admin', p_email),
                DETAIL = 'Only the first admin of an installation is created without p_actor.',
                HINT = 'Pass an admin''s user_id as p_actor.';
        END IF;
    END IF;
    v_id := nextval(pg_get_serial_sequence({{ (schema_name ~ '.users') | literal }}, 'user_id'));
    v_outer := coalesce(current_setting('phaseline.actor', true), '');
    IF p_actor IS NOT NULL THEN
        PERFORM {{ schema }}._set_actor(p_actor);
        PERFORM {{ schema }}._require_admin(p_actor, 'create users');
    ELSE
        PERFORM set_config('phaseline.actor', v_id::text, true);
    END IF;
    INSERT INTO {{ schema }}.users (user_id, email, display_name, role)
    OVERRIDING SYSTEM VALUE
    VALUES (v_id, btrim(p_email), btrim(p_display_name), p_role::{{ schema }}.user_role);
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.set_user_active(p_user integer, p_active boolean, p_actor integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    PERFORM {{ schema }}._require_admin(p_actor, 'activate or deactivate users');
    IF p_user = p_actor AND NOT p_active THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'no_self_deactivation',
            MESSAGE = format('user %s cannot deactivate themselves', p_actor),
            HINT = 'Another admin must do it, so there is always one left.';
    END IF;
    UPDATE {{ schema }}.users SET is_active = p_active WHERE user_id = p_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_user',
            MESSAGE = format('user %s does not exist', p_user);
    END IF;
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.create_cycle(
    p_name text, p_period_start date, p_period_end date, p_actor integer
) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_id uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    PERFORM {{ schema }}._require_admin(p_actor, 'create test cycles');
    IF coalesce(btrim(p_name), '') = '' OR p_period_start IS NULL OR p_period_end IS NULL OR p_period_end < p_period_start THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'cycle_period_ordered',
            MESSAGE = format('test cycle "%s" needs a name and a period that ends on or after it starts', p_name),
            DETAIL = format('period_start=%s, period_end=%s', p_period_start, p_period_end);
    END IF;
    IF EXISTS (SELECT FROM {{ schema }}.test_cycles WHERE lower(name) = lower(btrim(p_name))) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'unique_violation', CONSTRAINT = 'test_cycles_name_key',
            MESSAGE = format('a test cycle named "%s" already exists', p_name),
            HINT = 'Cycle names are unique regardless of case.';
    END IF;
    INSERT INTO {{ schema }}.test_cycles (name, period_start, period_end, created_by)
    VALUES (btrim(p_name), p_period_start, p_period_end, p_actor)
    RETURNING cycle_id INTO v_id;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.create_report(p_name text, p_owner integer, p_actor integer) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_owner {{ schema }}.users;
    v_id    uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    PERFORM {{ schema }}._require_admin(p_actor, 'create reports');
    IF coalesce(btrim(p_name), '') = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'report_name_not_blank',
            MESSAGE = 'a report needs a name';
    END IF;
    SELECT * INTO v_owner FROM {{ schema }}.users WHERE user_id = p_owner;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_user',
            MESSAGE = format('owner %s of report "%s" does not exist', p_owner, p_name);
    END IF;
    IF v_owner.role NOT IN ('report_owner', 'admin') OR NOT v_owner.is_active THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'owner_can_review',
            MESSAGE = format('user %s cannot own report "%s"', p_owner, p_name),
            DETAIL = format('role=%s, is_active=%s', v_owner.role, v_owner.is_active),
            HINT = 'The owner reviews the report''s work: pass an active report_owner or admin.';
    END IF;
    IF EXISTS (SELECT FROM {{ schema }}.reports WHERE lower(name) = lower(btrim(p_name))) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'unique_violation', CONSTRAINT = 'reports_name_key',
            MESSAGE = format('a report named "%s" already exists', p_name),
            HINT = 'Report names are unique regardless of case.';
    END IF;
    INSERT INTO {{ schema }}.reports (name, owner_user_id, created_by)
    VALUES (btrim(p_name), p_owner, p_actor)
    RETURNING report_id INTO v_id;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

-- Puts a report in scope of a cycle with its tester; assigning again changes the tester.
CREATE OR REPLACE FUNCTION {{ api_schema }}.assign_report(p_cycle uuid, p_report uuid, p_tester integer, p_actor integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_tester {{ schema }}.users;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    PERFORM {{ schema }}._require_admin(p_actor, 'assign reports');
    IF NOT EXISTS (SELECT FROM {{ schema }}.test_cycles WHERE cycle_id = p_cycle) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_cycle',
            MESSAGE = format('test cycle %s does not exist', p_cycle);
    END IF;
    IF NOT EXISTS (SELECT FROM {{ schema }}.reports WHERE report_id = p_report) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_report',
            MESSAGE = format('report %s does not exist', p_report);
    END IF;
    SELECT * INTO v_tester FROM {{ schema }}.users WHERE user_id = p_tester;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_user',
            MESSAGE = format('tester %s does not exist', p_tester);
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

{% include 'include/api_grants.sql' %}
