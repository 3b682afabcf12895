{% from 'migrate/_shapes.sql' import phase_tables %}
{% import 'migrate/_versions.sql' as mv with context %}
-- migrate-legacy: legacy rows -> phaseline rows. One function per entity
-- takes a set of groups (users, master ids, phase keys), derives what
-- phaseline must hold for them from the legacy rows as they are now, and
-- applies only the difference. The backfill calls them in keyset batches,
-- the sync triggers (030_sync.sql) with the groups a legacy statement
-- touched; both are idempotent, so a rerun or a resumed run changes nothing
-- that is already right.
--
-- They write with phaseline.backfill on (history goes in as it was; the
-- unique indexes, checks and foreign keys still hold) and with the acting
-- user of each row (its reviewer once reviewed, else its creator; the
-- migration user where the legacy row names nobody). Defects are collected
-- in pg_temp._mig_new_defects and replace the group's earlier ones.

-- Every phase table as one relation: payload columns by name. A column that
-- is SQL NULL is left out (no value; the phase contracts type every present
-- key); a JSON value goes in exactly as it is, JSON null and nested nulls
-- included (jsonb_strip_nulls would drop those, and it recurses).
CREATE OR REPLACE VIEW {{ migration_schema }}._mig_legacy_phases AS
{%- for p in phase_tables %}
SELECT {{ p.phase | literal }}::text AS phase_name, {{ p.table | literal }}::text AS legacy_table,
       phase_id, cycle_id, report_id, status, started_at, completed_at,
       (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
          FROM (VALUES {% for col, type in p.payload %}({{ col | literal }}, to_jsonb({{ col | ident }})){{ ", " if not loop.last }}{% endfor %}) AS x(k, v)
         WHERE v IS NOT NULL) AS payload,
       {{ 'signed_off_by' if p.phase == 'test_report' else 'NULL::integer' }} AS signed_off_by
  FROM {{ legacy_schema }}.{{ p.table | ident }}
{{- "\nUNION ALL" if not loop.last else ";" }}
{%- endfor %}

CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_user() RETURNS integer
LANGUAGE sql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT migration_user_id FROM {{ compat_schema }}.migration_state;
$fn$;

-- Which uniqueness slot a status holds: one approved, one open per key.
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_slot(p_status {{ schema }}.version_status) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT CASE WHEN p_status = 'approved' THEN 'approved'
                WHEN p_status IN ('draft', 'pending_approval') THEN 'open' END;
$fn$;

-- Legacy role text -> phaseline role. Spelling variants map to their role;
-- anything else becomes a viewer (no rights to change anything) and is a defect.
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_role(p_role text) RETURNS {{ schema }}.user_role
LANGUAGE sql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT CASE lower(regexp_replace(btrim(coalesce(p_role, '')), '[\s-]+', '_', 'g'))
               WHEN 'tester' THEN 'tester'
               WHEN 'report_owner' THEN 'report_owner'
               WHEN 'owner' THEN 'report_owner'
               WHEN 'admin' THEN 'admin'
               WHEN 'administrator' THEN 'admin'
               ELSE 'viewer' END::{{ schema }}.user_role;
$fn$;

-- One writer per group at a time: a backfill batch and a mirrored legacy
-- write of the same master would otherwise insert the same rows. Locks are
-- transaction-level advisory locks (class, hash of the group key), taken in
-- key order. The mirror waits (it runs inside the legacy writer's
-- transaction and must not fail it); the backfill only tries, and on a busy
-- group rolls its batch back and waits for that one lock outside any
-- transaction (harness/migrate.py), so it never waits while holding locks
-- and cannot deadlock with a legacy writer.
{%- set lock_classes = {'users': 7201, 'attribute_masters': 7202, 'set_masters': 7203, 'phase_keys': 7204} %}
-- The lock classes by name, for pg_locks readers (classid = class, objid = key).
CREATE OR REPLACE VIEW {{ migration_schema }}.lock_classes (lock_group, class) AS
VALUES {% for g, c in lock_classes.items() %}({{ g | literal }}, {{ c }}){{ ", " if not loop.last }}{% endfor %};

CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_lock(p_group text, p_keys text[]) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_class integer := CASE p_group {% for g, c in lock_classes.items() %}WHEN {{ g | literal }} THEN {{ c }} {% endfor %}END;
    v_key   integer;
    v_name  text;
