-- The seven legacy *_phases tables (shared shape of the old design: one
-- table per phase, same skeleton, different payload columns), with the index
-- a reasonable team would have put on each: (cycle_id, report_id).
-- Baseline of comparison 6 only; bench/run.py loads the same phase data
-- into these and into phaseline.workflow_phase_data.

CREATE SCHEMA legacy;

CREATE TABLE legacy.data_profiling_phases (
    phase_id uuid PRIMARY KEY DEFAULT gen_random_uuid(), cycle_id uuid, report_id uuid, status text,
    started_at timestamptz, completed_at timestamptz,
    files_uploaded text[], rules_generated int, validation_results jsonb);
CREATE TABLE legacy.scoping_phases (
    phase_id uuid PRIMARY KEY DEFAULT gen_random_uuid(), cycle_id uuid, report_id uuid, status text,
    started_at timestamptz, completed_at timestamptz,
    attributes_scoped int, scoping_notes text);
CREATE TABLE legacy.sample_selection_phases (
    phase_id uuid PRIMARY KEY DEFAULT gen_random_uuid(), cycle_id uuid, report_id uuid, status text,
    started_at timestamptz, completed_at timestamptz,
    sample_size_target int, selection_method text);
CREATE TABLE legacy.request_info_phases (
    phase_id uuid PRIMARY KEY DEFAULT gen_random_uuid(), cycle_id uuid, report_id uuid, status text,
    started_at timestamptz, completed_at timestamptz,
    requests_sent int, responses_received int, due_date date);
CREATE TABLE legacy.test_execution_phases (
    phase_id uuid PRIMARY KEY DEFAULT gen_random_uuid(), cycle_id uuid, report_id uuid, status text,
    started_at timestamptz, completed_at timestamptz,
    tests_planned int, tests_executed int, tests_passed int);
CREATE TABLE legacy.observation_management_phases (
    phase_id uuid PRIMARY KEY DEFAULT gen_random_uuid(), cycle_id uuid, report_id uuid, status text,
    started_at timestamptz, completed_at timestamptz,
    observations_raised int, observations_closed int);
CREATE TABLE legacy.test_report_phases (
    phase_id uuid PRIMARY KEY DEFAULT gen_random_uuid(), cycle_id uuid, report_id uuid, status text,
    started_at timestamptz, completed_at timestamptz,
    report_document text, signed_off_by int, signed_off_at timestamptz);

CREATE INDEX data_profiling_phases_cycle_report_idx         ON legacy.data_profiling_phases (cycle_id, report_id);
CREATE INDEX scoping_phases_cycle_report_idx                ON legacy.scoping_phases (cycle_id, report_id);
CREATE INDEX sample_selection_phases_cycle_report_idx       ON legacy.sample_selection_phases (cycle_id, report_id);
CREATE INDEX request_info_phases_cycle_report_idx           ON legacy.request_info_phases (cycle_id, report_id);
CREATE INDEX test_execution_phases_cycle_report_idx         ON legacy.test_execution_phases (cycle_id, report_id);
CREATE INDEX observation_management_phases_cycle_report_idx ON legacy.observation_management_phases (cycle_id, report_id);
CREATE INDEX test_report_phases_cycle_report_idx            ON legacy.test_report_phases (cycle_id, report_id);
