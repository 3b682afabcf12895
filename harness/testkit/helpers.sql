-- Test-only helpers, loaded into the test template after pgTAP (never deployed).
--
-- A pgTAP file acts as an application does: the pytest plugin runs it as a
-- login granted the application role (phaseline_app), which executes the
-- API and reads its views, and nothing else of phaseline. A file that
-- tests what the triggers do to a direct INSERT or UPDATE says so on a line
-- of its opening comment, and runs as the role that owns the tables:
--     -- phaseline: direct-writes
-- What a file needs, in the order it reads:
--     SELECT test.world();                          -- users, a cycle, a report
--     SELECT test.remember('a1', phaseline_api.propose_report_attribute(
--                test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
--     SELECT phaseline_api.submit_version(test.uid('a1'), test.id('tester'));
--     SELECT is((SELECT version_status::text FROM peek.report_attributes WHERE id = test.uid('a1')), ...);
--     SELECT test.act('owner');                     -- direct-writes files: the actor of plain writes
-- peek.<table> shows each table of phaseline read-only, as its owner sees
-- it, for assertions on rows the API's views do not show. The plugin grants
-- the application role what it needs of schemas test and peek, in the test
-- template only.

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

-- The world's ids, in one place. test.world() builds a small world once
-- per database and records its ids here; a file records the ids it creates
-- with test.remember(name, id) and reads any of them back by name with
-- test.id(name) (integer: users) or test.uid(name) (uuid: cycles, reports,
-- versions, decisions). An unknown name is an error, never a silent null:
-- a null id would let an assertion pass for the wrong reason. A pgTAP file
-- runs in BEGIN ... ROLLBACK, so what it remembers goes with it.
CREATE TABLE IF NOT EXISTS test.ids (
    name text PRIMARY KEY,
    id   text NOT NULL
);

-- test.remember and test._id are SECURITY DEFINER: the application role
-- gets no privilege on any table, test.ids included (security_catalog.sql).
CREATE OR REPLACE FUNCTION test.remember(p_name text, p_id text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF p_id IS NULL THEN
        RAISE EXCEPTION 'test.remember(%): the id is null', quote_literal(p_name);
    END IF;
    INSERT INTO test.ids (name, id) VALUES (p_name, p_id);
    RETURN p_id;
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'test.remember(%): that name is taken by %', quote_literal(p_name),
        (SELECT id FROM test.ids WHERE name = p_name)
        USING HINT = 'Remember each id under its own name.';
END
$fn$;

CREATE OR REPLACE FUNCTION test.remember(p_name text, p_id uuid) RETURNS uuid
LANGUAGE sql AS $fn$ SELECT test.remember(p_name, p_id::text)::uuid $fn$;

CREATE OR REPLACE FUNCTION test.remember(p_name text, p_id integer) RETURNS integer
LANGUAGE sql AS $fn$ SELECT test.remember(p_name, p_id::text)::integer $fn$;

CREATE OR REPLACE FUNCTION test._id(p_name text) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_id text;
BEGIN
    SELECT id INTO v_id FROM test.ids WHERE name = p_name;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'test.id(%): no id is remembered under that name', quote_literal(p_name)
            USING HINT = format('Known: %s. Call test.world() first, or test.remember(name, id).',
                                coalesce((SELECT string_agg(name, ', ' ORDER BY name) FROM test.ids), 'none'));
    END IF;
    RETURN v_id;
END
$fn$;

-- Whether an id is remembered under p_name.
CREATE OR REPLACE FUNCTION test.known(p_name text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT EXISTS (SELECT FROM test.ids WHERE name = p_name);
$fn$;

-- test.id('owner'): a user's id; test.uid('cycle'): a uuid.
CREATE OR REPLACE FUNCTION test.id(p_name text) RETURNS integer
LANGUAGE sql STABLE AS $fn$ SELECT test._id(p_name)::integer $fn$;

CREATE OR REPLACE FUNCTION test.uid(p_name text) RETURNS uuid
LANGUAGE sql STABLE AS $fn$ SELECT test._id(p_name)::uuid $fn$;

-- A small world to test in: users of every role (admin, owner, owner2,
-- tester, tester2, viewer), a cycle and a report owned by owner with tester
-- assigned; created through the API, by whoever calls it (in a pgTAP file,
-- the application role). Built once per database: a second call returns
-- the same ids. Returns them, and records them for test.id/test.uid:
--   SELECT test.world();
--   SELECT phaseline_api.submit_version(test.uid('a1'), test.id('tester'));
CREATE OR REPLACE FUNCTION test.world(
    OUT admin integer, OUT owner integer, OUT owner2 integer, OUT tester integer, OUT tester2 integer,
    OUT viewer integer, OUT cycle uuid, OUT report uuid
) LANGUAGE plpgsql AS $fn$
BEGIN
    IF test.known('report') THEN
        SELECT test.id('admin'), test.id('owner'), test.id('owner2'), test.id('tester'), test.id('tester2'),
               test.id('viewer'), test.uid('cycle'), test.uid('report')
          INTO admin, owner, owner2, tester, tester2, viewer, cycle, report;
        RETURN;
    END IF;
    admin   := test.remember('admin', phaseline_api.create_user('admin@test.io', 'Ada Admin', 'admin'));
    owner   := test.remember('owner', phaseline_api.create_user('owner@test.io', 'Olga Owner', 'report_owner', admin));
    owner2  := test.remember('owner2', phaseline_api.create_user('owner2@test.io', 'Otto Owner', 'report_owner', admin));
    tester  := test.remember('tester', phaseline_api.create_user('tester@test.io', 'Tara Tester', 'tester', admin));
    tester2 := test.remember('tester2', phaseline_api.create_user('tester2@test.io', 'Tom Tester', 'tester', admin));
    viewer  := test.remember('viewer', phaseline_api.create_user('viewer@test.io', 'Vic Viewer', 'viewer', admin));
    cycle   := test.remember('cycle', phaseline_api.create_cycle('Q1 2026', '2026-01-01', '2026-03-31', admin));
    report  := test.remember('report', phaseline_api.create_report('FR Y-9C', owner, admin));
    PERFORM phaseline_api.assign_report(cycle, report, tester, admin);
END
$fn$;

-- test.act('owner'): the acting user of the direct writes that follow in
-- this transaction (SET LOCAL phaseline.actor), for files that test what
-- the triggers do to a plain INSERT or UPDATE. Returns the user's id.
-- API calls take their actor as p_actor, as applications pass it:
-- under actor_binding = trusted_app a null p_actor is refused
-- (actor_required) whatever is set here, and an API call puts the
-- caller's setting back when it returns.
CREATE OR REPLACE FUNCTION test.act(p_user integer) RETURNS integer
LANGUAGE sql AS $fn$ SELECT set_config('phaseline.actor', p_user::text, true)::integer $fn$;

CREATE OR REPLACE FUNCTION test.act(p_name text) RETURNS integer
LANGUAGE sql AS $fn$ SELECT test.act(test.id(p_name)) $fn$;

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
-- SECURITY DEFINER: it reads as the tables' owner, so that a file running
-- as the application role can prove what its refused calls did not change.
CREATE OR REPLACE FUNCTION test.state(p_schema text DEFAULT 'phaseline')
RETURNS TABLE (table_name text, row_count bigint, checksum text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
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

-- peek.<name>: each table and view of schema phaseline, as its owner sees
-- it. A view runs with its owner's rights on tables, and the application
-- role gets SELECT on peek's views only (the plugin grants it), so a file
-- acting as the application can look at every row but change none except
-- through the API. A view of phaseline calls internal functions, which a
-- view checks against the caller: its peek reads it through a SECURITY
-- DEFINER function instead.
CREATE SCHEMA IF NOT EXISTS peek;
DO $peek$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'phaseline' AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
         ORDER BY 1
    LOOP
        IF r.relkind = 'v' THEN
            EXECUTE format('CREATE OR REPLACE FUNCTION peek.%I() RETURNS SETOF phaseline.%I LANGUAGE sql STABLE SECURITY DEFINER '
                           'SET search_path TO pg_catalog, pg_temp AS $$ SELECT * FROM phaseline.%I $$',
                           '_' || r.relname, r.relname, r.relname);
            EXECUTE format('CREATE OR REPLACE VIEW peek.%I AS SELECT * FROM peek.%I()', r.relname, '_' || r.relname);
        ELSE
            EXECUTE format('CREATE OR REPLACE VIEW peek.%I AS SELECT * FROM phaseline.%I', r.relname, r.relname);
        END IF;
    END LOOP;
END
$peek$;
