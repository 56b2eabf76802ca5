"""``# noqa`` in the CLI: the same verdicts as flake8's, checked against flake8 itself."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

from cli_support import BUGGY, invoke, make_project, throwaway_rules
from linter.source.noqa import BY_FILE_NOQA, BY_NOQA, NoqaIndex, noqa_covers, parse_noqa, split_lines

try:
    from flake8.violation import Violation as Flake8Violation
except ImportError:  # pragma: no cover - flake8 < 6
    from flake8.style_guide import Violation as Flake8Violation  # type: ignore[no-redef]
from flake8.processor import FileProcessor

ROUTE_LINE = '    @post("/a")          # duplicate of the route above: SHP101'


@pytest.fixture
def temp_rules() -> Iterator[Callable[..., type]]:
    with throwaway_rules() as make:
        yield make


def with_comment(comment: str) -> str:
    """The buggy package with ``comment`` in place of the comment on the reported line."""
    return BUGGY.replace(ROUTE_LINE, f'    @post("/a")  {comment}'.rstrip())


def reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, *args: str) -> List[str]:
    make_project(tmp_path / "p", {"api.py": source})
    monkeypatch.chdir(tmp_path / "p")
    result = invoke([*args, "."])
    assert result.exit_code in (0, 1), result.output
    return [line for line in result.stdout.splitlines() if ": SHP" in line]


# -- the CLI ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "comment, silenced",
    [
        ("", False),
        ("# noqa", True),
        ("# NOQA", True),
        ("# NoQa", True),
        ("# noqa: SHP101", True),
        ("# noqa:SHP101", True),
        ("# noqa: SHP101,SHP102", True),
        ("# noqa: SHP102, SHP101", True),
        ("# noqa:SHP1", True),  # flake8 compares with startswith
        ("# noqa: SHP102", False),  # another code does not silence
        ("# noqa: SHP3", False),
        ("# noqa: shp101", False),  # the codes are case-sensitive in flake8
        ("# noqa : SHP102", True),  # not a code list: a bare noqa
        ("# noqa: SHP", True),  # not a code either: a bare noqa
        ("#noqa", False),
        ("# the route is noqa-worthy", False),
        ("# see ticket; # noqa: SHP101 -- duplicate kept on purpose", True),
    ],
)
def test_noqa_comments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, comment: str, silenced: bool
) -> None:
    assert (reported(tmp_path, monkeypatch, with_comment(comment)) == []) == silenced


def test_noqa_on_another_line_does_not_silence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = BUGGY.replace('    @post("a")', '    @post("a")  # noqa').replace(
        ROUTE_LINE, '    @post("/a")'
    )
    assert len(reported(tmp_path, monkeypatch, source)) == 1


def test_file_level_flake8_noqa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert reported(tmp_path, monkeypatch, "# flake8: noqa\n" + BUGGY) == []
    # flake8 ignores (and warns about) the file-level form after code on a line
    assert len(reported(tmp_path, monkeypatch, "import os  # flake8: noqa\n" + BUGGY)) == 1


def test_show_suppressed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path / "p", {"api.py": with_comment("# noqa: SHP101")})
    monkeypatch.chdir(tmp_path / "p")
    hidden = invoke(["."])
    assert hidden.exit_code == 0 and hidden.stdout == ""
    assert "1 suppressed" in hidden.stderr
    shown = invoke(["--show-suppressed", "."])
    assert shown.exit_code == 0  # listed, but not a problem
    (line,) = shown.stdout.splitlines()
    assert line.startswith("api.py:5:5: SHP101 ") and "suppressed" in line
    as_json = json.loads(invoke(["--show-suppressed", "--format", "json", "."]).stdout)
    assert [(item["code"], item["suppressed"]) for item in as_json] == [("SHP101", "noqa")]


def test_show_suppressed_lists_per_file_ignores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path / "p", {"api.py": BUGGY})
    monkeypatch.chdir(tmp_path / "p")
    result = invoke(["--per-file-ignores", "api.py:SHP101", "--show-suppressed", "."])
    assert result.exit_code == 0
    assert "per-file-ignores" in result.stdout


MULTI_LINE = '''\
from steamship.invocable import PackageService, post
class Svc(PackageService):
    @post("""b
