from steamship.invocable import get, post
from steamship.invocable.package_mixin import PackageMixin


class HealthMixin(PackageMixin):
    """Liveness endpoints."""

    @get("status")
    def status(self) -> str:
        return "ok"

    @post("prompt")
    def prompt(self, prompt: str) -> str:
        """A canned answer used by the uptime probe."""
        return "pong"
