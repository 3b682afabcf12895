-- Test-only helpers, loaded into the test template after pgTAP (never deployed).

CREATE SCHEMA IF NOT EXISTS test;

-- throws_rule: like pgTAP's throws_ok, and also checks the rule name in the
-- error's CONSTRAINT field, which is what callers branch on (DESIGN.md).
-- The statement runs in a subtransaction, so nothing it wrote survives the
-- error: follow with a count to prove "a failed call changes nothing".
CREATE OR REPLACE FUNCTION test.throws_rule(p_sql text, p_errcode text, p_rule text, p_description text)
RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    v_state text;
    v_rule  text;
    v_msg   text;
BEGIN
    BEGIN
        EXECUTE p_sql;
    EXCEPTION WHEN OTHERS THEN
        -- a test helper records whatever was raised; it re-raises nothing
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_rule = CONSTRAINT_NAME, v_msg = MESSAGE_TEXT;
    END;
    IF v_state IS NULL THEN
        RETURN ok(false, p_description) || E'\n' || diag('    no error was raised; wanted ' || p_errcode || ' (' || p_rule || ')');
    END IF;
    IF v_state = p_errcode AND coalesce(v_rule, '') = p_rule THEN
        RETURN ok(true, p_description);
    END IF;
    RETURN ok(false, p_description) || E'\n'
        || diag(format('    raised %s (%s): %s', v_state, coalesce(nullif(v_rule, ''), 'no rule'), v_msg)) || E'\n'
        || diag(format('    wanted %s (%s)', p_errcode, p_rule));
END
$fn$;

-- A small world to test in: users of every role, a cycle and a report with
-- its tester. Returns their ids; tests keep them in a temp table:
--   CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE OR REPLACE FUNCTION test.world(
    OUT admin integer, OUT owner integer, OUT owner2 integer, OUT tester integer, OUT tester2 integer,
    OUT viewer integer, OUT cycle uuid, OUT report uuid
) LANGUAGE plpgsql AS $fn$
BEGIN
    admin   := phaseline_api.create_user('admin@test.io', 'Ada Admin', 'admin');
    owner   := phaseline_api.create_user('owner@test.io', 'Olga Owner', 'report_owner', admin);
    owner2  := phaseline_api.create_user('owner2@test.io', 'Otto Owner', 'report_owner', admin);
    tester  := phaseline_api.create_user('tester@test.io', 'Tara Tester', 'tester', admin);
    tester2 := phaseline_api.create_user('tester2@test.io', 'Tom Tester', 'tester', admin);
    viewer  := phaseline_api.create_user('viewer@test.io', 'Vic Viewer', 'viewer', admin);
    cycle   := phaseline_api.create_cycle('Q1 2026', '2026-01-01', '2026-03-31', admin);
    report  := phaseline_api.create_report('FR Y-9C', owner, admin);
    PERFORM phaseline_api.assign_report(cycle, report, tester, admin);
END
$fn$;
