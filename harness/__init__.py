"""phaseline harness: render the SQL of sql/, deploy it with a ledger, run the tests."""

from .deploy import DeployError, deploy, status
from .render import RenderError, render_all

__all__ = ["DeployError", "RenderError", "deploy", "render_all", "status"]