BEGIN
    IF v_class IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'unknown_lock_group',
            MESSAGE = format('no migration lock group "%s"', p_group),
            HINT = format('Lock groups: %s.', (SELECT string_agg(lock_group, ', ') FROM {{ migration_schema }}.lock_classes));
    END IF;
    FOR v_key, v_name IN SELECT hashtext(k), min(k) FROM unnest(p_keys) AS k WHERE k IS NOT NULL GROUP BY 1 ORDER BY 1 LOOP
        IF current_setting('phaseline.legacy_sync', true) = 'on' THEN
            PERFORM pg_advisory_xact_lock(v_class, v_key);
        ELSIF NOT pg_try_advisory_xact_lock(v_class, v_key) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'lock_not_available', CONSTRAINT = 'group_busy',
                MESSAGE = format('a legacy write is being mirrored into %s %s, a group of this batch', p_group, v_name),
                DETAIL = format('lock_group=%s class=%s key=%s group=%s', p_group, v_class, v_key, v_name),
                HINT = 'The batch rolls back, waits for that legacy transaction to end, and is retried.';
        END IF;
    END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_defects_begin() RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    -- made once per session and emptied per use: a mirror calls this for
    -- each group, and a table's creation costs more than its rows
    IF to_regclass('pg_temp._mig_new_defects') IS NULL THEN
        CREATE TEMP TABLE _mig_new_defects (LIKE {{ compat_schema }}.migration_defects INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
    ELSE
        DELETE FROM pg_temp._mig_new_defects;
    END IF;
END
$fn$;

-- The defects of these groups are now exactly those collected (of the rows
-- p_ids, when given). Orphans are kept by their own step
-- (_mig_apply_orphans), not by a group. A blocking defect a DBA accepted
-- (migration_resolutions) goes in as non-blocking, the acceptance in its detail.
DROP FUNCTION IF EXISTS {{ migration_schema }}._mig_defects_commit(text[], text[]);
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_defects_commit(p_tables text[], p_groups text[], p_ids text[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    UPDATE pg_temp._mig_new_defects n
       SET blocking = false,
           detail = n.detail || jsonb_build_object('accepted', jsonb_build_object('by', r.accepted_by, 'at', r.accepted_at, 'note', r.note))
      FROM {{ compat_schema }}.migration_resolutions r
     WHERE n.blocking AND (r.legacy_table, r.legacy_id, r.kind) = (n.legacy_table, n.legacy_id, n.kind);
    DELETE FROM {{ compat_schema }}.migration_defects d
     WHERE d.legacy_table = ANY (p_tables) AND d.group_id = ANY (p_groups) AND d.kind <> 'orphan_record'
       AND (p_ids IS NULL OR d.legacy_id = ANY (p_ids))
       AND NOT EXISTS (SELECT FROM pg_temp._mig_new_defects n
                        WHERE (n.legacy_table, n.legacy_id, n.kind) = (d.legacy_table, d.legacy_id, d.kind));
    INSERT INTO {{ compat_schema }}.migration_defects AS d
    SELECT DISTINCT ON (legacy_table, legacy_id, kind) * FROM pg_temp._mig_new_defects
     WHERE legacy_table = ANY (p_tables)
     ORDER BY legacy_table, legacy_id, kind
    ON CONFLICT (legacy_table, legacy_id, kind) DO UPDATE
       SET group_id = EXCLUDED.group_id, blocking = EXCLUDED.blocking, absent = EXCLUDED.absent,
           columns = EXCLUDED.columns, detail = EXCLUDED.detail
     WHERE (d.group_id, d.blocking, d.absent, d.columns, d.detail)
           IS DISTINCT FROM (EXCLUDED.group_id, EXCLUDED.blocking, EXCLUDED.absent, EXCLUDED.columns, EXCLUDED.detail);
END
$fn$;

-- ---------------------------------------------------------------------------
-- Users: ids kept (OVERRIDING SYSTEM VALUE). An email that is not an
-- address, or that an older user already has (phaseline's emails are unique
-- regardless of case), becomes legacy-user-<id>@migration.invalid; a blank
-- name becomes "Legacy user <id>"; each such change is a defect.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_apply_users(p_ids integer[]) RETURNS bigint
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_mig   integer := {{ migration_schema }}._mig_user();
    v_rows  bigint;
    v_max   integer;
    v_ids   integer[];
BEGIN
    -- Who holds an address decides who keeps it (the oldest legacy user), so
    -- a user's email is derived together with every user that had, has or
    -- gets the same address, legacy or phaseline, in any case.
    PERFORM {{ migration_schema }}._mig_lock('users', p_ids::text[]);
    SELECT array_agg(DISTINCT x.i ORDER BY x.i) INTO v_ids FROM (
        SELECT unnest(p_ids) AS i
        UNION SELECT o.user_id FROM {{ legacy_schema }}.users o
               WHERE lower(o.email) IN (SELECT lower(b.email) FROM {{ legacy_schema }}.users b WHERE b.user_id = ANY (p_ids)
                                        UNION SELECT lower(p.email) FROM {{ schema }}.users p WHERE p.user_id = ANY (p_ids))
        UNION SELECT p.user_id FROM {{ schema }}.users p
               WHERE lower(p.email) IN (SELECT lower(b.email) FROM {{ legacy_schema }}.users b WHERE b.user_id = ANY (p_ids))
                 AND p.user_id <> v_mig) x;
    v_ids := coalesce(v_ids, '{}');
    IF v_ids <> ARRAY(SELECT DISTINCT i FROM unnest(p_ids) AS i ORDER BY 1) THEN
        PERFORM {{ migration_schema }}._mig_lock('users', v_ids::text[]);
    END IF;
    PERFORM {{ migration_schema }}._mig_defects_begin();
    PERFORM set_config('phaseline.actor', v_mig::text, true);

    DROP TABLE IF EXISTS pg_temp._mig_tu;
    CREATE TEMP TABLE _mig_tu ON COMMIT DROP AS
    SELECT u.user_id, u.email AS l_email, u.full_name AS l_full_name, u.role AS l_role,
           CASE WHEN u.email IS NULL OR u.email !~ '^[^@\s]+@[^@\s]+$' OR f.first_id <> u.user_id
                  OR lower(u.email) = (SELECT lower(m.email) FROM {{ schema }}.users m WHERE m.user_id = v_mig)
                THEN format('legacy-user-%s@migration.invalid', u.user_id) ELSE u.email END AS email,
           CASE WHEN btrim(coalesce(u.full_name, '')) = '' THEN format('Legacy user %s', u.user_id)
                ELSE u.full_name END AS display_name,
           {{ migration_schema }}._mig_role(u.role) AS role
      FROM {{ legacy_schema }}.users u
      LEFT JOIN (SELECT lower(o.email) AS email, min(o.user_id) AS first_id
                   FROM {{ legacy_schema }}.users o
                  WHERE lower(o.email) IN (SELECT lower(b.email) FROM {{ legacy_schema }}.users b WHERE b.user_id = ANY (v_ids))
                  GROUP BY 1) f ON f.email = lower(u.email)
     WHERE u.user_id = ANY (v_ids) AND u.user_id <> v_mig;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    ANALYZE pg_temp._mig_tu;  -- plans over a temp table need its size

    -- An address moves from one user to another: free it first (unique
    -- indexes are checked row by row), then every row takes its own.
    UPDATE {{ schema }}.users p SET email = format('moving-%s@migration.invalid', p.user_id)
      FROM _mig_tu t
     WHERE p.user_id = t.user_id AND lower(p.email) IS DISTINCT FROM lower(t.email)
       AND EXISTS (SELECT FROM _mig_tu o WHERE o.user_id <> p.user_id AND lower(o.email) = lower(p.email));

    INSERT INTO {{ schema }}.users (user_id, email, display_name, role)
    OVERRIDING SYSTEM VALUE
    SELECT t.user_id, t.email, t.display_name, t.role FROM _mig_tu t
     WHERE NOT EXISTS (SELECT FROM {{ schema }}.users p WHERE p.user_id = t.user_id)
     ORDER BY t.user_id;
    UPDATE {{ schema }}.users p SET email = t.email, display_name = t.display_name, role = t.role
      FROM _mig_tu t
     WHERE p.user_id = t.user_id AND (p.email, p.display_name, p.role) IS DISTINCT FROM (t.email, t.display_name, t.role);

    -- Legacy ids were inserted past the identity: move it on, never back.
    SELECT max(user_id) INTO v_max FROM {{ schema }}.users;
    IF v_max > coalesce(pg_sequence_last_value(pg_get_serial_sequence({{ (schema_name ~ '.users') | literal }}, 'user_id')::regclass), 0) THEN
        PERFORM setval(pg_get_serial_sequence({{ (schema_name ~ '.users') | literal }}, 'user_id'), v_max);
    END IF;

    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, columns, detail)
    SELECT 'users', user_id::text, 'email_rewritten', user_id::text, '{email}'::text[],
           jsonb_build_object('legacy_email', l_email, 'email', email,
                              'rule', 'not an address, or an older user has it (case-insensitively): legacy-user-<id>@migration.invalid')
      FROM _mig_tu WHERE email IS DISTINCT FROM l_email
    UNION ALL
    SELECT 'users', user_id::text, 'display_name_filled', user_id::text, '{full_name}'::text[],
           jsonb_build_object('legacy_full_name', l_full_name, 'display_name', display_name)
      FROM _mig_tu WHERE display_name IS DISTINCT FROM l_full_name
    UNION ALL
    SELECT 'users', user_id::text, 'role_mapped', user_id::text, '{role}'::text[],
           jsonb_build_object('legacy_role', l_role, 'role', role,
                              'rule', 'tester, report owner (owner), admin (administrator) map by name; anything else becomes viewer')
      FROM _mig_tu WHERE role::text IS DISTINCT FROM l_role
    UNION ALL
    -- the migration user's id was taken from the identity; a legacy user with it cannot be placed
    SELECT 'users', u.user_id::text, 'user_id_collision', u.user_id::text, '{}'::text[],
           jsonb_build_object('user_id', u.user_id, 'why', 'this id is the migration user''s')
      FROM {{ legacy_schema }}.users u WHERE u.user_id = ANY (v_ids) AND u.user_id = v_mig
    UNION ALL
    SELECT 'users', i::text, 'deleted_in_legacy', i::text, '{}'::text[],
           jsonb_build_object('why', 'the user is in phaseline but no longer in the legacy users table (phaseline never deletes users)')
      FROM unnest(v_ids) AS i
     WHERE EXISTS (SELECT FROM {{ schema }}.users p WHERE p.user_id = i) AND i <> v_mig
       AND NOT EXISTS (SELECT FROM {{ legacy_schema }}.users u WHERE u.user_id = i);
    UPDATE pg_temp._mig_new_defects SET blocking = true WHERE kind IN ('user_id_collision', 'deleted_in_legacy');

    PERFORM {{ migration_schema }}._mig_defects_commit(ARRAY['users'], ARRAY(SELECT i::text FROM unnest(v_ids) AS i));
    RETURN v_rows;
END
$fn$;

-- Users these ids name that are in legacy but not yet in phaseline (a
-- group migrated before its users' batch, or a sync write that names a new user).
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_ensure_users(p_ids integer[]) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_missing integer[];
BEGIN
    SELECT array_agg(DISTINCT i) INTO v_missing
      FROM unnest(p_ids) AS i
     WHERE i IS NOT NULL
       AND NOT EXISTS (SELECT FROM {{ schema }}.users p WHERE p.user_id = i)
       AND EXISTS (SELECT FROM {{ legacy_schema }}.users u WHERE u.user_id = i);
    IF v_missing IS NOT NULL THEN
        PERFORM {{ migration_schema }}._mig_apply_users(v_missing);
    END IF;
END
$fn$;

-- ---------------------------------------------------------------------------
-- Test cycles, reports, cycle_reports: legacy has only their ids. Derived
-- from every legacy row that names them (attributes, sets, phases):
--   cycle: "Legacy cycle <id>", period = first to last day of its rows' activity
--   report: "Legacy report <id>"; owner = the user who reviewed most of the
--     report's attributes and sets and can review (report_owner or admin),
--     lowest id on a tie; else the migration user
--   cycle_report: tester = the user who created most of the pair's
--     attributes and sets and can test (tester or admin); else the migration user
-- Recomputed for the pairs given; created_at = the earliest activity.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_apply_reference(p_cycles uuid[], p_reports uuid[]) RETURNS bigint
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_mig  integer := {{ migration_schema }}._mig_user();
    v_rows bigint;
BEGIN
    DROP TABLE IF EXISTS pg_temp._mig_pairs;
    CREATE TEMP TABLE _mig_pairs ON COMMIT DROP AS
    SELECT DISTINCT c AS cycle_id, r AS report_id FROM unnest(p_cycles, p_reports) AS x(c, r)
     WHERE c IS NOT NULL AND r IS NOT NULL;
    GET DIAGNOSTICS v_rows = ROW_COUNT;

    DROP TABLE IF EXISTS pg_temp._mig_activity;
    CREATE TEMP TABLE _mig_activity ON COMMIT DROP AS
    SELECT cycle_id, report_id, created_by AS creator,
           CASE WHEN lower(btrim(approval_status)) IN ('approved', 'rejected') THEN approved_by END AS reviewer,
           least(created_at, approved_at) AS first_at, greatest(created_at, approved_at) AS last_at
      FROM {{ legacy_schema }}.report_attributes
     WHERE cycle_id IN (SELECT cycle_id FROM _mig_pairs) OR report_id IN (SELECT report_id FROM _mig_pairs)
    UNION ALL
    SELECT cycle_id, report_id, created_by,
           CASE WHEN lower(btrim(status)) IN ('approved', 'rejected') THEN approved_by END,
           least(created_at, submitted_at, approved_at), greatest(created_at, submitted_at, approved_at)
      FROM {{ legacy_schema }}.sample_sets
     WHERE cycle_id IN (SELECT cycle_id FROM _mig_pairs) OR report_id IN (SELECT report_id FROM _mig_pairs)
    UNION ALL
    SELECT cycle_id, report_id, NULL, signed_off_by, least(started_at, completed_at), greatest(started_at, completed_at)
      FROM {{ migration_schema }}._mig_legacy_phases
     WHERE cycle_id IN (SELECT cycle_id FROM _mig_pairs) OR report_id IN (SELECT report_id FROM _mig_pairs);

    PERFORM {{ migration_schema }}._mig_ensure_users(ARRAY(SELECT creator FROM _mig_activity UNION SELECT reviewer FROM _mig_activity));
    PERFORM set_config('phaseline.actor', v_mig::text, true);

    INSERT INTO {{ schema }}.test_cycles AS c (cycle_id, name, period_start, period_end, created_by, created_at)
    SELECT p.cycle_id, 'Legacy cycle ' || p.cycle_id,
           coalesce(min(a.first_at)::date, max(a.last_at)::date, current_date),
           coalesce(max(a.last_at)::date, min(a.first_at)::date, current_date),
           v_mig, coalesce(min(a.first_at), now())
      FROM (SELECT DISTINCT cycle_id FROM _mig_pairs) p
      LEFT JOIN _mig_activity a ON a.cycle_id = p.cycle_id
     GROUP BY p.cycle_id
    ON CONFLICT (cycle_id) DO UPDATE
       SET period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end
     WHERE (c.period_start, c.period_end) IS DISTINCT FROM (EXCLUDED.period_start, EXCLUDED.period_end);

    INSERT INTO {{ schema }}.reports AS r (report_id, name, owner_user_id, created_by, created_at)
    SELECT p.report_id, 'Legacy report ' || p.report_id, coalesce(o.reviewer, v_mig), v_mig, coalesce(f.first_at, now())
      FROM (SELECT DISTINCT report_id FROM _mig_pairs) p
      LEFT JOIN (SELECT a.report_id, min(a.first_at) AS first_at FROM _mig_activity a GROUP BY 1) f ON f.report_id = p.report_id
      LEFT JOIN (SELECT DISTINCT ON (a.report_id) a.report_id, a.reviewer
                   FROM _mig_activity a JOIN {{ schema }}.users u ON u.user_id = a.reviewer AND u.role IN ('report_owner', 'admin')
                  GROUP BY a.report_id, a.reviewer
                  ORDER BY a.report_id, count(*) DESC, a.reviewer) o ON o.report_id = p.report_id
    ON CONFLICT (report_id) DO UPDATE
       SET owner_user_id = EXCLUDED.owner_user_id
     WHERE r.owner_user_id IS DISTINCT FROM EXCLUDED.owner_user_id;

    INSERT INTO {{ schema }}.cycle_reports AS cr (id, cycle_id, report_id, tester_user_id, assigned_by, assigned_at)
    SELECT md5(p.cycle_id::text || '/' || p.report_id::text)::uuid, p.cycle_id, p.report_id, coalesce(t.creator, v_mig), v_mig,
           coalesce(f.first_at, now())
      FROM _mig_pairs p
      LEFT JOIN (SELECT a.cycle_id, a.report_id, min(a.first_at) AS first_at FROM _mig_activity a GROUP BY 1, 2) f
             ON (f.cycle_id, f.report_id) = (p.cycle_id, p.report_id)
      LEFT JOIN (SELECT DISTINCT ON (a.cycle_id, a.report_id) a.cycle_id, a.report_id, a.creator
                   FROM _mig_activity a JOIN {{ schema }}.users u ON u.user_id = a.creator AND u.role IN ('tester', 'admin')
                  GROUP BY a.cycle_id, a.report_id, a.creator
                  ORDER BY a.cycle_id, a.report_id, count(*) DESC, a.creator) t
             ON (t.cycle_id, t.report_id) = (p.cycle_id, p.report_id)
    ON CONFLICT (cycle_id, report_id) DO UPDATE
       SET tester_user_id = EXCLUDED.tester_user_id
     WHERE cr.tester_user_id IS DISTINCT FROM EXCLUDED.tester_user_id;
    RETURN v_rows;
END
$fn$;

-- Reference rows for the pairs that have none yet.
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_ensure_reference(p_cycles uuid[], p_reports uuid[]) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_cycles  uuid[];
    v_reports uuid[];
BEGIN
    SELECT array_agg(c), array_agg(r) INTO v_cycles, v_reports
      FROM (SELECT DISTINCT c, r FROM unnest(p_cycles, p_reports) AS x(c, r)
             WHERE c IS NOT NULL AND r IS NOT NULL
               AND NOT EXISTS (SELECT FROM {{ schema }}.cycle_reports cr WHERE cr.cycle_id = x.c AND cr.report_id = x.r)) y;
    IF v_cycles IS NOT NULL THEN
        PERFORM {{ migration_schema }}._mig_apply_reference(v_cycles, v_reports);
    END IF;
END
$fn$;

-- ---------------------------------------------------------------------------
-- Report attributes: master_attribute_id groups the versions of one key
-- (cycle, report, attribute_name). The payload columns become the version's
-- definition, by name. pending -> pending_approval, approved -> approved
-- (older ones superseded), rejected -> rejected; approved_by/at hold the
-- reviewer for either outcome.
-- ---------------------------------------------------------------------------
{%- set e = entity('report_attribute') %}
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_apply_attributes(p_masters uuid[]) RETURNS bigint
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_mig    integer := {{ migration_schema }}._mig_user();
    v_actor  integer;
    v_n      integer;
    v_rows   bigint;
BEGIN
    PERFORM {{ migration_schema }}._mig_lock('attribute_masters', p_masters::text[]);
    PERFORM {{ migration_schema }}._mig_ensure_users(ARRAY(
        SELECT created_by FROM {{ legacy_schema }}.report_attributes WHERE master_attribute_id = ANY (p_masters)
        UNION SELECT approved_by FROM {{ legacy_schema }}.report_attributes WHERE master_attribute_id = ANY (p_masters)));
    PERFORM {{ migration_schema }}._mig_ensure_reference(
        ARRAY(SELECT cycle_id FROM {{ legacy_schema }}.report_attributes WHERE master_attribute_id = ANY (p_masters) ORDER BY attribute_id),
        ARRAY(SELECT report_id FROM {{ legacy_schema }}.report_attributes WHERE master_attribute_id = ANY (p_masters) ORDER BY attribute_id));
    PERFORM {{ migration_schema }}._mig_defects_begin();

    DROP TABLE IF EXISTS pg_temp._mig_src_attr;
    CREATE TEMP TABLE _mig_src_attr ON COMMIT DROP AS
    SELECT a.attribute_id AS id, a.master_attribute_id::text AS grp, 'report_attributes'::text AS legacy_table,
           a.cycle_id, a.report_id, a.attribute_name,
           jsonb_strip_nulls(jsonb_build_object('data_type', a.data_type, 'description', a.description,
                                                'is_primary_key', a.is_primary_key, 'is_cde', a.is_cde,
                                                'is_scoped', a.is_scoped)) AS definition,
           a.version_number AS ord_number, a.created_at AS ord_at, a.is_latest_version AS l_latest,
           (CASE lower(btrim(a.approval_status)) WHEN 'pending' THEN 'pending_approval' WHEN 'approved' THEN 'approved'
                 WHEN 'rejected' THEN 'rejected' END)::{{ schema }}.version_status AS l_status,
           a.approval_status AS l_status_text,
           a.created_by AS l_created_by, a.created_at AS l_created_at, NULL::timestamptz AS l_submitted_at,
           a.approved_by AS l_reviewer, a.approved_at AS l_reviewed_at, NULL::text AS l_note
      FROM {{ legacy_schema }}.report_attributes a
     WHERE a.master_attribute_id = ANY (p_masters);
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    ANALYZE pg_temp._mig_src_attr;  -- plans over a temp table need its size

    DROP TABLE IF EXISTS pg_temp._mig_src_attr_blocked;
    CREATE TEMP TABLE _mig_src_attr_blocked (grp text, legacy_id text, kind text, detail jsonb) ON COMMIT DROP;
    -- Two masters for one key: which one is "the" attribute is a guess, so neither is placed.
    INSERT INTO _mig_src_attr_blocked (grp, legacy_id, kind, detail)
    SELECT DISTINCT ON (s.id) s.grp, s.id::text, 'key_collision',
           jsonb_build_object('other_master_attribute_id', o.master_attribute_id)
      FROM _mig_src_attr s
      JOIN {{ legacy_schema }}.report_attributes o
        ON o.cycle_id = s.cycle_id AND o.report_id = s.report_id AND o.attribute_name = s.attribute_name
       AND o.master_attribute_id::text <> s.grp
     ORDER BY s.id, o.master_attribute_id;

{{ mv.apply(e, {'src': '_mig_src_attr', 'content': ['definition'],
                'legacy_rows': legacy_schema ~ '.report_attributes', 'legacy_id': 'attribute_id', 'text_keys': ['attribute_name'],
                'legacy_numbers': true, 'legacy_latest': true, 'legacy_users': true,
                'cols': {'number': 'version_number', 'latest': 'is_latest_version', 'status': 'approval_status',
                         'created_by': 'created_by', 'created_at': 'created_at', 'reviewer': 'approved_by',
                         'reviewed_at': 'approved_at'}}) }}

    INSERT INTO {{ compat_schema }}.migration_masters AS m (entity, master_id, cycle_id, report_id, key_name)
    SELECT DISTINCT 'report_attribute', t.grp::uuid, t.cycle_id, t.report_id, t.attribute_name FROM _mig_src_attr_t t
    ON CONFLICT (entity, master_id) DO UPDATE
       SET cycle_id = EXCLUDED.cycle_id, report_id = EXCLUDED.report_id, key_name = EXCLUDED.key_name
     WHERE (m.cycle_id, m.report_id, m.key_name) IS DISTINCT FROM (EXCLUDED.cycle_id, EXCLUDED.report_id, EXCLUDED.key_name);

    PERFORM {{ migration_schema }}._mig_defects_commit(ARRAY['report_attributes'], ARRAY(SELECT m::text FROM unnest(p_masters) AS m));
    RETURN v_rows;
END
$fn$;

-- ---------------------------------------------------------------------------
-- Sample sets and their records. master_set_id groups the versions of one
-- sample selection (cycle, report). A set's status applies to all its
-- records: approved -> each approved by the set's approver, rejected -> each
-- rejected, else pending. Lineage: a record whose sample_identifier is in
-- the previous version of the same master was carried from that record
-- (carried_forward, origin = the first of the unbroken chain); the others
-- are recommended by the set's creator (source tester). Records keep their
-- ids as decision ids, sets as version ids.
--
-- The versions of the masters are always re-derived whole (a master has a
-- handful). Records: all of them when p_samples is null (the backfill);
-- else only the samples named in p_samples and those of the sets p_sets,
-- in every version of the master (lineage runs along one sample), so a
-- mirrored write of one record costs the same whatever the master's size.
-- When the versions' order changes, lineage can change anywhere: all records.
-- ---------------------------------------------------------------------------
{%- set e = entity('sample_selection') %}
DROP FUNCTION IF EXISTS {{ migration_schema }}._mig_apply_sample_sets(uuid[]);
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_apply_sample_sets(
    p_masters uuid[], p_samples text[] DEFAULT NULL, p_sets uuid[] DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_mig     integer := {{ migration_schema }}._mig_user();
    v_actor   integer;
    v_n       integer;
    v_rows    bigint;
    v_recs    bigint;
    v_all     boolean := p_samples IS NULL;
    v_samples text[];
    v_null    boolean;
BEGIN
    PERFORM {{ migration_schema }}._mig_lock('set_masters', p_masters::text[]);
    PERFORM {{ migration_schema }}._mig_ensure_users(ARRAY(
        SELECT created_by FROM {{ legacy_schema }}.sample_sets WHERE master_set_id = ANY (p_masters)
        UNION SELECT approved_by FROM {{ legacy_schema }}.sample_sets WHERE master_set_id = ANY (p_masters)));
    PERFORM {{ migration_schema }}._mig_ensure_reference(
        ARRAY(SELECT cycle_id FROM {{ legacy_schema }}.sample_sets WHERE master_set_id = ANY (p_masters) ORDER BY set_id),
        ARRAY(SELECT report_id FROM {{ legacy_schema }}.sample_sets WHERE master_set_id = ANY (p_masters) ORDER BY set_id));
    PERFORM {{ migration_schema }}._mig_defects_begin();

    DROP TABLE IF EXISTS pg_temp._mig_src_sets;
    CREATE TEMP TABLE _mig_src_sets ON COMMIT DROP AS
    SELECT s.set_id AS id, s.master_set_id::text AS grp, 'sample_sets'::text AS legacy_table,
           s.cycle_id, s.report_id, NULL::text AS note,
           s.version_number AS ord_number, s.created_at AS ord_at, s.is_latest AS l_latest,
           (CASE lower(btrim(s.status)) WHEN 'draft' THEN 'draft' WHEN 'pending_approval' THEN 'pending_approval'
                 WHEN 'approved' THEN 'approved' WHEN 'rejected' THEN 'rejected' END)::{{ schema }}.version_status AS l_status,
           s.status AS l_status_text,
           s.created_by AS l_created_by, s.created_at AS l_created_at, s.submitted_at AS l_submitted_at,
           s.approved_by AS l_reviewer, s.approved_at AS l_reviewed_at, s.rejection_reason AS l_note
      FROM {{ legacy_schema }}.sample_sets s
     WHERE s.master_set_id = ANY (p_masters);
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    ANALYZE pg_temp._mig_src_sets;  -- plans over a temp table need its size

    DROP TABLE IF EXISTS pg_temp._mig_src_sets_blocked;
    CREATE TEMP TABLE _mig_src_sets_blocked (grp text, legacy_id text, kind text, detail jsonb) ON COMMIT DROP;
    INSERT INTO _mig_src_sets_blocked (grp, legacy_id, kind, detail)
    SELECT DISTINCT ON (s.id) s.grp, s.id::text, 'key_collision', jsonb_build_object('other_master_set_id', o.master_set_id)
      FROM _mig_src_sets s
      JOIN {{ legacy_schema }}.sample_sets o ON o.cycle_id = s.cycle_id AND o.report_id = s.report_id AND o.master_set_id::text <> s.grp
     ORDER BY s.id, o.master_set_id;

    -- The versions' order is about to change (a version inserted between,
    -- or renumbered): every record's lineage may change with it.
    IF NOT v_all THEN
        v_all := EXISTS (
            SELECT FROM (SELECT x.id, row_number() OVER (PARTITION BY x.grp ORDER BY x.ord_number NULLS LAST, x.ord_at NULLS LAST, x.id) AS n
                           FROM _mig_src_sets x) o
              JOIN {{ schema }}.sample_selection_versions p ON p.id = o.id
             WHERE p.version_number <> o.n);
    END IF;

{{ mv.apply(e, {'src': '_mig_src_sets', 'content': ['note'],
                'legacy_rows': legacy_schema ~ '.sample_sets', 'legacy_id': 'set_id', 'text_keys': [],
                'legacy_numbers': true, 'legacy_latest': true, 'legacy_users': true,
                'cols': {'number': 'version_number', 'latest': 'is_latest', 'status': 'status',
                         'created_by': 'created_by', 'created_at': 'created_at', 'submitted_at': 'submitted_at',
                         'reviewer': 'approved_by', 'reviewed_at': 'approved_at', 'note': 'rejection_reason'}}) }}

    INSERT INTO {{ compat_schema }}.migration_masters AS m (entity, master_id, cycle_id, report_id, key_name)
    SELECT DISTINCT 'sample_selection', t.grp::uuid, t.cycle_id, t.report_id, '' FROM _mig_src_sets_t t
    ON CONFLICT (entity, master_id) DO UPDATE
       SET cycle_id = EXCLUDED.cycle_id, report_id = EXCLUDED.report_id
     WHERE (m.cycle_id, m.report_id) IS DISTINCT FROM (EXCLUDED.cycle_id, EXCLUDED.report_id);

    -- A master that is blocked, or was: every record waits with it, or goes in now.
    IF NOT v_all THEN
        v_all := EXISTS (SELECT FROM _mig_src_sets_blocked)
              OR EXISTS (SELECT FROM {{ compat_schema }}.migration_defects d
                          WHERE d.group_id = ANY (p_masters::text[]) AND d.kind = 'group_blocked' AND d.legacy_table = 'sample_records');
    END IF;
    -- The samples this call re-derives.
    IF NOT v_all THEN
        SELECT array_agg(DISTINCT x.k) FILTER (WHERE x.k IS NOT NULL), bool_or(x.k IS NULL) INTO v_samples, v_null
          FROM (SELECT unnest(p_samples) AS k
                UNION ALL
                SELECT r.sample_identifier FROM {{ legacy_schema }}.sample_records r WHERE r.set_id = ANY (p_sets)
                UNION ALL
                SELECT d.sample_key FROM {{ schema }}.sample_decisions d WHERE d.version_id = ANY (p_sets)) x;
        v_samples := coalesce(v_samples, '{}');
        v_null := coalesce(v_null, false);
    END IF;

    -- The legacy records of these masters (in scope), placed or not.
    DROP TABLE IF EXISTS pg_temp._mig_rec;
    CREATE TEMP TABLE _mig_rec ON COMMIT DROP AS
    SELECT r.record_id, r.set_id, r.sample_identifier, r.sample_data, r.created_at, s.grp, t.version_number AS n,
           t.id IS NOT NULL AS placed,
           row_number() OVER (PARTITION BY r.set_id, r.sample_identifier ORDER BY r.created_at, r.record_id) AS dup_rank,
           first_value(r.record_id) OVER (PARTITION BY r.set_id, r.sample_identifier ORDER BY r.created_at, r.record_id) AS kept_id
      FROM _mig_src_sets s
      JOIN {{ legacy_schema }}.sample_records r ON r.set_id = s.id
      LEFT JOIN _mig_src_sets_t t ON t.id = s.id
     WHERE v_all OR r.sample_identifier = ANY (v_samples) OR (v_null AND r.sample_identifier IS NULL);
    GET DIAGNOSTICS v_recs = ROW_COUNT;
    ANALYZE pg_temp._mig_rec;  -- plans over a temp table need its size

    -- Decisions phaseline holds, in scope, whose legacy record is gone from
    -- its set (phaseline never deletes decisions, invariant 8). The row
    -- stays; the defect blocks until the record is put back or a DBA
    -- accepts the deletion (accept_defect).
    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, blocking, detail)
    SELECT 'sample_records', d.id::text, 'deleted_in_legacy', s.grp, true,
           jsonb_build_object('decision_id', d.id, 'set_id', d.version_id, 'sample_key', d.sample_key,
                              'why', 'phaseline holds this decision but its legacy record is gone from the set (deleted in legacy, or written to phaseline directly)')
      FROM _mig_src_sets s
      JOIN {{ schema }}.sample_decisions d ON d.version_id = s.id
     WHERE (v_all OR d.sample_key = ANY (v_samples))
       AND NOT EXISTS (SELECT FROM {{ legacy_schema }}.sample_records r WHERE r.record_id = d.id AND r.set_id = d.version_id);

    -- Every record of a set that could not be placed waits with it.
    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, blocking, absent, detail)
    SELECT 'sample_records', r.record_id::text, 'group_blocked', r.grp, true, true,
           jsonb_build_object('set_id', r.set_id,
                              'reasons', (SELECT jsonb_agg(DISTINCT b.kind) FROM _mig_src_sets_blocked b WHERE b.grp = r.grp),
                              'why', 'its sample set is not placed; the record goes in with it once the set''s defects are fixed')
      FROM _mig_rec r WHERE NOT r.placed;

    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, absent, detail)
    SELECT 'sample_records', record_id::text, 'blank_sample_identifier', grp, true,
           jsonb_build_object('set_id', set_id, 'row', (SELECT to_jsonb(x) FROM {{ legacy_schema }}.sample_records x WHERE x.record_id = r.record_id),
                              'why', 'a decision needs a sample key; the row is kept here')
      FROM _mig_rec r WHERE placed AND btrim(coalesce(sample_identifier, '')) = ''
    UNION ALL
    SELECT 'sample_records', record_id::text, 'duplicate_sample_identifier', grp, true,
           jsonb_build_object('set_id', set_id, 'sample_identifier', sample_identifier, 'kept_record_id', kept_id,
                              'row', (SELECT to_jsonb(x) FROM {{ legacy_schema }}.sample_records x WHERE x.record_id = r.record_id),
                              'why', 'one decision per sample and version; the first record is kept, this row is kept here')
      FROM _mig_rec r WHERE placed AND dup_rank > 1 AND btrim(coalesce(sample_identifier, '')) <> '';

    DROP TABLE IF EXISTS pg_temp._mig_td;
    CREATE TEMP TABLE _mig_td ON COMMIT DROP AS
    WITH k AS (
        SELECT * FROM _mig_rec WHERE placed AND dup_rank = 1 AND btrim(coalesce(sample_identifier, '')) <> ''
    ), isl AS (
        -- consecutive versions holding the same sample form one chain
        SELECT k.*, k.n - row_number() OVER (PARTITION BY k.grp, k.sample_identifier ORDER BY k.n) AS island FROM k
    ), lin AS (
        SELECT isl.*,
               lag(isl.record_id) OVER w AS prev_record,
               lag(isl.set_id) OVER w AS prev_set,
               first_value(isl.record_id) OVER w AS origin
          FROM isl
        WINDOW w AS (PARTITION BY isl.grp, isl.sample_identifier, isl.island ORDER BY isl.n)
    )
    SELECT l.record_id AS id, l.set_id AS version_id, l.sample_identifier AS sample_key,
           CASE WHEN l.sample_data IS NULL THEN '{}'::jsonb
                WHEN jsonb_typeof(l.sample_data) = 'object' THEN l.sample_data
                ELSE jsonb_build_object('value', l.sample_data) END AS sample_data,
           (CASE WHEN l.prev_record IS NULL THEN 'tester' ELSE 'carried_forward' END)::{{ schema }}.recommendation_source AS recommendation_source,
           t.created_by AS recommended_by,
           coalesce(l.created_at, t.created_at) AS recommended_at,
           (CASE t.l_status WHEN 'approved' THEN 'approved' WHEN 'rejected' THEN 'rejected' ELSE 'pending' END)::{{ schema }}.decision_status AS decision_status,
           CASE WHEN t.l_status IN ('approved', 'rejected') THEN t.reviewed_by END AS decided_by,
           CASE WHEN t.l_status IN ('approved', 'rejected') THEN t.reviewed_at END AS decided_at,
           NULL::text AS decision_note,
           l.prev_set AS carried_from_version_id, l.prev_record AS carried_from_decision_id,
           CASE WHEN l.prev_record IS NOT NULL THEN l.origin END AS origin_decision_id,
           t.actor, l.n, l.grp,
           l.sample_data AS l_sample_data, l.created_at AS l_created_at,
           NOT EXISTS (SELECT FROM {{ schema }}.sample_decisions d WHERE d.id = l.record_id) AS is_new
      FROM lin l JOIN _mig_src_sets_t t ON t.id = l.set_id;
    IF v_recs > 200 THEN  -- a batch's; a mirror's few rows need no index
        CREATE INDEX ON _mig_td (n, actor);
    END IF;
    ANALYZE pg_temp._mig_td;

    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, columns, detail)
    SELECT 'sample_records', id::text, 'sample_data_coerced', grp, '{sample_data}'::text[],
           jsonb_build_object('legacy_sample_data', l_sample_data, 'sample_data', sample_data,
                              'rule', 'SQL null -> {}, a JSON value that is not an object (JSON null too) x -> {"value": x}')
      FROM _mig_td WHERE l_sample_data IS NULL OR jsonb_typeof(l_sample_data) <> 'object'
    UNION ALL
    SELECT 'sample_records', id::text, 'created_at_missing', grp, '{created_at}'::text[],
           jsonb_build_object('recommended_at', recommended_at, 'rule', 'the set''s created_at')
      FROM _mig_td WHERE l_created_at IS NULL;

    -- Oldest version first: a carried decision's source is in place before it.
    FOR v_n, v_actor IN SELECT DISTINCT n, actor FROM _mig_td WHERE is_new ORDER BY 1, 2 LOOP
        PERFORM set_config('phaseline.actor', v_actor::text, true);
        INSERT INTO {{ schema }}.sample_decisions
               (id, version_id, sample_key, sample_data, recommendation_source, recommended_by, recommended_at,
                decision_status, decided_by, decided_at, decision_note,
                carried_from_version_id, carried_from_decision_id, origin_decision_id)
        SELECT id, version_id, sample_key, sample_data, recommendation_source, recommended_by, recommended_at,
               decision_status, decided_by, decided_at, decision_note,
               carried_from_version_id, carried_from_decision_id, origin_decision_id
          FROM _mig_td WHERE is_new AND n = v_n AND actor = v_actor;
    END LOOP;
    FOR v_n, v_actor IN
        SELECT DISTINCT t.n, t.actor FROM _mig_td t JOIN {{ schema }}.sample_decisions d ON d.id = t.id
         WHERE NOT t.is_new
           AND (d.version_id, d.sample_key, d.sample_data, d.recommendation_source, d.recommended_by, d.recommended_at,
                d.decision_status, d.decided_by, d.decided_at, d.carried_from_version_id, d.carried_from_decision_id, d.origin_decision_id)
               IS DISTINCT FROM
               (t.version_id, t.sample_key, t.sample_data, t.recommendation_source, t.recommended_by, t.recommended_at,
                t.decision_status, t.decided_by, t.decided_at, t.carried_from_version_id, t.carried_from_decision_id, t.origin_decision_id)
         ORDER BY 1, 2
    LOOP
        PERFORM set_config('phaseline.actor', v_actor::text, true);
        UPDATE {{ schema }}.sample_decisions d
           SET (version_id, sample_key, sample_data, recommendation_source, recommended_by, recommended_at,
                decision_status, decided_by, decided_at, carried_from_version_id, carried_from_decision_id, origin_decision_id)
             = (t.version_id, t.sample_key, t.sample_data, t.recommendation_source, t.recommended_by, t.recommended_at,
                t.decision_status, t.decided_by, t.decided_at, t.carried_from_version_id, t.carried_from_decision_id, t.origin_decision_id)
          FROM _mig_td t
         WHERE d.id = t.id AND NOT t.is_new AND t.n = v_n AND t.actor = v_actor
           AND (d.version_id, d.sample_key, d.sample_data, d.recommendation_source, d.recommended_by, d.recommended_at,
                d.decision_status, d.decided_by, d.decided_at, d.carried_from_version_id, d.carried_from_decision_id, d.origin_decision_id)
               IS DISTINCT FROM
               (t.version_id, t.sample_key, t.sample_data, t.recommendation_source, t.recommended_by, t.recommended_at,
                t.decision_status, t.decided_by, t.decided_at, t.carried_from_version_id, t.carried_from_decision_id, t.origin_decision_id);
    END LOOP;

    -- A record once recorded as an orphan whose set has since appeared.
    IF EXISTS (SELECT FROM {{ compat_schema }}.migration_defects WHERE kind = 'orphan_record') THEN
        DELETE FROM {{ compat_schema }}.migration_defects d
         WHERE d.kind = 'orphan_record' AND d.legacy_table = 'sample_records'
           AND d.legacy_id IN (SELECT record_id::text FROM _mig_rec);
    END IF;

    IF v_all THEN
        PERFORM {{ migration_schema }}._mig_defects_commit(ARRAY['sample_sets', 'sample_records'], ARRAY(SELECT m::text FROM unnest(p_masters) AS m));
    ELSE
        -- the sets' defects whole; the records' only for the samples re-derived
        PERFORM {{ migration_schema }}._mig_defects_commit(ARRAY['sample_sets'], ARRAY(SELECT m::text FROM unnest(p_masters) AS m));
        PERFORM {{ migration_schema }}._mig_defects_commit(ARRAY['sample_records'], ARRAY(SELECT m::text FROM unnest(p_masters) AS m),
            ARRAY(SELECT r.record_id::text FROM _mig_rec r
                  UNION SELECT d.id::text FROM _mig_src_sets s JOIN {{ schema }}.sample_decisions d ON d.version_id = s.id
                         WHERE d.sample_key = ANY (v_samples)));
    END IF;
    RETURN v_rows + v_recs;
