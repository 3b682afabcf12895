-- migrate-legacy backfill: one batch of one step per call, in the caller's
-- transaction, with the step's progress row updated in that same
-- transaction. A batch is applied and recorded, or neither: a killed
-- backfill resumes after the last batch that committed.
--
-- Steps, in order (each keyset-paged on the legacy key named):
--   users              user_id
--   reference          (cycle_id, report_id)   test cycles, reports, cycle_reports
--   report_attributes  master_attribute_id     whole masters, about p_size rows a batch
--   sample_sets        master_set_id           whole masters with their records, about p_size rows
--   phase_data         (cycle_id, report_id, phase_name)
--   orphans            record_id               records whose set is missing; then key-less phase rows

INSERT INTO {{ compat_schema }}.migration_progress (step, ordinal) VALUES
    ('users', 1), ('reference', 2), ('report_attributes', 3), ('sample_sets', 4), ('phase_data', 5), ('orphans', 6)
ON CONFLICT (step) DO NOTHING;

CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_backfill_batch(p_step text, p_size integer)
RETURNS TABLE (batch_rows bigint, done boolean, rows_done bigint, total_rows bigint, batches integer)
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp
-- its temp tables come and go; their notices are no business of the caller's
SET client_min_messages TO warning
-- small statements over temp tables: compiling them costs more than it saves
SET jit TO off AS $fn$
DECLARE
    v_prog   {{ compat_schema }}.migration_progress;
    v_pos    text[];
    v_rows   bigint := 0;
    v_done   boolean := false;
    v_total  bigint;
    v_ints   integer[];
    v_uuids  uuid[] := '{}'::uuid[];
    v_cycles uuid[];
    v_reps   uuid[];
    v_phases text[];
    v_m      uuid;
    v_count  bigint := 0;
    v_c      bigint;
    v_upto   uuid;
