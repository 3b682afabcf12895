-- The phase catalog's contract rule under direct writes: a direct INSERT of
-- a malformed contract, or a direct UPDATE making a seeded contract
-- malformed, is refused (22023 phase_contract_malformed) as register_phase
-- refuses it (phase_register.sql), and the catalog is left as it was.
-- phaseline: direct-writes
BEGIN;
SELECT plan(3);
SELECT test.world();
CREATE TEMP TABLE catalog AS SELECT phase_name, ordinal, data_contract FROM phaseline.workflow_phases;

SELECT test.act('admin');
SELECT test.throws_rule($$INSERT INTO phaseline.workflow_phases (phase_name, ordinal, display_name, data_contract)
    VALUES ('p_h', 9, 'P h', '{"properties": {"x": {"type": "decimal"}}}')$$,
    '22023', 'phase_contract_malformed', 'a direct INSERT of a malformed contract into the catalog is refused');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phases SET data_contract = '{"required": {}}' WHERE phase_name = 'scoping'$$,
    '22023', 'phase_contract_malformed', 'a direct UPDATE making a seeded contract malformed is refused');
SELECT results_eq($$SELECT phase_name, ordinal, data_contract FROM phaseline.workflow_phases ORDER BY ordinal$$,
    $$SELECT phase_name, ordinal, data_contract FROM catalog ORDER BY ordinal$$,
    'the refused direct writes left the catalog as it was');

SELECT * FROM finish();
ROLLBACK;
