"""pkgcheck: a static linter for Steamship packages.

The public entry points are :func:`linter.run.engine.check` (findings for paths) and
:func:`linter.run.engine.package_specs` (the static ``PackageSpec`` of every package); the flake8
plugin (:mod:`linter.frontends.flake8_plugin`) and the CLI (:mod:`linter.frontends.cli`) are thin adapters over them.
"""

__version__ = "0.1.0"
