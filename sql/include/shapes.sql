{#-
  The table shapes of the versioning engine: the versioning columns and the
  indexes that back invariants 1-4, as run-once files (sql/once) render
  them inside each versioned table's CREATE TABLE.

  FROZEN. Run-once files are applied once and their rendered text is
  checksummed in the ledger: any change to the text these macros produce,
  a comment included, would make every deployed database refuse the next
  deploy as drifted. Behaviour lives in include/versioning.sql (rendered
  only into repeatable files) and may change freely; a new shape is a new
  macro (or a new file) used by a new numbered run-once file, never an edit
  here. tests/test_release.py renders the run-once files and compares them
  with release 0.1.0's.
-#}

{% macro columns(e) -%}
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version_number    integer NOT NULL CHECK (version_number >= 1),
    is_latest         boolean NOT NULL DEFAULT true,
    version_status    {{ schema }}.version_status NOT NULL DEFAULT 'draft',
    parent_version_id uuid REFERENCES {{ schema }}.{{ e.table }} (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        integer NOT NULL REFERENCES {{ schema }}.users (user_id),
    submitted_at      timestamptz,
    submitted_by      integer REFERENCES {{ schema }}.users (user_id),
    reviewed_at       timestamptz,
    reviewed_by       integer REFERENCES {{ schema }}.users (user_id),
    review_note       text,
    -- Everyone who created, edited or submitted this version, kept by the
    -- engine: four eyes (invariant 9) refuses all of them as reviewers, so
    -- an owner who edits a tester's draft cannot then approve it, and a
    -- withdraw-and-resubmit does not wash out an earlier submitter.
    contributors      integer[] NOT NULL DEFAULT '{}',
    -- a submitted version says who submitted it and when, or neither
    CONSTRAINT submitted_pair CHECK ((submitted_at IS NULL) = (submitted_by IS NULL)),
    -- exactly the closed versions carry a reviewer (superseded ones keep theirs)
    CONSTRAINT reviewed_iff_closed CHECK (
        (version_status IN ('approved', 'rejected', 'superseded')) = (reviewed_by IS NOT NULL AND reviewed_at IS NOT NULL)),
    -- every version past draft was submitted
    CONSTRAINT submitted_unless_draft CHECK (version_status = 'draft' OR submitted_by IS NOT NULL)
{%- endmacro %}

{% macro indexes(e) -%}
{%- set k = e.key | join(', ') -%}
-- Invariant 1: numbers never repeat per key (the bump trigger makes them gapless).
CREATE UNIQUE INDEX {{ (e.table_name ~ '_number_key') | ident }} ON {{ schema }}.{{ e.table }} ({{ k }}, version_number);
-- Invariant 2: one latest version per key.
CREATE UNIQUE INDEX {{ (e.table_name ~ '_one_latest') | ident }} ON {{ schema }}.{{ e.table }} ({{ k }}) WHERE is_latest;
-- Invariant 3: at most one open (draft or pending) version per key.
CREATE UNIQUE INDEX {{ (e.table_name ~ '_one_open') | ident }} ON {{ schema }}.{{ e.table }} ({{ k }})
    WHERE version_status IN ('draft', 'pending_approval');
-- Invariant 4: at most one approved version per key.
CREATE UNIQUE INDEX {{ (e.table_name ~ '_one_approved') | ident }} ON {{ schema }}.{{ e.table }} ({{ k }})
    WHERE version_status = 'approved';
CREATE INDEX {{ (e.table_name ~ '_parent_idx') | ident }} ON {{ schema }}.{{ e.table }} (parent_version_id);
COMMENT ON COLUMN {{ schema }}.{{ e.table }}.is_latest IS 'Maintained by the versioning engine: true on the highest version_number of the key.';
{%- endmacro %}
