-- Input rules written once, for the tables' CHECK constraints and the API
-- alike (issue 12, findings 5, 6 and 10), and the map from database roles to
-- phaseline users that session actor binding reads (invariant 9 against a
-- dishonest caller).
--
-- The rule functions are IMMUTABLE and live here, not in a repeatable file:
-- a CHECK constraint uses them, so they must exist before any repeatable
-- file runs, and changing one changes what the stored rows were validated
-- against. Change a rule with a new numbered file.
--
-- The three that every write runs (_is_blank, _trim, _text_limit) are
-- PL/pgSQL, not SQL: a CHECK constraint is prepared again for every
-- statement, and a SQL function (never inlined, since it pins its
-- search_path) is parsed and planned again each time it is prepared or
-- called in a new transaction, where PL/pgSQL compiles once per session.
-- That was a fifth of a new version's cost (a perf profile).

-- Blank: nothing but Unicode whitespace (White_Space: tab, line feed and the
-- other C0 separators, NEL, no-break spaces, the en/em/thin/hair spaces, line
-- and paragraph separators, ideographic space) and the invisible format
-- characters that show as nothing (zero-width space, joiners, word joiner,
-- byte order mark). btrim() trims only U+0020, and the database's collation
-- may be C, where [[:space:]] knows ASCII only: the set is spelled out.
CREATE FUNCTION {{ schema }}._is_blank(p_value text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN p_value ~ '^[\u0009-\u000d\u0020\u0085\u00a0\u1680\u180e\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]*$';
END
$fn$;

-- The value without leading and trailing blank characters (as above).
CREATE FUNCTION {{ schema }}._trim(p_value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN regexp_replace(p_value,
        '^[\u0009-\u000d\u0020\u0085\u00a0\u1680\u180e\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]+|[\u0009-\u000d\u0020\u0085\u00a0\u1680\u180e\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]+$',
        '', 'g');
END
$fn$;

-- The documented length limit of every text a caller gives phaseline, in
-- characters (README, "Who may do what"). Every caller names its field
-- literally; an unknown field has no limit (null).
CREATE FUNCTION {{ schema }}._text_limit(p_field text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN CASE p_field
        WHEN 'email'          THEN 254    -- RFC 5321: the longest address that can be delivered
        WHEN 'display_name'   THEN 200
        WHEN 'cycle_name'     THEN 200
        WHEN 'report_name'    THEN 200
        WHEN 'attribute_name' THEN 200
        WHEN 'sample_key'     THEN 200
        WHEN 'db_role'        THEN 63     -- NAMEDATALEN - 1
        WHEN 'review_note'    THEN 4000
        WHEN 'decision_note'  THEN 4000
        END;
END
$fn$;

-- An email address: one @, something on each side, no whitespace (any
-- Unicode whitespace), no control character (Cc) and no format character
-- (Cf: zero-width space, bidi controls, soft hyphen, ...), in NFC.
CREATE FUNCTION {{ schema }}._is_email(p_value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT p_value ~ '^[^@]+@[^@]+$'
       AND p_value !~ '[\u0001-\u0020\u007f-\u00a0\u00ad\u0600-\u0605\u061c\u06dd\u070f\u08e2\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]'
       AND p_value IS NFC NORMALIZED;
$fn$;

-- A phase name: lower case letters, digits and underscores, starting with a
-- letter, at most 63 characters (phase names are JSON keys and artifact
-- keys). The rule of once/050's CHECK, now in one place for the CHECK and
-- register_phase alike.
CREATE FUNCTION {{ schema }}._is_phase_name(p_value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT p_value ~ '^[a-z][a-z0-9_]{0,62}$';
$fn$;

-- Each rule is added NOT VALID here, so this file holds its ACCESS
-- EXCLUSIVE locks only for an instant; 081 validates the existing rows in a
-- transaction of its own, under SHARE UPDATE EXCLUSIVE, which lets writers on.

-- users: an address, in NFC, at most 254 characters; a display name that is
-- not blank in any script's sense, at most 200.
-- (re-added, stricter, in the same transaction: no moment without the rule)
-- squawk-ignore ban-drop-constraint
ALTER TABLE {{ schema }}.users DROP CONSTRAINT email_is_address;
ALTER TABLE {{ schema }}.users ADD CONSTRAINT email_is_address CHECK ({{ schema }}._is_email(email)) NOT VALID;
ALTER TABLE {{ schema }}.users ADD CONSTRAINT email_length CHECK (char_length(email) <= {{ schema }}._text_limit('email')) NOT VALID;
-- (re-added, stricter, in the same transaction: no moment without the rule)
-- squawk-ignore ban-drop-constraint
ALTER TABLE {{ schema }}.users DROP CONSTRAINT display_name_not_blank;
ALTER TABLE {{ schema }}.users ADD CONSTRAINT display_name_not_blank CHECK (NOT {{ schema }}._is_blank(display_name)) NOT VALID;
ALTER TABLE {{ schema }}.users ADD CONSTRAINT display_name_length CHECK (char_length(display_name) <= {{ schema }}._text_limit('display_name')) NOT VALID;

-- test_cycles: a name, and a period of real dates (no infinity).
-- (re-added, stricter, in the same transaction: no moment without the rule)
-- squawk-ignore ban-drop-constraint
ALTER TABLE {{ schema }}.test_cycles DROP CONSTRAINT cycle_name_not_blank;
ALTER TABLE {{ schema }}.test_cycles ADD CONSTRAINT cycle_name_not_blank CHECK (NOT {{ schema }}._is_blank(name)) NOT VALID;
ALTER TABLE {{ schema }}.test_cycles ADD CONSTRAINT cycle_name_length CHECK (char_length(name) <= {{ schema }}._text_limit('cycle_name')) NOT VALID;
ALTER TABLE {{ schema }}.test_cycles ADD CONSTRAINT cycle_period_finite CHECK (isfinite(period_start) AND isfinite(period_end)) NOT VALID;

-- (re-added, stricter, in the same transaction: no moment without the rule)
-- squawk-ignore ban-drop-constraint
ALTER TABLE {{ schema }}.reports DROP CONSTRAINT report_name_not_blank;
ALTER TABLE {{ schema }}.reports ADD CONSTRAINT report_name_not_blank CHECK (NOT {{ schema }}._is_blank(name)) NOT VALID;
ALTER TABLE {{ schema }}.reports ADD CONSTRAINT report_name_length CHECK (char_length(name) <= {{ schema }}._text_limit('report_name')) NOT VALID;

-- (re-added, stricter, in the same transaction: no moment without the rule)
-- squawk-ignore ban-drop-constraint
ALTER TABLE {{ schema }}.report_attributes DROP CONSTRAINT attribute_name_not_blank;
ALTER TABLE {{ schema }}.report_attributes ADD CONSTRAINT attribute_name_not_blank CHECK (NOT {{ schema }}._is_blank(attribute_name)) NOT VALID;
ALTER TABLE {{ schema }}.report_attributes ADD CONSTRAINT attribute_name_length CHECK (char_length(attribute_name) <= {{ schema }}._text_limit('attribute_name')) NOT VALID;

-- (re-added, stricter, in the same transaction: no moment without the rule)
-- squawk-ignore ban-drop-constraint
ALTER TABLE {{ schema }}.sample_decisions DROP CONSTRAINT sample_key_not_blank;
ALTER TABLE {{ schema }}.sample_decisions ADD CONSTRAINT sample_key_not_blank CHECK (NOT {{ schema }}._is_blank(sample_key)) NOT VALID;
ALTER TABLE {{ schema }}.sample_decisions ADD CONSTRAINT sample_key_length CHECK (char_length(sample_key) <= {{ schema }}._text_limit('sample_key')) NOT VALID;
ALTER TABLE {{ schema }}.sample_decisions ADD CONSTRAINT decision_note_length CHECK (char_length(decision_note) <= {{ schema }}._text_limit('decision_note')) NOT VALID;

-- workflow_phases: the same rule as before, through the one function.
-- (re-added in the same transaction: no moment without the rule)
-- squawk-ignore ban-drop-constraint
ALTER TABLE {{ schema }}.workflow_phases DROP CONSTRAINT phase_name_is_plain;
ALTER TABLE {{ schema }}.workflow_phases ADD CONSTRAINT phase_name_is_plain CHECK ({{ schema }}._is_phase_name(phase_name)) NOT VALID;

-- Every versioned table of phaseline: a review note within its limit. (That
-- a rejection says why in more than whitespace is a trigger, repeatable/160:
-- migrated legacy history holds rejections without a note.) Named, not
-- looped over `versioned`: a run-once file must not render differently when
-- an extension declares another entity (that would be drift).
{% for e in [entity('report_attribute'), entity('sample_selection'), entity('phase_data')] %}
ALTER TABLE {{ schema }}.{{ e.table }} ADD CONSTRAINT review_note_length CHECK (char_length(review_note) <= {{ schema }}._text_limit('review_note')) NOT VALID;
{% endfor %}

-- Session actor binding: which phaseline user a database role acts as. A
-- role maps to at most one user at a time; a user may have several roles (a
-- personal login, the role a pooler switches to). Unmapping closes the row
-- instead of deleting it, so who could act as whom, and since when, stays
-- on record. Roles are kept by name, which survives a dump and restore (an
-- oid would not): unmap a role before dropping it.
CREATE TABLE {{ schema }}.user_db_roles (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role_name   text COLLATE "C" NOT NULL,
    user_id     integer NOT NULL REFERENCES {{ schema }}.users (user_id),
    mapped_by   integer NOT NULL REFERENCES {{ schema }}.users (user_id),
    mapped_at   timestamptz NOT NULL DEFAULT now(),
    unmapped_by integer REFERENCES {{ schema }}.users (user_id),
    unmapped_at timestamptz,
    CONSTRAINT db_role_length CHECK (char_length(role_name) BETWEEN 1 AND 63),
    CONSTRAINT unmapped_pair CHECK ((unmapped_by IS NULL) = (unmapped_at IS NULL)),
    CONSTRAINT unmapped_after_mapped CHECK (unmapped_at IS NULL OR unmapped_at >= mapped_at)
);
CREATE UNIQUE INDEX user_db_roles_current ON {{ schema }}.user_db_roles (role_name) WHERE unmapped_at IS NULL;
CREATE INDEX user_db_roles_user_idx ON {{ schema }}.user_db_roles (user_id);
COMMENT ON TABLE {{ schema }}.user_db_roles IS
    'Which phaseline user each database role acts as when actor binding is "session"; rows are closed, never deleted.';
