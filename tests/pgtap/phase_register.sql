-- A new phase is a row, not a migration: an admin registers it with its
-- contract, and it is started, saved, completed, submitted and approved
-- like the seeded phases with no DDL. Only admins register phases;
-- malformed contracts and taken ordinals are refused. Malformed contracts
-- in a direct write to the catalog: phase_register_direct.sql.
BEGIN;
SELECT plan(25);
SELECT test.world();
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM pg_class WHERE relnamespace IN ('phaseline'::regnamespace, 'phaseline_api'::regnamespace)) AS rels,
       (SELECT count(*) FROM pg_proc WHERE pronamespace IN ('phaseline'::regnamespace, 'phaseline_api'::regnamespace)) AS procs;

SELECT test.throws_rule($$SELECT phaseline_api.register_phase('quality_review', 8, '{}', test.id('owner'))$$,
    '42501', 'admin_only', 'a report owner may not register a phase');
SELECT test.throws_rule($$SELECT phaseline_api.register_phase('quality_review', 8, '{}', test.id('tester'))$$,
    '42501', 'admin_only', 'a tester may not register a phase');
SELECT is((SELECT count(*)::int FROM peek.workflow_phases), 7, 'the refused registrations added nothing');

SELECT lives_ok($$SELECT phaseline_api.register_phase('quality_review', 8,
    '{"required": ["reviewer_count"], "properties": {"reviewer_count": {"type": "integer"}, "summary": {"type": "string"}}}',
    test.id('admin'))$$, 'an admin registers a new phase with its contract');
SELECT is((SELECT ordinal || ' ' || display_name || ' ' || (data_contract -> 'required')::text FROM peek.workflow_phases WHERE phase_name = 'quality_review'),
    '8 Quality Review ["reviewer_count"]', 'the catalog holds the new phase, its ordinal and its contract');

-- The new phase goes through the whole workflow.
SELECT test.remember('v', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'quality_review', test.id('tester')));
SELECT isnt(test.uid('v'), NULL, 'start_phase starts the new phase');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"reviewer_count": "two"}', test.id('tester'))$$,
    '23514', 'phase_contract', 'the new phase''s contract types its data');
SELECT test.throws_rule($$SELECT phaseline_api.complete_phase(test.uid('v'), test.id('tester'))$$,
    '23514', 'phase_contract', 'the new phase''s contract requires its keys at completion');
SELECT lives_ok($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"reviewer_count": 2, "summary": "fine"}', test.id('tester'))$$,
    'data meeting the new contract is saved');
SELECT lives_ok($$SELECT phaseline_api.complete_phase(test.uid('v'), test.id('tester'))$$, 'the new phase is completed');
SELECT lives_ok($$SELECT phaseline_api.submit_version(test.uid('v'), test.id('tester'))$$, 'the new phase is submitted');
CREATE TEMP TABLE a AS SELECT phaseline_api.approve_version(test.uid('v'), test.id('owner')) AS artifact;
SELECT is((SELECT version_status::text FROM peek.workflow_phase_data WHERE id = test.uid('v')), 'approved',
    'the report owner approves the new phase');
SELECT is((SELECT phase_name || ' ' || artifact_key || ' ' || (reference_id = test.uid('v'))
             FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'phase_data', 'quality_review')),
    'quality_review quality_review true', 'the approval is registered as the new phase''s phase_data artifact');
SELECT is((SELECT ordinal || ' ' || phase_status || ' ' || (approved_version_id = test.uid('v'))
             FROM phaseline_api.phase_overview(test.uid('cycle'), test.uid('report')) WHERE phase_name = 'quality_review'),
    '8 completed true', 'phase_overview lists the new phase in its place');
SELECT is((SELECT count(*) FROM pg_class WHERE relnamespace IN ('phaseline'::regnamespace, 'phaseline_api'::regnamespace))::text || '/'
           || (SELECT count(*) FROM pg_proc WHERE pronamespace IN ('phaseline'::regnamespace, 'phaseline_api'::regnamespace)),
    (SELECT rels || '/' || procs FROM before), 'no table, index, view or function was created for it');
CREATE TEMP TABLE catalog AS SELECT phase_name, ordinal, data_contract FROM peek.workflow_phases;

-- Malformed contracts.
SELECT test.throws_rule($$SELECT phaseline_api.register_phase('p_a', 9, '["required"]', test.id('admin'))$$,
    '22023', 'phase_contract_malformed', 'a contract that is not an object is refused');
SELECT test.throws_rule($$SELECT phaseline_api.register_phase('p_b', 9, '{"type": "object"}', test.id('admin'))$$,
    '22023', 'phase_contract_malformed', 'a contract with a key other than required and properties is refused');
SELECT test.throws_rule($$SELECT phaseline_api.register_phase('p_c', 9, '{"required": "x"}', test.id('admin'))$$,
    '22023', 'phase_contract_malformed', 'a "required" that is not an array is refused');
SELECT test.throws_rule($$SELECT phaseline_api.register_phase('p_d', 9, '{"required": ["x", 1]}', test.id('admin'))$$,
    '22023', 'phase_contract_malformed', 'a "required" holding a non-string is refused');
SELECT test.throws_rule($$SELECT phaseline_api.register_phase('p_e', 9, '{"properties": {"x": {"type": "date"}}}', test.id('admin'))$$,
    '22023', 'phase_contract_malformed', 'a property of a type outside the subset is refused');
SELECT test.throws_rule($$SELECT phaseline_api.register_phase('p_f', 9, '{"properties": {"x": "string"}}', test.id('admin'))$$,
    '22023', 'phase_contract_malformed', 'a property that is not {"type": ...} is refused');
CREATE TEMP TABLE e AS SELECT * FROM test.error_of($$SELECT phaseline_api.register_phase('p_g', 9,
    '{"properties": {"a": {"type": "date"}, "b": {}, "c": {"type": "string"}}}', test.id('admin'))$$);
SELECT is((SELECT rule || ' ' || (detail LIKE '%"a"%') || ' ' || (detail LIKE '%"b"%') || ' ' || (detail LIKE '%"c"%') FROM e),
    'phase_contract_malformed true true false', 'the DETAIL names every malformed property and no sound one');

SELECT test.throws_rule($$SELECT phaseline_api.register_phase('walkthrough', 3, '{}', test.id('admin'))$$,
    '22023', 'phase_ordinal_taken', 'registering a phase at an ordinal another phase holds is refused');
SELECT test.throws_rule($$SELECT phaseline_api.register_phase('quality_review', 1, '{}', test.id('admin'))$$,
    '22023', 'phase_ordinal_taken', 'moving a phase onto a taken ordinal is refused');
SELECT results_eq($$SELECT phase_name, ordinal, data_contract FROM peek.workflow_phases ORDER BY ordinal$$,
    $$SELECT phase_name, ordinal, data_contract FROM catalog ORDER BY ordinal$$,
    'the refused registrations left the catalog as it was');

SELECT * FROM finish();
ROLLBACK;
