{#-
  The legacy shapes of docs/LEGACY.md, as data: the fixture DDL
  (legacy/010_tables.sql) and every migration template (migrate/*.sql)
  import them from here, so the seven phase tables and their payload
  columns are written down once. Renders to nothing.

  phase_tables: one entry per legacy <phase>_phases table, in catalog order.
    phase    the workflow_phases.phase_name it becomes
    table    the legacy table
    payload  [column, SQL type] of its payload columns; they become the keys
             of workflow_phase_data.phase_data, by name
  legacy_columns: every legacy table's columns, in DDL order (what the
    compatibility views return and what verify compares).
-#}
{%- set phase_tables = [
    {'phase': 'data_profiling', 'table': 'data_profiling_phases',
     'payload': [['files_uploaded', 'text[]'], ['rules_generated', 'integer'], ['validation_results', 'jsonb']]},
    {'phase': 'scoping', 'table': 'scoping_phases',
     'payload': [['attributes_scoped', 'integer'], ['scoping_notes', 'text']]},
    {'phase': 'sample_selection', 'table': 'sample_selection_phases',
     'payload': [['sample_size_target', 'integer'], ['selection_method', 'text']]},
    {'phase': 'request_info', 'table': 'request_info_phases',
     'payload': [['requests_sent', 'integer'], ['responses_received', 'integer'], ['due_date', 'date']]},
    {'phase': 'test_execution', 'table': 'test_execution_phases',
     'payload': [['tests_planned', 'integer'], ['tests_executed', 'integer'], ['tests_passed', 'integer']]},
    {'phase': 'observation_management', 'table': 'observation_management_phases',
     'payload': [['observations_raised', 'integer'], ['observations_closed', 'integer']]},
    {'phase': 'test_report', 'table': 'test_report_phases',
     'payload': [['report_document', 'text'], ['signed_off_by', 'integer'], ['signed_off_at', 'timestamptz']]},
] -%}
{%- set phase_skeleton = ['phase_id', 'cycle_id', 'report_id', 'status', 'started_at', 'completed_at'] -%}
{%- set legacy_columns = {
    'users': ['user_id', 'email', 'full_name', 'role'],
    'report_attributes': ['attribute_id', 'master_attribute_id', 'version_number', 'is_latest_version', 'cycle_id',
                          'report_id', 'attribute_name', 'data_type', 'description', 'is_primary_key', 'is_cde',
                          'is_scoped', 'approval_status', 'approved_by', 'approved_at', 'created_by', 'created_at'],
    'sample_sets': ['set_id', 'master_set_id', 'version_number', 'is_latest', 'cycle_id', 'report_id', 'status',
                    'created_by', 'created_at', 'submitted_at', 'approved_by', 'approved_at', 'rejection_reason'],
    'sample_records': ['record_id', 'set_id', 'sample_identifier', 'sample_data', 'created_at'],
} -%}
{%- set legacy_ids = {'users': 'user_id', 'report_attributes': 'attribute_id', 'sample_sets': 'set_id',
                      'sample_records': 'record_id'} -%}
