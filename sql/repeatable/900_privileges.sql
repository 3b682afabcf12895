-- The privilege state, whole, applied last: re-applying this file (deploy
-- --repair) restores any grant changed by hand. Nothing in phaseline's
-- schemas is usable by PUBLIC; the application roles reach the API schema
-- only (the EXECUTE and SELECT grants come with each API file, through
-- include/api_grants.sql). ALTER DEFAULT PRIVILEGES in once/001 covers
-- only functions created by the role that ran it, so revoke explicitly.

REVOKE ALL ON SCHEMA {{ schema }} FROM PUBLIC;
REVOKE ALL ON SCHEMA {{ api_schema }} FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {{ schema }} FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {{ api_schema }} FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA {{ schema }} FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA {{ api_schema }} FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA {{ schema }} FROM PUBLIC;
-- The application roles never touch a table or a private helper directly.
REVOKE ALL ON SCHEMA {{ schema }} FROM {{ app_role }}, {{ readonly_role }};
REVOKE ALL ON ALL TABLES IN SCHEMA {{ schema }} FROM {{ app_role }}, {{ readonly_role }};
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {{ schema }} FROM {{ app_role }}, {{ readonly_role }};
GRANT USAGE ON SCHEMA {{ api_schema }} TO {{ app_role }}, {{ readonly_role }};
