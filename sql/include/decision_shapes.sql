{#-
  The table shapes of a decision set (phaseline.toml [[decision_set]]): its
  versions table and its items table, as the set's run-once file renders
  them. The columns are those of sample_decisions (once/060), with the
  item's key and data columns named by the declaration.

  FROZEN once released, like include/shapes.sql: run-once files render from
  these macros and their text is checksummed in the ledger. A new shape is a
  new macro, never an edit of these. Behaviour lives in
  include/decision_set.sql (repeatable files only).
-#}
{% import 'include/shapes.sql' as v with context %}

{#- The table of the set's versions: the versioning columns and indexes, its cycle and report. -#}
{% macro versions_table(s) -%}
{%- set e = s.entity -%}
CREATE TABLE {{ schema }}.{{ e.table }} (
{{ v.columns(e) }},
    cycle_id  uuid NOT NULL,
    report_id uuid NOT NULL,
    FOREIGN KEY (cycle_id, report_id) REFERENCES {{ schema }}.cycle_reports (cycle_id, report_id),
    CONSTRAINT review_note_length CHECK (char_length(review_note) <= {{ schema }}._text_limit('review_note'))
);
{{ v.indexes(e) }}
COMMENT ON TABLE {{ schema }}.{{ e.table }} IS {{ ('Versions of the ' ~ s.label ~ ' of a report in a cycle (decision set ' ~ s.name ~ '); the items are ' ~ s.items_name ~ '.') | literal }};
{%- endmacro %}

{#- The items table. References (version, users, lineage) are checked per
    statement by the set's rules, not by per-row foreign keys: see once/060. -#}
{% macro items_table(s) -%}
CREATE TABLE {{ schema }}.{{ s.items_table }} (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version_id               uuid NOT NULL,      -- {{ s.entity.table_name }}.id, checked per statement
    {{ s.item_key }} text COLLATE "C" NOT NULL,  -- the item's identity across versions
    {{ s.item_data }} jsonb NOT NULL DEFAULT '{}',
    recommendation_source    {{ schema }}.recommendation_source NOT NULL,
    recommended_by           integer NOT NULL,   -- users.user_id, checked per statement
    recommended_at           timestamptz NOT NULL DEFAULT now(),
    decision_status          {{ schema }}.decision_status NOT NULL DEFAULT 'pending',
    decided_by               integer,            -- users.user_id, checked per statement
    decided_at               timestamptz,
    decision_note            text,
    carried_from_version_id  uuid,               -- the version of carried_from_decision_id
    carried_from_decision_id uuid,               -- the item this one was carried from
    origin_decision_id       uuid,               -- the first item of its chain (null: this one)
    CONSTRAINT {{ (s.items_name ~ '_version_item_key') | ident }} UNIQUE (version_id, {{ s.item_key }}),
    CONSTRAINT item_key_not_blank CHECK (NOT {{ schema }}._is_blank({{ s.item_key }})),
    CONSTRAINT item_key_length CHECK (char_length({{ s.item_key }}) <= {{ schema }}._text_limit('sample_key')),
    CONSTRAINT item_data_is_object CHECK (jsonb_typeof({{ s.item_data }}) = 'object'),
    CONSTRAINT decision_note_length CHECK (char_length(decision_note) <= {{ schema }}._text_limit('decision_note')),
    CONSTRAINT decided_iff_not_pending CHECK (
        (decision_status = 'pending') = (decided_by IS NULL) AND (decided_by IS NULL) = (decided_at IS NULL)),
    CONSTRAINT carried_has_lineage CHECK (
        (recommendation_source = 'carried_forward') = (carried_from_decision_id IS NOT NULL)
        AND (carried_from_decision_id IS NULL) = (carried_from_version_id IS NULL)
        AND (carried_from_decision_id IS NULL) = (origin_decision_id IS NULL))
);
-- Approval asks "any pending left?" of one version.
CREATE INDEX {{ (s.items_name ~ '_pending_idx') | ident }} ON {{ schema }}.{{ s.items_table }} (version_id) WHERE decision_status = 'pending';
COMMENT ON TABLE {{ schema }}.{{ s.items_table }} IS {{ ('One item of a ' ~ s.label ~ ' version (decision set ' ~ s.name ~ '): its recommendation, its decision, its lineage.') | literal }};
{%- endmacro %}
