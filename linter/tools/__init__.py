"""What pkgcheck does beyond reporting: mechanical fixes checked by a second run, the
breaking-change diff between two revisions, and OpenAPI documents of the specs.

May import :mod:`linter.run` and everything below it; never :mod:`linter.frontends`.
"""
