"""A package whose findings all need mixins.py: run on api.py alone, they must still appear."""
from steamship.invocable import PackageService, post

from mixins import ExportMixin


class Exporter(PackageService):
    USED_MIXIN_CLASSES = [ExportMixin]  # expect: SHP301, SHP303

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    @post("export")
    def export(self, fmt: str = "json") -> str:
        return fmt

    @post("refresh")
    def refresh(self, scope) -> str:  # SHP202 when opted in
        self.invoke_later("nonexistent")  # expect: SHP401
        return "queued"
