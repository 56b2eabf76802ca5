"""One file at a time: bytes decoded as the interpreter would, the one LibCST parse, the facts
a single walk collects (plain frozen dataclasses), positions of the nodes that findings name,
``# noqa`` comments, and the JSON form of facts for the cache and the catalogue.

Imports nothing else of pkgcheck: everything above stands on it.
"""
