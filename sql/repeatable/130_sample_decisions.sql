-- The rules of sample_decisions were written here by hand until samples was
-- generated from the decision set template like every set: they are now
-- include/decision_set.sql, rendered for samples by 135_decision_sets.sql
-- (its functions _sample_decisions_rules_insert/_update, _ds_samples_*).
-- The file stays, empty, because deployed databases list it in their ledger
-- (validate refuses a ledger file this release does not know); its old
-- functions are dropped by 890_renamed_trigger_functions.sql.
SELECT 1;
