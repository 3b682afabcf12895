-- Guards of the users table that hold for direct writes too (issue 12).

-- Finding 8: a user's id is who they are in every decision, version and
-- audit row (sample_decisions keeps no per-row foreign key), so it never
-- changes; neither does when the user was created. Even the owner's
-- UPDATE ... SET user_id = DEFAULT is refused.
CREATE OR REPLACE FUNCTION {{ schema }}._users_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF NEW.user_id IS DISTINCT FROM OLD.user_id OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'immutable_column',
            MESSAGE = format('user %s keeps its user_id and created_at', OLD.user_id),
            DETAIL = format('asked: user_id %s -> %s', OLD.user_id, NEW.user_id),
            HINT = 'Decisions, versions and the audit log name users by id: create a new user instead.';
    END IF;
    RETURN NEW;
END
$fn$;
CREATE OR REPLACE TRIGGER _150_users_guard BEFORE UPDATE ON {{ schema }}.users
    FOR EACH ROW EXECUTE FUNCTION {{ schema }}._users_guard();

-- Finding 2: once an installation has users it keeps an active admin, or
-- nobody could ever create users, cycles or reports again (the bootstrap
-- path is closed once any user exists). set_user_active serializes
-- deactivations with a table lock; this catches the direct writer.
-- A row trigger, not a statement one: AFTER row triggers fire before AFTER
-- statement triggers, and the audit's row trigger (_900_audit) checks the
-- actor, who may be the admin being deactivated; this rule must speak
-- first. Queued to the end of the statement, it sees all of its rows.
CREATE OR REPLACE FUNCTION {{ schema }}._users_keep_admin() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF {{ schema }}._backfilling() THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT FROM {{ schema }}.users WHERE role = 'admin' AND is_active) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'last_admin',
            MESSAGE = 'this change would leave no active admin',
            DETAIL = format('admin deactivated or demoted: user %s', OLD.user_id),
            HINT = 'Create or reactivate another admin first.';
    END IF;
    RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER _150_users_keep_admin AFTER UPDATE ON {{ schema }}.users
    FOR EACH ROW WHEN (OLD.role = 'admin' AND OLD.is_active AND NOT (NEW.role = 'admin' AND NEW.is_active))
    EXECUTE FUNCTION {{ schema }}._users_keep_admin();
