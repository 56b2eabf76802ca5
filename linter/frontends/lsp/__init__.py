"""The language server front end (``pkgcheck lsp``); needs the ``lsp`` extra (pygls)."""
