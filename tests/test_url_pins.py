"""steamship installed from a URL: the release is a stand-in, said so, and nothing that differs
between releases is reported (found on GirlfriendGPT, csv-blockifier, tagger-oneai and
ticket-tagging-api, whose git branches predate the newest release's constructors and manifest)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from linter.run import engine
from linter.sdk.catalogue import load_bundle
from linter.sdk.pins import steamship_urls
from linter.sdk.releases import choose_release
from rules import default_codes

URLS = [
    ("steamship @ git+https://github.com/steamship-core/python-client@ec/fix", "requirements.txt"),
    ("git+https://github.com/nludb/python-client@dict-mapper", "requirements.txt"),
    ("steamship @ https://example.com/steamship-2.16.2.tar.gz", "requirements.txt"),
    ("-e git+ssh://git@github.com/nludb/python-client@main#egg=steamship", "requirements.txt"),
    ('[tool.poetry.dependencies]\nsteamship = {git = "https://github.com/steamship-core/python-client.git"}',
     "pyproject.toml"),
    ('[project]\ndependencies = ["steamship @ git+https://github.com/steamship-core/python-client@v2"]',
     "pyproject.toml"),
]


@pytest.mark.parametrize("text, name", URLS)
def test_a_url_requirement_makes_the_release_a_stand_in(tmp_path: Path, text: str, name: str) -> None:
    (tmp_path / name).write_text(text + "\n", encoding="utf-8")
    assert len(steamship_urls(tmp_path)) == 1
    choice = choose_release(load_bundle(), tmp_path)
    assert choice.guessed and choice.version == load_bundle().newest
    assert choice.note and "cannot know" in choice.note


@pytest.mark.parametrize("text", ["git+https://github.com/other/project@main", "requests @ https://x.org/r.whl",
                                  "steamship==2.17.3  # see https://github.com/steamship-core/python-client"])
def test_other_urls_and_an_exact_pin_are_not_stand_ins(tmp_path: Path, text: str) -> None:
    (tmp_path / "requirements.txt").write_text(text + "\n", encoding="utf-8")
    assert not choose_release(load_bundle(), tmp_path).guessed


def test_an_exact_pin_beside_a_url_wins(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "git+https://github.com/steamship-core/python-client@main\nsteamship==2.16.9\n", encoding="utf-8"
    )
    choice = choose_release(load_bundle(), tmp_path)
    assert (choice.version, choice.guessed) == ("2.16.9", False)


OLD_PLUGIN = {
    "requirements.txt": "git+https://github.com/nludb/python-client@main\n",
    "steamship.json": '{"type": "plugin", "handle": "b", "version": "0.0.1", "public": true,\n'
                      ' "entrypoint": "src.api.handler", "plugin": {"type": "blockifier"}}\n',
    "src/api.py": """\
        from typing import Type

        from steamship.invocable import Config, PackageService
        from steamship.agents.mixins.transports.steamship_widget import SteamshipWidgetTransport


        class Old(PackageService):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.add_mixin(SteamshipWidgetTransport(client=self.client, agent_service=self, agent=None))

            def config_cls(self) -> Type[Config]:
                return Config
        """,
}


def test_release_dependent_findings_are_withheld_and_the_note_says_why(tmp_path: Path) -> None:
    for name, text in OLD_PLUGIN.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    report = engine.check([tmp_path], default_codes())
    assert report.violations == []
    assert any("cannot know" in notice and "python-client@main" in notice for notice in report.notices)
    # the same project checked against a release named explicitly: each of them is reported
    named = engine.check([tmp_path], default_codes(), steamship_version=load_bundle().newest)
    assert {v.code for v in named.violations} == {"SHP309", "SHP501", "SHP503"}


def test_manifest_names_the_url_and_the_way_out(tmp_path: Path) -> None:
    """``pkgcheck manifest`` cannot know the template builder of a steamship installed from a
    URL: it says so, and how to name a release (found on GirlfriendGPT and five other public
    repositories, where it said that steamship 2.17.34 had no builder)."""
    from click.testing import CliRunner

    from linter.frontends.cli.main import main

    (tmp_path / "requirements.txt").write_text(
        "steamship @ git+https://github.com/steamship-core/python-client@main\n", encoding="utf-8"
    )
    (tmp_path / "steamship.json").write_text(
        '{"type": "package", "handle": "p", "version": "1", "public": false, "steamshipRegistry": {"tags": []}}',
        encoding="utf-8",
    )
    (tmp_path / "api.py").write_text(
        "from steamship.invocable import PackageService\n\n\nclass P(PackageService):\n    pass\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["manifest", str(tmp_path)])
    assert result.exit_code == 2
    assert "python-client@main" in result.output and "--steamship-version" in result.output
    assert "no configTemplate builder" not in result.output
    named = CliRunner().invoke(main, ["manifest", str(tmp_path), "--steamship-version", "2.17.34"])
    assert named.exit_code == 0, named.output
    assert json.loads(named.stdout) == {}
