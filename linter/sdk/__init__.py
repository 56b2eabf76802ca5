"""What steamship is, as pkgcheck knows it without importing it: the canonical homes of the
names the engine understands, the catalogue of steamship's modules bundled with pkgcheck (and
the script that builds it from a wheel), where an installed steamship is, and the release a
project's requirements pin.

May import :mod:`linter.source` only.
"""
