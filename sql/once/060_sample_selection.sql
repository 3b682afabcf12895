{% import 'include/shapes.sql' as v with context %}
-- Decision-based sample selection: a version of a report's sample selection
-- holds one decision row per sample, with who recommended it, what the
-- report owner decided, and the decision it was carried from.

{% set e = entity('sample_selection') %}
CREATE TABLE {{ schema }}.{{ e.table }} (
{{ v.columns(e) }},
    cycle_id  uuid NOT NULL,
    report_id uuid NOT NULL,
    note      text,
    FOREIGN KEY (cycle_id, report_id) REFERENCES {{ schema }}.cycle_reports (cycle_id, report_id)
);
{{ v.indexes(e) }}
COMMENT ON TABLE {{ schema }}.{{ e.table }} IS 'Versions of the sample selection of a report in a cycle; the samples are its sample_decisions.';

-- Referential integrity without per-row foreign keys: version_id (to the
-- versions), recommended_by and decided_by (to users), carried_from_* and
-- origin_decision_id (the lineage) are checked per statement, set-based, by
-- the _200_rules_* triggers (repeatable/130_sample_decisions.sql). On a
-- carry-forward of a million rows, six per-row RI look-ups cost more than
-- everything else together. Nothing they point at can disappear: versions,
-- users and decisions are never deleted (no_delete), so the insert-time
-- check is the whole of what a foreign key would give.
CREATE TABLE {{ schema }}.sample_decisions (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version_id               uuid NOT NULL,      -- sample_selection_versions.id, checked per statement
    sample_key               text COLLATE "C" NOT NULL,  -- an identifier: byte order, no locale cost
    sample_data              jsonb NOT NULL DEFAULT '{}',
    recommendation_source    {{ schema }}.recommendation_source NOT NULL,
    recommended_by           integer NOT NULL,   -- users.user_id, checked per statement
    recommended_at           timestamptz NOT NULL DEFAULT now(),
    decision_status          {{ schema }}.decision_status NOT NULL DEFAULT 'pending',
    decided_by               integer,            -- users.user_id, checked per statement
    decided_at               timestamptz,
    decision_note            text,
    carried_from_version_id  uuid,               -- the version of carried_from_decision_id
    carried_from_decision_id uuid,               -- sample_decisions.id this one was carried from
    -- The first decision of this sample's chain (null: this one is the origin).
    -- Kept on the row so the view needs no recursion; checked on insert.
    origin_decision_id       uuid,
    CONSTRAINT sample_decisions_version_sample_key UNIQUE (version_id, sample_key),
    CONSTRAINT sample_key_not_blank CHECK (btrim(sample_key) <> ''),
    CONSTRAINT sample_data_is_object CHECK (jsonb_typeof(sample_data) = 'object'),
    -- a decision names its decider and time; a pending one names neither
    CONSTRAINT decided_iff_not_pending CHECK (
        (decision_status = 'pending') = (decided_by IS NULL) AND (decided_by IS NULL) = (decided_at IS NULL)),
    -- carried rows, and only they, point at where they came from and at their origin
    CONSTRAINT carried_has_lineage CHECK (
        (recommendation_source = 'carried_forward') = (carried_from_decision_id IS NOT NULL)
        AND (carried_from_decision_id IS NULL) = (carried_from_version_id IS NULL)
        AND (carried_from_decision_id IS NULL) = (origin_decision_id IS NULL))
);
-- Approval asks "any pending left?" of one version.
CREATE INDEX sample_decisions_pending_idx ON {{ schema }}.sample_decisions (version_id) WHERE decision_status = 'pending';
COMMENT ON TABLE {{ schema }}.sample_decisions IS 'One sample of a sample selection version: its recommendation, its decision, its lineage.';
