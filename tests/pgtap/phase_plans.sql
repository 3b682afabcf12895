-- With 10,000 cycle x report pairs of phase data, the reads callers make
-- per report or per cycle stay index probes: the phase_overview query and
-- approved_phase_data's query read no workflow_phase_data by Seq Scan, and
-- a containment query on the payload uses the GIN index. The queries are
-- taken from the functions' own source, with literal ids, so the test
-- follows the product.
-- phaseline: direct-writes
BEGIN;
SELECT plan(5);
SELECT test.world();

-- 100 cycles x 100 reports, written set-based by the table owner.
SELECT test.act('admin');
INSERT INTO phaseline.test_cycles (name, period_start, period_end, created_by)
SELECT 'Cycle ' || i, date '2020-01-01' + i, date '2020-01-01' + i + 90, test.id('admin') FROM generate_series(1, 100) AS i;
INSERT INTO phaseline.reports (name, owner_user_id, created_by)
SELECT 'Report ' || i, test.id('owner'), test.id('admin') FROM generate_series(1, 100) AS i;
INSERT INTO phaseline.cycle_reports (cycle_id, report_id, tester_user_id, assigned_by)
SELECT c.cycle_id, r.report_id, test.id('tester'), test.id('admin')
  FROM phaseline.test_cycles c, phaseline.reports r
 WHERE c.name LIKE 'Cycle %' AND r.name LIKE 'Report %';

-- Per pair: scoping version 1 approved, and on half of the pairs a version
-- 2 draft; data profiling version 1 in progress. One payload in a thousand
-- is "stratified". The rows go in as history (backfill mode): the engine's
-- per-key advisory locks, held to commit, would need more lock-table slots
-- than a default server has for 10,000 keys in one transaction.
SET LOCAL phaseline.backfill = 'on';
INSERT INTO phaseline.workflow_phase_data
       (cycle_id, report_id, phase_name, version_number, is_latest, version_status, created_by,
        submitted_at, submitted_by, reviewed_at, reviewed_by, phase_status, phase_data, started_at, completed_at)
SELECT cr.cycle_id, cr.report_id, 'scoping', 1, n % 2 = 1, 'approved', test.id('tester'), now(), test.id('tester'), now(), test.id('owner'),
       'completed', jsonb_build_object('attributes_scoped', n % 50,
                                       'method', CASE WHEN n % 1000 = 0 THEN 'stratified' ELSE 'random' END), now(), now()
  FROM (SELECT c.*, row_number() OVER (ORDER BY c.id) AS n FROM phaseline.cycle_reports c WHERE c.cycle_id <> test.uid('cycle')) AS cr;
INSERT INTO phaseline.workflow_phase_data
       (cycle_id, report_id, phase_name, version_number, parent_version_id, created_by, phase_status, phase_data, started_at)
SELECT d.cycle_id, d.report_id, 'scoping', 2, d.id, test.id('tester'), 'in_progress', d.phase_data, now()
  FROM phaseline.workflow_phase_data d WHERE d.phase_name = 'scoping' AND NOT d.is_latest;
INSERT INTO phaseline.workflow_phase_data (cycle_id, report_id, phase_name, version_number, created_by, phase_status, phase_data, started_at)
SELECT cycle_id, report_id, 'data_profiling', 1, test.id('tester'), 'in_progress', '{"files_uploaded": ["a.csv"]}', now()
  FROM phaseline.cycle_reports WHERE cycle_id <> test.uid('cycle');
SET LOCAL phaseline.backfill = 'off';
ANALYZE phaseline.workflow_phases, phaseline.workflow_phase_data, phaseline.cycle_reports;

SELECT cmp_ok((SELECT count(*)::int FROM phaseline.workflow_phase_data WHERE version_status = 'approved'), '=', 10000,
    'the data set holds 10,000 approved scoping versions');

-- One pair and one cycle of the data set, as literals.
CREATE TEMP TABLE pick AS
SELECT cycle_id, report_id FROM phaseline.cycle_reports WHERE cycle_id <> test.uid('cycle') ORDER BY id LIMIT 1;
CREATE TEMP TABLE q AS
SELECT regexp_replace(regexp_replace(
           substring(prosrc FROM 'RETURN QUERY\s+([^;]*);'),  -- the query holds no semicolon
           '\mp_cycle\M', quote_literal(pick.cycle_id) || '::uuid', 'g'),
           '\mp_report\M', quote_literal(pick.report_id) || '::uuid', 'g') AS overview
  FROM pg_proc, pick WHERE pg_proc.oid = 'phaseline_api.phase_overview(uuid, uuid)'::regprocedure;
ALTER TABLE q ADD COLUMN approved text, ADD COLUMN approved_scoping text;
UPDATE q SET approved = regexp_replace(regexp_replace(rtrim(btrim(p.prosrc), ';'),
                  '\mp_cycle\M', quote_literal(pick.cycle_id) || '::uuid', 'g'), '\mp_phase\M', 'NULL::text', 'g'),
             approved_scoping = regexp_replace(regexp_replace(rtrim(btrim(p.prosrc), ';'),
                  '\mp_cycle\M', quote_literal(pick.cycle_id) || '::uuid', 'g'), '\mp_phase\M', '''scoping''::text', 'g')
  FROM pg_proc p, pick WHERE p.oid = 'phaseline_api.approved_phase_data(uuid, text)'::regprocedure;

SELECT test.no_seq_scan((SELECT overview FROM q), 'workflow_phase_data',
    'the phase_overview query of one cycle and report reads workflow_phase_data by index only');
SELECT test.no_seq_scan((SELECT approved FROM q), 'workflow_phase_data',
    'approved_phase_data of one cycle reads workflow_phase_data by index only');
SELECT test.no_seq_scan((SELECT approved_scoping FROM q), 'workflow_phase_data',
    'approved_phase_data of one cycle and phase reads workflow_phase_data by index only');
SELECT test.uses_index($$SELECT id FROM phaseline.workflow_phase_data WHERE phase_data @> '{"method": "stratified"}'$$,
    'workflow_phase_data_payload_gin', 'a containment query on the payload uses the GIN index');

SELECT * FROM finish();
ROLLBACK;
