#!/usr/bin/env python
"""Print, as JSON, ``get_config_parameters()`` of the package in ROOT's ``api.py``, as ``ship
deploy`` finds and calls it (run with an oracle venv's python; imports the package).

Usage: python config_dump.py ROOT
"""
import importlib
import json
import sys


def main(root: str) -> None:
    sys.path.insert(0, root)
    api = importlib.import_module("api")
    from steamship.invocable.lambda_handler import get_class_from_module

    cls = get_class_from_module(api)
    params = cls.config_cls().get_config_parameters()
    print(json.dumps({name: json.loads(param.json()) for name, param in params.items()}))


if __name__ == "__main__":
    main(sys.argv[1])
