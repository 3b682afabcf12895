{% from 'migrate/_shapes.sql' import phase_tables, phase_skeleton, legacy_columns, legacy_ids %}
-- migrate-legacy verify: old against new, as one report (jsonb), recorded
-- in migration_verify_runs. It passes only when
--   - every backfill step finished,
--   - each legacy table and its compatibility view hold the same rows, except
--     where a recorded, non-blocking defect explains the difference (a row
--     absent from the view, or exactly the columns the defect names),
--   - the reconstructed lineage follows the rule (carried iff the sample is
--     in the previous version; sources, origins, recommenders, decisions),
--   - the versioning invariants hold (numbers 1..n, one latest = highest,
--     parent = previous, artifacts match approvals),
--   - every legacy defect an independent scan finds is recorded,
--   - no defect blocks.
{%- set tables = [] %}
{%- for t in ['users', 'report_attributes', 'sample_sets', 'sample_records'] %}
{%- do tables.append({'table': t, 'id': legacy_ids[t], 'columns': legacy_columns[t]}) %}
{%- endfor %}
{%- for p in phase_tables %}
{%- do tables.append({'table': p.table, 'id': 'phase_id', 'columns': phase_skeleton + (p.payload | map('first') | list)}) %}
{%- endfor %}

{#- A jsonb column goes in wrapped in an array: in an object, SQL NULL and
    JSON null both read as null, and the comparison must tell them apart. -#}
{%- set jsonb_columns = ['sample_data'] %}
{%- for p in phase_tables %}{% for col, type in p.payload if type == 'jsonb' %}{% do jsonb_columns.append(col) %}{% endfor %}{% endfor %}
{% macro row_json(alias, columns) -%}
jsonb_build_object({% for c in columns %}{{ c | literal }}, {% if c in jsonb_columns %}CASE WHEN {{ alias }}.{{ c | ident }} IS NOT NULL THEN jsonb_build_array({{ alias }}.{{ c | ident }}) END{% else %}{{ alias }}.{{ c | ident }}{% endif %}{{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}

CREATE OR REPLACE FUNCTION {{ migration_schema }}._mig_verify() RETURNS jsonb
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp
-- its temp tables come and go; their notices are no business of the caller's
SET client_min_messages TO warning AS $fn$
DECLARE
    v_report      jsonb := '{}'::jsonb;
    v_unfinished  jsonb;
    v_entities    jsonb;
    v_unexplained jsonb;
    v_n_unexpl    bigint;
    v_lineage     jsonb;
    v_n_lineage   bigint;
    v_invariants  jsonb;
    v_n_invariant bigint;
    v_scan        jsonb;
    v_n_missing   bigint;
    v_blocking    jsonb;
    v_n_blocking  bigint;
    v_defects     jsonb;
    v_contracts   jsonb;
    v_passed      boolean;
    v_journal     bigint;
    v_queued      bigint;
BEGIN
    SELECT count(*) INTO v_journal FROM {{ compat_schema }}.migration_sync_journal;

    SELECT coalesce(jsonb_agg(step ORDER BY ordinal), '[]') INTO v_unfinished
      FROM {{ compat_schema }}.migration_progress WHERE finished_at IS NULL;

    -- Old against new, row by row, on the legacy columns.
    DROP TABLE IF EXISTS pg_temp._mig_vdiff;
    CREATE TEMP TABLE _mig_vdiff (legacy_table text, id text, lj jsonb, cj jsonb) ON COMMIT DROP;
    DROP TABLE IF EXISTS pg_temp._mig_vstats;
    CREATE TEMP TABLE _mig_vstats (legacy_table text, legacy_rows bigint, phaseline_rows bigint, same_rows bigint,
                                   legacy_md5 text, phaseline_md5 text, clean_rows bigint,
                                   clean_legacy_md5 text, clean_phaseline_md5 text) ON COMMIT DROP;
{% for t in tables %}
    WITH f AS MATERIALIZED (
        SELECT coalesce(l.id, c.id)::text AS id, l.j AS lj, c.j AS cj,
               EXISTS (SELECT FROM {{ compat_schema }}.migration_defects d
                        WHERE d.legacy_table = {{ t.table | literal }} AND d.legacy_id = coalesce(l.id, c.id)::text) AS has_defect
          FROM (SELECT x.{{ t.id | ident }} AS id, {{ row_json('x', t.columns) }} AS j FROM {{ legacy_schema }}.{{ t.table | ident }} x) l
          FULL JOIN (SELECT y.{{ t.id | ident }} AS id, {{ row_json('y', t.columns) }} AS j FROM {{ compat_schema }}.{{ t.table | ident }} y) c
            ON c.id = l.id
    ), diff AS (
        INSERT INTO _mig_vdiff SELECT {{ t.table | literal }}, f.id, f.lj, f.cj FROM f WHERE f.lj IS DISTINCT FROM f.cj
        RETURNING 1
    )
    INSERT INTO _mig_vstats
    SELECT {{ t.table | literal }}, count(f.lj), count(f.cj), count(*) FILTER (WHERE f.lj = f.cj),
           md5(coalesce(string_agg(md5(f.lj::text), '' ORDER BY f.id) FILTER (WHERE f.lj IS NOT NULL), '')),
           md5(coalesce(string_agg(md5(f.cj::text), '' ORDER BY f.id) FILTER (WHERE f.cj IS NOT NULL), '')),
           count(*) FILTER (WHERE NOT f.has_defect),
           md5(coalesce(string_agg(md5(f.lj::text), '' ORDER BY f.id) FILTER (WHERE NOT f.has_defect AND f.lj IS NOT NULL), '')),
           md5(coalesce(string_agg(md5(f.cj::text), '' ORDER BY f.id) FILTER (WHERE NOT f.has_defect AND f.cj IS NOT NULL), ''))
      FROM f;
{% endfor %}

    DROP TABLE IF EXISTS pg_temp._mig_vexpl;
    CREATE TEMP TABLE _mig_vexpl ON COMMIT DROP AS
    SELECT v.legacy_table, v.id, v.lj, v.cj,
           CASE WHEN v.cj IS NULL THEN 'missing_in_phaseline' WHEN v.lj IS NULL THEN 'only_in_phaseline' ELSE 'differs' END AS kind,
           ARRAY(SELECT k FROM jsonb_object_keys(coalesce(v.lj, v.cj)) AS k
                  WHERE v.lj -> k IS DISTINCT FROM v.cj -> k ORDER BY k) AS diff_columns,
           ARRAY(SELECT DISTINCT c FROM {{ compat_schema }}.migration_defects d, unnest(d.columns) AS c
                  WHERE d.legacy_table = v.legacy_table AND d.legacy_id = v.id AND NOT d.blocking) AS defect_columns,
           EXISTS (SELECT FROM {{ compat_schema }}.migration_defects d
                    WHERE d.legacy_table = v.legacy_table AND d.legacy_id = v.id AND d.absent AND NOT d.blocking) AS defect_absent,
           -- a row that waits on a blocking defect is reported there, and fails verify as that
           EXISTS (SELECT FROM {{ compat_schema }}.migration_defects d
                    WHERE d.legacy_table = v.legacy_table AND d.legacy_id = v.id AND d.blocking) AS defect_blocking,
           -- phaseline keeps what legacy deleted; a DBA accepted this deletion
           EXISTS (SELECT FROM {{ compat_schema }}.migration_defects d
                    WHERE d.legacy_table = v.legacy_table AND d.legacy_id = v.id AND d.kind = 'deleted_in_legacy'
                      AND NOT d.blocking) AS defect_deleted
      FROM _mig_vdiff v;

    SELECT jsonb_agg(jsonb_build_object(
               'legacy_table', s.legacy_table, 'legacy_rows', s.legacy_rows, 'phaseline_rows', s.phaseline_rows,
               'same_rows', s.same_rows,
               'differing_explained', (SELECT count(*) FROM _mig_vexpl e WHERE e.legacy_table = s.legacy_table
                                         AND ((e.kind = 'differs' AND e.diff_columns <@ e.defect_columns)
                                              OR (e.kind = 'missing_in_phaseline' AND e.defect_absent)
                                              OR (e.kind = 'only_in_phaseline' AND e.defect_deleted)
                                              OR e.defect_blocking)),
               'legacy_checksum', s.legacy_md5, 'phaseline_checksum', s.phaseline_md5,
               'rows_without_defects', s.clean_rows,
               'checksum_without_defects', jsonb_build_object('legacy', s.clean_legacy_md5, 'phaseline', s.clean_phaseline_md5,
                                                              'equal', s.clean_legacy_md5 = s.clean_phaseline_md5))
             ORDER BY s.legacy_table)
      INTO v_entities FROM _mig_vstats s;

    SELECT count(*), coalesce(jsonb_agg(x.j) FILTER (WHERE x.rn <= 20), '[]') INTO v_n_unexpl, v_unexplained
      FROM (SELECT row_number() OVER (ORDER BY e.legacy_table, e.id) AS rn,
                   jsonb_build_object('legacy_table', e.legacy_table, 'id', e.id, 'kind', e.kind,
                                      'columns', to_jsonb(e.diff_columns),
                                      'legacy', (SELECT jsonb_object_agg(k, e.lj -> k) FROM unnest(e.diff_columns) k),
                                      'phaseline', (SELECT jsonb_object_agg(k, e.cj -> k) FROM unnest(e.diff_columns) k)) AS j
              FROM _mig_vexpl e
             WHERE NOT ((e.kind = 'differs' AND e.diff_columns <@ e.defect_columns)
                        OR (e.kind = 'missing_in_phaseline' AND e.defect_absent)
                        OR (e.kind = 'only_in_phaseline' AND e.defect_deleted)
                        OR e.defect_blocking)) x;

    -- Lineage of the sample decisions of the versions that came from legacy.
    DROP TABLE IF EXISTS pg_temp._mig_vlin;
    CREATE TEMP TABLE _mig_vlin ON COMMIT DROP AS
    WITH v AS (
        SELECT sv.*, ls.status AS legacy_status
          FROM {{ schema }}.sample_selection_versions sv
          JOIN {{ legacy_schema }}.sample_sets ls ON ls.set_id = sv.id
    ), d AS (
        SELECT dd.*, v.cycle_id, v.report_id, v.version_number, v.created_by AS version_created_by,
               v.reviewed_by AS version_reviewed_by, v.legacy_status,
               pv.id AS prev_version_id,
               ps.id AS prev_same_key_id,
               src.id AS src_id, src.version_id AS src_version_id, src.sample_key AS src_key,
               src.origin_decision_id AS src_origin
          FROM {{ schema }}.sample_decisions dd
          JOIN v ON v.id = dd.version_id
          LEFT JOIN {{ schema }}.sample_selection_versions pv
                 ON pv.cycle_id = v.cycle_id AND pv.report_id = v.report_id AND pv.version_number = v.version_number - 1
          LEFT JOIN {{ schema }}.sample_decisions ps ON ps.version_id = pv.id AND ps.sample_key = dd.sample_key
          LEFT JOIN {{ schema }}.sample_decisions src ON src.id = dd.carried_from_decision_id
    )
    SELECT d.id, d.sample_key, d.version_id, problem
      FROM d, LATERAL (VALUES
          (CASE WHEN d.recommendation_source = 'carried_forward'
                     AND (d.src_id IS NULL OR d.src_version_id IS DISTINCT FROM d.prev_version_id
                          OR d.carried_from_version_id IS DISTINCT FROM d.prev_version_id OR d.src_key <> d.sample_key)
                THEN 'carried from something other than the same sample in the previous version' END),
          (CASE WHEN d.recommendation_source <> 'carried_forward' AND d.prev_same_key_id IS NOT NULL
                THEN 'the sample is in the previous version but not marked carried' END),
          (CASE WHEN d.recommendation_source = 'carried_forward' AND d.origin_decision_id IS DISTINCT FROM coalesce(d.src_origin, d.src_id)
                THEN 'origin is not the start of its chain' END),
          (CASE WHEN d.recommendation_source NOT IN ('carried_forward', 'tester')
                THEN 'a migrated sample is recommended by the tester or carried' END),
          (CASE WHEN d.recommended_by IS DISTINCT FROM d.version_created_by
                THEN 'recommended by someone other than the set''s creator' END),
          (CASE WHEN d.decision_status::text IS DISTINCT FROM
                     CASE lower(btrim(d.legacy_status)) WHEN 'approved' THEN 'approved' WHEN 'rejected' THEN 'rejected' ELSE 'pending' END
                  OR (d.decision_status <> 'pending' AND d.decided_by IS DISTINCT FROM d.version_reviewed_by)
                THEN 'the decision does not follow the set''s status and reviewer' END)
      ) AS p(problem)
     WHERE problem IS NOT NULL;
    SELECT count(*), jsonb_build_object(
               'legacy_decisions', (SELECT count(*) FROM {{ schema }}.sample_decisions dd
                                     WHERE EXISTS (SELECT FROM {{ legacy_schema }}.sample_sets ls WHERE ls.set_id = dd.version_id)),
               'carried', (SELECT count(*) FROM {{ schema }}.sample_decisions dd
                            WHERE dd.recommendation_source = 'carried_forward'
                              AND EXISTS (SELECT FROM {{ legacy_schema }}.sample_sets ls WHERE ls.set_id = dd.version_id)),
               'problems', count(*),
               'examples', coalesce(jsonb_agg(jsonb_build_object('decision_id', l.id, 'sample_key', l.sample_key, 'problem', l.problem))
                                    FILTER (WHERE l.rn <= 20), '[]'))
      INTO v_n_lineage, v_lineage
      FROM (SELECT x.*, row_number() OVER (ORDER BY x.id, x.problem) AS rn FROM _mig_vlin x) l;

    -- The versioning invariants, on every version the engine's indexes cannot fully check.
    DROP TABLE IF EXISTS pg_temp._mig_vinv;
    CREATE TEMP TABLE _mig_vinv (entity text, id text, problem text) ON COMMIT DROP;
{%- for e in versioned %}
    INSERT INTO _mig_vinv
    SELECT {{ e.entity | literal }}, k.first_id::text, 'numbers are not 1..n with one latest, the highest'
      FROM (SELECT min(id::text) AS first_id, count(*) AS n, min(version_number) AS lo, max(version_number) AS hi,
                   count(*) FILTER (WHERE is_latest) AS latest,
                   max(version_number) FILTER (WHERE is_latest) AS latest_number
              FROM {{ schema }}.{{ e.table }} GROUP BY {{ e.key | join(', ') }}) k
     WHERE k.lo <> 1 OR k.hi <> k.n OR k.latest <> 1 OR k.latest_number <> k.hi
    UNION ALL
    SELECT {{ e.entity | literal }}, v.id::text, 'parent is not the previous version'
      FROM {{ schema }}.{{ e.table }} v
      LEFT JOIN {{ schema }}.{{ e.table }} p
             ON {% for k in e.key %}p.{{ k }} = v.{{ k }} AND {% endfor %}p.version_number = v.version_number - 1
     WHERE v.parent_version_id IS DISTINCT FROM p.id
    UNION ALL
    SELECT {{ e.entity | literal }}, v.id::text, 'an approval without its artifact, or an artifact that does not match it'
      FROM {{ schema }}.{{ e.table }} v
      LEFT JOIN {{ schema }}.approved_artifacts a ON a.reference_id = v.id
     WHERE v.version_status IN ('approved', 'superseded')
       AND (a.id IS NULL OR a.reference_version <> v.version_number OR a.approved_by IS DISTINCT FROM v.reviewed_by
            OR a.approved_at IS DISTINCT FROM v.reviewed_at OR a.artifact_type <> {{ e.artifact_type | literal }}
            OR (a.superseded_at IS NULL) <> (v.version_status = 'approved'))
    UNION ALL
    SELECT {{ e.entity | literal }}, v.id::text, 'an artifact of a version that is not approved, not closed or not explained'
      FROM {{ schema }}.{{ e.table }} v
      JOIN {{ schema }}.approved_artifacts a ON a.reference_id = v.id
     WHERE v.version_status NOT IN ('approved', 'superseded')
       AND (a.superseded_at IS NULL OR NOT EXISTS (SELECT FROM {{ compat_schema }}.migration_defects d
                                                   WHERE d.legacy_id = v.id::text AND d.kind = 'approval_withdrawn'));
{%- endfor %}
    SELECT count(*), jsonb_build_object('problems', count(*),
               'examples', coalesce(jsonb_agg(jsonb_build_object('entity', i.entity, 'id', i.id, 'problem', i.problem))
                                    FILTER (WHERE i.rn <= 20), '[]'))
      INTO v_n_invariant, v_invariants
      FROM (SELECT x.*, row_number() OVER (ORDER BY x.entity, x.id) AS rn FROM _mig_vinv x) i;

    -- An independent scan of the legacy data for the defects it is known to
    -- have; each one found must be recorded (a blocking defect of the same
    -- group counts: that group waits as a whole).
    DROP TABLE IF EXISTS pg_temp._mig_vscan;
    CREATE TEMP TABLE _mig_vscan ON COMMIT DROP AS
    SELECT 'users: email not an address, or taken by an older user' AS check_name, 'users' AS legacy_table,
           u.user_id::text AS legacy_id, u.user_id::text AS group_id, 'email_rewritten' AS kind, true AS row_level
      FROM {{ legacy_schema }}.users u
     WHERE u.email IS NULL OR u.email !~ '^[^@\s]+@[^@\s]+$'
        OR EXISTS (SELECT FROM {{ legacy_schema }}.users o WHERE lower(o.email) = lower(u.email) AND o.user_id < u.user_id)
    UNION ALL
    SELECT 'users: blank full_name', 'users', u.user_id::text, u.user_id::text, 'display_name_filled', true
      FROM {{ legacy_schema }}.users u WHERE btrim(coalesce(u.full_name, '')) = ''
    UNION ALL
    SELECT 'users: role not one of phaseline''s', 'users', u.user_id::text, u.user_id::text, 'role_mapped', true
      FROM {{ legacy_schema }}.users u WHERE u.role IS NULL OR u.role NOT IN ('tester', 'report_owner', 'admin', 'viewer')
{%- for tbl, master, latest, open in [('report_attributes', 'master_attribute_id', 'is_latest_version', "lower(btrim(approval_status)) = 'pending'"),
                                      ('sample_sets', 'master_set_id', 'is_latest', "lower(btrim(status)) IN ('draft', 'pending_approval')")] %}
{%- set status = 'approval_status' if tbl == 'report_attributes' else 'status' %}
    UNION ALL
    SELECT {{ (tbl ~ ': version numbers with a gap or a repeat') | literal }}, {{ tbl | literal }}, g.m, g.m, 'version_renumbered', false
      FROM (SELECT {{ master }}::text AS m FROM {{ legacy_schema }}.{{ tbl }} GROUP BY {{ master }}
             HAVING min(version_number) <> 1 OR max(version_number) <> count(*) OR count(DISTINCT version_number) <> count(*)) g
    UNION ALL
    SELECT {{ (tbl ~ ': not exactly one latest row, or not the highest') | literal }}, {{ tbl | literal }}, g.m, g.m, 'latest_flag_corrected', false
      FROM (SELECT {{ master }}::text AS m FROM {{ legacy_schema }}.{{ tbl }} GROUP BY {{ master }}
             HAVING count(*) FILTER (WHERE {{ latest }}) <> 1
                 OR max(version_number) FILTER (WHERE {{ latest }}) < max(version_number)) g
    UNION ALL
    SELECT {{ (tbl ~ ': an open version under a newer closed one') | literal }}, {{ tbl | literal }}, x.id, x.m, 'open_under_closed', true
      FROM (SELECT o.{{ 'attribute_id' if tbl == 'report_attributes' else 'set_id' }}::text AS id, o.{{ master }}::text AS m,
                   bool_or({{ open.replace('approval_status', 'n.approval_status').replace('(status)', '(n.status)') }}) AS newer_open
              FROM {{ legacy_schema }}.{{ tbl }} o
              JOIN {{ legacy_schema }}.{{ tbl }} n ON n.{{ master }} = o.{{ master }}
                   AND (n.version_number, n.created_at, n.{{ 'attribute_id' if tbl == 'report_attributes' else 'set_id' }})
                       > (o.version_number, o.created_at, o.{{ 'attribute_id' if tbl == 'report_attributes' else 'set_id' }})
             WHERE {{ open.replace('approval_status', 'o.approval_status').replace('(status)', '(o.status)') }}
             GROUP BY 1, 2) x
     WHERE NOT x.newer_open
    UNION ALL
    SELECT {{ (tbl ~ ': a status spelled other than in lower case without blanks') | literal }}, {{ tbl | literal }},
           x.{{ 'attribute_id' if tbl == 'report_attributes' else 'set_id' }}::text, x.{{ master }}::text, 'status_spelling', true
      FROM {{ legacy_schema }}.{{ tbl }} x WHERE x.{{ status }} <> lower(btrim(x.{{ status }}))
    UNION ALL
    SELECT {{ (tbl ~ ': more than one open version') | literal }}, {{ tbl | literal }}, g.m, g.m, 'multiple_open', false
      FROM (SELECT {{ master }}::text AS m FROM {{ legacy_schema }}.{{ tbl }} GROUP BY {{ master }}
             HAVING count(*) FILTER (WHERE {{ open }}) > 1) g
{%- endfor %}
    UNION ALL
    SELECT 'sample_records: set_id names no sample set', 'sample_records', r.record_id::text, 'orphans', 'orphan_record', true
      FROM {{ legacy_schema }}.sample_records r
     WHERE r.set_id IS NULL OR NOT EXISTS (SELECT FROM {{ legacy_schema }}.sample_sets s WHERE s.set_id = r.set_id)
    UNION ALL
    SELECT 'sample_records: a sample twice in one set', 'sample_records', x.record_id::text, x.master, 'duplicate_sample_identifier', true
      FROM (SELECT r.record_id, s.master_set_id::text AS master,
                   row_number() OVER (PARTITION BY r.set_id, r.sample_identifier ORDER BY r.created_at, r.record_id) AS rn
              FROM {{ legacy_schema }}.sample_records r JOIN {{ legacy_schema }}.sample_sets s ON s.set_id = r.set_id
             WHERE btrim(coalesce(r.sample_identifier, '')) <> '') x
     WHERE x.rn > 1
    UNION ALL
    SELECT 'sample_records: blank sample_identifier', 'sample_records', r.record_id::text, s.master_set_id::text, 'blank_sample_identifier', true
      FROM {{ legacy_schema }}.sample_records r JOIN {{ legacy_schema }}.sample_sets s ON s.set_id = r.set_id
     WHERE btrim(coalesce(r.sample_identifier, '')) = ''
    UNION ALL
    SELECT 'phases: a status spelled other than in lower case without blanks', l.legacy_table, l.phase_id::text,
           format('%s/%s/%s', l.cycle_id, l.report_id, l.phase_name), 'status_spelling', true
      FROM {{ migration_schema }}._mig_legacy_phases l WHERE l.status <> lower(btrim(l.status))
    UNION ALL
    SELECT 'phases: more than one row for a phase of a report in a cycle', g.legacy_table, g.k, g.k, 'phase_duplicate', false
      FROM (SELECT l.legacy_table, format('%s/%s/%s', l.cycle_id, l.report_id, l.phase_name) AS k
              FROM {{ migration_schema }}._mig_legacy_phases l
             WHERE l.cycle_id IS NOT NULL AND l.report_id IS NOT NULL
             GROUP BY 1, 2 HAVING count(*) > 1) g;

    SELECT sum(c.missing)::bigint, jsonb_agg(jsonb_build_object('check', c.check_name, 'found', c.found, 'recorded', c.found - c.missing,
                                                         'missing', c.missing, 'missing_examples', c.examples) ORDER BY c.check_name)
      INTO v_n_missing, v_scan
      FROM (SELECT s.check_name, count(*) AS found, count(*) FILTER (WHERE NOT s.recorded) AS missing,
                   coalesce(jsonb_agg(s.legacy_id) FILTER (WHERE NOT s.recorded), '[]') AS examples
              FROM (SELECT x.*,
                           CASE WHEN x.row_level
                                THEN EXISTS (SELECT FROM {{ compat_schema }}.migration_defects d
                                              WHERE d.legacy_table = x.legacy_table AND d.legacy_id = x.legacy_id
                                                AND (d.kind = x.kind OR d.blocking))
                                ELSE EXISTS (SELECT FROM {{ compat_schema }}.migration_defects d
                                              WHERE d.group_id = x.group_id AND d.legacy_table = x.legacy_table
                                                AND (d.kind = x.kind OR d.blocking))
                           END AS recorded
                      FROM _mig_vscan x) s
             GROUP BY s.check_name) c;

    SELECT count(*), coalesce(jsonb_agg(jsonb_build_object('legacy_table', d.legacy_table, 'legacy_id', d.legacy_id, 'kind', d.kind,
                                                           'detail', d.detail) ORDER BY d.legacy_table, d.legacy_id, d.kind)
                                  FILTER (WHERE d.rn <= 20), '[]')
      INTO v_n_blocking, v_blocking
      FROM (SELECT x.*, row_number() OVER (ORDER BY x.legacy_table, x.legacy_id, x.kind) AS rn
              FROM {{ compat_schema }}.migration_defects x WHERE x.blocking) d;

    SELECT coalesce(jsonb_object_agg(k.kind, jsonb_build_object('rows', k.n, 'blocking', k.blocking, 'tables', k.tables)), '{}')
      INTO v_defects
      FROM (SELECT kind, count(*) AS n, bool_or(blocking) AS blocking, jsonb_agg(DISTINCT legacy_table) AS tables
              FROM {{ compat_schema }}.migration_defects GROUP BY kind) k;

    -- Informational: migrated phase data that breaks today's contracts (it went in as it was).
    SELECT coalesce(jsonb_agg(jsonb_build_object('phase_id', d.id, 'phase', d.phase_name, 'problems', to_jsonb(x.problems))), '[]')
      INTO v_contracts
      FROM {{ schema }}.workflow_phase_data d
      JOIN {{ schema }}.workflow_phases p USING (phase_name)
      CROSS JOIN LATERAL (SELECT {{ schema }}._phase_data_problems(p.data_contract, d.phase_data, d.phase_status = 'completed') AS problems) x
     WHERE x.problems IS NOT NULL
       AND EXISTS (SELECT FROM {{ migration_schema }}._mig_legacy_phases l WHERE l.phase_id = d.id);

    SELECT count(*) INTO v_queued FROM {{ migration_schema }}.sync_queue;

    v_passed := jsonb_array_length(v_unfinished) = 0 AND v_queued = 0 AND v_n_unexpl = 0 AND v_n_lineage = 0
                AND v_n_invariant = 0 AND coalesce(v_n_missing, 0) = 0 AND v_n_blocking = 0;
    v_report := jsonb_build_object(
        'passed', v_passed,
        'backfill_unfinished_steps', v_unfinished,
        'sync_queue', v_queued,
        'entities', v_entities,
        'unexplained_differences', jsonb_build_object('count', v_n_unexpl, 'examples', v_unexplained),
        'lineage', v_lineage,
        'invariants', v_invariants,
        'legacy_defect_scan', coalesce(v_scan, '[]'),
        'blocking_defects', jsonb_build_object('count', v_n_blocking, 'examples', v_blocking),
        'defects_by_kind', v_defects,
        'phase_contract_violations', v_contracts,
        'sync_journal_rows', v_journal);
    INSERT INTO {{ compat_schema }}.migration_verify_runs (passed, journal_count, report) VALUES (v_passed, v_journal, v_report);
    RETURN v_report;
END
$fn$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {{ migration_schema }} FROM PUBLIC;
