{#-
  Legacy versions -> phaseline versions, for any versioned entity of
  phaseline.toml: one macro, used by the report attribute, sample selection
  and phase data functions of 020_apply.sql (as include/versioning.sql is
  the one engine). Renders to nothing by itself.

  apply(e, m) emits PL/pgSQL statements. Before them, the calling function has
  filled pg_temp.<src> (m.src) with the legacy rows of the groups of this
  batch, normalized:
    id, grp (text: the master or key the row belongs to), legacy_table,
    the key columns of e, the content columns m.content,
    ord_number (legacy version_number, or null), ord_at (tie-breaker),
    l_latest (legacy latest flag, or null), l_status (version_status the
    legacy status means, null when unknown), l_created_by, l_created_at,
    l_submitted_at, l_reviewer, l_reviewed_at, l_note
  and pg_temp.<src>_blocked (grp, legacy_id, kind, detail) with the groups it
  found unplaceable. The function declares v_mig, v_actor, v_n.
  m: src, content (column names), legacy_rows and legacy_id (the legacy
     relation and its id column), legacy_numbers, legacy_latest,
     legacy_users (the legacy rows name users: report defects about them),
     cols (legacy column names for the defects' columns lists: number,
     latest, status, created_by, created_at, submitted_at, reviewer,
     reviewed_at, note; a missing one is not in the legacy shape).
  Leaves pg_temp.<src>_t: the target versions, with actor, l_status and
  reviewer/created_by already mapped to phaseline users.
-#}

{% macro cols_array(m, names) -%}
ARRAY[{% for n in names if m.cols.get(n) %}{{ m.cols[n] | literal }}{{ ", " if not loop.last }}{% endfor %}]::text[]
{%- endmacro %}

{% macro apply(e, m) -%}
{%- set t = schema ~ '.' ~ e.table -%}
{%- set src = ('pg_temp.' ~ (m.src | ident)) -%}
{%- set blocked = ('pg_temp.' ~ ((m.src ~ '_blocked') | ident)) -%}
{%- set tgt = ('pg_temp.' ~ ((m.src ~ '_t') | ident)) -%}
{%- set keys = e.key | join(', ') -%}
{%- set vcols = ['version_number', 'is_latest', 'version_status', 'parent_version_id', 'created_at', 'created_by',
                 'submitted_at', 'submitted_by', 'reviewed_at', 'reviewed_by', 'review_note'] -%}
{%- set all_cols = e.key + m.content + vcols -%}
    -- Groups that cannot be placed, for reasons every entity shares.
    INSERT INTO {{ blocked }} (grp, legacy_id, kind, detail)
    SELECT s.grp, s.id::text, 'key_missing', jsonb_build_object('key', jsonb_build_array({{ keys }}))
      FROM {{ src }} s
     WHERE {% for k in e.key %}s.{{ k }} IS NULL OR {% endfor %}{% for k in m.text_keys %}btrim(s.{{ k }}) = '' OR {% endfor %}false
    UNION ALL
    SELECT s.grp, s.id::text, 'master_key_inconsistent', jsonb_build_object('keys', g.keys)
      FROM {{ src }} s
      JOIN (SELECT grp, jsonb_agg(DISTINCT jsonb_build_array({{ keys }})) AS keys FROM {{ src }}
             GROUP BY grp HAVING count(DISTINCT ROW({{ keys }})) > 1) g USING (grp)
    UNION ALL
    SELECT s.grp, s.id::text, 'unknown_status', jsonb_build_object('status', s.l_status_text)
      FROM {{ src }} s WHERE s.l_status IS NULL
    UNION ALL
    -- phaseline holds a version of this key that no legacy row accounts for:
    -- deleted from the legacy table, or written through the API meanwhile.
    SELECT k.grp, p.id::text, 'deleted_in_legacy',
           jsonb_build_object('phaseline_id', p.id, 'version_number', p.version_number,
                              'why', 'a phaseline version of this key has no legacy row (deleted in legacy, or written to phaseline directly); versions are history: put the legacy row back')
      FROM (SELECT DISTINCT grp, {{ keys }} FROM {{ src }}) k
      JOIN {{ t }} p ON {% for c in e.key %}p.{{ c }} = k.{{ c }}{{ " AND " if not loop.last }}{% endfor %}
     WHERE NOT EXISTS (SELECT FROM {{ src }} x WHERE x.id = p.id)
       -- a row of another legacy group under the same key is a collision, said above, not a divergence
       AND NOT EXISTS (SELECT FROM {{ m.legacy_rows }} l WHERE l.{{ m.legacy_id }} = p.id);

    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, blocking, detail)
    SELECT DISTINCT ON (b.legacy_id, b.kind) coalesce(s.legacy_table, g.legacy_table), b.legacy_id, b.kind, b.grp, true, b.detail
      FROM {{ blocked }} b
      LEFT JOIN {{ src }} s ON s.id::text = b.legacy_id
      LEFT JOIN (SELECT DISTINCT ON (grp) grp, legacy_table FROM {{ src }} ORDER BY grp) g ON g.grp = b.grp
     ORDER BY b.legacy_id, b.kind;
    -- every other row of a blocked group waits with it
    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, blocking, detail)
    SELECT s.legacy_table, s.id::text, 'group_blocked', s.grp, true,
           jsonb_build_object('reasons', (SELECT jsonb_agg(DISTINCT b.kind) FROM {{ blocked }} b WHERE b.grp = s.grp))
      FROM {{ src }} s
     WHERE s.grp IN (SELECT grp FROM {{ blocked }})
       AND NOT EXISTS (SELECT FROM {{ blocked }} b WHERE b.legacy_id = s.id::text);

    -- The target: numbers 1..n in legacy order, latest = highest, older
    -- approvals superseded, older open versions closed by the migration.
    DROP TABLE IF EXISTS {{ tgt }};
    CREATE TEMP TABLE {{ (m.src ~ '_t') | ident }} ON COMMIT DROP AS
    WITH s AS (
        SELECT x.*,
               row_number() OVER (PARTITION BY x.grp ORDER BY x.ord_number NULLS LAST, x.ord_at NULLS LAST, x.id)::integer AS n,
               count(*) OVER (PARTITION BY x.grp)::integer AS n_versions
          FROM {{ src }} x
         WHERE x.grp NOT IN (SELECT grp FROM {{ blocked }})
    ), w AS (
        SELECT s.*,
               max(s.n) FILTER (WHERE s.l_status = 'approved') OVER (PARTITION BY s.grp) AS last_approved,
               max(s.n) FILTER (WHERE s.l_status IN ('draft', 'pending_approval')) OVER (PARTITION BY s.grp) AS last_open,
               count(*) FILTER (WHERE s.l_latest) OVER (PARTITION BY s.grp) AS legacy_latest_count,
               lag(s.id) OVER (PARTITION BY s.grp ORDER BY s.n) AS parent_id,
               min(s.l_created_at) FILTER (WHERE s.l_status IN ('draft', 'pending_approval'))
                   OVER (PARTITION BY s.grp ORDER BY s.n ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_open_at,
               min(coalesce(s.l_created_at, s.l_submitted_at, s.l_reviewed_at))
                   OVER (PARTITION BY s.grp ORDER BY s.n ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_at
          FROM s
    ), u AS (
        SELECT w.*,
               coalesce(cu.user_id, v_mig) AS created_by_m,
               coalesce(ru.user_id, v_mig) AS reviewer_m,
               (w.l_created_by IS NOT NULL AND cu.user_id IS NULL) AS creator_unknown,
               (w.l_reviewer IS NOT NULL AND ru.user_id IS NULL) AS reviewer_unknown,
               (w.l_status = 'approved' AND w.n < w.last_approved) AS superseded,
               -- at most one open version per key, and only the latest can be:
               -- an older open one is stale, whether a newer one is open or closed
               (w.l_status IN ('draft', 'pending_approval') AND w.n < w.n_versions) AS closed,
               -- who a row's write is attributed to must be able to write
               -- (phaseline refuses viewers and inactive users as actors); the
               -- row itself keeps its legacy users
               (cu.user_id IS NOT NULL AND cu.role <> 'viewer' AND cu.is_active) AS creator_can_act,
               (ru.user_id IS NOT NULL AND ru.role <> 'viewer' AND ru.is_active) AS reviewer_can_act,
               p.created_at AS p_created_at, p.reviewed_at AS p_reviewed_at
          FROM w
          LEFT JOIN {{ schema }}.users cu ON cu.user_id = w.l_created_by
          LEFT JOIN {{ schema }}.users ru ON ru.user_id = w.l_reviewer
          LEFT JOIN {{ t }} p ON p.id = w.id
    ), v AS (
        SELECT u.*,
               CASE WHEN u.superseded THEN 'superseded' WHEN u.closed THEN 'rejected' ELSE u.l_status END::{{ schema }}.version_status AS status_t,
               coalesce(u.l_created_at, u.l_submitted_at, u.l_reviewed_at, u.p_created_at, now()) AS created_at_t
          FROM u
    )
    SELECT v.id, v.grp, v.legacy_table, {% for c in e.key + m.content %}v.{{ c }}, {% endfor %}
           v.n AS version_number, v.n = v.n_versions AS is_latest, v.status_t AS version_status,
           v.parent_id AS parent_version_id, v.created_at_t AS created_at, v.created_by_m AS created_by,
           CASE WHEN v.status_t <> 'draft' OR v.l_submitted_at IS NOT NULL
                THEN coalesce(v.l_submitted_at, v.created_at_t) END AS submitted_at,
           CASE WHEN v.status_t <> 'draft' OR v.l_submitted_at IS NOT NULL THEN v.created_by_m END AS submitted_by,
           CASE WHEN v.closed THEN greatest(coalesce(CASE WHEN v.n < v.last_open THEN v.next_open_at END, v.next_at, v.p_reviewed_at, now()),
                                            v.l_submitted_at, v.created_at_t)
                WHEN v.status_t IN ('approved', 'rejected', 'superseded')
                THEN coalesce(v.l_reviewed_at, v.l_submitted_at, v.created_at_t) END AS reviewed_at,
           CASE WHEN v.closed THEN v_mig
                WHEN v.status_t IN ('approved', 'rejected', 'superseded') THEN v.reviewer_m END AS reviewed_by,
           CASE WHEN v.closed AND v.n < v.last_open
                THEN format('closed by the legacy migration: version %s is newer and also open', v.last_open)
                WHEN v.closed
                THEN format('closed by the legacy migration: left open under version %s, which is newer', v.n_versions)
                ELSE v.l_note END AS review_note,
           -- who this row's write is attributed to: its reviewer once reviewed,
           -- else its creator; the migration user where that one may not act
           CASE WHEN v.status_t IN ('approved', 'rejected', 'superseded') AND NOT v.closed
                THEN CASE WHEN v.reviewer_can_act THEN v.reviewer_m ELSE v_mig END
                ELSE CASE WHEN v.creator_can_act THEN v.created_by_m ELSE v_mig END END AS actor,
           v.l_status, v.ord_number, v.l_latest, v.legacy_latest_count, v.n_versions, v.last_approved, v.last_open,
           v.superseded, v.closed, v.closed AND v.n < v.last_open AS closed_under_open, v.l_status_text,
           v.creator_unknown, v.reviewer_unknown, v.l_created_by, v.l_reviewer,
           v.l_created_at, v.l_submitted_at, v.l_reviewed_at
      FROM v;
    IF (SELECT count(*) FROM {{ tgt }}) > 200 THEN  -- a batch's; a mirror's few versions need none
        CREATE INDEX ON {{ tgt }} (id);
    END IF;
    ANALYZE {{ tgt }};

    -- Defects every entity shares (row-level; see migration_defects).
    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, columns, detail)
{%- if m.legacy_numbers %}
    SELECT legacy_table, id::text, 'version_renumbered', grp, {{ cols_array(m, ['number']) }},
           jsonb_build_object('legacy_version_number', ord_number, 'version_number', version_number)
      FROM {{ tgt }} WHERE ord_number IS DISTINCT FROM version_number
    UNION ALL
{%- endif %}
{%- if m.legacy_latest %}
    SELECT legacy_table, id::text, 'latest_flag_corrected', grp, {{ cols_array(m, ['latest']) }},
           jsonb_build_object('legacy_flag', l_latest, 'is_latest', is_latest, 'legacy_latest_rows_in_group', legacy_latest_count,
                              'rule', 'the highest version is the latest')
      FROM {{ tgt }} WHERE l_latest IS DISTINCT FROM is_latest
    UNION ALL
{%- endif %}
    -- (An older approval next to a newer one is not a defect: legacy had no
    -- superseded status, so every approved version but the newest is superseded.)
    SELECT legacy_table, id::text, CASE WHEN closed_under_open THEN 'multiple_open' ELSE 'open_under_closed' END, grp,
           {{ cols_array(m, ['status', 'submitted_at', 'reviewer', 'reviewed_at', 'note']) }},
           jsonb_build_object('legacy_status', l_status, 'version_number', version_number, 'latest_version', n_versions,
                              'open_version_kept', CASE WHEN closed_under_open THEN last_open END,
                              'rule', 'only the latest version can be open; an older open one is closed as rejected by the migration user')
      FROM {{ tgt }} WHERE closed
    UNION ALL
    SELECT legacy_table, id::text, 'status_spelling', grp, {{ cols_array(m, ['status']) }},
           jsonb_build_object('legacy_status', l_status_text, 'read_as', lower(btrim(l_status_text)),
                              'rule', 'a status is read case-insensitively, without surrounding blanks')
      FROM {{ tgt }} WHERE l_status_text <> lower(btrim(l_status_text))
    UNION ALL
    SELECT legacy_table, id::text, 'created_at_missing', grp, {{ cols_array(m, ['created_at']) }},
           jsonb_build_object('created_at', created_at)
      FROM {{ tgt }} WHERE l_created_at IS NULL AND {{ 'true' if m.cols.get('created_at') else 'false' }}
{%- if m.cols.get('submitted_at') %}
    UNION ALL
    SELECT legacy_table, id::text, 'submitted_at_missing', grp, {{ cols_array(m, ['submitted_at']) }},
           jsonb_build_object('submitted_at', submitted_at, 'rule', 'a version past draft was submitted when it was created')
      FROM {{ tgt }} WHERE l_submitted_at IS NULL AND l_status <> 'draft' AND NOT closed
{%- endif %}
{%- if m.legacy_users %}
    UNION ALL
    SELECT legacy_table, id::text, 'creator_unknown', grp, {{ cols_array(m, ['created_by']) }},
           jsonb_build_object('legacy_user_id', l_created_by, 'created_by', created_by, 'rule', 'a user missing from users becomes the migration user')
      FROM {{ tgt }} WHERE creator_unknown
    UNION ALL
    SELECT legacy_table, id::text, 'creator_missing', grp, '{}'::text[],
           jsonb_build_object('created_by', created_by, 'rule', 'no creator: the migration user')
      FROM {{ tgt }} WHERE l_created_by IS NULL
    UNION ALL
    SELECT legacy_table, id::text, 'reviewer_unknown', grp, {{ cols_array(m, ['reviewer']) }},
           jsonb_build_object('legacy_user_id', l_reviewer, 'reviewed_by', reviewed_by)
      FROM {{ tgt }} WHERE reviewer_unknown AND l_status IN ('approved', 'rejected') AND NOT closed
    UNION ALL
    SELECT legacy_table, id::text, 'reviewer_missing', grp, '{}'::text[],
           jsonb_build_object('reviewed_by', reviewed_by, 'rule', 'no reviewer: the migration user')
      FROM {{ tgt }} WHERE l_reviewer IS NULL AND l_status IN ('approved', 'rejected')
    UNION ALL
    SELECT legacy_table, id::text, 'reviewed_at_missing', grp, {{ cols_array(m, ['reviewed_at']) }},
           jsonb_build_object('reviewed_at', reviewed_at)
      FROM {{ tgt }} WHERE l_reviewed_at IS NULL AND l_status IN ('approved', 'rejected')
    UNION ALL
    SELECT legacy_table, id::text, 'review_on_open_version', grp, {{ cols_array(m, ['reviewer', 'reviewed_at']) }},
           jsonb_build_object('legacy_reviewer', l_reviewer, 'legacy_reviewed_at', l_reviewed_at,
                              'rule', 'an open version has no review yet: dropped')
      FROM {{ tgt }} WHERE (l_reviewer IS NOT NULL OR l_reviewed_at IS NOT NULL) AND l_status IN ('draft', 'pending_approval')
{%- endif %}
    ;

    -- Apply. The unique indexes (one number per key, one latest, one open,
    -- one approved) are checked row by row, so slots are freed before they
    -- are taken: S1 frees latest flags and parks renumbered rows, S2 moves
    -- rows out of the approved/open slots, then inserts, then S3 sets the rest.
    FOR v_actor IN
        SELECT DISTINCT t.actor FROM {{ tgt }} t JOIN {{ t }} p ON p.id = t.id
         WHERE (p.is_latest AND NOT t.is_latest) OR p.version_number <> t.version_number
    LOOP
        PERFORM set_config('phaseline.actor', v_actor::text, true);
        UPDATE {{ t }} p
           SET is_latest = p.is_latest AND t.is_latest,
               version_number = CASE WHEN p.version_number <> t.version_number THEN p.version_number + 1000000 ELSE p.version_number END
          FROM {{ tgt }} t
         WHERE t.id = p.id AND t.actor = v_actor
           AND ((p.is_latest AND NOT t.is_latest) OR p.version_number <> t.version_number);
    END LOOP;

    FOR v_actor IN
        SELECT DISTINCT t.actor FROM {{ tgt }} t JOIN {{ t }} p ON p.id = t.id
         WHERE {{ migration_schema }}._mig_slot(p.version_status) IS NOT NULL
           AND {{ migration_schema }}._mig_slot(p.version_status) IS DISTINCT FROM {{ migration_schema }}._mig_slot(t.version_status)
    LOOP
        PERFORM set_config('phaseline.actor', v_actor::text, true);
        -- Leaving for a closed status: take it. Swapping approved <-> open
        -- (rare): park as rejected first, S3 sets the final status.
        UPDATE {{ t }} p
           SET version_status = CASE WHEN {{ migration_schema }}._mig_slot(t.version_status) IS NULL THEN t.version_status ELSE 'rejected' END,
               submitted_at = coalesce(t.submitted_at, p.submitted_at, p.created_at),
               submitted_by = coalesce(t.submitted_by, p.submitted_by, p.created_by),
               reviewed_at  = coalesce(t.reviewed_at, p.reviewed_at, now()),
               reviewed_by  = coalesce(t.reviewed_by, p.reviewed_by, v_mig),
               review_note  = t.review_note
          FROM {{ tgt }} t
         WHERE t.id = p.id AND t.actor = v_actor
           AND {{ migration_schema }}._mig_slot(p.version_status) IS NOT NULL
           AND {{ migration_schema }}._mig_slot(p.version_status) IS DISTINCT FROM {{ migration_schema }}._mig_slot(t.version_status);
    END LOOP;

    -- New versions, oldest first: a parent is in place before its child's
    -- statement ends (foreign keys are checked per statement).
    FOR v_n, v_actor IN
        SELECT DISTINCT t.version_number, t.actor FROM {{ tgt }} t
         WHERE NOT EXISTS (SELECT FROM {{ t }} p WHERE p.id = t.id)
         ORDER BY 1, 2
    LOOP
        PERFORM set_config('phaseline.actor', v_actor::text, true);
        INSERT INTO {{ t }} (id, {{ all_cols | join(', ') }})
        SELECT t.id, {% for c in all_cols %}t.{{ c }}{{ ", " if not loop.last }}{% endfor %}
          FROM {{ tgt }} t
         WHERE t.version_number = v_n AND t.actor = v_actor
           AND NOT EXISTS (SELECT FROM {{ t }} p WHERE p.id = t.id);
    END LOOP;

    FOR v_actor IN
        SELECT DISTINCT t.actor FROM {{ tgt }} t JOIN {{ t }} p ON p.id = t.id
         WHERE ({% for c in all_cols %}p.{{ c }}{{ ", " if not loop.last }}{% endfor %})
               IS DISTINCT FROM ({% for c in all_cols %}t.{{ c }}{{ ", " if not loop.last }}{% endfor %})
    LOOP
        PERFORM set_config('phaseline.actor', v_actor::text, true);
        UPDATE {{ t }} p
           SET ({{ all_cols | join(', ') }}) = ({% for c in all_cols %}t.{{ c }}{{ ", " if not loop.last }}{% endfor %})
          FROM {{ tgt }} t
         WHERE t.id = p.id AND t.actor = v_actor
           AND ({% for c in all_cols %}p.{{ c }}{{ ", " if not loop.last }}{% endfor %})
               IS DISTINCT FROM ({% for c in all_cols %}t.{{ c }}{{ ", " if not loop.last }}{% endfor %});
    END LOOP;

    -- The registry of approved artifacts, as the engine would have written it:
    -- one row per approved or superseded version (id = the version's id), the
    -- superseded ones closed when the next approval came.
    DROP TABLE IF EXISTS pg_temp._mig_ta;
    CREATE TEMP TABLE _mig_ta ON COMMIT DROP AS
    SELECT t.id, t.cycle_id, t.report_id,
           {{ ('t.' ~ e.phase_column) if e.phase_column else (e.phase_literal | literal if e.phase_literal else 'NULL') }}::text AS phase_name,
           {{ e.artifact_type | literal }}::text AS artifact_type,
           {{ ('t.' ~ e.artifact_key ~ '::text') if e.artifact_key else 'NULL::text' }} AS artifact_key,
           {{ e.table_name | literal }}::text AS reference_table, t.id AS reference_id, t.version_number AS reference_version,
           t.reviewed_by AS approved_by, t.reviewed_at AS approved_at, t.actor,
           CASE WHEN t.version_status = 'superseded'
                THEN greatest(t.reviewed_at, min(t.reviewed_at) OVER (PARTITION BY t.grp ORDER BY t.version_number
                                                                     ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)) END AS superseded_at
      FROM {{ tgt }} t
     WHERE t.version_status IN ('approved', 'superseded');
    ANALYZE pg_temp._mig_ta;

    -- An artifact whose version is no longer approved in legacy (approval
    -- taken back there): rows are never deleted, so it is closed, and said.
    INSERT INTO pg_temp._mig_new_defects (legacy_table, legacy_id, kind, group_id, detail)
    SELECT t.legacy_table, t.id::text, 'approval_withdrawn', t.grp,
           jsonb_build_object('artifact_id', a.id, 'legacy_status', t.l_status)
      FROM {{ tgt }} t JOIN {{ schema }}.approved_artifacts a ON a.reference_id = t.id
     WHERE NOT EXISTS (SELECT FROM pg_temp._mig_ta x WHERE x.id = t.id);
    PERFORM set_config('phaseline.actor', v_mig::text, true);
    UPDATE {{ schema }}.approved_artifacts a SET superseded_at = greatest(a.approved_at, now())
      FROM {{ tgt }} t
     WHERE a.reference_id = t.id AND a.superseded_at IS NULL
       AND NOT EXISTS (SELECT FROM pg_temp._mig_ta x WHERE x.id = t.id);

    FOR v_actor IN
        SELECT DISTINCT x.actor FROM pg_temp._mig_ta x JOIN {{ schema }}.approved_artifacts a ON a.id = x.id
         WHERE a.superseded_at IS NULL AND x.superseded_at IS NOT NULL
    LOOP
        PERFORM set_config('phaseline.actor', v_actor::text, true);
        UPDATE {{ schema }}.approved_artifacts a SET superseded_at = x.superseded_at
          FROM pg_temp._mig_ta x
         WHERE a.id = x.id AND x.actor = v_actor AND a.superseded_at IS NULL AND x.superseded_at IS NOT NULL;
    END LOOP;
    FOR v_actor IN
        SELECT DISTINCT x.actor FROM pg_temp._mig_ta x
         WHERE NOT EXISTS (SELECT FROM {{ schema }}.approved_artifacts a WHERE a.id = x.id)
    LOOP
        PERFORM set_config('phaseline.actor', v_actor::text, true);
        INSERT INTO {{ schema }}.approved_artifacts
               (id, cycle_id, report_id, phase_name, artifact_type, artifact_key, reference_table,
                reference_id, reference_version, approved_by, approved_at, superseded_at)
        SELECT x.id, x.cycle_id, x.report_id, x.phase_name, x.artifact_type, x.artifact_key, x.reference_table,
               x.reference_id, x.reference_version, x.approved_by, x.approved_at, x.superseded_at
          FROM pg_temp._mig_ta x
         WHERE x.actor = v_actor AND NOT EXISTS (SELECT FROM {{ schema }}.approved_artifacts a WHERE a.id = x.id);
    END LOOP;
    FOR v_actor IN
        SELECT DISTINCT x.actor FROM pg_temp._mig_ta x JOIN {{ schema }}.approved_artifacts a ON a.id = x.id
         WHERE (a.cycle_id, a.report_id, a.phase_name, a.artifact_key, a.reference_version, a.approved_by, a.approved_at, a.superseded_at)
               IS DISTINCT FROM (x.cycle_id, x.report_id, x.phase_name, x.artifact_key, x.reference_version, x.approved_by, x.approved_at, x.superseded_at)
    LOOP
        PERFORM set_config('phaseline.actor', v_actor::text, true);
        UPDATE {{ schema }}.approved_artifacts a
           SET (cycle_id, report_id, phase_name, artifact_key, reference_version, approved_by, approved_at, superseded_at)
             = (x.cycle_id, x.report_id, x.phase_name, x.artifact_key, x.reference_version, x.approved_by, x.approved_at, x.superseded_at)
          FROM pg_temp._mig_ta x
         WHERE a.id = x.id AND x.actor = v_actor
           AND (a.cycle_id, a.report_id, a.phase_name, a.artifact_key, a.reference_version, a.approved_by, a.approved_at, a.superseded_at)
               IS DISTINCT FROM (x.cycle_id, x.report_id, x.phase_name, x.artifact_key, x.reference_version, x.approved_by, x.approved_at, x.superseded_at);
    END LOOP;
{%- endmacro %}
