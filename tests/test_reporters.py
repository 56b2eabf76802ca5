"""Output formats: JSON keys, SARIF 2.1.0 validity and fingerprints, GitHub escaping, text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import jsonschema
import pytest

from cli_support import BUGGY, invoke, make_project
from linter import __version__
from linter.run.checker import Violation
from linter.source.noqa import BY_NOQA, BY_PER_FILE_IGNORES
from linter.frontends.reporters import (
    DOCS_URL,
    FINGERPRINT_KEY,
    Entry,
    ReportData,
    RuleInfo,
    escape_data,
    escape_property,
    render,
    render_statistics,
    rule_url,
    summarise,
)
from rules import load_all

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
ROOT = Path("/project").resolve()


def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # The OASIS schema declares draft-04; validate with that draft, formats included.
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    validator_class = jsonschema.validators.validator_for(schema)
    assert validator_class is jsonschema.Draft4Validator
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def assert_valid_sarif(document: dict) -> None:
    errors = sorted(sarif_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def infos() -> dict:
    return {code: RuleInfo.of(rule) for code, rule in load_all().items()}


def violation(
    code: str = "SHP101",
    message: str = "POST /a of b repeats the route of a (api.py:3); the later one silently wins",
    path: str = str(ROOT / "api.py"),
    line: int = 5,
    related: tuple = (),
) -> Violation:
    return Violation(code, message, path, line, 5, line, 16, related)


def entry(
    v: Violation, source_line: str = '    @post("/a")', suppressed: Optional[str] = None
) -> Entry:
    shown = (
        Path(v.path).relative_to(ROOT).as_posix() if Path(v.path).is_relative_to(ROOT) else v.path
    )
    return Entry(v, shown, source_line, suppressed)


def data(*entries: Entry, show_suppressed: bool = False, internal_errors: tuple = ()) -> ReportData:
    return ReportData(list(entries), infos(), show_suppressed, ROOT, internal_errors)


# -- JSON -------------------------------------------------------------------------------------


def test_json_keys_and_values() -> None:
    report = json.loads(render("json", data(entry(violation()))))
    assert report == [
        {
            "code": "SHP101",
            "message": violation().message,
            "path": "api.py",
            "line": 5,
            "column": 5,
            "end_line": 5,
            "end_column": 16,
            "severity": "error",
            "url": f"{DOCS_URL}#shp101",
            "steamship": None,
        }
    ]
    assert (
        rule_url("SHP301") == "https://github.com/pkgcheck/pkgcheck/blob/main/docs/rules.md#shp301"
    )


def test_json_leaves_out_suppressed_findings_unless_asked() -> None:
    entries = (entry(violation()), entry(violation(line=9), suppressed=BY_NOQA))
    assert len(json.loads(render("json", data(*entries)))) == 1
    shown = json.loads(render("json", data(*entries, show_suppressed=True)))
    assert [item["suppressed"] for item in shown] == [None, "noqa"]


def test_json_from_the_cli_is_relative_and_one_based(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path / "proj", {"pkg/api.py": BUGGY, "broken.py": "import steamship\n(\n"})
    monkeypatch.chdir(tmp_path)
    result = invoke(["--format", "json", "proj"])
    report = json.loads(result.stdout)
    # the release each finding was judged under: the one installed, else the newest bundled
    from linter.sdk.locate import locate_steamship

    report_release = locate_steamship(None, tmp_path / "proj").version
    assert {item["path"] for item in report} == {"proj/pkg/api.py", "proj/broken.py"}
    for item in report:
        assert set(item) == {
            "code",
            "message",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "severity",
            "url",
            "steamship",
        }
        assert item["steamship"] == report_release
        assert item["line"] >= 1 and item["column"] >= 1
        assert item["severity"] == "error"
        assert item["url"] == rule_url(item["code"])
    assert {item["code"] for item in report} == {"SHP101", "SHP001"}


# -- SARIF ------------------------------------------------------------------------------------


def test_sarif_is_valid_and_complete() -> None:
    related = ((str(ROOT / "api.py"), 3, "other_at"), ("steamship/invocable/mixin.py", 0, "base"))
    entries = (
        entry(violation(related=related)),
        entry(
            violation(
                code="SHP001",
                message="cannot parse",
                path=str(ROOT / "dir with space/x.py"),
                line=1,
            )
        ),
        entry(violation(path="/elsewhere/y.py")),
        entry(violation(line=7), suppressed=BY_NOQA),
        entry(violation(line=8), suppressed=BY_PER_FILE_IGNORES),
    )
    document = json.loads(
        render("sarif", data(*entries, show_suppressed=True, internal_errors=("boom",)))
    )
    assert_valid_sarif(document)
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "pkgcheck" and driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    ids = [rule["id"] for rule in rules]
    assert ids == sorted(load_all())
    shp101 = rules[ids.index("SHP101")]
    documentation = load_all()["SHP101"].documentation()
    assert shp101["name"] == "duplicate-route"
    assert shp101["help"] == {"text": documentation, "markdown": documentation}
    assert shp101["shortDescription"]["text"] == load_all()["SHP101"].summary()
    assert shp101["fullDescription"]["text"]
    assert shp101["defaultConfiguration"]["level"] == "error"
    assert rules[ids.index("SHP308")]["defaultConfiguration"]["enabled"] is False  # opt-in
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"

    first, parse_error, outside, by_noqa, by_config = run["results"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "api.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 5, "startColumn": 5, "endLine": 5, "endColumn": 16}
    assert [
        r["physicalLocation"]["artifactLocation"]["uri"] for r in first["relatedLocations"]
    ] == [
        "api.py",
        "steamship/invocable/mixin.py",
    ]
    assert first["relatedLocations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert (
        parse_error["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "dir%20with%20space/x.py"
    )
    assert outside["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "file:///elsewhere/y.py"
    }
    assert first["suppressions"] == []
    assert by_noqa["suppressions"][0]["kind"] == "inSource"
    assert by_config["suppressions"][0]["kind"] == "external"
    assert run["invocations"][0]["executionSuccessful"] is False


def test_sarif_fingerprint_ignores_line_numbers_but_not_content() -> None:
    def fingerprint(v: Violation, text: str = '    @post("/a")') -> str:
        document = json.loads(render("sarif", data(entry(v, text))))
        return document["runs"][0]["results"][0]["partialFingerprints"][FINGERPRINT_KEY]

    base = fingerprint(violation())
    moved = violation(line=42, message=violation().message.replace("api.py:3", "api.py:40"))
    assert fingerprint(moved, '@post("/a")   ') == base  # moved and re-indented: same alert
    assert fingerprint(violation(), '    @post("/b")') != base
    assert fingerprint(violation(code="SHP108")) != base
    assert fingerprint(violation(path=str(ROOT / "other.py"))) != base
    assert fingerprint(violation(message="another message")) != base


def test_sarif_fingerprints_of_identical_findings_differ() -> None:
    document = json.loads(render("sarif", data(entry(violation(line=5)), entry(violation(line=9)))))
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in document["runs"][0]["results"]]
    assert len(set(prints)) == 2


def test_sarif_empty_report_is_valid() -> None:
    document = json.loads(render("sarif", data()))
    assert_valid_sarif(document)
    assert document["runs"][0]["results"] == []


def test_sarif_from_the_cli_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path / "proj", {"api.py": BUGGY})
    monkeypatch.chdir(tmp_path / "proj")
    result = invoke(["--format", "sarif", "--output-file", "out.sarif", "."])
    assert result.exit_code == 1
    document = json.loads((tmp_path / "proj" / "out.sarif").read_text(encoding="utf-8"))
    assert_valid_sarif(document)
    (found,) = document["runs"][0]["results"]
    assert found["ruleId"] == "SHP101"
    assert found["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert found["relatedLocations"][0]["physicalLocation"]["region"] == {"startLine": 3}


# -- GitHub -----------------------------------------------------------------------------------


def test_github_escaping() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_command_shape() -> None:
    v = violation(message="50% of a: b, c\nsecond line", path=str(ROOT / "dir,name/a:b.py"))
    (line,) = render("github", data(entry(v))).splitlines()
    assert line == (
        "::error file=dir%2Cname/a%3Ab.py,line=5,col=5,endLine=5,endColumn=16,title=SHP101"
        "::50%25 of a: b, c%0Asecond line"
    )


def test_github_suppressed_are_notices() -> None:
    entries = (entry(violation()), entry(violation(line=9), suppressed=BY_NOQA))
    assert render("github", data(*entries)).count("\n") == 1
    lines = render("github", data(*entries, show_suppressed=True)).splitlines()
    assert lines[0].startswith("::error ") and lines[1].startswith("::notice ")


# -- text -------------------------------------------------------------------------------------


def test_text_line_format_and_colour() -> None:
    report = data(entry(violation()))
    assert render("text", report) == f"api.py:5:5: SHP101 {violation().message}\n"
    coloured = render("text", report, color=True)
    assert "\x1b[" in coloured
    assert "\x1b[" not in render("text", report, color=False)


def test_text_marks_suppressed() -> None:
    report = data(
        entry(violation()), entry(violation(line=9), suppressed=BY_NOQA), show_suppressed=True
    )
    first, second = render("text", report).splitlines()
    assert "suppressed" not in first and "suppressed" in second and "noqa" in second


def test_statistics_and_summary() -> None:
    report = data(
        entry(violation()),
        entry(violation(line=9)),
        entry(violation(code="SHP108", path=str(ROOT / "b.py"))),
        entry(violation(line=20), suppressed=BY_NOQA),
    )
    assert render_statistics(report).splitlines() == [
        "2  SHP101  duplicate-route",
        "1  SHP108  suspicious-path",
    ]
    summary = summarise(report)
    assert "3 problems" in summary and "2 files" in summary and "1 suppressed" in summary
    assert "passed" in summarise(data())
    assert render_statistics(data()) == ""
