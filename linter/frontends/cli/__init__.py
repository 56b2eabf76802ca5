"""The ``pkgcheck`` command line: :mod:`linter.frontends.cli.main` is the group, and each
subcommand is a module beside it (``check``, ``spec``, ``diff``, ``rules``), over the shared
pieces in :mod:`~linter.frontends.cli.common` and the check command's settings in
:mod:`~linter.frontends.cli.settings`."""
