-- The downstream project's own table, next to phaseline: evidence requested
-- for a report in a cycle, referencing phaseline's assignment of it.
CREATE SCHEMA acme;
CREATE TABLE acme.evidence_requests (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cycle_id  uuid NOT NULL,
    report_id uuid NOT NULL,
    request   text NOT NULL,
    FOREIGN KEY (cycle_id, report_id) REFERENCES phaseline.cycle_reports (cycle_id, report_id)
);
CREATE FUNCTION acme.open_requests(p_cycle uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT count(*) FROM acme.evidence_requests WHERE cycle_id = p_cycle $$;
