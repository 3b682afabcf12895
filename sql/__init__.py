"""The SQL of phaseline, shipped as package data (read through importlib.resources)."""