c""")COMMENT
    def b(self) -> str: return "b"
'''


@pytest.mark.parametrize(
    "comment, silenced", [("", False), ("  # noqa: SHP993", True), ("  # noqa: SHP1", False)]
)
def test_noqa_after_a_multi_line_string_covers_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, temp_rules, comment: str, silenced: bool
) -> None:
    temp_rules("SHP993")  # reports the decorator, on the line where the string starts
    source = MULTI_LINE.replace("COMMENT", comment)
    found = reported(tmp_path, monkeypatch, source, "--select", "SHP993")
    assert [line.split()[1] for line in found] == ([] if silenced else ["SHP993"])
    assert all(line.startswith("api.py:3:") for line in found)


# -- against flake8 itself --------------------------------------------------------------------

LINES = [
    "x = 1",
    "x = 1  # noqa",
    "x = 1  # NOQA",
    "x = 1  #noqa",
    "x = 1  # noqa:SHP101",
    "x = 1  # noqa: SHP101",
    "x = 1  # noqa:  SHP101",
    "x = 1  # noqa : SHP101",
    "x = 1  # noqa:SHP101,SHP301",
    "x = 1  # noqa: SHP102 SHP101",
    "x = 1  # noqa: SHP102,,SHP101",
    "x = 1  # noqa: SHP1",
    "x = 1  # noqa: SHP",
    "x = 1  # noqa: shp101",
    "x = 1  # noqa: E501,SHP301 because",
    "x = 1  # noqa:,SHP101",
    "x = 1  # noqa: SHP10x",
    "x = '# noqa'",
    "x = 1  # type: ignore  # noqa: SHP301",
    "x = 1  # noqa: SHP301 # noqa: SHP101",
    "x = 1  # noqa:SHP3011",
]


def flake8_ignores(line: str, code: str) -> bool:
    return Flake8Violation(code, "x.py", 1, 0, "text", line + "\n").is_inline_ignored(False)


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("code", ["SHP101", "SHP301"])
def test_line_verdicts_match_flake8(line: str, code: str) -> None:
    codes = parse_noqa(line + "\n")
    ours = codes is not None and noqa_covers(codes, code)
    assert ours == flake8_ignores(line, code)


SOURCES = [
    """\
    x = 1
    s = '''
    multi
    '''  # noqa: SHP101
    y = 2  # noqa
    """,
    """\
    total = 1 + \\
        2  # noqa: SHP301
    call(
        a,  # noqa
        b,
    )
    """,
    """\
    def f():
        return '''a
    b'''  # noqa
    z = 3
    """,
    "a = (\n  1  # noqa\n",  # an unterminated bracket: tokenizing fails
    "x = 1\r\ny = 2  # noqa\r\nz = 3\r\n",
    "x = 1\ry = 2  # noqa\rz = 3\r",
    "x = '\x0c'  # noqa\ny = 1\n",
]


def flake8_processor(text: str) -> FileProcessor:
    options = argparse.Namespace(
        hang_closing=False, indent_size=4, max_line_length=79, max_doc_length=None, verbose=0
    )
    lines = [line.replace("\r\n", "\n").replace("\r", "\n") for line in split_lines(text)]
    return FileProcessor("x.py", options, lines=lines)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("code", ["SHP101", "SHP301"])
def test_file_verdicts_match_flake8(source: str, code: str) -> None:
    text = textwrap.dedent(source)
    index = NoqaIndex(text)
    processor = flake8_processor(text)
    for number in range(1, len(processor.lines) + 1):
        physical = processor.noqa_line_for(number) or processor.lines[number - 1]
        theirs = Flake8Violation(code, "x.py", number, 0, "text", physical).is_inline_ignored(False)
        assert (index.suppression(code, number) == BY_NOQA) == theirs, (number, text)


@pytest.mark.parametrize(
    "source",
    [
        "# flake8: noqa\nx = 1\n",
        "#flake8:noqa\n",
        "  # FLAKE8= NOQA\n",
        "x = 1  # flake8: noqa\n",
        "x = 1\n",
    ],
)
def test_file_exemption_matches_flake8(source: str) -> None:
    processor = flake8_processor(source)
    processor.options.disable_noqa = False
    assert (
        NoqaIndex(source).suppression("SHP101", 1) == BY_FILE_NOQA
    ) == processor.should_ignore_file()


def test_line_text_uses_python_line_breaks() -> None:
    index = NoqaIndex("a\x0cb\r\nc\u2028d\re\n")
    assert [index.line_text(n) for n in (1, 2, 3, 4)] == ["a\x0cb", "c\u2028d", "e", ""]
