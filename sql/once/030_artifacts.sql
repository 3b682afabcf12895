-- The registry of approved artifacts: which version of what is the approved
-- one. Written only by the versioning engine when a version is approved
-- (include/versioning.sql); the row of the previously approved version of
-- the same thing is closed with superseded_at.

CREATE TABLE {{ schema }}.approved_artifacts (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cycle_id          uuid NOT NULL,
    report_id         uuid NOT NULL,
    phase_name        text,
    artifact_type     text NOT NULL,
    artifact_key      text,              -- the version key beyond cycle and report; null for sample selections
    reference_table   text NOT NULL,
    reference_id      uuid NOT NULL,
    reference_version integer NOT NULL,
    approved_by       integer NOT NULL REFERENCES {{ schema }}.users (user_id),
    approved_at       timestamptz NOT NULL DEFAULT now(),
    superseded_at     timestamptz,
    FOREIGN KEY (cycle_id, report_id) REFERENCES {{ schema }}.cycle_reports (cycle_id, report_id),
    CONSTRAINT superseded_after_approved CHECK (superseded_at IS NULL OR superseded_at >= approved_at)
);
-- At most one current artifact per thing; NULLS NOT DISTINCT makes the
-- null artifact_key of sample selections count as one key.
CREATE UNIQUE INDEX approved_artifacts_one_current
    ON {{ schema }}.approved_artifacts (cycle_id, report_id, artifact_type, artifact_key) NULLS NOT DISTINCT
    WHERE superseded_at IS NULL;
CREATE UNIQUE INDEX approved_artifacts_reference_key ON {{ schema }}.approved_artifacts (reference_id);
COMMENT ON TABLE {{ schema }}.approved_artifacts IS 'Every approval of every versioned entity: which version is the approved one, since when, until when.';
