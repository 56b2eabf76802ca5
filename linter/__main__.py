from linter.frontends.cli.main import run

run()
