"""Checks that rest on steamship's own code follow the SDK version the project targets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from linter import engine
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
