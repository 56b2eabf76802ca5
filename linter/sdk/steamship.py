"""Where steamship defines the names the engine understands: route decorators, the package
classes, ``Verb``. Canonical homes, as ``(module, qualname)``; names are matched by resolving
imports to these, never by spelling.
"""

from __future__ import annotations

# Canonical homes of the steamship names the engine understands.
INVOCABLE_MODULE = "steamship.invocable.invocable"
#: the route decorators, by their name in the module that defines them (which module is the
#: release's: :attr:`linter.sdk.releases.Runtime.route_module`), and the verb each gives
ROUTE_VERBS = {"post": "POST", "get": "GET"}
INVOCABLE = (INVOCABLE_MODULE, "Invocable")
PACKAGE_SERVICE = ("steamship.invocable.package_service", "PackageService")
PACKAGE_MIXIN = ("steamship.invocable.package_mixin", "PackageMixin")
VERB = ("steamship.utils.url", "Verb")
