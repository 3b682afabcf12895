"""The fixtures tests need (phaseline_db, phaseline_dsn, scratch_dsn, world,
app_dsn) come from phaseline's test kit, phaseline.pytest_plugin."""