BEGIN
    SELECT * INTO v_prog FROM {{ compat_schema }}.migration_progress p WHERE p.step = p_step FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'unknown_step',
            MESSAGE = format('no backfill step "%s"', p_step),
            HINT = 'Run migrate-legacy expand first.';
    END IF;
    IF p_size IS NULL OR p_size < 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'batch_size_positive',
            MESSAGE = format('batch size must be positive, got %s', p_size);
    END IF;
    IF v_prog.finished_at IS NOT NULL THEN
        RETURN QUERY SELECT 0::bigint, true, v_prog.rows_done, v_prog.total_rows, v_prog.batches;
        RETURN;
    END IF;
    PERFORM set_config('phaseline.backfill', 'on', true);
    v_pos := v_prog.position;

    v_total := coalesce(v_prog.total_rows, CASE p_step
        WHEN 'users' THEN (SELECT count(*) FROM {{ legacy_schema }}.users)
        WHEN 'reference' THEN (SELECT count(*) FROM (
                SELECT cycle_id, report_id FROM {{ legacy_schema }}.report_attributes
                UNION SELECT cycle_id, report_id FROM {{ legacy_schema }}.sample_sets
                UNION SELECT cycle_id, report_id FROM {{ migration_schema }}._mig_legacy_phases) u
             WHERE cycle_id IS NOT NULL AND report_id IS NOT NULL)
        WHEN 'report_attributes' THEN (SELECT count(*) FROM {{ legacy_schema }}.report_attributes)
        WHEN 'sample_sets' THEN (SELECT count(*) FROM {{ legacy_schema }}.sample_sets)
                              + (SELECT count(*) FROM {{ legacy_schema }}.sample_records r
                                  WHERE EXISTS (SELECT FROM {{ legacy_schema }}.sample_sets s WHERE s.set_id = r.set_id))
        WHEN 'phase_data' THEN (SELECT count(*) FROM {{ migration_schema }}._mig_legacy_phases)
        WHEN 'orphans' THEN (SELECT count(*) FROM {{ legacy_schema }}.sample_records)
    END);

    CASE p_step
    WHEN 'users' THEN
        SELECT array_agg(x.user_id ORDER BY x.user_id) INTO v_ints
          FROM (SELECT u.user_id FROM {{ legacy_schema }}.users u
                 WHERE v_pos IS NULL OR u.user_id > v_pos[1]::integer
                 ORDER BY u.user_id LIMIT p_size) x;
        IF v_ints IS NULL THEN
            v_done := true;
        ELSE
            v_rows := {{ migration_schema }}._mig_apply_users(v_ints);
            v_pos := ARRAY[v_ints[cardinality(v_ints)]::text];
        END IF;

    WHEN 'reference' THEN
        SELECT array_agg(x.cycle_id ORDER BY x.cycle_id, x.report_id), array_agg(x.report_id ORDER BY x.cycle_id, x.report_id)
          INTO v_cycles, v_reps
          FROM (SELECT DISTINCT u.cycle_id, u.report_id
                  FROM (SELECT cycle_id, report_id FROM {{ legacy_schema }}.report_attributes
                        UNION SELECT cycle_id, report_id FROM {{ legacy_schema }}.sample_sets
                        UNION SELECT cycle_id, report_id FROM {{ migration_schema }}._mig_legacy_phases) u
                 WHERE u.cycle_id IS NOT NULL AND u.report_id IS NOT NULL
                   AND (v_pos IS NULL OR (u.cycle_id, u.report_id) > (v_pos[1]::uuid, v_pos[2]::uuid))
                 ORDER BY 1, 2 LIMIT p_size) x;
        IF v_cycles IS NULL THEN
            v_done := true;
        ELSE
            v_rows := {{ migration_schema }}._mig_apply_reference(v_cycles, v_reps);
            v_pos := ARRAY[v_cycles[cardinality(v_cycles)]::text, v_reps[cardinality(v_reps)]::text];
        END IF;

    WHEN 'report_attributes' THEN
        -- whole masters, until about p_size rows
        FOR v_m IN SELECT DISTINCT a.master_attribute_id FROM {{ legacy_schema }}.report_attributes a
                    WHERE v_pos IS NULL OR a.master_attribute_id > v_pos[1]::uuid
                    ORDER BY 1 LIMIT p_size
        LOOP
            SELECT count(*) INTO v_c FROM {{ legacy_schema }}.report_attributes a WHERE a.master_attribute_id = v_m;
            v_uuids := v_uuids || v_m;
            v_count := v_count + v_c;
            EXIT WHEN v_count >= p_size;
        END LOOP;
        IF cardinality(v_uuids) = 0 THEN
            v_done := true;
        ELSE
            v_rows := {{ migration_schema }}._mig_apply_attributes(v_uuids);
            v_pos := ARRAY[v_uuids[cardinality(v_uuids)]::text];
        END IF;

    WHEN 'sample_sets' THEN
        FOR v_m IN SELECT DISTINCT s.master_set_id FROM {{ legacy_schema }}.sample_sets s
                    WHERE v_pos IS NULL OR s.master_set_id > v_pos[1]::uuid
                    ORDER BY 1 LIMIT p_size
        LOOP
            SELECT (count(*) + coalesce(sum((SELECT count(*) FROM {{ legacy_schema }}.sample_records r WHERE r.set_id = s.set_id)), 0))::bigint
              INTO v_c FROM {{ legacy_schema }}.sample_sets s WHERE s.master_set_id = v_m;
            v_uuids := v_uuids || v_m;
            v_count := v_count + v_c;
            EXIT WHEN v_count >= p_size;
        END LOOP;
        IF cardinality(v_uuids) = 0 THEN
            v_done := true;
        ELSE
            v_rows := {{ migration_schema }}._mig_apply_sample_sets(v_uuids);
            v_pos := ARRAY[v_uuids[cardinality(v_uuids)]::text];
        END IF;

    WHEN 'phase_data' THEN
        SELECT array_agg(x.cycle_id ORDER BY x.cycle_id, x.report_id, x.phase_name),
               array_agg(x.report_id ORDER BY x.cycle_id, x.report_id, x.phase_name),
               array_agg(x.phase_name ORDER BY x.cycle_id, x.report_id, x.phase_name)
          INTO v_cycles, v_reps, v_phases
          FROM (SELECT DISTINCT l.cycle_id, l.report_id, l.phase_name FROM {{ migration_schema }}._mig_legacy_phases l
                 WHERE l.cycle_id IS NOT NULL AND l.report_id IS NOT NULL
                   AND (v_pos IS NULL OR (l.cycle_id, l.report_id, l.phase_name) > (v_pos[1]::uuid, v_pos[2]::uuid, v_pos[3]))
                 ORDER BY 1, 2, 3 LIMIT p_size) x;
        IF v_cycles IS NULL THEN
            v_done := true;
        ELSE
            v_rows := {{ migration_schema }}._mig_apply_phase_data(v_cycles, v_reps, v_phases);
            v_pos := ARRAY[v_cycles[cardinality(v_cycles)]::text, v_reps[cardinality(v_reps)]::text, v_phases[cardinality(v_phases)]];
        END IF;

    WHEN 'orphans' THEN
        SELECT (array_agg(x.record_id ORDER BY x.record_id DESC))[1], count(*) INTO v_upto, v_c
          FROM (SELECT r.record_id FROM {{ legacy_schema }}.sample_records r
                 WHERE v_pos IS NULL OR r.record_id > v_pos[1]::uuid
                 ORDER BY r.record_id LIMIT p_size) x;
        IF v_upto IS NULL THEN
            v_done := true;
            PERFORM {{ migration_schema }}._mig_apply_keyless_phases();
        ELSE
            PERFORM {{ migration_schema }}._mig_apply_orphans(v_pos[1]::uuid, v_upto);
            v_rows := v_c;
            v_pos := ARRAY[v_upto::text];
        END IF;
    END CASE;

    RETURN QUERY
    UPDATE {{ compat_schema }}.migration_progress p
       SET position = v_pos, rows_done = p.rows_done + v_rows, batches = p.batches + (NOT v_done)::integer,
           total_rows = v_total, started_at = coalesce(p.started_at, clock_timestamp()), updated_at = clock_timestamp(),
           finished_at = CASE WHEN v_done THEN clock_timestamp() END
     WHERE p.step = p_step
    RETURNING v_rows, v_done, p.rows_done, p.total_rows, p.batches;
