"""A run: projects grouped from the paths given, each analysed (scope, facts on worker
processes, rules per module, located violations), results kept module by module in the
on-disk cache, and which rule codes are enabled.

May import ``rules`` and every layer below it; never :mod:`linter.tools` or
:mod:`linter.frontends`.
"""
