-- Issue 12, findings 5, 6 and 10: input rules written once (once/080) and
-- used by the tables' CHECKs and the API.
--  5  blank is any Unicode whitespace (and invisible format characters);
--  6  every text has a documented limit (22001 <field>_length), JSON
--     documents are capped at max_json_bytes (22023 json_too_large), and no
--     message echoes more than 40 characters of a bad value;
--  10 emails are stored in NFC and refuse control and format characters;
--     cycles refuse infinite dates.
BEGIN;
SELECT plan(31);
CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v AS
SELECT phaseline_api.start_sample_selection(cycle, report, tester) AS samples,
       phaseline_api.propose_report_attribute(cycle, report, 'balance', '{}', tester) AS attr,
       phaseline_api.start_phase(cycle, report, 'scoping', tester) AS phase
  FROM w;
CREATE TEMP TABLE long AS SELECT repeat('x', 100000) AS t;

-- 5: blanks of every kind.
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('b@test.io', %L, 'tester', %s)$$, b, admin),
    '22023', 'display_name_not_blank', format('a display name of %s is blank', n))
  FROM w, (VALUES (E' \t ', 'tab'), (E'\n', 'line feed'), (E'\u00a0', 'no-break space'), (E'\u2003', 'em space'),
                  (E'\u3000', 'ideographic space'), (E'\u200b', 'zero-width space'), (E'\u2028', 'line separator')) AS x(b, n);
SELECT phaseline_api.submit_version(attr, tester) FROM v, w;
CREATE TEMP TABLE before AS SELECT * FROM test.state();  -- every call from here to the check below is refused
SELECT test.throws_rule(format($$SELECT phaseline_api.reject_version(%L, %s, %L)$$, attr, owner, E' \n '),
    '22023', 'review_note_required', 'a rejection note of a space and a line feed is blank') FROM v, w;
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT owner FROM w)::text, true); END$$;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'rejected', review_note = %L WHERE id = %L$$, E'\u00a0', attr),
    '22023', 'review_note_required', 'and so is a no-break space in a direct UPDATE') FROM v;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_cycle(%L, '2026-01-01', '2026-01-31', %s)$$, E'\u2003', admin),
    '22023', 'cycle_name_not_blank', 'a blank cycle name is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.recommend_samples(%L, %L, 'tester', %s)$$, samples, jsonb_build_array(jsonb_build_object('sample_key', E'\u3000')), tester),
    '22023', 'samples_shape', 'a blank sample key is refused') FROM v, w;

-- 6: lengths, sizes, echoes.
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('l@test.io', %L, 'tester', %s)$$, t, admin),
    '22001', 'display_name_length', 'a display name over 200 characters is refused') FROM w, long;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user(%L, 'L', 'tester', %s)$$, t || '@x.io', admin),
    '22001', 'email_length', 'an email over 254 characters is refused') FROM w, long;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_cycle(%L, '2026-01-01', '2026-01-31', %s)$$, t, admin),
    '22001', 'cycle_name_length', 'a cycle name over 200 characters is refused') FROM w, long;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_report(%L, %s, %s)$$, t, owner, admin),
    '22001', 'report_name_length', 'a report name over 200 characters is refused') FROM w, long;
SELECT test.throws_rule(format($$SELECT phaseline_api.propose_report_attribute(%L, %L, %L, '{}', %s)$$, cycle, report, t, tester),
    '22001', 'attribute_name_length', 'an attribute name over 200 characters is refused') FROM w, long;
SELECT test.throws_rule(format($$SELECT phaseline_api.recommend_samples(%L, %L, 'tester', %s)$$, samples, jsonb_build_array(jsonb_build_object('sample_key', t)), tester),
    '22001', 'sample_key_length', 'a sample key over 200 characters is refused') FROM v, w, long;
