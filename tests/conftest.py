"""The fixtures tests need (phaseline_db, phaseline_dsn, scratch_dsn, world,
app_dsn) come from phaseline's test kit, phaseline.pytest_plugin.

tests/downstream is a downstream project of its own: test_wheel.py runs it
with only the installed wheel, so this suite does not collect it."""

collect_ignore = ["downstream"]
