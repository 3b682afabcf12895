-- The look-ups of bench comparison 5 stay single index probes with 200,000
-- versions of report attributes (five per key, v4 approved, v5 pending and
-- latest, as the bench loads them): the latest version, the current
-- approved version, and approved_artifact()'s statement (taken from its
-- source, with literals). audit_trail's plan is in inv10_audit_storage.sql,
-- phase_overview's in phase_plans.sql.
-- phaseline: superuser
BEGIN;
SELECT plan(4);
SELECT test.world();

SET LOCAL session_replication_role = replica;  -- a setup load, consistent by construction
INSERT INTO phaseline.report_attributes (id, version_number, is_latest, version_status, parent_version_id,
       created_by, submitted_at, submitted_by, reviewed_at, reviewed_by, cycle_id, report_id, attribute_name, definition)
SELECT md5(a || '/' || v)::uuid, v, v = 5,
       (CASE WHEN v = 5 THEN 'pending_approval' WHEN v = 4 THEN 'approved' ELSE 'superseded' END)::phaseline.version_status,
       CASE WHEN v > 1 THEN md5(a || '/' || (v - 1))::uuid END,
       test.id('tester'), now(), test.id('tester'), CASE WHEN v < 5 THEN now() END, CASE WHEN v < 5 THEN test.id('owner') END,
       test.uid('cycle'), test.uid('report'), 'attr ' || a, jsonb_build_object('rev', v)
  FROM generate_series(1, 40000) a, generate_series(1, 5) v;
INSERT INTO phaseline.approved_artifacts (cycle_id, report_id, phase_name, artifact_type, artifact_key,
       reference_table, reference_id, reference_version, approved_by, approved_at, superseded_at)
SELECT cycle_id, report_id, 'scoping', 'attribute', attribute_name, 'report_attributes', id, version_number,
       reviewed_by, reviewed_at, CASE WHEN version_status = 'superseded' THEN reviewed_at END
  FROM phaseline.report_attributes WHERE version_number IN (3, 4);
SET LOCAL session_replication_role = origin;
ANALYZE phaseline.report_attributes, phaseline.approved_artifacts;

SELECT cmp_ok((SELECT count(*)::int FROM phaseline.report_attributes), '>=', 200000, 'the data set holds 200,000 versions');
SELECT test.uses_index($$SELECT * FROM phaseline.report_attributes WHERE cycle_id = test.uid('cycle') AND report_id = test.uid('report')
                                 AND attribute_name = 'attr 777' AND is_latest$$,
    'report_attributes_one_latest', 'the latest version of a key is one probe of the is_latest index');
SELECT test.uses_index($$SELECT * FROM phaseline.report_attributes WHERE cycle_id = test.uid('cycle') AND report_id = test.uid('report')
                                 AND attribute_name = 'attr 777' AND version_status = 'approved'$$,
    'report_attributes_one_approved', 'the current approved version is one probe of the approved index');
SELECT test.uses_index(
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        substring(prosrc FROM '(?s)ELSE\s+RETURN QUERY\s+(.*?);\s*END IF'),
        '\mp_cycle\M', quote_literal(test.uid('cycle')) || '::uuid', 'g'), '\mp_report\M', quote_literal(test.uid('report')) || '::uuid', 'g'),
        '\mp_artifact_type\M', '''attribute''', 'g'), '\mp_artifact_key\M', '''attr 777''', 'g'),
    'approved_artifacts_one_current', 'approved_artifact() finds the current artifact of a key with one probe of its index')
  FROM pg_proc WHERE pg_proc.oid = 'phaseline_api.approved_artifact(uuid, uuid, text, text)'::regprocedure;

SELECT * FROM finish();
ROLLBACK;