SELECT test.throws_rule(format($$SELECT phaseline_api.reject_version(%L, %s, %L)$$, attr, owner, t),
    '22001', 'review_note_length', 'a review note over 4000 characters is refused') FROM v, w, long;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user('r@test.io', 'R', %L, %s)$$, t, admin),
    '22023', 'unknown_role', 'a 100 kB role is an unknown role') FROM w, long;
SELECT test.throws_rule(format($$SELECT phaseline_api.save_phase_data(%L, %L, %s)$$, phase, jsonb_build_object('scoping_notes', repeat(t, 11)), tester),
    '22023', 'json_too_large', 'phase data over max_json_bytes is refused') FROM v, w, long;
SELECT test.throws_rule(format($$SELECT phaseline_api.update_report_attribute(%L, %L, %s)$$, attr, jsonb_build_object('d', repeat(t, 11)), tester),
    '22023', 'json_too_large', 'a definition over max_json_bytes is refused') FROM v, w, long;
SELECT test.throws_rule(format($$SELECT phaseline_api.recommend_samples(%L, %L, 'tester', %s)$$, samples,
                               jsonb_build_array(jsonb_build_object('sample_key', 'S1', 'data', jsonb_build_object('d', repeat(t, 11)))), tester),
    '22023', 'json_too_large', 'sample data over max_json_bytes is refused') FROM v, w, long;
SELECT is(phaseline._max_json_bytes(), 1048576, 'the cap is the deploy variable max_json_bytes, 1 MiB by default');
CREATE TEMP TABLE echoes AS
SELECT e.* FROM w, long, LATERAL (VALUES
    (format($$SELECT phaseline_api.create_user('l@test.io', %L, 'tester', %s)$$, t, admin)),
    (format($$SELECT phaseline_api.create_user('r@test.io', 'R', %L, %s)$$, t, admin)),
    (format($$SELECT phaseline_api.create_user(%L, 'R', 'tester', %s)$$, t, admin)),
    (format($$SELECT phaseline_api.start_phase(%L, %L, %L, %s)$$, cycle, report, t, tester)),
    (format($$SELECT * FROM phaseline_api.approved_artifact(%L, %L, %L)$$, cycle, report, t)),
    (format($$SELECT phaseline_api.register_phase(%L, 9, '{}', %s)$$, t, admin))) AS c(sql),
  LATERAL test.error_of(c.sql) AS e;
SELECT is((SELECT count(*)::int FROM echoes WHERE state IS NOT NULL), 6, 'each over-long value was refused');
SELECT is((SELECT count(*)::int FROM echoes WHERE coalesce(message, '') || coalesce(detail, '') ~ repeat('x', 41)), 0,
    'no message or detail echoes more than 40 characters of it');
SELECT results_eq('SELECT * FROM test.state()', 'SELECT * FROM before', 'no refused call changed a table');

-- 10: emails and dates.
CREATE TEMP TABLE jose AS SELECT phaseline_api.create_user(E'jose\u0301@test.io', 'J', 'tester', admin) AS id FROM w;
SELECT is((SELECT email FROM phaseline.users WHERE user_id = (SELECT id FROM jose)), E'jos\u00e9@test.io', 'an email is stored in NFC');
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user(%L, 'J2', 'tester', %s)$$, E'jos\u00e9@TEST.io', admin),
    '23505', 'users_email_key', 'so the composed and decomposed spellings are one address') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user(%L, 'Z', 'tester', %s)$$, E'zero\u200bwidth@test.io', admin),
    '22023', 'email_is_address', 'an email with a zero-width space is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_user(%L, 'Z', 'tester', %s)$$, E'bell\u0007@test.io', admin),
    '22023', 'email_is_address', 'an email with a control character is refused') FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.create_cycle('Forever', '2026-01-01', 'infinity', %s)$$, admin),
    '22023', 'cycle_period_finite', 'a cycle that never ends is refused') FROM w;

SELECT * FROM finish();
ROLLBACK;
