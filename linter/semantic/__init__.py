"""What the code means, as the rules see it (ruff calls this layer the semantic model): the
static PackageSpec of each package (class- and instance-level, as steamship's runtime builds
it), the invoke_later calls and the packages they reach, annotation strings and JSON schemas
of arguments, and the :class:`~linter.semantic.context.Context` a rule is handed.

May import :mod:`linter.project`, :mod:`linter.sdk` and :mod:`linter.source`; the ``rules``
package imports this layer and the ones below it, nothing above.
"""
