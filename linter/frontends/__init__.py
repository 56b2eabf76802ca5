"""The ways in: the ``pkgcheck`` command line, the flake8 plugin (entry point ``SHP``), the
language server (``pkgcheck lsp``; pygls is imported there only), the reporters (text, JSON,
SARIF, GitHub), the CLI's settings files, and the generator of docs/rules.md. Thin adapters:
the work is done by the layers below, which they may all import.
"""
