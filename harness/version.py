"""The release: the one version number, the one in pyproject.toml, as the installed package reports it."""

from __future__ import annotations

from importlib.metadata import version

RELEASE = version("phaseline")


def release_key(release: str) -> tuple[int, ...]:
    """'0.10.2' -> (0, 10, 2), so that releases compare as numbers, not strings."""
    return tuple(int(part) for part in release.split(".") if part.isdigit())