END
$fn$;

-- Start a new pass: every step from the beginning. On migrated data it
-- changes nothing (each apply writes only differences); it picks up what a
-- pass could not place before the legacy data was fixed.
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_backfill_restart() RETURNS void
LANGUAGE sql SET search_path TO pg_catalog, pg_temp AS $fn$
    UPDATE {{ compat_schema }}.migration_progress
       SET pass = pass + 1, position = NULL, rows_done = 0, batches = 0, total_rows = NULL,
           started_at = NULL, updated_at = NULL, finished_at = NULL;
$fn$;

-- The tables a step fills start empty; their statistics go stale as they
-- grow, and the planner then hashes a whole table where an index probe
-- would do. The backfill calls this each time a step's rows double.
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_backfill_analyze(p_step text) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    CASE p_step
    WHEN 'users' THEN
        ANALYZE {{ schema }}.users;
    WHEN 'reference' THEN
        ANALYZE {{ schema }}.test_cycles, {{ schema }}.reports, {{ schema }}.cycle_reports;
    WHEN 'report_attributes' THEN
        ANALYZE {{ schema }}.report_attributes, {{ schema }}.approved_artifacts, {{ compat_schema }}.migration_masters;
    WHEN 'sample_sets' THEN
        ANALYZE {{ schema }}.sample_selection_versions, {{ schema }}.sample_decisions, {{ schema }}.approved_artifacts,
                {{ compat_schema }}.migration_masters;
    WHEN 'phase_data' THEN
        ANALYZE {{ schema }}.workflow_phase_data, {{ schema }}.approved_artifacts;
    ELSE
        ANALYZE {{ compat_schema }}.migration_defects;
    END CASE;
