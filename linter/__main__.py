from linter.frontends.cli import main

main(prog_name="pkgcheck")
