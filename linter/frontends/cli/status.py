"""The command line's exit statuses and context keys: the little that the group
(:mod:`linter.frontends.cli.main`) needs before any subcommand, in a module that imports
nothing, so that ``pkgcheck --version`` stays a matter of milliseconds."""

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

#: ``ctx.meta`` key: whether ``-v`` asked for tracebacks
VERBOSE = "pkgcheck.verbose"
