-- Enums: their values are part of the public contract (DESIGN.md).

CREATE TYPE {{ schema }}.user_role AS ENUM ('tester', 'report_owner', 'admin', 'viewer');
CREATE TYPE {{ schema }}.version_status AS ENUM ('draft', 'pending_approval', 'approved', 'rejected', 'superseded');
CREATE TYPE {{ schema }}.recommendation_source AS ENUM ('tester', 'llm', 'manual', 'carried_forward');
CREATE TYPE {{ schema }}.decision_status AS ENUM ('pending', 'approved', 'rejected', 'modified');
CREATE TYPE {{ schema }}.phase_status AS ENUM ('not_started', 'in_progress', 'completed');
