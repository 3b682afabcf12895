-- Phase data is type-checked against its phase's contract on every write:
-- each of the six contract types is accepted and refused (integer refuses
-- 1.5), and the error's DETAIL names every offending key, not just the
-- first. The same rules under direct writes: phase_contract_types_direct.sql.
BEGIN;
SELECT plan(17);
SELECT test.world();

-- A phase whose contract uses every type.
SELECT phaseline_api.register_phase('typed_phase', 8, '{"properties": {
    "s": {"type": "string"}, "n": {"type": "number"}, "i": {"type": "integer"},
    "b": {"type": "boolean"}, "a": {"type": "array"}, "o": {"type": "object"}}}', test.id('admin'));
SELECT test.remember('v', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'typed_phase', test.id('tester')));

SELECT lives_ok($$SELECT phaseline_api.save_phase_data(test.uid('v'),
    '{"s": "text", "n": 1.5, "i": 3, "b": false, "a": [1, "x"], "o": {"k": 1}, "free": null}', test.id('tester'))$$,
    'data of every contract type, plus a key the contract does not name, is accepted');
SELECT is((SELECT phase_data FROM peek.workflow_phase_data WHERE id = test.uid('v')),
    '{"s": "text", "n": 1.5, "i": 3, "b": false, "a": [1, "x"], "o": {"k": 1}, "free": null}'::jsonb,
    'the accepted data is stored as given');
SELECT lives_ok($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"n": 7, "i": -2}', test.id('tester'))$$,
    'an integer is a number, and a negative whole number an integer');

SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"s": 1}', test.id('tester'))$$,
    '23514', 'phase_contract', 'a number is refused where a string is required');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"n": "1.5"}', test.id('tester'))$$,
    '23514', 'phase_contract', 'a numeric string is refused where a number is required');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"i": 1.5}', test.id('tester'))$$,
    '23514', 'phase_contract', '1.5 is refused where an integer is required');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"i": "3"}', test.id('tester'))$$,
    '23514', 'phase_contract', 'a string is refused where an integer is required, without a cast error');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"b": "true"}', test.id('tester'))$$,
    '23514', 'phase_contract', 'a string is refused where a boolean is required');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"b": 1}', test.id('tester'))$$,
    '23514', 'phase_contract', 'a number is refused where a boolean is required');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"a": {"0": 1}}', test.id('tester'))$$,
    '23514', 'phase_contract', 'an object is refused where an array is required');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"o": [1]}', test.id('tester'))$$,
    '23514', 'phase_contract', 'an array is refused where an object is required');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v'), '{"s": null}', test.id('tester'))$$,
    '23514', 'phase_contract', 'null is refused for a typed key');
SELECT is((SELECT phase_data FROM peek.workflow_phase_data WHERE id = test.uid('v')),
    '{"n": 7, "i": -2}'::jsonb, 'refused saves left the data as it was');

-- Every offending key is reported, in one error.
CREATE TEMP TABLE e AS SELECT * FROM test.error_of($$SELECT phaseline_api.save_phase_data(test.uid('v'),
    '{"s": 1, "i": 1.5, "b": "no", "o": {}, "free": 1}', test.id('tester'))$$);
SELECT is((SELECT state || ' ' || rule FROM e), '23514 phase_contract',
    'data breaking the contract in three keys raises phase_contract');
SELECT is((SELECT array(SELECT m[1] FROM regexp_matches(detail, '"(\w+)" must', 'g') AS m ORDER BY 1) FROM e),
    ARRAY['b', 'i', 's'], 'the DETAIL names each of the three offending keys and no other');

-- The seeded phases have typed contracts too.
SELECT test.remember('dp', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'data_profiling', test.id('tester')));
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('dp'),
    '{"files_uploaded": "a.csv", "rules_generated": 1.5}', test.id('tester'))$$,
    '23514', 'phase_contract', 'data_profiling refuses a string of files and a fractional rule count');
SELECT lives_ok($$SELECT phaseline_api.save_phase_data(test.uid('dp'),
    '{"files_uploaded": ["a.csv"], "rules_generated": 12, "validation_results": {"ok": 11}}', test.id('tester'))$$,
    'data_profiling accepts data of the types its contract names');

SELECT * FROM finish();
ROLLBACK;