END
$fn$;

-- ---------------------------------------------------------------------------
-- Phase rows: each becomes a workflow_phase_data version of its key (cycle,
-- report, phase) with the payload columns as phase_data. completed ->
-- approved (reviewed when completed, by the test report's signer or the
-- migration user); in_progress and not_started -> draft. A key with several
-- rows gets them as versions in order of start; the compatibility view
-- shows the latest, so the older ones are defects (phase_duplicate).
-- ---------------------------------------------------------------------------
{%- set e = entity('phase_data') %}
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_apply_phase_data(p_cycles uuid[], p_reports uuid[], p_phases text[]) RETURNS bigint
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_mig    integer := {{ migration_schema }}._mig_user();
    v_actor  integer;
    v_n      integer;
    v_rows   bigint;
BEGIN
    DROP TABLE IF EXISTS pg_temp._mig_keys;
    CREATE TEMP TABLE _mig_keys ON COMMIT DROP AS
    SELECT DISTINCT c AS cycle_id, r AS report_id, p AS phase_name FROM unnest(p_cycles, p_reports, p_phases) AS x(c, r, p);
    PERFORM {{ migration_schema }}._mig_lock('phase_keys', ARRAY(SELECT format('%s/%s/%s', cycle_id, report_id, phase_name) FROM _mig_keys));

    DROP TABLE IF EXISTS pg_temp._mig_lp;
    CREATE TEMP TABLE _mig_lp ON COMMIT DROP AS
    -- the ANY restrictions reach each phase table of the view (a join would not): index scans, not seven table scans
    SELECT l.* FROM {{ migration_schema }}._mig_legacy_phases l JOIN _mig_keys k USING (cycle_id, report_id, phase_name)
     WHERE l.cycle_id = ANY (p_cycles) AND l.report_id = ANY (p_reports);

    PERFORM {{ migration_schema }}._mig_ensure_users(ARRAY(SELECT signed_off_by FROM _mig_lp));
    PERFORM {{ migration_schema }}._mig_ensure_reference(ARRAY(SELECT cycle_id FROM _mig_keys ORDER BY cycle_id, report_id, phase_name),
                                                       ARRAY(SELECT report_id FROM _mig_keys ORDER BY cycle_id, report_id, phase_name));
    PERFORM {{ migration_schema }}._mig_defects_begin();

    DROP TABLE IF EXISTS pg_temp._mig_src_phase;
    CREATE TEMP TABLE _mig_src_phase ON COMMIT DROP AS
    SELECT l.phase_id AS id, format('%s/%s/%s', l.cycle_id, l.report_id, l.phase_name) AS grp, l.legacy_table,
           l.cycle_id, l.report_id, l.phase_name,
           (CASE lower(btrim(l.status)) WHEN 'not_started' THEN 'not_started' WHEN 'in_progress' THEN 'in_progress'
                 WHEN 'completed' THEN 'completed' END)::{{ schema }}.phase_status AS phase_status,
           l.payload AS phase_data,
           CASE WHEN lower(btrim(l.status)) = 'completed' THEN coalesce(l.started_at, l.completed_at) ELSE l.started_at END AS started_at,
           l.completed_at,
           NULL::integer AS ord_number, coalesce(l.started_at, l.completed_at) AS ord_at, NULL::boolean AS l_latest,
           (CASE lower(btrim(l.status)) WHEN 'completed' THEN 'approved' WHEN 'in_progress' THEN 'draft'
                 WHEN 'not_started' THEN 'draft' END)::{{ schema }}.version_status AS l_status,
           l.status AS l_status_text,
           NULL::integer AS l_created_by,
           coalesce(l.started_at, l.completed_at, c.created_at) AS l_created_at,
           l.completed_at AS l_submitted_at,
           l.signed_off_by AS l_reviewer, l.completed_at AS l_reviewed_at, NULL::text AS l_note,
           l.started_at AS l_started_at
      FROM _mig_lp l
      LEFT JOIN {{ schema }}.test_cycles c ON c.cycle_id = l.cycle_id;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    ANALYZE pg_temp._mig_src_phase;  -- plans over a temp table need its size

    DROP TABLE IF EXISTS pg_temp._mig_src_phase_blocked;
    CREATE TEMP TABLE _mig_src_phase_blocked (grp text, legacy_id text, kind text, detail jsonb) ON COMMIT DROP;
    -- The times must say what the status says (phaseline checks it); which
    -- one is wrong cannot be told, so such a key waits for a fix in legacy.
    INSERT INTO _mig_src_phase_blocked (grp, legacy_id, kind, detail)
    SELECT s.grp, s.id::text, 'phase_times_inconsistent',
           jsonb_build_object('status', s.l_status_text, 'started_at', s.l_started_at, 'completed_at', s.completed_at)
      FROM _mig_src_phase s
     WHERE (s.phase_status = 'not_started' AND (s.l_started_at IS NOT NULL OR s.completed_at IS NOT NULL))
        OR (s.phase_status = 'in_progress' AND (s.l_started_at IS NULL OR s.completed_at IS NOT NULL))
        OR (s.phase_status = 'completed' AND (s.completed_at IS NULL OR s.started_at > s.completed_at));
    UPDATE _mig_src_phase SET l_status = NULL WHERE phase_status IS NULL;

