"""Checks that rest on steamship's own code follow the SDK version the project targets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from linter.run import engine
from rules import default_codes

API = textwrap.dedent(
    """
    from steamship.agents.mixins.transports.steamship_widget import SteamshipWidgetTransport
    from steamship.agents.service.agent_service import AgentService
    from steamship.invocable import post
    from steamship.invocable.mixins.file_importer_mixin import FileImporterMixin


    class Bot(AgentService):
        USED_MIXIN_CLASSES = [FileImporterMixin]

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(FileImporterMixin(self.client))
            self.add_mixin(SteamshipWidgetTransport(client=self.client, agent_service=self, agent=None))

        @post("import_url")
        def import_url(self, url: str) -> str:
            return url
    """
)


def project(tmp_path: Path, requirement: str) -> Path:
    root = tmp_path / "bot"
    root.mkdir()
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    (root / "requirements.txt").write_text(requirement + "\n", encoding="utf-8")
    (root / "api.py").write_text(API, encoding="utf-8")
    return root


def test_bundled_version_checks_steamship_mixins(tmp_path: Path) -> None:
    report = engine.check([project(tmp_path, "steamship==2.17.34")], default_codes())
    if report.project.steamship.kind != "catalogue":
        pytest.skip("a steamship is installed next to pkgcheck: the catalogue is not used")
    codes = sorted(v.code for v in report.violations)
    # FileImporterMixin's POST /import_url meets the package's own when the class is defined
    # (USED_MIXIN_CLASSES: the import fails, so add_mixin never runs); the widget takes no
    # 'agent'
    assert codes == ["SHP301", "SHP309"]
    assert not report.notices


def test_other_pinned_version_is_said_once_and_silences_sdk_checks(tmp_path: Path) -> None:
    report = engine.check([project(tmp_path, "steamship==2.16.2")], default_codes())
    if report.project.steamship.kind != "catalogue":
        pytest.skip("a steamship is installed next to pkgcheck: the catalogue is not used")
    assert [v.code for v in report.violations] == []
    assert len(report.notices) == 1 and "2.16.2" in report.notices[0]


# -- which requirements name another version -----------------------------------------------

from linter.sdk.catalogue import BUNDLED_VERSION  # noqa: E402
from linter.sdk.pins import other_version, steamship_pins  # noqa: E402

OTHER = [
    ("requirements.txt", "steamship==2.16.2\n"),
    ("requirements.txt", "# pinned\nrequests>=2\nsteamship[extra] == 2.16.2 ; python_version >= '3.8'  # old SDK\n"),
    ("requirements.txt", "steamship==2.16.2 --hash=sha256:abc\n"),
    ("requirements-prod.txt", "steamship~=2.16.0\n"),
    ("requirements.txt", "steamship>=2.16,<2.17\n"),
    ("requirements.txt", "Steamship<2.17\n"),
    ("pyproject.toml", '[project]\nname = "bot"\ndependencies = ["steamship==2.16.2"]\n'),
    ("pyproject.toml", '[project]\nname = "bot"\n[project.optional-dependencies]\nsdk = ["steamship<2.17"]\n'),
    ("pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.9"\nsteamship = "2.16.2"\n'),
    ("pyproject.toml", '[tool.poetry.dependencies]\nsteamship = { version = "~2.16.1", extras = ["x"] }\n'),
    ("pyproject.toml", '[tool.poetry.group.dev.dependencies]\nsteamship = "^3.0"\n'),
    ("setup.cfg", "[options]\ninstall_requires =\n    click\n    steamship==2.16.2\n"),
]

SAME = [
    ("requirements.txt", "steamship==2.17.34\n"),
    ("requirements.txt", "steamship>=2.17\n"),
    ("requirements.txt", "steamship\n"),
    ("requirements.txt", "steamship @ https://example.com/steamship-2.16.2.tar.gz\n"),
    ("requirements.txt", "-r base.txt\nsteamship-extras==1.0\n# steamship==2.16.2\n"),
    ("pyproject.toml", '[project]\nname = "bot"\ndependencies = ["steamship>=2.17,<3"]\n'),
    ("pyproject.toml", '[tool.poetry.dependencies]\nsteamship = "^2.17.0"\n'),
    ("pyproject.toml", '[tool.poetry.dependencies]\nsteamship = "*"\n'),
    ("pyproject.toml", "this is [not toml\n"),
    ("setup.cfg", "[options]\ninstall_requires = steamship>=2.17\n"),
]


@pytest.mark.parametrize("name, text", OTHER)
def test_requirements_that_exclude_the_catalogue_version(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    pin = other_version(tmp_path, BUNDLED_VERSION)
    assert pin is not None and pin.source == name
    assert pin.describe().startswith("steamship") and name in pin.describe()


@pytest.mark.parametrize("name, text", SAME)
def test_requirements_that_allow_the_catalogue_version(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert other_version(tmp_path, BUNDLED_VERSION) is None


def test_poetry_caret_is_read_as_poetry_does(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.poetry.dependencies]\nsteamship = "^2.16"\n', encoding="utf-8")
    (pin,) = steamship_pins(tmp_path)
    assert pin.allows("2.17.34") and pin.allows("2.16.0") and not pin.allows("3.0.0")


def test_pyproject_pin_silences_only_the_checks_on_steamships_code(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bot"\nversion = "1"\ndependencies = ["steamship>=2.15,<2.17"]\n', encoding="utf-8"
    )
    own = API + textwrap.dedent(
        """

        class Plain(PackageService):
            @post("go")
            def go(self) -> str:
                self.invoke_later("gone")
                return "ok"
        """
    )
    own = own.replace("from steamship.invocable import post", "from steamship.invocable import PackageService, post")
    (root / "api.py").write_text(own, encoding="utf-8")
    report = engine.check([root], default_codes())
    if report.project.steamship.kind != "catalogue":
        pytest.skip("a steamship is installed next to pkgcheck: the catalogue is not used")
    # SHP301/SHP309 rest on steamship's mixins: withheld; the package's own route is not
    assert [v.code for v in report.violations] == ["SHP401"]
    assert len(report.notices) == 1 and "steamship<2.17,>=2.15 (pyproject.toml)" in report.notices[0]


@pytest.mark.parametrize(
    "pinned, allowed", [("2.17.34", True), ("2.17.34.0", True), ("2.17.3", False), ("2.17", False)]
)
def test_exact_pins_compare_release_numbers(tmp_path: Path, pinned: str, allowed: bool) -> None:
    (tmp_path / "requirements.txt").write_text(f"steamship=={pinned}\n", encoding="utf-8")
    (pin,) = steamship_pins(tmp_path)
    assert pin.allows(BUNDLED_VERSION) is allowed
    assert pin.allows("2.17.34rc1") is False
