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
DROP FUNCTION IF EXISTS {{ schema }}._tg_audit();  -- 0.2.0 before its audit functions were generated per table (110_audit.sql)

-- Sample selection's hand-written rules, audit and API internals (0.1.0 and
-- 0.2.0 before samples was generated as a decision set, include/decision_set.sql):
-- 135_decision_sets.sql re-pointed the rules, audit and no-delete triggers
-- of sample_decisions, 120_versioning.sql the before_approve hook, and the
-- four-eyes trigger of sample_selection_versions is _150_four_eyes_items now.
DROP TRIGGER IF EXISTS _150_four_eyes ON {{ schema }}.sample_selection_versions;
DROP TRIGGER IF EXISTS _150_four_eyes_samples ON {{ schema }}.sample_selection_versions;
DROP FUNCTION IF EXISTS {{ schema }}._sample_selection_versions_four_eyes();
DROP FUNCTION IF EXISTS {{ schema }}._sample_decisions_audit_insert();
DROP FUNCTION IF EXISTS {{ schema }}._audit_insert();  -- 0.1.0's audit of sample_decisions (and of every table)
DROP FUNCTION IF EXISTS {{ schema }}._audit_update();
DROP FUNCTION IF EXISTS {{ schema }}._sample_selection_before_approve({{ schema }}.sample_selection_versions);
DROP FUNCTION IF EXISTS {{ schema }}._sample_recommenders(uuid);
DROP FUNCTION IF EXISTS {{ schema }}._sample_modifiers(uuid);
DROP FUNCTION IF EXISTS {{ schema }}._raise_dangling(text, bigint, text);
DROP FUNCTION IF EXISTS {{ schema }}._lock_sample_version(uuid, boolean);
DROP FUNCTION IF EXISTS {{ schema }}._require_draft_selection({{ schema }}.sample_selection_versions, text);
DROP FUNCTION IF EXISTS {{ schema }}._refuse_repeated_keys(jsonb, text);
DROP FUNCTION IF EXISTS {{ schema }}._carry_forward(uuid, uuid, integer);
DROP FUNCTION IF EXISTS {{ schema }}._check_sample_items(jsonb);  -- now _check_decision_items(jsonb, 'sample')