{{ mv.apply(e, {'src': '_mig_src_phase', 'content': ['phase_status', 'phase_data', 'started_at', 'completed_at'],
                'legacy_rows': migration_schema ~ '._mig_legacy_phases', 'legacy_id': 'phase_id', 'text_keys': ['phase_name'],
                'legacy_numbers': false, 'legacy_latest': false, 'legacy_users': false,
                'cols': {'status': 'status'}}) }}

    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, absent, detail)
    SELECT t.legacy_table, t.id::text, 'phase_duplicate', t.grp, true,
           jsonb_build_object('version_number', t.version_number, 'versions', t.n_versions,
                              'latest_phase_id', (SELECT x.id FROM _mig_src_phase_t x WHERE x.grp = t.grp AND x.is_latest),
                              'rule', 'several rows for one phase of a report in a cycle become its versions in order of start; the latest is the phase')
      FROM _mig_src_phase_t t WHERE NOT t.is_latest;
    -- Payloads went in as they were; today's contract may refuse them. The
    -- latest version of a key is what start_phase copies into the next one,
    -- so there it blocks (fix the legacy row: the mirror re-derives it);
    -- in an older version it is history, and said.
    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, blocking, detail)
    SELECT t.legacy_table, t.id::text, 'phase_contract', t.grp, t.is_latest,
           jsonb_build_object('problems', to_jsonb(x.problems), 'phase_data', t.phase_data, 'contract', w.data_contract,
                              'rule', CASE WHEN t.is_latest
                                           THEN 'the latest version of a phase must meet its contract (start_phase copies its data): fix the legacy row'
                                           ELSE 'an older version keeps its data as it was' END)
      FROM _mig_src_phase_t t
      JOIN {{ schema }}.workflow_phases w ON w.phase_name = t.phase_name
     CROSS JOIN LATERAL (SELECT {{ schema }}._phase_data_problems(w.data_contract, t.phase_data, t.phase_status = 'completed') AS problems) x
     WHERE x.problems IS NOT NULL;
    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, columns, detail)
    SELECT s.legacy_table, s.id::text, 'started_at_filled', s.grp, '{started_at}'::text[],
           jsonb_build_object('started_at', s.started_at, 'rule', 'a completed phase without a start started when it completed')
      FROM _mig_src_phase s WHERE s.phase_status = 'completed' AND s.l_started_at IS NULL
       AND s.grp NOT IN (SELECT grp FROM _mig_src_phase_blocked);

    PERFORM {{ migration_schema }}._mig_defects_commit(
        ARRAY[{% for p in phase_tables %}{{ p.table | literal }}{{ ", " if not loop.last }}{% endfor %}],
        ARRAY(SELECT format('%s/%s/%s', cycle_id, report_id, phase_name) FROM _mig_keys));
    RETURN v_rows;
