"""The staff API (``/api``): bearer-token protected; see ``routes.build_staff_router``."""

from agent.api.auth import OFF_MESSAGE, StaffGuard
from agent.api.routes import build_staff_router

__all__ = ["OFF_MESSAGE", "StaffGuard", "build_staff_router"]
