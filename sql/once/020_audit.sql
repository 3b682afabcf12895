-- The audit log: every insert and update on phaseline's tables, with its
-- actor. Append-only: the guards in repeatable/110_audit.sql refuse UPDATE,
-- DELETE and TRUNCATE, even from the owner.

CREATE TABLE {{ schema }}.audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),          -- transaction time
    actor      integer NOT NULL,                            -- the phaseline user on whose behalf it happened
    db_user    text NOT NULL DEFAULT session_user,
    txid       bigint NOT NULL DEFAULT txid_current(),
    action     text NOT NULL CHECK (action IN ('INSERT', 'UPDATE')),
    table_name text NOT NULL,
    -- The row's primary key as text. Byte order (COLLATE "C"): row ids are
    -- compared for equality only, and a locale's strcoll on every index
    -- insert doubles the cost of auditing a bulk write.
    row_id     text COLLATE "C" NOT NULL,
    old_row    jsonb,
    new_row    jsonb
);
CREATE INDEX audit_log_row_idx ON {{ schema }}.audit_log (row_id, id);
COMMENT ON TABLE {{ schema }}.audit_log IS 'Append-only history of every write, with the acting user.';
