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

-- error_of: the error a statement raises, as the fields callers branch on;
-- all null when it raises none. Runs in a subtransaction like throws_rule,
-- for assertions on DETAIL (e.g. "names every offending key").
CREATE OR REPLACE FUNCTION test.error_of(p_sql text,
    OUT state text, OUT rule text, OUT message text, OUT detail text)
LANGUAGE plpgsql AS $fn$
BEGIN
    BEGIN
        EXECUTE p_sql;
    EXCEPTION WHEN OTHERS THEN
        -- recorded for the caller to assert on; nothing is re-raised
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, rule = CONSTRAINT_NAME,
                                message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    END;
END
$fn$;

-- plan_json: the plan EXPLAIN (FORMAT JSON) gives for a query (not run).
CREATE OR REPLACE FUNCTION test.plan_json(p_sql text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || p_sql INTO v_plan;
    RETURN v_plan;
END
$fn$;

-- plan_text: the same plan as text, for diagnostics of a failed plan assertion.
CREATE OR REPLACE FUNCTION test.plan_text(p_sql text) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    v_line text;
    v_plan text := '';
BEGIN
    FOR v_line IN EXECUTE 'EXPLAIN ' || p_sql LOOP
        v_plan := v_plan || '    ' || v_line || E'\n';
    END LOOP;
    RETURN rtrim(v_plan, E'\n');
END
$fn$;

-- no_seq_scan: passes when no node of the plan of p_sql is a Seq Scan on
-- the table p_relation (unqualified name, as EXPLAIN reports it).
CREATE OR REPLACE FUNCTION test.no_seq_scan(p_sql text, p_relation text, p_description text) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    v_seq boolean := jsonb_path_exists(test.plan_json(p_sql)::jsonb,
        'strict $.** ? (@."Node Type" == "Seq Scan" && @."Relation Name" == $rel)', jsonb_build_object('rel', p_relation));
BEGIN
    IF NOT v_seq THEN
        RETURN ok(true, p_description);
    END IF;
    RETURN ok(false, p_description) || E'\n' || diag(format('    Seq Scan on %s in:', p_relation) || E'\n' || test.plan_text(p_sql));
END
$fn$;

-- uses_index: passes when some node of the plan of p_sql reads the index p_index.
CREATE OR REPLACE FUNCTION test.uses_index(p_sql text, p_index text, p_description text) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    v_used boolean := jsonb_path_exists(test.plan_json(p_sql)::jsonb,
        'strict $.** ? (@."Index Name" == $idx)', jsonb_build_object('idx', p_index));
BEGIN
    IF v_used THEN
        RETURN ok(true, p_description);
    END IF;
    RETURN ok(false, p_description) || E'\n' || diag(format('    index %s not used in:', p_index) || E'\n' || test.plan_text(p_sql));
END
$fn$;

-- state: one line per table of schema phaseline with its row count and an
-- md5 of all its rows in a stable order, to prove that a refused call
-- changed nothing ("a failed call changes nothing", DESIGN.md).
CREATE OR REPLACE FUNCTION test.state(p_schema text DEFAULT 'phaseline')
RETURNS TABLE (table_name text, row_count bigint, checksum text)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_rel regclass;
BEGIN
    FOR v_rel IN
        SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = p_schema AND c.relkind IN ('r', 'p') AND NOT c.relispartition
         ORDER BY c.relname
    LOOP
        table_name := v_rel::text;
        EXECUTE format('SELECT count(*), md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) FROM %s AS t', v_rel)
           INTO row_count, checksum;
        RETURN NEXT;
    END LOOP;
END
$fn$;