END
$fn$;

-- ---------------------------------------------------------------------------
-- Records whose set_id names no set (or none): no version to hang them on.
-- Each is a defect that keeps the whole legacy row in its detail, so nothing
-- is lost when contract drops the table. Refreshed for a record-id range.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_apply_orphans(p_after uuid, p_upto uuid) RETURNS bigint
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_rows bigint;
BEGIN
    DROP TABLE IF EXISTS pg_temp._mig_orphans;
    CREATE TEMP TABLE _mig_orphans ON COMMIT DROP AS
    SELECT r.record_id, to_jsonb(r) AS row
      FROM {{ legacy_schema }}.sample_records r
     WHERE (p_after IS NULL OR r.record_id > p_after) AND r.record_id <= p_upto
       AND (r.set_id IS NULL OR NOT EXISTS (SELECT FROM {{ legacy_schema }}.sample_sets s WHERE s.set_id = r.set_id));
    GET DIAGNOSTICS v_rows = ROW_COUNT;

    DELETE FROM {{ compat_schema }}.migration_defects d
     WHERE d.kind = 'orphan_record' AND d.legacy_table = 'sample_records'
       AND (p_after IS NULL OR d.legacy_id::uuid > p_after) AND d.legacy_id::uuid <= p_upto
       AND d.legacy_id NOT IN (SELECT record_id::text FROM _mig_orphans);
    INSERT INTO {{ compat_schema }}.migration_defects AS d (legacy_table, legacy_id, kind, group_id, absent, detail)
    SELECT 'sample_records', o.record_id::text, 'orphan_record', 'orphans', true,
           jsonb_build_object('row', o.row, 'why', 'its set_id names no sample set: there is no version to place it in; the row is kept here')
      FROM _mig_orphans o
    ON CONFLICT (legacy_table, legacy_id, kind) DO UPDATE SET detail = EXCLUDED.detail
     WHERE d.detail IS DISTINCT FROM EXCLUDED.detail;
    RETURN v_rows;
END
$fn$;

-- Phase rows without a cycle or report have no key, so no batch reaches
-- them: each is a blocking defect until legacy names its cycle and report.
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_apply_keyless_phases() RETURNS bigint
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_rows bigint;
BEGIN
    PERFORM {{ migration_schema }}._mig_defects_begin();
    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, blocking, detail)
    SELECT l.legacy_table, l.phase_id::text, 'key_missing', 'keyless', true,
           jsonb_build_object('cycle_id', l.cycle_id, 'report_id', l.report_id)
      FROM {{ migration_schema }}._mig_legacy_phases l
     WHERE l.cycle_id IS NULL OR l.report_id IS NULL;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    PERFORM {{ migration_schema }}._mig_defects_commit(
        ARRAY[{% for p in phase_tables %}{{ p.table | literal }}{{ ", " if not loop.last }}{% endfor %}], ARRAY['keyless']);
    RETURN v_rows;
END
$fn$;
