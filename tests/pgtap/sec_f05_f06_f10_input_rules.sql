-- Issue 12, findings 5, 6 and 10: input rules written once (once/080) and
-- used by the tables' CHECKs and the API.
--  5  blank is any Unicode whitespace (and invisible format characters);
--  6  every text has a documented limit (22001 <field>_length), JSON
--     documents are capped at max_json_bytes (22023 json_too_large), and no
--     message echoes more than 40 characters of a bad value;
--  10 emails are stored in NFC and refuse control and format characters;
--     cycles refuse infinite dates.
-- A blank note in a direct UPDATE, and the cap's source (an internal
-- function): sec_f05_f06_f10_input_rules_direct.sql.
BEGIN;
SELECT plan(29);
SELECT test.world();
SELECT test.remember('samples', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT test.remember('attr', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
SELECT test.remember('phase', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
CREATE TEMP TABLE long AS SELECT repeat('x', 100000) AS t;

-- 5: blanks of every kind.
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('b@test.io', %L, 'tester', %s)$$, b, test.id('admin')),
    '22023', 'display_name_not_blank', format('a display name of %s is blank', n))
  FROM (VALUES (E' \t ', 'tab'), (E'\n', 'line feed'), (E'\u00a0', 'no-break space'), (E'\u2003', 'em space'),
                  (E'\u3000', 'ideographic space'), (E'\u200b', 'zero-width space'), (E'\u2028', 'line separator')) AS x(b, n);
SELECT phaseline_api.submit_version(test.uid('attr'), test.id('tester'));
CREATE TEMP TABLE before AS SELECT * FROM test.state();  -- every call from here to the check below is refused
SELECT test.throws_rule(format($$SELECT phaseline_api.reject_version(%L, %s, %L)$$, test.uid('attr'), test.id('owner'), E' \n '),
    '22023', 'review_note_required', 'a rejection note of a space and a line feed is blank');
SELECT test.throws_rule(format($$SELECT phaseline_api.create_cycle(%L, '2026-01-01', '2026-01-31', %s)$$, E'\u2003', test.id('admin')),
    '22023', 'cycle_name_not_blank', 'a blank cycle name is refused');
SELECT test.throws_rule(format($$SELECT phaseline_api.recommend_samples(%L, %L, 'tester', %s)$$, test.uid('samples'), jsonb_build_array(jsonb_build_object('sample_key', E'\u3000')), test.id('tester')),
    '22023', 'samples_shape', 'a blank sample key is refused');

-- 6: lengths, sizes, echoes.
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('l@test.io', %L, 'tester', %s)$$, t, test.id('admin')),
    '22001', 'display_name_length', 'a display name over 200 characters is refused') FROM long;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user(%L, 'L', 'tester', %s)$$, t || '@x.io', test.id('admin')),
    '22001', 'email_length', 'an email over 254 characters is refused') FROM long;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_cycle(%L, '2026-01-01', '2026-01-31', %s)$$, t, test.id('admin')),
    '22001', 'cycle_name_length', 'a cycle name over 200 characters is refused') FROM long;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_report(%L, %s, %s)$$, t, test.id('owner'), test.id('admin')),
    '22001', 'report_name_length', 'a report name over 200 characters is refused') FROM long;
SELECT test.throws_rule(format($$SELECT phaseline_api.propose_report_attribute(%L, %L, %L, '{}', %s)$$, test.uid('cycle'), test.uid('report'), t, test.id('tester')),
    '22001', 'attribute_name_length', 'an attribute name over 200 characters is refused') FROM long;
SELECT test.throws_rule(format($$SELECT phaseline_api.recommend_samples(%L, %L, 'tester', %s)$$, test.uid('samples'), jsonb_build_array(jsonb_build_object('sample_key', t)), test.id('tester')),
    '22001', 'sample_key_length', 'a sample key over 200 characters is refused') FROM long;
