-- Invariant 10, the storage (once/090_audit_events.sql, repeatable/110_audit.sql):
-- the log is partitioned by month with partitions created ahead; the parent,
-- every partition and 0.1.0's table refuse UPDATE, DELETE and TRUNCATE; a
-- bulk write is one event per statement and version, an update keeps only
-- the old values of what changed; and audit_trail() reads it by index probes
-- (its own per-month query, taken from its source, at 300,000 entries).
-- phaseline: superuser
BEGIN;
SELECT plan(23);
SELECT test.world();

-- Partitions: this month and three ahead, from deploy.
SELECT is((SELECT count(*)::int FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'phaseline.audit_events'::regclass
              AND c.relname IN (SELECT 'audit_events_' || to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => k), 'YYYY_MM')
                                  FROM generate_series(0, 3) k)), 4,
    'deploy created the partitions of this month and the next three');
SELECT is((SELECT count(*)::int FROM phaseline.audit_create_partitions()), 0, 'running the maintenance again creates nothing new');
SELECT is((SELECT array_agg(p) FROM phaseline.audit_create_partitions(5) AS p),
          ARRAY(SELECT 'audit_events_' || to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => k), 'YYYY_MM')
                  FROM generate_series(4, 5) k),
    'asked for five months ahead, it creates the fourth and fifth');

-- Append-only everywhere: each partition, including the new ones and the default, and 0.1.0's table.
CREATE TEMP TABLE refused AS
SELECT c.relname::text AS rel, op,
       (test.error_of(format(op, 'phaseline.' || quote_ident(c.relname)))).rule AS rule
  FROM (SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = 'phaseline.audit_events'::regclass
        UNION ALL SELECT 'phaseline.audit_log_0_1_0'::regclass) AS t(oid)
  JOIN pg_class c ON c.oid = t.oid
 CROSS JOIN unnest(ARRAY['UPDATE %s SET actor = actor', 'DELETE FROM %s WHERE false', 'TRUNCATE %s']) AS op;
SELECT is((SELECT count(DISTINCT rel)::int FROM refused), 8, 'six monthly partitions, the default one and 0.1.0''s table were tried');
SELECT is((SELECT string_agg(rel || ': ' || op || ' -> ' || coalesce(rule, 'allowed'), '; ') FROM refused WHERE rule IS DISTINCT FROM 'audit_append_only'),
    NULL, 'every one refuses UPDATE, DELETE (even of nothing) and TRUNCATE with audit_append_only');

