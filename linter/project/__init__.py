"""One project: which files it has (roots, the walk, exclude patterns), which of them matter
(the prefilter's scope), the module name of each file and the file of each name, loading
their facts, and what each name denotes (resolution through imports, never by spelling).

May import :mod:`linter.sdk` and :mod:`linter.source`.
"""
