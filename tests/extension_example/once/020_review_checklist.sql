{% import 'include/decision_shapes.sql' as d with context -%}
-- The review checklist decision set (phaseline.toml [[decision_set]]): its
-- versions and its items, with the columns of phaseline's decision sets.
{% set s = decision_set('review_checklist') %}
{{ d.versions_table(s) }}
{{ d.items_table(s) }}