-- Bulk writes: one event per statement and version, no row copied.
SELECT test.remember('sel', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
CREATE TEMP TABLE mark AS SELECT coalesce(max(id), 0) AS id FROM phaseline.audit_events;
SELECT phaseline_api.recommend_samples(test.uid('sel'), '[{"sample_key": "A", "data": {"n": 1}}, {"sample_key": "B"}, {"sample_key": "C"}]', 'tester', test.id('tester'));
SELECT results_eq(
    $$SELECT action, table_name, row_key COLLATE "default", cardinality(row_ids), old_values IS NULL FROM phaseline.audit_events WHERE id > (SELECT id FROM mark)$$,
    $$SELECT 'INSERT', 'sample_decisions', test.uid('sel')::text, 3, true$$,
    'recommending three samples writes one event: the version and the three row ids, no row data');
SELECT is((SELECT array_agg(x ORDER BY x) FROM phaseline.audit_events e, unnest(e.row_ids) x WHERE e.id > (SELECT id FROM mark)),
          (SELECT array_agg(id ORDER BY id) FROM phaseline.sample_decisions WHERE version_id = test.uid('sel')),
    'the event lists exactly the inserted rows');
SELECT phaseline_api.submit_version(test.uid('sel'), test.id('tester'));
UPDATE mark SET id = (SELECT max(id) FROM phaseline.audit_events);
SELECT phaseline_api.decide_samples(test.uid('sel'), '[{"sample_key": "A", "status": "approved"}, {"sample_key": "B", "status": "modified", "data": {"n": 2}}]', test.id('owner'));
SELECT results_eq(
    $$SELECT d.sample_key COLLATE "default",
             CASE WHEN jsonb_typeof(e.old_values) = 'array' THEN e.old_values -> (array_position(e.row_ids, d.id) - 1) ELSE e.old_values END
        FROM phaseline.audit_events e JOIN phaseline.sample_decisions d ON d.id = ANY (e.row_ids)
       WHERE e.id > (SELECT id FROM mark) ORDER BY 1$$,
    $$VALUES ('A', '{"decision_status": "pending", "decided_by": null, "decided_at": null}'::jsonb),
             ('B', '{"decision_status": "pending", "decided_by": null, "decided_at": null, "sample_data": {}}'::jsonb)$$,
    'deciding keeps, per decided row, the old values of the columns that changed, and nothing else');
SELECT results_eq(
    $$SELECT cardinality(e.row_ids), jsonb_typeof(e.old_values) FROM phaseline.audit_events e WHERE e.id > (SELECT id FROM mark) ORDER BY 2$$,
    $$VALUES (1, 'array'), (1, 'object')$$,
    'a first decision that keeps the data shares one delta object with its group; a modified one has its own, in an array');
SELECT throws_ok(
    $$INSERT INTO phaseline.audit_events (actor, action, table_name, row_key, row_ids, old_values)
      VALUES (1, 'UPDATE', 'sample_decisions', 'g', ARRAY[gen_random_uuid(), gen_random_uuid()], '[{}]')$$,
    '23514', NULL, 'audit_events_shape: a grouped event''s array of deltas has one per row');
SELECT throws_ok(
    $$INSERT INTO phaseline.audit_events (actor, action, table_name, row_key, row_ids, old_values)
      VALUES (1, 'UPDATE', 'sample_decisions', 'g', ARRAY[gen_random_uuid()], '"pending"')$$,
    '23514', NULL, 'audit_events_shape: a shared delta is an object');
SELECT results_eq(
    $$SELECT t.action, t.old_row ->> 'decision_status', t.new_row ->> 'decision_status', t.old_row -> 'sample_data', t.new_row -> 'sample_data'
        FROM phaseline.sample_decisions d, phaseline_api.audit_trail(d.id) t
       WHERE d.version_id = test.uid('sel') AND d.sample_key = 'B' ORDER BY t.audit_id$$,
    $$VALUES ('INSERT', NULL, 'pending', NULL::jsonb, '{}'::jsonb), ('UPDATE', 'pending', 'modified', '{}', '{"n": 2}')$$,
    'audit_trail rebuilds both whole rows of a sample decision from the table and the delta');

-- A backfill may change any column: the delta then holds the fixed ones too.
UPDATE mark SET id = (SELECT max(id) FROM phaseline.audit_events);
SET LOCAL phaseline.backfill = 'on';
SELECT set_config('phaseline.actor', test.id('admin')::text, true);
UPDATE phaseline.sample_decisions SET sample_key = 'C2', decision_note = 'moved' WHERE version_id = test.uid('sel') AND sample_key = 'C';
SET LOCAL phaseline.backfill = 'off';
SELECT is((SELECT array_agg(old_values) FROM phaseline.audit_events WHERE id > (SELECT id FROM mark)),
          ARRAY['[{"sample_key": "C", "decision_note": null}]'::jsonb],
    'a backfill that changes a fixed column (the key) and a note: one event, the old values of both');

-- Single-row writes: one event each, the delta only.
SELECT test.remember('a', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'storage', '{"v": 1}', test.id('tester')));
SELECT phaseline_api.update_report_attribute(test.uid('a'), '{"v": 2}', test.id('tester'));
SELECT results_eq(
    $$SELECT action, row_ids IS NULL, old_values FROM phaseline.audit_events WHERE row_key = test.uid('a')::text ORDER BY id$$,
    $$VALUES ('INSERT', true, NULL::jsonb), ('UPDATE', true, '{"definition": {"v": 1}}'::jsonb)$$,
    'a version''s insert is one event with no row data, its edit one event with the old definition');
SELECT is((SELECT new_row FROM phaseline_api.audit_trail(test.uid('a')) ORDER BY audit_id DESC LIMIT 1),
          (SELECT to_jsonb(r) FROM phaseline.report_attributes r WHERE id = test.uid('a')),
    'the newest rebuilt row is the row as it is');
SELECT is((SELECT new_row FROM phaseline_api.audit_trail(test.uid('a')) ORDER BY audit_id LIMIT 1),
          (SELECT to_jsonb(r) || '{"definition": {"v": 1}}' FROM phaseline.report_attributes r WHERE id = test.uid('a')),
    'the inserted row is rebuilt with the definition it had then');
SELECT is((SELECT count(*)::int FROM phaseline_api.audit_trail(gen_random_uuid())), 0, 'a row nobody wrote has no trail');

-- The view keeps the 0.1.0 columns: one entry per row and change.
SELECT results_eq(
    $$SELECT action, old_row -> 'definition', new_row -> 'definition' FROM phaseline.audit_log WHERE row_id = test.uid('a')::text ORDER BY id$$,
    $$VALUES ('INSERT', NULL::jsonb, '{"v": 1}'::jsonb), ('UPDATE', '{"v": 1}', '{"v": 2}')$$,
    'phaseline.audit_log shows the same entries with whole rows');
SELECT is((SELECT count(*)::int FROM phaseline.audit_log WHERE table_name = 'sample_decisions'), 6,
    'and one entry per sample decision and change (three inserts, two decisions, the backfill)');

-- A row whose life spans months: inserted two months ago, changed last
-- month and now. audit_trail walks the months back to its insert.
CREATE TEMP TABLE m AS SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AS this_month;
DO $$
DECLARE
    v_m timestamp := (SELECT this_month FROM m);
