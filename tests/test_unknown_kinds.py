"""A base pkgcheck cannot see (a third-party class, a steamship module the release in use
lacks) makes a class's kind unknown — never "not a package": no finding rests on it, and
``pkgcheck spec`` says which classes and bases it could not judge, and which file a module name
two import roots hold denotes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cli_support import invoke

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args: str):
    return invoke(args)


def test_spec_names_the_unknown_bases() -> None:
    result = run("spec", str(FIXTURES / "shp105_clean_unknown_bases"))
    assert result.exit_code == 0, result.output
    specs = json.loads(result.stdout)
    # Mixed is a package (PackageService is a base), its spec shown but marked incomplete
    assert list(specs) == ["api.Mixed"]
    notes = [line for line in result.stderr.splitlines() if line.startswith("pkgcheck: note:")]
    assert any("api.Mixed may be incomplete" in n and "some_third_party.Base3 (a base of Mixed)" in n for n in notes)
    assert any(
        "api.MyBot may be a package or a mixin" in n
        and "steamship.experimental.package_starters.telegram_agent.TelegramAgentService" in n
        for n in notes
    ), notes
    assert any("api.Other may be a package or a mixin" in n and "some_third_party.Base3" in n for n in notes)


def test_check_reports_nothing_on_unknown_kinds_and_shp406_says_why() -> None:
    quiet = run("--format", "json", str(FIXTURES / "shp105_clean_unknown_bases"))
    assert quiet.exit_code == 0 and json.loads(quiet.stdout) == []
    told = run("--format", "json", "--extend-select", "SHP406", str(FIXTURES / "shp105_clean_unknown_bases"))
    messages = sorted(f["message"] for f in json.loads(told.stdout))
    assert len(messages) == 3, messages
    assert any("self of Other, whose kind cannot be known: some_third_party.Base3" in m for m in messages)
    assert any("reaches Mixed, whose routes cannot all be known" in m for m in messages)


def test_spec_says_which_file_an_ambiguous_module_is(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    for base, route in ((root, "beta"), (root / "src", "alpha")):
        (base / "common").mkdir(parents=True)
        (base / "common" / "__init__.py").write_text("")
        (base / "common" / "helpers.py").write_text(
            "from steamship.invocable import post\n"
            "from steamship.invocable.package_mixin import PackageMixin\n\n\n"
            f"class Helper(PackageMixin):\n    @post(\"{route}\")\n    def {route}(self) -> str:\n        return ''\n"
        )
    (root / "pyproject.toml").write_text("")
    shutil.copy(FIXTURES / "shp401_unknown_route" / "steamship.json", root / "steamship.json")
    (root / "api.py").write_text(
        "from steamship.invocable import PackageService\nfrom common.helpers import Helper\n\n\n"
        "class Bot(PackageService):\n    USED_MIXIN_CLASSES = [Helper]\n"
    )
    result = run("spec", "--level", "class", str(root))
    assert result.exit_code == 0, result.output
    assert (
        "module common.helpers could be common/helpers.py or src/common/helpers.py: pkgcheck reads common/helpers.py"
        in result.stderr
    )
    paths = [m["path"] for m in json.loads(result.stdout)["api.Bot"]["methods"]]
    assert "/beta" in paths and "/alpha" not in paths
