from steamship.invocable import post
from steamship.invocable.package_mixin import PackageMixin


class ExportMixin(PackageMixin):
    @post("export")
    def export(self, fmt: str = "csv") -> str:
        return fmt
