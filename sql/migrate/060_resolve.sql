-- migrate-legacy: the ways out of a blocking defect that fixing the legacy
-- rows cannot give (docs/MIGRATION.md, "Ways out").

-- A deletion in legacy that was meant: phaseline keeps the row (invariant 8:
-- decisions and users are never deleted), the defect stops blocking, and
-- verify accepts the row phaseline holds that legacy no longer has. The
-- acceptance is a record (migration_resolutions, kept after contract) and
-- survives every later re-derivation. Versions are not accepted: they are
-- history, and the numbering of their key depends on them.
CREATE OR REPLACE FUNCTION {{ migration_schema }}.accept_defect(p_legacy_table text, p_legacy_id text, p_note text) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_defect {{ compat_schema }}.migration_defects;
BEGIN
    SELECT * INTO v_defect FROM {{ compat_schema }}.migration_defects
     WHERE legacy_table = p_legacy_table AND legacy_id = p_legacy_id AND kind = 'deleted_in_legacy';
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_defect',
            MESSAGE = format('no deleted_in_legacy defect for %s %s', p_legacy_table, p_legacy_id),
            DETAIL = format('defects of that row: %s', coalesce((SELECT string_agg(kind, ', ') FROM {{ compat_schema }}.migration_defects
                                                                 WHERE legacy_table = p_legacy_table AND legacy_id = p_legacy_id), 'none')),
            HINT = 'Only a deletion in legacy can be accepted; the verify report lists the blocking defects.';
    END IF;
    IF p_legacy_table NOT IN ('sample_records', 'users') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'deletion_not_acceptable',
            MESSAGE = format('a deleted %s row cannot be accepted: %s is a version, and versions are history', p_legacy_table, p_legacy_id),
            DETAIL = format('defect detail: %s', v_defect.detail),
            HINT = 'Put the legacy row back (its whole row is in the audit trail: phaseline_api.audit_trail); the mirror places it again.';
    END IF;
    IF coalesce(btrim(p_note), '') = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'note_required',
            MESSAGE = format('accepting the deletion of %s %s needs a note', p_legacy_table, p_legacy_id),
            HINT = 'Say why the deletion stands; it is kept with the migration''s records.';
    END IF;
    INSERT INTO {{ compat_schema }}.migration_resolutions AS r (legacy_table, legacy_id, kind, note)
    VALUES (p_legacy_table, p_legacy_id, 'deleted_in_legacy', p_note)
    ON CONFLICT (legacy_table, legacy_id, kind) DO UPDATE SET note = EXCLUDED.note, accepted_by = session_user, accepted_at = now();
    UPDATE {{ compat_schema }}.migration_defects d
       SET blocking = false,
           detail = d.detail || jsonb_build_object('accepted', jsonb_build_object('by', r.accepted_by, 'at', r.accepted_at, 'note', r.note))
      FROM {{ compat_schema }}.migration_resolutions r
     WHERE (r.legacy_table, r.legacy_id, r.kind) = (d.legacy_table, d.legacy_id, d.kind)
       AND (d.legacy_table, d.legacy_id, d.kind) = (p_legacy_table, p_legacy_id, 'deleted_in_legacy');
END
$fn$;
REVOKE ALL ON FUNCTION {{ migration_schema }}.accept_defect(text, text, text) FROM PUBLIC;
