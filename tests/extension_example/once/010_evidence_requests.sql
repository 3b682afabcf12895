{% import 'include/shapes.sql' as v with context %}
-- Evidence requested from the business for a report in a cycle, versioned
-- by phaseline's engine: the columns and indexes come from its frozen shapes.
{% set e = entity('evidence_request') %}
CREATE TABLE {{ schema }}.{{ e.table }} (
{{ v.columns(e) }},
    cycle_id    uuid NOT NULL,
    report_id   uuid NOT NULL,
    request_key text NOT NULL,
    request     text NOT NULL,
    due_date    date,
    FOREIGN KEY (cycle_id, report_id) REFERENCES {{ schema }}.cycle_reports (cycle_id, report_id),
    CONSTRAINT request_not_blank CHECK (btrim(request) <> '')
);
{{ v.indexes(e) }}
COMMENT ON TABLE {{ schema }}.{{ e.table }} IS 'Versions of an evidence request (the acme extension).';
