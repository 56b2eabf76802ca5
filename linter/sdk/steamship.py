"""Where steamship defines the names the engine understands: route decorators, the package
classes, ``Verb``. Canonical homes, as ``(module, qualname)``; names are matched by resolving
imports to these, never by spelling.
"""

from __future__ import annotations

# Canonical homes of the steamship names the engine understands.
INVOCABLE_MODULE = "steamship.invocable.invocable"
ROUTE_DECORATORS = {
    (INVOCABLE_MODULE, "post"): "POST",
    (INVOCABLE_MODULE, "get"): "GET",
}
ENDPOINT = (INVOCABLE_MODULE, "endpoint")
INVOCABLE = (INVOCABLE_MODULE, "Invocable")
PACKAGE_SERVICE = ("steamship.invocable.package_service", "PackageService")
PACKAGE_MIXIN = ("steamship.invocable.package_mixin", "PackageMixin")
VERB = ("steamship.utils.url", "Verb")
