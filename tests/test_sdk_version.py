"""Checks that rest on steamship's own code follow the steamship release the project uses: the
release is chosen as pip would install it, and its own code (from the bundled catalogue) is what
pkgcheck reads."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Optional

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


#: an installed steamship whose routing code is no release's (a fork, a patched copy)
FORK = {
    "__init__.py": '__version__ = "3.0.0"\n',
    "base/__init__.py": "",
    "base/package_spec.py": "class PackageSpec:\n    pass\n",
    "invocable/__init__.py": (
        "from steamship.invocable.invocable import Invocable, get, post\n"
        "from steamship.invocable.package_service import PackageService\n"
    ),
    "invocable/invocable.py": textwrap.dedent(
        """
        def endpoint(verb=None, path=None, **kwargs):
            def decorator(function):
                function.__path__ = path
                return function
            return decorator


        def post(path, **kwargs):
            return endpoint("POST", path, **kwargs)


        class Invocable:
            def __init_subclass__(cls, **kwargs):
                cls.routes = {}  # a route table of its own
        """
    ),
    "invocable/package_service.py": textwrap.dedent(
        """
        from steamship.invocable.invocable import Invocable


        class PackageService(Invocable):
            def invoke_later(self, method, verb=None, wait_on_tasks=None, arguments=None):
                pass
        """
    ),
}


def test_routing_code_of_no_release_is_named_and_silences_sdk_checks(tmp_path: Path) -> None:
    """Every bundled release is modelled; an installed steamship whose routing code is none of
    theirs is not, and pkgcheck says so rather than guess."""
    site = tmp_path / "site"
    for name, text in FORK.items():
        path = site / "steamship" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    report = engine.check([project(tmp_path, "steamship==2.17.34")], default_codes(), steamship_path=site)
    assert report.project.steamship.kind == "installed"
    # SHP301/SHP309 rest on steamship's mixins: withheld
    assert [v.code for v in report.violations] == []
    (notice,) = report.notices
    assert "builds a package's routes with code that pkgcheck does not model yet" in notice
    assert "(it models steamship 2.1.0–2.17.34)" in notice


@pytest.mark.parametrize("version, codes", [("2.17.24", ["SHP301"]), ("2.17.25", ["SHP301", "SHP309"])])
def test_the_same_code_under_two_releases(tmp_path: Path, version: str, codes: list) -> None:
    """SteamshipWidgetTransport takes ``agent`` up to 2.17.24 and not from 2.17.25 on: the
    constructor call is right under one release and a TypeError under the other."""
    report = engine.check([project(tmp_path, f"steamship=={version}")], default_codes())
    if report.project.steamship.kind != "catalogue":
        pytest.skip("a steamship is installed next to pkgcheck: the catalogue is not used")
    assert report.project.steamship.version == version
    assert sorted(v.code for v in report.violations) == codes
    assert report.notices == [f"checked against steamship {version}: steamship=={version} (requirements.txt)"]


# -- which release the requirements choose ---------------------------------------------------

from linter.sdk.catalogue import load_bundle  # noqa: E402
from linter.sdk.pins import steamship_pins  # noqa: E402
from linter.sdk.releases import ReleaseError, Runtime, choose_release, modelled_range, runtime_of  # noqa: E402

NEWEST = "2.17.34"

#: (file, text, the release chosen)
PINNED = [
    ("requirements.txt", "steamship==2.16.2\n", "2.16.2"),
    (
        "requirements.txt",
        "# pinned\nrequests>=2\nsteamship[extra] == 2.16.2 ; python_version >= '3.8'  # old SDK\n",
        "2.16.2",
    ),
    ("requirements.txt", "steamship==2.16.2 --hash=sha256:abc\n", "2.16.2"),
    ("requirements-prod.txt", "steamship~=2.16.0\n", "2.16.9"),
    ("requirements.txt", "steamship>=2.16,<2.17\n", "2.16.9"),
    ("requirements.txt", "Steamship<2.17\n", "2.16.9"),
    ("requirements.txt", "steamship==2.17.13rc3\n", "2.17.13rc3"),
    ("requirements.txt", "steamship==2.17\n", "2.17.0"),
    ("pyproject.toml", '[project]\nname = "bot"\ndependencies = ["steamship==2.16.2"]\n', "2.16.2"),
    (
        "pyproject.toml",
        '[project]\nname = "bot"\n[project.optional-dependencies]\nsdk = ["steamship<2.17"]\n',
        "2.16.9",
    ),
    ("pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.9"\nsteamship = "2.16.2"\n', "2.16.2"),
    ("pyproject.toml", '[tool.poetry.dependencies]\nsteamship = { version = "~2.16.1", extras = ["x"] }\n', "2.16.9"),
    ("setup.cfg", "[options]\ninstall_requires =\n    click\n    steamship==2.16.2\n", "2.16.2"),
    ("requirements.txt", "steamship==2.17.34\n", NEWEST),
    ("requirements.txt", "steamship>=2.17\n", NEWEST),
    ("pyproject.toml", '[project]\nname = "bot"\ndependencies = ["steamship>=2.17,<3"]\n', NEWEST),
    ("pyproject.toml", '[tool.poetry.dependencies]\nsteamship = "^2.17.0"\n', NEWEST),
    ("setup.cfg", "[options]\ninstall_requires = steamship>=2.17\n", NEWEST),
]

#: requirements that name no release: the newest is used, and nothing is said
UNPINNED = [
    ("requirements.txt", "steamship\n"),
    ("requirements.txt", "-r base.txt\nsteamship-extras==1.0\n# steamship==2.16.2\n"),
    ("pyproject.toml", '[tool.poetry.dependencies]\nsteamship = "*"\n'),
    ("pyproject.toml", "this is [not toml\n"),
]


@pytest.mark.parametrize("name, text, chosen", PINNED)
def test_requirements_choose_the_release(tmp_path: Path, name: str, text: str, chosen: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    choice = choose_release(load_bundle(), tmp_path)
    assert choice.version == chosen
    assert name in choice.reason and choice.note is None


@pytest.mark.parametrize("name, text", UNPINNED)
def test_requirements_without_a_release_choose_the_newest(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    choice = choose_release(load_bundle(), tmp_path)
    assert (choice.version, choice.reason, choice.note) == (NEWEST, "the newest release known", None)


@pytest.mark.parametrize(
    "text, note",
    [
        ("steamship==2.99.0\n", "steamship==2.99.0 (requirements.txt) is newer than every release pkgcheck knows"),
        ("steamship>=3\n", "no release pkgcheck knows satisfies steamship>=3 (requirements.txt)"),
    ],
)
def test_a_requirement_beyond_the_known_releases_uses_the_newest_and_says_so(
    tmp_path: Path, text: str, note: str
) -> None:
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    choice = choose_release(load_bundle(), tmp_path)
    assert choice.version == NEWEST and choice.note is not None and choice.note.startswith(note)


def test_the_option_comes_before_the_requirements(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("steamship==2.16.2\n", encoding="utf-8")
    bundle = load_bundle()
    assert choose_release(bundle, tmp_path, "2.17.18").version == "2.17.18"
    assert choose_release(bundle, tmp_path, "2.17.18.0").version == "2.17.18"
    assert choose_release(bundle, tmp_path, "3.0").version == NEWEST
    with pytest.raises(ReleaseError, match="2.17.12 is not a release pkgcheck knows"):
        choose_release(bundle, tmp_path, "2.17.12")


def test_the_poetry_caret_is_read_as_poetry_does(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.poetry.dependencies]\nsteamship = "^2.16"\n', encoding="utf-8")
    (pin,) = steamship_pins(tmp_path)
    assert pin.allows("2.17.34") and pin.allows("2.16.0") and not pin.allows("3.0.0")


@pytest.mark.parametrize(
    "pinned, allowed", [("2.17.34", True), ("2.17.34.0", True), ("2.17.3", False), ("2.17", False)]
)
def test_exact_pins_compare_release_numbers(tmp_path: Path, pinned: str, allowed: bool) -> None:
    (tmp_path / "requirements.txt").write_text(f"steamship=={pinned}\n", encoding="utf-8")
    (pin,) = steamship_pins(tmp_path)
    assert pin.allows(NEWEST) is allowed
    assert pin.allows("2.17.34rc1") is False


# -- which releases pkgcheck models ---------------------------------------------------------


#: the runtimes of releases before mixins, written out switch by switch (STEAMSHIP-RELEASES.md)
_LEGACY = dict(
    routes_from_every_ancestor=False,
    strips_double_slash=False,
    class_names=False,
    used_mixins_field=False,
    mixins=False,
    used_mixin_classes="ignored",
    mixin_readds_replace=False,
    permit_keyword=None,
)
_INIT = (("POST", "/__instance_init__"),)
_DIR_ONLY = (("GET", "/__dir__", "__steamship_dir__", None), ("POST", "/__dir__", "__steamship_dir__", None))
_APP = dict(
    _LEGACY,
    package_class=("steamship.app.app", "App"),
    invocable_class=("steamship.app.app", "App"),
    route_module="steamship.app.app",
    has_spec=False,
    inherits="nothing",
    reserved=(),
    listed_reserved=(),
    sdk_version_field=False,
    route_config=False,
    enum_values="none",
)
OLDER = {
    "2.1.31": Runtime(**_APP),
    "2.1.11": Runtime(**_APP, verb_class=("steamship.app.request", "Verb"), routes_from_bases=False),
    "2.17.0": Runtime(**_LEGACY, listing="replace", listed_reserved=_INIT),
    "2.16.9": Runtime(**_LEGACY, inherits="dispatch", listing="append", listed_reserved=_INIT),
    "2.3.5": Runtime(
        **_LEGACY, inherits="nothing", listing="append", reserved=_DIR_ONLY, listed_reserved=(),
        sdk_version_field=False, enum_values="unguarded",
    ),  # fmt: skip
    "2.2.0": Runtime(
        **_LEGACY, inherits="nothing", listing="append", reserved=_DIR_ONLY, listed_reserved=(),
        sdk_version_field=False, enum_values="none", route_config=False,
    ),  # fmt: skip
}


@pytest.mark.parametrize(
    "version, runtime",
    [
        ("2.17.34", Runtime()),
        ("2.17.25", Runtime()),
        ("2.17.24", Runtime()),
        ("2.17.16", Runtime()),
        ("2.7.17", Runtime()),  # re-published 2.17.18: its code decides, not its number
        ("2.17.15", Runtime(mixin_lookup_adds_slash=True)),
        ("2.17.14", Runtime(mixin_lookup_adds_slash=True)),
        ("2.17.13rc3", Runtime(mixin_lookup_adds_slash=True)),  # 2.17.14's code, before 2.17.13
        ("2.17.13", Runtime(routes_from_every_ancestor=False, mixin_lookup_adds_slash=True)),
        ("2.17.11", Runtime(routes_from_every_ancestor=False, mixin_lookup_adds_slash=True)),
        (
            "2.17.10",
            Runtime(
                routes_from_every_ancestor=False,
                mixin_lookup_adds_slash=True,
                used_mixin_classes="rescanned",
                used_mixins_field=False,
            ),
        ),
        (
            "2.17.7",
            Runtime(
                routes_from_every_ancestor=False,
                used_mixin_classes="ignored",
                mixin_readds_replace=False,
                used_mixins_field=False,
            ),
        ),
        ("2.17.0", OLDER.get("2.17.0")),
        ("2.16.9", OLDER.get("2.16.9")),
        ("2.3.5", OLDER.get("2.3.5")),
        ("2.2.0", OLDER.get("2.2.0")),
        ("2.1.31", OLDER.get("2.1.31")),
        ("2.1.11", OLDER.get("2.1.11")),
    ],
)
def test_the_runtime_of_a_release_is_decided_by_its_code(version: str, runtime: Optional[Runtime]) -> None:
    bundle = load_bundle()
    assert runtime_of(bundle, bundle.table(version)) == runtime
    assert modelled_range(bundle) == "2.1.0–2.17.34"


def test_a_project_pinning_a_range_is_checked_by_the_newest_release_it_allows(tmp_path: Path) -> None:
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
    # 2.16.9 has no agents nor mixins: what Bot imports from them is unknown, so nothing is
    # said of it; the package's own route is checked, under 2.16.9's own rules
    assert [v.code for v in report.violations] == ["SHP401"]
    assert report.project.steamship.version == "2.16.9"
    assert report.notices == [
        "checked against steamship 2.16.9: the newest release that steamship<2.17,>=2.15 (pyproject.toml) allows"
    ]


# -- asking for a release: the CLI, a settings file, flake8 ------------------------------------


def test_the_cli_option_chooses_the_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli_support import invoke

    root = project(tmp_path, "steamship==2.17.34")
    monkeypatch.chdir(root)
    older = invoke(["--steamship-version", "2.17.24", "."])
    newest = invoke(["."])
    if "checked against" not in older.stderr:
        pytest.skip("a steamship is installed next to pkgcheck: the catalogue is not used")
    assert "pkgcheck: note: checked against steamship 2.17.24: the release asked for" in older.stderr
    assert "SHP309" in newest.output and "SHP309" not in older.output
    unknown = invoke(["--steamship-version", "2.17.12", "."])
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == (
        "pkgcheck: error: --steamship-version: steamship 2.17.12 is not a release pkgcheck knows "
        "(2.1.0 to 2.17.34 and their pre-releases)"
    )


def test_a_settings_file_chooses_the_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli_support import invoke

    root = project(tmp_path, "steamship==2.17.34")
    (root / "pyproject.toml").write_text('[tool.pkgcheck]\nsteamship-version = "2.17.24"\n', encoding="utf-8")
    monkeypatch.chdir(root)
    result = invoke(["."])
    if "checked against" not in result.stderr:
        pytest.skip("a steamship is installed next to pkgcheck: the catalogue is not used")
    assert "checked against steamship 2.17.24: the release asked for" in result.stderr
    assert "SHP309" not in result.output and "SHP301" in result.output
    (root / "pyproject.toml").write_text('[tool.pkgcheck]\nsteamship-version = "9.x"\n', encoding="utf-8")
    bad = invoke(["."])
    assert bad.exit_code == 2 and "pyproject.toml: steamship-version: steamship 9.x is not a release" in bad.stderr


def test_flake8_takes_the_release_option(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = project(tmp_path, "steamship==2.17.34")
    run = [sys.executable, "-m", "flake8", "--select", "SHP", "--pkgcheck-steamship-version"]
    older = subprocess.run([*run, "2.17.24", "."], cwd=root, capture_output=True, text=True, timeout=300)
    newest = subprocess.run([*run, "2.17.34", "."], cwd=root, capture_output=True, text=True, timeout=300)
    if "SHP309" not in newest.stdout:
        pytest.skip("a steamship is installed next to pkgcheck: the catalogue is not used")
    assert "SHP301" in older.stdout and "SHP309" not in older.stdout
    unknown = subprocess.run([*run, "2.0.1", "."], cwd=root, capture_output=True, text=True, timeout=300)
    # flake8 prints a plugin's option error on its standard output
    assert unknown.returncode != 0 and "steamship 2.0.1 is not a release pkgcheck knows" in unknown.stdout


# -- pkgcheck upgrade ------------------------------------------------------------------------


def test_upgrade_reports_what_the_newest_release_breaks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from cli_support import invoke

    root = project(tmp_path, "steamship==2.17.24")
    monkeypatch.chdir(root)
    result = invoke(["upgrade", "--format", "json", "."])
    (report,) = json.loads(result.stdout)
    if report["from"] != "2.17.24":
        pytest.skip("a steamship is installed next to pkgcheck: the project uses it now")
    assert result.exit_code == 1 and report["to"] == "2.17.34" and report["breaks"]
    # the widget transport's 'agent' keyword is a TypeError from 2.17.25 on
    assert [(Path(f["path"]).name, f["line"], f["code"]) for f in report["new_findings"]] == [
        ("api.py", 14, "SHP309")
    ]
    assert report["gone_findings"] == []
    # AgentService gains POST /async_prompt in 2.17.32: a compatible change of Bot's spec
    assert [(c["package"], c["route"], c["breaking"]) for c in report["spec_changes"]] == [
        ("api.Bot", "POST /async_prompt", False)
    ]
    text = invoke(["upgrade", "."])
    assert text.exit_code == 1
    assert text.stdout.splitlines()[0] == ".: steamship 2.17.24 -> 2.17.34"
    assert "  new       api.py:14:" in text.stdout and "SHP309" in text.stdout


def test_upgrade_to_the_same_release_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli_support import invoke

    root = project(tmp_path, "steamship==2.17.24")
    monkeypatch.chdir(root)
    result = invoke(["upgrade", "--to", "2.17.24", "."])
    assert result.exit_code == 0
    assert "no finding and no route changes" in result.output
    unknown = invoke(["upgrade", "--to", "2.17.12", "."])
    assert unknown.exit_code == 2 and "--to: steamship 2.17.12 is not a release pkgcheck knows" in unknown.stderr


def test_json_and_sarif_name_the_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from cli_support import invoke

    root = project(tmp_path, "steamship==2.17.24")
    monkeypatch.chdir(root)
    findings = json.loads(invoke(["--format", "json", "."]).stdout)
    run = json.loads(invoke(["--format", "sarif", "."]).stdout)["runs"][0]
    if run["properties"]["steamship"][0]["source"] != "catalogue":
        pytest.skip("a steamship is installed next to pkgcheck: the catalogue is not used")
    assert findings and {item["steamship"] for item in findings} == {"2.17.24"}
    assert run["properties"]["steamship"] == [
        {"project": ".", "release": "2.17.24", "source": "catalogue", "reason": "steamship==2.17.24 (requirements.txt)"}
    ]
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"] if n["level"] == "note"]
    assert notes == ["checked against steamship 2.17.24: steamship==2.17.24 (requirements.txt)"]


def test_a_python_without_zlib_gets_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    from linter.sdk.locate import locate_steamship

    root = project(tmp_path, "steamship==2.17.24")
    if locate_steamship(None, root).kind != "catalogue":
        pytest.skip("a steamship is installed next to pkgcheck: the catalogue is not read")
    code = (
        "import sys; sys.modules['zlib'] = None; sys.argv = ['pkgcheck', '--no-cache', '.']\n"
        "from linter.frontends.cli.main import main\nmain()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("pkgcheck: error: pkgcheck's steamship catalogue needs Python's zlib")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "version, codes", [("2.17.34", ["SHP103", "SHP103"]), ("2.17.14", ["SHP103", "SHP103"]), ("2.17.13", [])]
)
def test_an_override_spelled_otherwise_as_the_release_does(version: str, codes: list) -> None:
    """From 2.17.14 a base's route stays unless the class has the same raw path, and the base's
    registration wins; up to 2.17.13 the class's own route is registered last and wins."""
    fixture = Path(__file__).parent / "fixtures" / "shp103_override_spelling_src"
    report = engine.check([fixture], default_codes(), steamship_version=version)
    if report.project.steamship.kind != "catalogue":
        pytest.skip("a steamship is installed next to pkgcheck: the catalogue is not used")
    assert [v.code for v in report.violations] == codes


def test_a_steamship_in_the_projects_own_virtualenv_is_named(tmp_path: Path) -> None:
    """A steamship read from a virtualenv inside the project (several public packages commit
    theirs) is said, with its release and where it is, as the catalogue's release is."""
    from linter.sdk import locate

    site = tmp_path / "venv" / "lib" / "python3.10" / "site-packages"
    (site / "steamship" / "invocable").mkdir(parents=True)
    (site / "steamship" / "__init__.py").write_text("", encoding="utf-8")
    (site / "steamship" / "invocable" / "__init__.py").write_text("", encoding="utf-8")
    (site / "steamship" / "invocable" / "invocable.py").write_text("class Invocable:\n    pass\n", encoding="utf-8")
    meta = site / "steamship-2.16.5.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Name: steamship\nVersion: 2.16.5\n", encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("steamship==2.16.5\n", encoding="utf-8")
    (tmp_path / "api.py").write_text("from steamship.invocable import PackageService\n", encoding="utf-8")
    if locate._on_sys_path() is not None:
        pytest.skip("a steamship is installed beside pkgcheck: it comes first")
    report = engine.check([tmp_path], default_codes())
    assert "checked against steamship 2.16.5 installed in venv/lib/python3.10/site-packages" in report.notices
