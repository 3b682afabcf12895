-- Validate the rules 080 added NOT VALID, in a transaction of its own:
-- VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE, so reads and writes go
-- on while existing rows are checked (in 080's transaction it would have
-- run under the ACCESS EXCLUSIVE lock its ADD CONSTRAINT took).

ALTER TABLE {{ schema }}.users VALIDATE CONSTRAINT email_is_address;
ALTER TABLE {{ schema }}.users VALIDATE CONSTRAINT email_length;
ALTER TABLE {{ schema }}.users VALIDATE CONSTRAINT display_name_not_blank;
ALTER TABLE {{ schema }}.users VALIDATE CONSTRAINT display_name_length;
ALTER TABLE {{ schema }}.test_cycles VALIDATE CONSTRAINT cycle_name_not_blank;
ALTER TABLE {{ schema }}.test_cycles VALIDATE CONSTRAINT cycle_name_length;
ALTER TABLE {{ schema }}.test_cycles VALIDATE CONSTRAINT cycle_period_finite;
ALTER TABLE {{ schema }}.reports VALIDATE CONSTRAINT report_name_not_blank;
ALTER TABLE {{ schema }}.reports VALIDATE CONSTRAINT report_name_length;
ALTER TABLE {{ schema }}.report_attributes VALIDATE CONSTRAINT attribute_name_not_blank;
ALTER TABLE {{ schema }}.report_attributes VALIDATE CONSTRAINT attribute_name_length;
ALTER TABLE {{ schema }}.sample_decisions VALIDATE CONSTRAINT sample_key_not_blank;
ALTER TABLE {{ schema }}.sample_decisions VALIDATE CONSTRAINT sample_key_length;
ALTER TABLE {{ schema }}.sample_decisions VALIDATE CONSTRAINT decision_note_length;
ALTER TABLE {{ schema }}.workflow_phases VALIDATE CONSTRAINT phase_name_is_plain;
{% for e in [entity('report_attribute'), entity('sample_selection'), entity('phase_data')] %}
ALTER TABLE {{ schema }}.{{ e.table }} VALIDATE CONSTRAINT review_note_length;
{% endfor -%}