SELECT test.throws_rule(format($$SELECT phaseline_api.reject_version(%L, %s, %L)$$, test.uid('attr'), test.id('owner'), t),
    '22001', 'review_note_length', 'a review note over 4000 characters is refused') FROM long;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('r@test.io', 'R', %L, %s)$$, t, test.id('admin')),
    '22023', 'unknown_role', 'a 100 kB role is an unknown role') FROM long;
SELECT test.throws_rule(format($$SELECT phaseline_api.save_phase_data(%L, %L, %s)$$, test.uid('phase'), jsonb_build_object('scoping_notes', repeat(t, 11)), test.id('tester')),
    '22023', 'json_too_large', 'phase data over max_json_bytes is refused') FROM long;
SELECT test.throws_rule(format($$SELECT phaseline_api.update_report_attribute(%L, %L, %s)$$, test.uid('attr'), jsonb_build_object('d', repeat(t, 11)), test.id('tester')),
    '22023', 'json_too_large', 'a definition over max_json_bytes is refused') FROM long;
SELECT test.throws_rule(format($$SELECT phaseline_api.recommend_samples(%L, %L, 'tester', %s)$$, test.uid('samples'),
                               jsonb_build_array(jsonb_build_object('sample_key', 'S1', 'data', jsonb_build_object('d', repeat(t, 11)))), test.id('tester')),
    '22023', 'json_too_large', 'sample data over max_json_bytes is refused') FROM long;
CREATE TEMP TABLE echoes AS
SELECT e.* FROM long, LATERAL (VALUES
    (format($$SELECT phaseline_api.create_user('l@test.io', %L, 'tester', %s)$$, t, test.id('admin'))),
    (format($$SELECT phaseline_api.create_user('r@test.io', 'R', %L, %s)$$, t, test.id('admin'))),
    (format($$SELECT phaseline_api.create_user(%L, 'R', 'tester', %s)$$, t, test.id('admin'))),
    (format($$SELECT phaseline_api.start_phase(%L, %L, %L, %s)$$, test.uid('cycle'), test.uid('report'), t, test.id('tester'))),
    (format($$SELECT * FROM phaseline_api.approved_artifact(%L, %L, %L)$$, test.uid('cycle'), test.uid('report'), t)),
    (format($$SELECT phaseline_api.register_phase(%L, 9, '{}', %s)$$, t, test.id('admin')))) AS c(sql),
  LATERAL test.error_of(c.sql) AS e;
SELECT is((SELECT count(*)::int FROM echoes WHERE state IS NOT NULL), 6, 'each over-long value was refused');
SELECT is((SELECT count(*)::int FROM echoes WHERE coalesce(message, '') || coalesce(detail, '') ~ repeat('x', 41)), 0,
    'no message or detail echoes more than 40 characters of it');
SELECT results_eq('SELECT * FROM test.state()', 'SELECT * FROM before', 'no refused call changed a table');

-- 10: emails and dates.
SELECT test.remember('jose', phaseline_api.create_user(E'jose\u0301@test.io', 'J', 'tester', test.id('admin')));
SELECT is((SELECT email FROM peek.users WHERE user_id = test.id('jose')), E'jos\u00e9@test.io', 'an email is stored in NFC');
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user(%L, 'J2', 'tester', %s)$$, E'jos\u00e9@TEST.io', test.id('admin')),
    '23505', 'users_email_key', 'so the composed and decomposed spellings are one address');
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user(%L, 'Z', 'tester', %s)$$, E'zero\u200bwidth@test.io', test.id('admin')),
    '22023', 'email_is_address', 'an email with a zero-width space is refused');
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user(%L, 'Z', 'tester', %s)$$, E'bell\u0007@test.io', test.id('admin')),
    '22023', 'email_is_address', 'an email with a control character is refused');
SELECT test.throws_rule(format($$SELECT phaseline_api.create_cycle('Forever', '2026-01-01', 'infinity', %s)$$, test.id('admin')),
    '22023', 'cycle_period_finite', 'a cycle that never ends is refused');

SELECT * FROM finish();
ROLLBACK;
