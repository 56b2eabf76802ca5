from linter.frontends.cli.main import main

main(prog_name="pkgcheck")