BEGIN
    FOR k IN 1..2 LOOP
        IF to_regclass('phaseline.audit_events_' || to_char(v_m - make_interval(months => k), 'YYYY_MM')) IS NULL THEN
            EXECUTE format('CREATE TABLE phaseline.%I PARTITION OF phaseline.audit_events FOR VALUES FROM (%L) TO (%L)',
                           'audit_events_' || to_char(v_m - make_interval(months => k), 'YYYY_MM'),
                           (v_m - make_interval(months => k)) AT TIME ZONE 'UTC', (v_m - make_interval(months => k - 1)) AT TIME ZONE 'UTC');
        END IF;
    END LOOP;
END
$$;
SET LOCAL session_replication_role = replica;  -- the row as it was two months ago, written without the engine
INSERT INTO phaseline.report_attributes (id, version_number, created_by, created_at, cycle_id, report_id, attribute_name, definition)
SELECT 'a0000000-0000-4000-8000-000000000001', 1, test.id('tester'), now() - interval '2 months', test.uid('cycle'), test.uid('report'), 'old', '{"v": 2}';
SET LOCAL session_replication_role = origin;
INSERT INTO phaseline.audit_events (at, logged_at, actor, action, table_name, row_key, old_values)
SELECT t, t, test.id('tester'), a, 'report_attributes', 'a0000000-0000-4000-8000-000000000001', d
  FROM (VALUES ((SELECT this_month FROM m) - interval '2 months' + interval '3 days', 'INSERT', NULL::jsonb),
               ((SELECT this_month FROM m) - interval '1 month' + interval '3 days', 'UPDATE', '{"definition": {"v": 1}}'::jsonb)) AS x(t0, a, d),
       LATERAL (SELECT t0 AT TIME ZONE 'UTC' AS t) y;
SELECT phaseline_api.update_report_attribute('a0000000-0000-4000-8000-000000000001', '{"v": 3}', test.id('tester'));
SELECT results_eq(
    $$SELECT action, old_row -> 'definition', new_row -> 'definition', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM')
        FROM phaseline_api.audit_trail('a0000000-0000-4000-8000-000000000001') ORDER BY audit_id$$,
    $$SELECT * FROM (VALUES ('INSERT', NULL::jsonb, '{"v": 1}'::jsonb, to_char((SELECT this_month FROM m) - interval '2 months', 'YYYY-MM')),
                            ('UPDATE', '{"v": 1}', '{"v": 2}', to_char((SELECT this_month FROM m) - interval '1 month', 'YYYY-MM')),
                            ('UPDATE', '{"v": 2}', '{"v": 3}', to_char((SELECT this_month FROM m), 'YYYY-MM'))) AS x$$,
    'a row changed over three months: audit_trail walks back to its insert and rebuilds every change');

-- At scale: 300,000 entries of other rows, then audit_trail's own query by index.
INSERT INTO phaseline.audit_events (actor, action, table_name, row_key)
SELECT test.id('admin'), 'INSERT', 'report_attributes', gen_random_uuid()::text FROM generate_series(1, 300000);
ANALYZE phaseline.audit_events;
-- The query audit_trail runs per month, from its source, for this month.
CREATE TEMP TABLE q AS
SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
           substring(prosrc FROM '(?s)(SELECT array_agg\(e\.id.*?END);'),
           'INTO m_ids[^\n]*', ''),
           '\mv_row\M', quote_literal(d.id::text), 'g'),
           '\mv_group\M', quote_literal(d.version_id::text), 'g'),
           '\mp_row\M', quote_literal(d.id) || '::uuid', 'g'),
           '\mv_from\M', quote_literal(date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') || '::timestamptz', 'g'),
           '\mv_to\M', '''infinity''::timestamptz', 'g') AS trail
  FROM pg_proc, phaseline.sample_decisions d
 WHERE pg_proc.oid = 'phaseline_api.audit_trail(uuid)'::regprocedure AND d.sample_key = 'B';
SELECT test.no_seq_scan((SELECT trail FROM q), 'audit_events_' || to_char(now() AT TIME ZONE 'UTC', 'YYYY_MM'),
    'audit_trail''s query reads this month''s partition, which holds the entries, by index only (empty ones cost nothing either way)');
SELECT ok(jsonb_path_exists(test.plan_json((SELECT trail FROM q))::jsonb,
              'strict $.** ? (@."Index Name" starts with "audit_events_" && @."Index Cond" like_regex "row_key")'),
    'it probes the (row_key, id) index of the partitions');
SELECT is((SELECT count(*)::int FROM phaseline.sample_decisions d, phaseline_api.audit_trail(d.id) t WHERE d.sample_key = 'B'), 2,
    'and still finds the row''s two entries among them');

SELECT * FROM finish();
ROLLBACK;
