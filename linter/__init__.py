"""pkgcheck: a static linter for Steamship packages.

The library is built in layers. A module imports from its own layer and the layers below it,
never from one above (``tests/test_layers.py`` holds the same order and checks it), so a run
flows downward: discover files, read and parse them, resolve names, build specs, run the
rules, report.

    frontends  the CLI, the flake8 plugin, the reporters, the rules' docs page
    tools      fixes, the breaking-change diff, OpenAPI documents
    run        the engine and checker, worker processes, incremental results, the cache
    rules      the top-level ``rules`` package: verdicts over the specs and facts
    semantic   what the code means: the static PackageSpec, invoke_later calls, schemas
    project    which files form a project, module names, loading facts, name resolution
    sdk        what steamship is: its names, the bundled catalogue, where it is installed
    source     one file: decoding, parsing, facts, positions, noqa comments

The root package imports nothing; any module may read ``__version__`` from it. The public
entry points are :func:`linter.run.engine.check` (findings for paths) and
:func:`linter.run.engine.package_specs` (the static ``PackageSpec`` of every package); the
flake8 plugin (:mod:`linter.frontends.flake8_plugin`) and the CLI
(:mod:`linter.frontends.cli.main`) are thin adapters over them.
"""

__version__ = "0.1.0"
