"""phaseline: render the SQL of phaseline.sql, deploy it with a ledger, validate it, test it."""

from .deploy import DeployError, LockError, RefusedError, deploy, status, validate
from .render import Build, RenderError, render_all
from .version import RELEASE as __version__

__all__ = [
    "Build",
    "DeployError",
    "LockError",
    "RefusedError",
    "RenderError",
    "__version__",
    "deploy",
    "render_all",
    "status",
    "validate",
]
