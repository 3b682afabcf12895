{% import 'include/shapes.sql' as v with context %}
-- Report attributes: the first versioned entity. The versioning columns,
-- indexes and triggers come from include/versioning.sql.
{% set e = entity('report_attribute') %}
CREATE TABLE {{ schema }}.{{ e.table }} (
{{ v.columns(e) }},
    cycle_id       uuid NOT NULL,
    report_id      uuid NOT NULL,
    attribute_name text NOT NULL,
    definition     jsonb NOT NULL DEFAULT '{}',
    FOREIGN KEY (cycle_id, report_id) REFERENCES {{ schema }}.cycle_reports (cycle_id, report_id),
    CONSTRAINT attribute_name_not_blank CHECK (btrim(attribute_name) <> ''),
    CONSTRAINT definition_is_object CHECK (jsonb_typeof(definition) = 'object')
);
{{ v.indexes(e) }}
COMMENT ON TABLE {{ schema }}.{{ e.table }} IS 'Versions of a report attribute (data type, description, flags) per cycle and report.';
