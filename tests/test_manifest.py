"""The manifest checks (SHP5xx) at the edges, and ``pkgcheck manifest``.

The oracle test runs steamship's own ``get_config_parameters()`` (the code ``ship deploy`` runs)
in the oracle venvs and compares it with ``pkgcheck manifest``'s output for fixture packages.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.frontends.cli.main import main
from linter.run import engine
from linter.source.jsondoc import JsonDoc, JsonError, read_json
from oracle.venv import OracleVenvError, ensure_oracle_venv

FIXTURES = Path(__file__).parent / "fixtures"
CONFIG_DUMP = Path(__file__).parent / "oracle" / "config_dump.py"
VALID = {"type": "package", "handle": "p", "version": "1", "public": False, "steamshipRegistry": {"tags": []}}
API = "from steamship.invocable import PackageService\n\n\nclass P(PackageService):\n    pass\n"


def invoke(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def project(tmp_path: Path, manifest: bytes, api: str = API) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / "steamship.json").write_bytes(manifest)
    (root / "api.py").write_text(api, encoding="utf-8")
    return root


def manifest_findings(root: Path):
    report = engine.check([root], ["SHP501", "SHP502", "SHP505", "SHP506", "SHP507"])
    assert not report.internal_errors, report.internal_errors
    return [(v.line, v.column, v.code) for v in report.violations if v.path.endswith(".json")]


@pytest.mark.parametrize(
    "data, where",
    [
        (b'{"type": "package",', (1, 20)),  # truncated
        (b"\xef\xbb\xbf" + json.dumps(VALID).encode(), (1, 1)),  # a BOM: json.loads refuses it
        (json.dumps(VALID).encode("utf-16"), (1, 1)),  # not UTF-8
        (b"[" * 100_000 + b"]" * 100_000, (1, 1)),  # deeper than json.loads recurses
        (b'{"version": ' + b"9" * 5000 + b"}", (1, 1)),  # an integer Python will not convert
        (b"[1, 2]", (1, 1)),  # not an object
        (b"\x00\xff\xfe", (1, 1)),
        (b"", (1, 1)),
    ],
    ids=["truncated", "bom", "utf16", "deep", "huge-int", "array", "binary", "empty"],
)
def test_bad_manifests_are_findings_never_tracebacks(tmp_path: Path, data: bytes, where) -> None:
    found = manifest_findings(project(tmp_path, data))
    assert found and found[0][:2] == where and {code for *_, code in found} == {"SHP501"}


def test_wrong_types_are_named_at_their_key(tmp_path: Path) -> None:
    text = json.dumps({**VALID, "public": [1], "handle": {"a": 1}, "steamshipRegistry": {"tags": "x"}}, indent=4)
    found = manifest_findings(project(tmp_path, text.encode()))
    lines = text.splitlines()
    expected = {
        (number, line.index('"') + 1, "SHP501")
        for number, line in enumerate(lines, 1)
        if line.strip().startswith(('"public"', '"handle"', '"tags"'))
    }
    assert set(found) == expected


def test_liberal_where_the_model_is(tmp_path: Path) -> None:
    data = {**VALID, "version": 2, "public": "yes", "unknown": {"x": [None]}, "plugin": None}
    data["steamshipRegistry"] = {"tags": ["a", 1], "githubURL": "u", "newField": "x"}
    assert manifest_findings(project(tmp_path, json.dumps(data).encode())) == []


def test_a_bare_marker_is_not_a_manifest(tmp_path: Path) -> None:
    assert manifest_findings(project(tmp_path, b"{}\n")) == []


def test_other_json_files_named_are_ignored(tmp_path: Path) -> None:
    root = project(tmp_path, json.dumps(VALID).encode())
    (root / "package.json").write_text("not json", encoding="utf-8")
    report = engine.check([root / "package.json", root / "steamship.json"], ["SHP001", "SHP501"])
    assert report.violations == [] and report.failures == []


def test_manifest_named_alone_is_checked(tmp_path: Path) -> None:
    root = project(tmp_path, b'{"type": "package"}')
    report = engine.check([root / "steamship.json"], ["SHP501"])
    assert {v.code for v in report.violations} == {"SHP501"}


# -- pkgcheck manifest ---------------------------------------------------------------------------
def test_write_changes_only_the_template(tmp_path: Path) -> None:
    root = tmp_path / "stale"
    shutil.copytree(FIXTURES / "shp507_stale_template", root)
    before = (root / "steamship.json").read_text(encoding="utf-8")
    printed = invoke(["manifest", str(root)])
    assert printed.exit_code == 0
    result = invoke(["manifest", str(root), "--write"])
    assert result.exit_code == 0, result.output
    after = (root / "steamship.json").read_text(encoding="utf-8")
    old, new = json.loads(before), json.loads(after)
    assert new["configTemplate"] == json.loads(printed.stdout)
    assert {k: v for k, v in new.items() if k != "configTemplate"} == {
        k: v for k, v in old.items() if k != "configTemplate"
    }
    assert list(new) == list(old)
    # the text around the template is byte for byte the old text
    start = before.index('"configTemplate"')
    assert after[:start] == before[:start]
    assert after.endswith(before[before.index('"steamshipRegistry"') - 6:])
    assert not list(root.glob(".steamship.json.*"))  # no temporary file left
    again = invoke(["manifest", str(root), "--write"])
    assert again.exit_code == 0 and (root / "steamship.json").read_text(encoding="utf-8") == after
    assert engine.check([root], ["SHP507"]).violations == []


def test_write_adds_a_missing_template_in_the_file_style(tmp_path: Path) -> None:
    root = tmp_path / "tabs"
    shutil.copytree(FIXTURES / "shp507_stale_template", root)
    (root / "steamship.json").write_bytes(b'{\r\n\t"type": "package",\r\n\t"public": true\r\n}\r\n')
    assert invoke(["manifest", str(root), "--write"]).exit_code == 0
    text = (root / "steamship.json").read_bytes()
    assert text.startswith(b'{\r\n\t"type": "package",\r\n\t"public": true,\r\n\t"configTemplate": {\r\n\t\t"greeting"')
    assert b"\n" not in text.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    "content, message",
    [(b'{"type": ', "not valid JSON"), (b"\xef\xbb\xbf{}", "byte order mark"), (b"[]", "JSON object")],
)
def test_write_refuses_bad_manifests(tmp_path: Path, content: bytes, message: str) -> None:
    root = tmp_path / "bad"
    shutil.copytree(FIXTURES / "shp507_stale_template", root)
    (root / "steamship.json").write_bytes(content)
    result = CliRunner().invoke(main, ["manifest", str(root), "--write"])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert (root / "steamship.json").read_bytes() == content


def test_manifest_errors_are_messages(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["manifest", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    (tmp_path / "empty").mkdir()
    nothing = CliRunner().invoke(main, ["manifest", str(tmp_path / "empty"), "--write"])
    assert nothing.exit_code == 2 and "no such file" in nothing.output
    two = CliRunner().invoke(main, ["manifest", str(FIXTURES / "shp502_two_packages")])
    assert two.exit_code == 2 and "exactly one" in two.output
    broken = CliRunner().invoke(main, ["manifest", str(FIXTURES / "shp504_unrepresentable_fields")])
    assert broken.exit_code == 2 and "Traceback" not in broken.output


def test_read_json_places_keys() -> None:
    doc = read_json(b'{\n  "a": {"b": [1, {"c": 2}]},\n  "d": "x\\"y"\n}')
    assert isinstance(doc, JsonDoc)
    assert doc.keys[("a",)] == (2, 3) and doc.keys[("a", "b")] == (2, 9)
    assert doc.keys[("a", "b", 1, "c")] == (2, 19) and doc.keys[("d",)] == (3, 3)
    assert isinstance(read_json(b"\xef\xbb\xbf{}"), JsonError)


# -- the oracle ------------------------------------------------------------------------------------
ORACLE_FIXTURES = [
    "config_template_oracle", "shp507_stale_template", "shp506_required_field_defaulted",
    "shp507_clean_current_template", "shp506_nested_config",
]  # fmt: skip


@pytest.mark.parametrize("version", ["2.17.34", "2.14.2", "2.3.13"])
@pytest.mark.parametrize("fixture", ORACLE_FIXTURES)
def test_template_equals_the_runtime_get_config_parameters(fixture: str, version: str) -> None:
    try:
        venv = ensure_oracle_venv(version=version) if version == "2.17.34" else _cached_venv(version)
    except OracleVenvError as error:
        pytest.skip(str(error))
    root = FIXTURES / fixture
    proc = subprocess.run(
        [str(venv.python), str(CONFIG_DUMP), str(root)],
        capture_output=True, text=True, timeout=300, cwd=str(root),
    )
    assert proc.returncode == 0, proc.stderr
    runtime = json.loads(proc.stdout.strip().splitlines()[-1])
    result = invoke(["manifest", str(root), "--steamship-version", version])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == runtime


def test_template_of_a_config_built_on_steamships_own_config() -> None:
    """The fields a steamship Config class declares (TelegramTransportConfig's bot_token and
    api_base) are in the template, before the package's own, as the runtime orders them."""
    try:
        venv = ensure_oracle_venv(version="2.17.34")
    except OracleVenvError as error:
        pytest.skip(str(error))
    root = FIXTURES / "config_template_steamship_base"
    runtime = runtime_template(venv, root)
    assert list(runtime) == ["bot_token", "api_base", "name"]
    result = invoke(["manifest", str(root), "--steamship-version", "2.17.34"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == runtime


def runtime_template(venv, root: Path):  # type: ignore[no-untyped-def]
    """``get_config_parameters()`` of the package in ``root``, as the venv's steamship gives it."""
    proc = subprocess.run(
        [str(venv.python), str(CONFIG_DUMP), str(root)],
        capture_output=True, text=True, timeout=300, cwd=str(root),
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cached_venv(version: str):
    from oracle.venv import default_venv_dir

    root = default_venv_dir(version)
    if not (root / "bin" / "python").exists():
        pytest.skip(f"no cached oracle venv of steamship {version}")
    return ensure_oracle_venv(version=version)


@pytest.mark.parametrize("fmt", ["sarif", "github", "json", "text"])
def test_every_output_format_carries_manifest_findings(fmt: str) -> None:
    root = FIXTURES / "shp506_required_field_defaulted"
    result = CliRunner().invoke(main, ["--format", fmt, str(root)])
    assert result.exit_code == 1, result.output
    assert "SHP506" in result.stdout and "steamship.json" in result.stdout
    if fmt == "sarif":
        region = json.loads(result.stdout)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (7, 77)


def test_too_deep_for_json_loads_does_not_depend_on_the_caller() -> None:
    """Whether json.loads of steamship's deploy can read a manifest is judged as a fresh
    interpreter judges it: a harness that raised the recursion limit (Hypothesis does) saw
    ``--write`` accept a manifest that the CLI refuses (found by test_manifests_at_scale)."""
    import sys

    deep = b'{"a": ' + b"[" * 1500 + b"]" * 1500 + b"}"
    shallow = b'{"a": ' + b"[" * 600 + b"]" * 600 + b"}"
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(50_000)
        assert isinstance(read_json(deep), JsonError)
    finally:
        sys.setrecursionlimit(limit)

    def nested(levels: int):  # called 600 frames down, where 600 levels more pass the limit
        return nested(levels - 1) if levels else read_json(shallow)

    assert isinstance(nested(600), JsonDoc)
    assert isinstance(read_json(deep), JsonError) and isinstance(read_json(shallow), JsonDoc)


def test_a_config_cls_inherited_from_steamship_is_not_taken_for_the_empty_config(tmp_path: Path) -> None:
    """TelegramAgentService.config_cls (steamship 2.17.0) returns TelegramBotConfig. The
    catalogue does not record return values, so the Config is unknown: pkgcheck says why and
    --write leaves the file alone (it used to print {} and empty a correct template; found on
    devwdougherty/joel-fireship-bot-telegram-agent)."""
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "shp507_clean_steamship_config_cls", root)
    before = (root / "steamship.json").read_bytes()
    for args in (["manifest", str(root)], ["manifest", "--write", str(root)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert "TelegramAgentService.config_cls" in result.output and "--steamship-path" in result.output
    assert (root / "steamship.json").read_bytes() == before


def test_a_config_cls_inherited_from_an_installed_steamship_is_read_from_its_source() -> None:
    """With steamship 2.17.0 installed, TelegramAgentService.config_cls's return is read from its
    source: the template equals the runtime's get_config_parameters()."""
    try:
        venv = ensure_oracle_venv(version="2.17.0")
    except OracleVenvError as error:
        pytest.skip(str(error))
    root = FIXTURES / "shp507_clean_steamship_config_cls"
    runtime = runtime_template(venv, root)
    assert list(runtime) == ["bot_token"]
    result = invoke(["manifest", str(root), "--steamship-path", str(venv.site_packages)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == runtime
    checked = CliRunner().invoke(main, ["--no-cache", "--steamship-path", str(venv.site_packages), str(root)])
    assert checked.exit_code == 0, checked.output  # the template is the runtime's: no SHP507
