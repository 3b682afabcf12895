-- Four eyes counts everyone who put something into a version: its creator,
-- anyone who edited the draft, every submitter (a withdraw does not wash
-- one out). Through the API and by direct writes.
BEGIN;
SELECT plan(9);
CREATE TEMP TABLE w AS SELECT * FROM test.world();
-- a second owner-admin pair that may review the report: an admin who edits
CREATE TEMP TABLE v AS
SELECT phaseline_api.propose_report_attribute(cycle, report, 'amount', '{"type": "numeric"}', tester) AS a1 FROM w;

SELECT lives_ok($$SELECT phaseline_api.update_report_attribute((SELECT a1 FROM v), '{"type": "money"}', (SELECT owner FROM w))$$,
    'the owner edits the tester''s draft');
SELECT is((SELECT contributors FROM phaseline.report_attributes WHERE id = (SELECT a1 FROM v)),
          ARRAY[(SELECT tester FROM w), (SELECT owner FROM w)], 'the engine records creator and editor as contributors');
SELECT phaseline_api.submit_version(a1, tester) FROM v, w;
SELECT test.throws_rule($$SELECT phaseline_api.approve_version((SELECT a1 FROM v), (SELECT owner FROM w))$$,
    '42501', 'four_eyes', 'the owner who edited the draft cannot approve it');
SELECT lives_ok($$SELECT phaseline_api.approve_version((SELECT a1 FROM v), (SELECT admin FROM w))$$,
    'an admin who took no part approves it');

-- withdraw and resubmit by someone else: the first submitter still counts
UPDATE v SET a1 = phaseline_api.propose_report_attribute(cycle, report, 'amount', '{"type": "int"}', tester) FROM w;
SELECT phaseline_api.submit_version(a1, admin) FROM v, w;
SELECT phaseline_api.withdraw_version(a1, tester) FROM v, w;
SELECT phaseline_api.submit_version(a1, tester) FROM v, w;
SELECT test.throws_rule($$SELECT phaseline_api.reject_version((SELECT a1 FROM v), (SELECT admin FROM w), 'no')$$,
    '42501', 'four_eyes', 'an admin who once submitted the version cannot reject it after a withdraw and resubmit');

-- direct writes: an edit records its actor, and contributors are the engine's
UPDATE v SET a1 = phaseline_api.propose_report_attribute(cycle, report, 'limit', '{}', tester) FROM w;
SELECT set_config('phaseline.actor', (SELECT owner FROM w)::text, true);
UPDATE phaseline.report_attributes SET definition = '{"type": "date"}' WHERE id = (SELECT a1 FROM v);
SELECT ok((SELECT owner FROM w) = ANY (contributors), 'a direct edit makes its actor a contributor')
  FROM phaseline.report_attributes WHERE id = (SELECT a1 FROM v);
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET contributors = '{}' WHERE id = (SELECT a1 FROM v)$$,
    '55000', 'engine_managed', 'contributors cannot be rewritten directly');
SELECT set_config('phaseline.actor', (SELECT tester FROM w)::text, true);
UPDATE phaseline.report_attributes SET version_status = 'pending_approval' WHERE id = (SELECT a1 FROM v);
SELECT set_config('phaseline.actor', (SELECT owner FROM w)::text, true);
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = (SELECT a1 FROM v)$$,
    '42501', 'four_eyes', 'a direct approval by the editing owner is refused too');
SELECT is((SELECT version_status::text FROM phaseline.report_attributes WHERE id = (SELECT a1 FROM v)), 'pending_approval',
    'the refused approval changed nothing');

SELECT * FROM finish();
ROLLBACK;
