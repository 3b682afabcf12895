{% import 'include/shapes.sql' as v with context %}
-- One catalog of phases and one table for all phase data: a new phase is a
-- row in workflow_phases, not a migration. Each phase's data contract is a
-- small JSON-Schema subset checked by _phase_contract_problems().

CREATE TABLE {{ schema }}.workflow_phases (
    phase_name    text PRIMARY KEY,
    ordinal       integer NOT NULL UNIQUE CHECK (ordinal > 0),
    display_name  text NOT NULL,
    data_contract jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- phase names are used as JSON keys and artifact keys: keep them plain
    CONSTRAINT phase_name_is_plain CHECK (phase_name ~ '^[a-z][a-z0-9_]{0,62}$')
);
COMMENT ON TABLE {{ schema }}.workflow_phases IS 'The phases of the testing workflow, in order, each with the contract its data must meet.';
COMMENT ON COLUMN {{ schema }}.workflow_phases.data_contract IS
    '{"required": [keys], "properties": {key: {"type": string|number|integer|boolean|array|object}}}';

-- The seven phases of the legacy *_phases tables, their payload columns typed.
INSERT INTO {{ schema }}.workflow_phases (phase_name, ordinal, display_name, data_contract) VALUES
('data_profiling', 1, 'Data profiling', '{
    "required": ["files_uploaded", "rules_generated"],
    "properties": {"files_uploaded": {"type": "array"}, "rules_generated": {"type": "integer"},
                   "validation_results": {"type": "object"}}}'),
('scoping', 2, 'Scoping', '{
    "required": ["attributes_scoped"],
    "properties": {"attributes_scoped": {"type": "integer"}, "scoping_notes": {"type": "string"}}}'),
('sample_selection', 3, 'Sample selection', '{
    "required": ["sample_size_target", "selection_method"],
    "properties": {"sample_size_target": {"type": "integer"}, "selection_method": {"type": "string"}}}'),
('request_info', 4, 'Request for information', '{
    "required": ["requests_sent"],
    "properties": {"requests_sent": {"type": "integer"}, "responses_received": {"type": "integer"},
                   "due_date": {"type": "string"}}}'),
('test_execution', 5, 'Test execution', '{
    "required": ["tests_planned", "tests_executed", "tests_passed"],
    "properties": {"tests_planned": {"type": "integer"}, "tests_executed": {"type": "integer"},
                   "tests_passed": {"type": "integer"}}}'),
('observation_management', 6, 'Observation management', '{
    "required": ["observations_raised"],
    "properties": {"observations_raised": {"type": "integer"}, "observations_closed": {"type": "integer"}}}'),
('test_report', 7, 'Test report', '{
    "required": ["report_document", "signed_off_by"],
    "properties": {"report_document": {"type": "string"}, "signed_off_by": {"type": "integer"},
                   "signed_off_at": {"type": "string"}}}');

{% set e = entity('phase_data') %}
CREATE TABLE {{ schema }}.{{ e.table }} (
{{ v.columns(e) }},
    cycle_id     uuid NOT NULL,
    report_id    uuid NOT NULL,
    phase_name   text NOT NULL REFERENCES {{ schema }}.workflow_phases (phase_name),
    phase_status {{ schema }}.phase_status NOT NULL DEFAULT 'in_progress',
    phase_data   jsonb NOT NULL DEFAULT '{}',
    started_at   timestamptz,
    completed_at timestamptz,
    FOREIGN KEY (cycle_id, report_id) REFERENCES {{ schema }}.cycle_reports (cycle_id, report_id),
    CONSTRAINT phase_data_is_object CHECK (jsonb_typeof(phase_data) = 'object'),
    -- the times say what the status says
    CONSTRAINT started_unless_not_started CHECK ((phase_status = 'not_started') = (started_at IS NULL)),
    CONSTRAINT completed_iff_completed_at CHECK ((phase_status = 'completed') = (completed_at IS NOT NULL)),
    CONSTRAINT completed_after_started CHECK (completed_at IS NULL OR completed_at >= started_at)
);
{{ v.indexes(e) }}
-- Containment queries on the payload (phase_data @> '{"selection_method": "random"}').
CREATE INDEX workflow_phase_data_payload_gin ON {{ schema }}.{{ e.table }} USING gin (phase_data jsonb_path_ops);
COMMENT ON TABLE {{ schema }}.{{ e.table }} IS 'Versions of the data of one phase of one report in one cycle; every phase in one table.';
