-- Trigger functions under the names release 0.1.0 (and 0.2.0 before the
-- naming scheme of README "Layout") gave them. The files before this one
-- re-pointed every trigger at the new names, so nothing depends on these.
DROP FUNCTION IF EXISTS {{ schema }}._refuse_delete();
DROP FUNCTION IF EXISTS {{ schema }}._refuse_audit_change();
DROP FUNCTION IF EXISTS {{ schema }}._audit_row();
DROP FUNCTION IF EXISTS {{ schema }}._version_write_scope();
DROP FUNCTION IF EXISTS {{ schema }}._review_note_check();
DROP FUNCTION IF EXISTS {{ schema }}._approved_artifacts_guard();
DROP FUNCTION IF EXISTS {{ schema }}._workflow_phases_check();
DROP FUNCTION IF EXISTS {{ schema }}._phase_data_check();
DROP FUNCTION IF EXISTS {{ schema }}._sample_selection_four_eyes();
DROP FUNCTION IF EXISTS {{ schema }}._sample_decisions_after_insert();
DROP FUNCTION IF EXISTS {{ schema }}._sample_decisions_after_update();
DROP FUNCTION IF EXISTS {{ schema }}._audit_decisions_insert();
DROP FUNCTION IF EXISTS {{ schema }}._audit_decisions_update();
