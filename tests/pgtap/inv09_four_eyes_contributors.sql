-- Four eyes counts everyone who put something into a version: its creator,
-- anyone who edited the draft, every submitter (a withdraw does not wash
-- one out). Through the API and by direct writes.
-- phaseline: direct-writes
BEGIN;
SELECT plan(9);
SELECT test.world();
-- a second owner-admin pair that may review the report: an admin who edits
SELECT test.remember('a1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'amount', '{"type": "numeric"}', test.id('tester')));

SELECT lives_ok($$SELECT phaseline_api.update_report_attribute(test.uid('a1'), '{"type": "money"}', test.id('owner'))$$,
    'the owner edits the tester''s draft');
SELECT is((SELECT contributors FROM phaseline.report_attributes WHERE id = test.uid('a1')),
          ARRAY[test.id('tester'), test.id('owner')], 'the engine records creator and editor as contributors');
SELECT phaseline_api.submit_version(test.uid('a1'), test.id('tester'));
SELECT test.throws_rule($$SELECT phaseline_api.approve_version(test.uid('a1'), test.id('owner'))$$,
    '42501', 'four_eyes', 'the owner who edited the draft cannot approve it');
SELECT lives_ok($$SELECT phaseline_api.approve_version(test.uid('a1'), test.id('admin'))$$,
    'an admin who took no part approves it');

-- withdraw and resubmit by someone else: the first submitter still counts
SELECT test.remember('a2', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'amount', '{"type": "int"}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('a2'), test.id('admin'));
SELECT phaseline_api.withdraw_version(test.uid('a2'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('a2'), test.id('tester'));
SELECT test.throws_rule($$SELECT phaseline_api.reject_version(test.uid('a2'), test.id('admin'), 'no')$$,
    '42501', 'four_eyes', 'an admin who once submitted the version cannot reject it after a withdraw and resubmit');

-- direct writes: an edit records its actor, and contributors are the engine's
SELECT test.remember('limit1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'limit', '{}', test.id('tester')));
SELECT test.act('owner');
UPDATE phaseline.report_attributes SET definition = '{"type": "date"}' WHERE id = test.uid('limit1');
SELECT ok(test.id('owner') = ANY (contributors), 'a direct edit makes its actor a contributor')
  FROM phaseline.report_attributes WHERE id = test.uid('limit1');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET contributors = '{}' WHERE id = test.uid('limit1')$$,
    '55000', 'engine_managed', 'contributors cannot be rewritten directly');
SELECT test.act('tester');
UPDATE phaseline.report_attributes SET version_status = 'pending_approval' WHERE id = test.uid('limit1');
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = test.uid('limit1')$$,
    '42501', 'four_eyes', 'a direct approval by the editing owner is refused too');
SELECT is((SELECT version_status::text FROM phaseline.report_attributes WHERE id = test.uid('limit1')), 'pending_approval',
    'the refused approval changed nothing');

SELECT * FROM finish();
ROLLBACK;