END
$fn$;

-- Place the groups that REPEATABLE READ legacy writers queued (030_sync.sql):
-- up to p_size queue rows, oldest first, in the caller's transaction, each
-- group re-derived as a mirror would have. Returns the queue rows done.
CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_drain_queue(p_size integer) RETURNS integer
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp
SET client_min_messages TO warning
SET jit TO off AS $fn$
DECLARE
    v_ids    bigint[];
    v_users  integer[];
    v_attrs  uuid[];
    v_sets   uuid[];
    v_orph   uuid[];
    v_full   boolean;
    v_samp   text[];
    v_pc     uuid[];
    v_pr     uuid[];
    v_pp     text[];
BEGIN
    PERFORM set_config('phaseline.backfill', 'on', true);
    SELECT array_agg(q.id) INTO v_ids
      FROM (SELECT id FROM {{ migration_schema }}.sync_queue ORDER BY id LIMIT p_size FOR UPDATE SKIP LOCKED) q;
    IF v_ids IS NULL THEN
        RETURN 0;
    END IF;
    SELECT array_agg(DISTINCT q.group_key[1]::integer) FILTER (WHERE q.group_kind = 'users'),
           array_agg(DISTINCT q.group_key[1]::uuid) FILTER (WHERE q.group_kind = 'attribute_masters'),
           array_agg(DISTINCT q.group_key[1]::uuid) FILTER (WHERE q.group_kind = 'set_masters'),
           bool_or(q.samples IS NULL) FILTER (WHERE q.group_kind = 'set_masters')
      INTO v_users, v_attrs, v_sets, v_full
      FROM {{ migration_schema }}.sync_queue q WHERE q.id = ANY (v_ids);
    SELECT array_agg(DISTINCT o::uuid) INTO v_orph
      FROM {{ migration_schema }}.sync_queue q, unnest(q.group_key) AS o
     WHERE q.id = ANY (v_ids) AND q.group_kind = 'orphans';

    IF v_users IS NOT NULL THEN
        PERFORM {{ migration_schema }}._mig_apply_users(v_users);
    END IF;
    IF v_attrs IS NOT NULL THEN
        PERFORM {{ migration_schema }}._mig_apply_attributes(v_attrs);
    END IF;
    IF v_sets IS NOT NULL THEN
        IF v_full THEN
            PERFORM {{ migration_schema }}._mig_apply_sample_sets(v_sets);
        ELSE
            SELECT array_agg(DISTINCT s) INTO v_samp
              FROM {{ migration_schema }}.sync_queue q, unnest(q.samples) AS s
             WHERE q.id = ANY (v_ids) AND q.group_kind = 'set_masters';
            PERFORM {{ migration_schema }}._mig_apply_sample_sets(v_sets, coalesce(v_samp, '{}'), '{}'::uuid[]);
        END IF;
    END IF;
    -- one statement for the three arrays, so that they stay aligned key by key
    SELECT array_agg(x.k[1]::uuid ORDER BY x.k), array_agg(x.k[2]::uuid ORDER BY x.k), array_agg(x.k[3] ORDER BY x.k)
      INTO v_pc, v_pr, v_pp
      FROM (SELECT DISTINCT q.group_key AS k FROM {{ migration_schema }}.sync_queue q
             WHERE q.id = ANY (v_ids) AND q.group_kind = 'phase_keys') x;
    IF v_pc IS NOT NULL THEN
        PERFORM {{ migration_schema }}._mig_apply_phase_data(v_pc, v_pr, v_pp);
    END IF;
    IF v_orph IS NOT NULL THEN
        PERFORM {{ migration_schema }}._mig_sync_orphans(v_orph);
    END IF;
    DELETE FROM {{ migration_schema }}.sync_queue WHERE id = ANY (v_ids);
    RETURN cardinality(v_ids);
END
$fn$;
