-- Reference data: users, test cycles, reports, and which tester works on
-- which report in which cycle. Rows are never deleted (users are
-- deactivated), so audit history and four-eyes checks keep their subjects.

CREATE TABLE {{ schema }}.users (
    user_id      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        text NOT NULL,
    display_name text NOT NULL,
    role         {{ schema }}.user_role NOT NULL,
    is_active    boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- an email is an address, not free text: one @, something on each side
    CONSTRAINT email_is_address CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    CONSTRAINT display_name_not_blank CHECK (btrim(display_name) <> '')
);
-- One account per mailbox: Bob@x and bob@x are the same person.
CREATE UNIQUE INDEX users_email_key ON {{ schema }}.users (lower(email));
COMMENT ON TABLE {{ schema }}.users IS 'People who act in phaseline; every change is attributed to one of them.';

CREATE TABLE {{ schema }}.test_cycles (
    cycle_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL,
    period_start date NOT NULL,
    period_end   date NOT NULL,
    created_by   integer NOT NULL REFERENCES {{ schema }}.users (user_id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cycle_name_not_blank CHECK (btrim(name) <> ''),
    -- a testing period cannot end before it starts
    CONSTRAINT cycle_period_ordered CHECK (period_end >= period_start)
);
CREATE UNIQUE INDEX test_cycles_name_key ON {{ schema }}.test_cycles (lower(name));
COMMENT ON TABLE {{ schema }}.test_cycles IS 'A testing cycle over a reporting period.';

CREATE TABLE {{ schema }}.reports (
    report_id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL,
    owner_user_id integer NOT NULL REFERENCES {{ schema }}.users (user_id),
    created_by    integer NOT NULL REFERENCES {{ schema }}.users (user_id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT report_name_not_blank CHECK (btrim(name) <> '')
);
CREATE UNIQUE INDEX reports_name_key ON {{ schema }}.reports (lower(name));
COMMENT ON TABLE {{ schema }}.reports IS 'A regulatory report; its owner (or an admin) reviews what testers produce for it.';

CREATE TABLE {{ schema }}.cycle_reports (
    id             uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    cycle_id       uuid NOT NULL REFERENCES {{ schema }}.test_cycles (cycle_id),
    report_id      uuid NOT NULL REFERENCES {{ schema }}.reports (report_id),
    tester_user_id integer NOT NULL REFERENCES {{ schema }}.users (user_id),
    assigned_by    integer NOT NULL REFERENCES {{ schema }}.users (user_id),
    assigned_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle_id, report_id)
);
CREATE INDEX cycle_reports_report_idx ON {{ schema }}.cycle_reports (report_id);
COMMENT ON TABLE {{ schema }}.cycle_reports IS 'A report in scope of a cycle, with its tester. Versioned entities hang off this pair.';
