"""The flake8 adapter: ``flake8`` reports pkgcheck's findings as ``SHPnnn`` codes.

The plugin is a thin shell around :func:`linter.run.engine.check_source`. flake8 hands it one file
at a time (its text comes from flake8's ``lines``, so ``flake8 -`` works); the engine loads the
rest of the project from disk, so a finding that depends on another file (a base class, a
mixin) is reported the same with ``-j1``, ``-j N`` and when flake8 is given only that one file.
flake8's own ``# noqa``, ``--select``, ``--extend-ignore`` and ``--per-file-ignores`` apply to
SHP codes like to any other.

Options (command line, or the ``[flake8]`` section of ``setup.cfg``, ``tox.ini``, ``.flake8``):

``--pkgcheck-extend-select SHP202,SHP203``
    Also run these opt-in rules: exact codes, or ``ALL`` for every opt-in rule (as in the CLI's
    selection). An unknown code is an error, so a typo cannot silently leave a check off.
    Naming an opt-in rule's exact code in flake8's own ``--select`` or ``--extend-select``
    enables it too; a prefix such as ``SHP`` or ``SHP2`` does not (a newly added opt-in rule must
    not start failing builds that select a family). flake8's selection still decides what is
    shown: default rules always run and flake8 filters their findings.
``--pkgcheck-steamship-path DIR``
    The site-packages (or ``steamship`` package) directory whose steamship to check against.
    As with flake8's own path options, a value from a config file that contains a ``/`` (write
    ``./vendor``) is relative to that file, a bare name to the working directory. Default: the
    steamship importable by flake8's interpreter, else a ``.venv``/``venv``/``env`` in the
    project, else pkgcheck's bundled catalogue of the release below. A directory without
    steamship in it is an error.
``--pkgcheck-steamship-version RELEASE``
    The steamship release whose bundled catalogue to check against when no steamship is
    installed. Default: the release the project's requirements pin (``steamship==2.17.18``) or
    the newest they allow, else the newest pkgcheck knows. A release pkgcheck does not know is
    an error; one newer than all it knows checks against the newest.
``--pkgcheck-cache``
    Keep facts and results in ``.pkgcheck_cache/`` at the project root, as the ``pkgcheck``
    command does by default (the same entries, signed and keyed on the text of every file a
    run read; never for a project without a root marker, never for stdin). Off by default: a
    flake8 run does not write into the project unless asked to (``pkgcheck-cache = true`` in
    the config file). With it, a run over unchanged files parses nothing.

Errors. A file Python cannot parse never reaches the plugin (flake8 reports E999; the
standalone checker's SHP001 is never emitted here). Nothing raised inside pkgcheck escapes
:meth:`Plugin.run`, because flake8 turns a plugin exception into a crash of the whole run. A bug
must not look like a clean file either, so it becomes one ``SHP000`` finding at line 1 of the
file whose findings are incomplete, naming the cause; flake8 exits non-zero and prints it like any
other finding, and ``--extend-ignore SHP000`` is the escape hatch until a fix. The same
sentence goes to stderr once (it reaches the terminal when flake8's output goes to a file or a
machine-readable format), and with ``flake8 -v`` the traceback follows it. ``SHP000`` is also
reported when one rule crashed (that rule's findings may be missing; the others are reported)
and when pkgcheck cannot parse a file that Python can.

Cost. Importing this module imports only the standard library and ``linter/__init__`` (the
version); the engine and the rules are imported when flake8 is about to check files, LibCST
only when the project has Steamship code. A project is analysed once per process (the engine
memoises it), and each file is answered from that analysis. On platforms where flake8's
workers are forked (Linux), ``parse_options`` analyses the projects of the files flake8 is
going to check in flake8's main process, before the workers exist: they inherit the analysis
instead of each making it again, and the main process can parse on every core, which a
(daemonic) worker cannot. If that fails, the workers analyse as before and report the error.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple

from linter import __version__

if TYPE_CHECKING:  # pragma: no cover
    import argparse

    from linter.project.marks import Concerns
    from linter.run.checker import Analysis, Violation

#: pkgcheck's own failures: the file's findings are incomplete
INTERNAL_ERROR = "SHP000"
_EXACT_CODE = re.compile(r"^SHP\d{3}$")
#: every opt-in rule (the CLI's selection has the same word)
ALL = "ALL"

#: what flake8 yields: (line, 0-based column, "CODE message", plugin type)
Result = Tuple[int, int, str, type]


class Plugin:
    """flake8 entry point ``SHP`` (group ``flake8.extension``)."""

    name = "pkgcheck"
    version = __version__  # flake8 >= 5 shows the distribution's version; this is for others

    # Set by parse_options in flake8's main process; forked workers inherit them and spawned
    # workers call parse_options again.
    extend_select: ClassVar[Tuple[str, ...]] = ()
    #: flake8's --select plus --extend-select
    flake8_select: ClassVar[Tuple[str, ...]] = ()
    #: whether flake8's --select was given: without it flake8 shows every plugin's codes
    flake8_select_given: ClassVar[bool] = False
    steamship_path: ClassVar[Optional[str]] = None
    steamship_version: ClassVar[Optional[str]] = None
    #: --pkgcheck-cache: use the project's .pkgcheck_cache/ as the CLI does
    cache: ClassVar[bool] = False
    verbose: ClassVar[int] = 0

    _enabled: ClassVar[Optional[FrozenSet[str]]] = None
    #: which files concern Steamship, shared by the files of a process (and inherited by forks)
    _concerns: ClassVar[Optional["Concerns"]] = None
    #: stderr lines already written by this process
    _reported: ClassVar[Set[str]] = set()
    #: project root → the SHP000 message of its crashed analysis
    _project_crashes: ClassVar[Dict[str, str]] = {}

    def __init__(self, tree: Any, filename: str = "stdin", lines: Optional[Sequence[str]] = None) -> None:
        # flake8 only calls plugins that take ``tree`` after ``ast`` parsed the file; the text
        # comes from ``lines`` (stdin, flake8's decoding) rather than from ``tree``.
        self.filename = filename
        self.lines = lines
        self.tree = tree

    # -- options -------------------------------------------------------------------------------

    @classmethod
    def add_options(cls, manager: Any) -> None:
        manager.add_option(
            "--pkgcheck-extend-select",
            metavar="codes",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="pkgcheck: also run these opt-in rules (exact codes, e.g. SHP202,SHP308, or ALL). "
            "Naming an opt-in code exactly in --select/--extend-select enables it too.",
        )
        manager.add_option(
            "--pkgcheck-steamship-path",
            metavar="dir",
            default=None,
            parse_from_config=True,
            normalize_paths=True,
            help="pkgcheck: site-packages (or steamship package) directory whose steamship to "
            "check against (default: the importable one, a project venv, else the bundled "
            "catalogue of steamship's routes).",
        )
        manager.add_option(
            "--pkgcheck-steamship-version",
            metavar="release",
            default=None,
            parse_from_config=True,
            help="pkgcheck: the steamship release to check against when none is installed "
            "(default: the one the project's requirements pin or allow, else the newest known).",
        )
        manager.add_option(
            "--pkgcheck-cache",
            action="store_true",
            default=False,
            parse_from_config=True,
            help="pkgcheck: keep facts and results in .pkgcheck_cache/ at the project root, as "
            "the pkgcheck command does (projects with a root marker only; default: off).",
        )

    @classmethod
    def parse_options(cls, options: "argparse.Namespace") -> None:
        extend = _codes(getattr(options, "pkgcheck_extend_select", None))
        bad = [code for code in extend if not _EXACT_CODE.match(code) and code != ALL]
        if bad:
            _fail(
                "--pkgcheck-extend-select takes exact codes such as SHP202, or ALL; "
                f"not {', '.join(bad)}"
            )
        if any(code != ALL for code in extend):
            # Only users who configured pkgcheck pay for importing the rules here.
            from rules import load_all

            unknown = [code for code in extend if code not in load_all() and code != ALL]
            if unknown:
                _fail(f"--pkgcheck-extend-select names unknown pkgcheck rules: {', '.join(unknown)}")
        steamship = getattr(options, "pkgcheck_steamship_path", None) or None
        if steamship is not None and not _holds_steamship(steamship):
            _fail(
                f"--pkgcheck-steamship-path {steamship}: no steamship package there "
                "(expected a site-packages directory or the steamship package directory)"
            )
        version = getattr(options, "pkgcheck_steamship_version", None) or None
        if version is not None:
            from linter.sdk.catalogue import load_bundle
            from linter.sdk.releases import ReleaseError, choose_release

            try:
                choose_release(load_bundle(), None, version)
            except ReleaseError as error:
                _fail(f"--pkgcheck-steamship-version: {error}")
        cls.extend_select = tuple(extend)
        cls.flake8_select = tuple(
            _codes(getattr(options, "select", None)) + _codes(getattr(options, "extend_select", None))
        )
        cls.flake8_select_given = getattr(options, "select", None) is not None
        cls.steamship_path = steamship
        cls.steamship_version = version
        cls.cache = bool(getattr(options, "pkgcheck_cache", False))
        cls.verbose = _flake8_verbosity()
        cls._enabled = None
        cls._prepare(options)

    @classmethod
    def _prepare(cls, options: "argparse.Namespace") -> None:
        """Analyse the projects of the files flake8 is about to check, here in its main process.

        flake8 calls ``parse_options`` before it forks its workers: what the engine memoises
        now, they inherit, so a project is analysed once (on the engine's own process pool,
        which a daemonic flake8 worker cannot start) instead of once by each worker. It is the
        analysis each worker would make (:func:`linter.run.engine.prepare`), so the findings do not
        change. This is only a head start: when anything here fails, nothing is memoised for
        that project and the workers analyse it themselves, reporting any error as usual.
        """
        try:
            if not _main_process_of_flake8_command(options):
                return
            if not cls.selectable("SHP"):
                return
            # Only the projects of files that mention Steamship: the others are answered from
            # their text (and their imports') alone, by the workers, in parallel.
            files = [path for path in _flake8_files(options) if _mentions_steamship(path)]
            if not files or not cls.enabled_codes():
                return
            from linter.run.engine import prepare, project_anchors

            anchors = list(project_anchors(files).values())
        except Exception:
            _log_failed_head_start()
            return
        for anchor in anchors:
            try:
                analysis = prepare(
                    anchor,
                    cls.enabled_codes(),
                    steamship_path=cls._steamship(),
                    cache=cls.cache,
                    steamship_version=cls.steamship_version,
                )
                for notice in analysis.notices:  # once, rather than once by each worker
                    cls._say(f"pkgcheck: {notice}")
            except Exception:
                _log_failed_head_start()
        # What was analysed lives as long as the process, and flake8 forks its workers next:
        # frozen, the collector of each worker (flake8's default thresholds: a full collection
        # every few thousand of its ASTs' allocations) no longer traverses it, nor copies the
        # pages it lies in by touching them. On steamship's own source flake8 with the plugin
        # took 1.33-1.38x flake8 alone without this, 1.16x with it.
        import gc

        gc.freeze()

    @classmethod
    def selectable(cls, code: str) -> bool:
        """Whether flake8's selection can show ``code`` (or, for a prefix, some code under it).

        Rules whose findings flake8 would drop are not run: ``flake8 --select E,F`` with pkgcheck
        installed costs nothing, and ``--select SHP4`` runs only the SHP4xx rules.
        """
        if not cls.flake8_select_given:
            return True
        return any(code.startswith(entry) or entry.startswith(code) for entry in cls.flake8_select)

    @classmethod
    def enabled_codes(cls) -> FrozenSet[str]:
        """Default rules, plus opt-in rules named exactly, that flake8's selection can show;
        never the CLI-only ones (SHP001)."""
        if cls._enabled is None:
            from rules import load_all

            registry = load_all()
            chosen = set(cls.extend_select) | set(cls.flake8_select)
            everything = ALL in cls.extend_select
            cls._enabled = frozenset(
                code
                for code, rule in registry.items()
                if rule.only != "cli"
                and (not rule.opt_in or everything or code in chosen)
                and cls.selectable(code)
            )
        return cls._enabled

    # -- checking ------------------------------------------------------------------------------

    def run(self) -> Iterator[Result]:
        try:
            results = self._check()
        except Exception as error:  # see the module docstring: never crash flake8, never go quiet
            try:
                results = [self._internal(_crash_message(error), _traceback())]
            except Exception:  # reporting the crash failed too: still say something
                message = f"{INTERNAL_ERROR} internal error in pkgcheck; this file was not checked"
                results = [(1, 0, message, type(self))]
        yield from results

    def _check(self) -> List[Result]:
        if not self.selectable("SHP"):
            return []
        path = os.path.abspath(self.filename)
        if not self._may_hold_findings(path) or not self.enabled_codes():
            return []
        from linter.run.engine import check_source, root_of_file

        source, same = self._source(path)
        # The analysis is of the whole project: when it crashed for one file it crashes for the
        # next, so later files of that project report it at once instead of re-running it.
        project_key = str(root_of_file(Path(path))) if same else None
        if project_key is not None and project_key in self._project_crashes:
            return [self._internal(self._project_crashes[project_key], "")]
        try:
            # Named after flake8's filename ("stdin" or --stdin-display-name for ``flake8 -``),
            # relative to the working directory as the engine resolves it.
            violations, analysis = check_source(
                Path(path),
                source,
                self.enabled_codes(),
                steamship_path=self._steamship(),
                cache=self.cache,
                steamship_version=self.steamship_version,
            )
        except Exception as error:
            message = _crash_message(error)
            if project_key is not None:
                self._project_crashes[project_key] = message
            return [self._internal(message, _traceback())]
        for notice in analysis.notices:
            self._say(f"pkgcheck: {notice}")
        results = [self._internal(message, trace) for message, trace in self._incomplete(analysis, path)]
        enabled = self.enabled_codes()
        results.extend(self._result(v) for v in violations if v.code in enabled)
        return results

    def _may_hold_findings(self, path: str) -> bool:
        """Whether rules may find anything in this file (flake8's text and tree of it), as
        :meth:`linter.project.marks.Concerns.may_hold_findings` decides: from its text and
        the project modules its classes' bases and decorators are imported from. When they
        cannot, the engine, LibCST and the catalogue are not loaded for it, nor is its project
        walked."""
        from linter.project.marks import Concerns

        try:
            if Plugin._concerns is None:
                Plugin._concerns = Concerns()
            data = None if self.lines is None else "".join(self.lines).encode("utf-8", "surrogatepass")
            tree = self.tree if self.lines is not None else None
            return Plugin._concerns.may_hold_findings(Path(path), data, tree)
        except Exception:  # let the engine look, and report whatever is wrong
            return True

    @classmethod
    def _steamship(cls) -> Optional[Path]:
        return Path(cls.steamship_path) if cls.steamship_path else None

    def _source(self, path: str) -> Tuple[str, bool]:
        """The text to check, and whether it is the file's text on disk."""
        from linter.run.engine import universal_newlines
        from linter.source.parse import decode_source

        try:
            with open(path, "rb") as handle:
                disk: Optional[str] = decode_source(handle.read())
        except Exception:  # stdin's "stdin", an undecodable file flake8 read as latin-1, ...
            disk = None
        if self.lines is None:  # not called by flake8: check the file as it is on disk
            if disk is None:
                raise OSError(f"cannot read {self.filename}")
            return disk, True
        source = "".join(self.lines)
        if disk is None:
            return source, False
        # flake8 reads with universal newlines: CRLF on disk is the same text (the engine agrees)
        return source, source == universal_newlines(disk)

    def _incomplete(self, analysis: "Analysis", path: str) -> Iterator[Tuple[str, str]]:
        """(message, traceback) for each reason this file's findings may be incomplete."""
        tracebacks = getattr(analysis.project, "internal_tracebacks", {})
        for failure in analysis.failures:
            if failure.path == path:
                # flake8's ast parsed this file (or it would not have called us), so any failure
                # here is pkgcheck's: its parser lags Python's, or a bug.
                yield (
                    "pkgcheck could not analyse this file, which Python parses "
                    f"({failure.message}); its findings are missing, please report it at {_issues()}",
                    tracebacks.get(Path(failure.path), ""),
                )
        if any(str(p) == path for p in analysis.analysed):
            for code, message, trace in analysis.internal_errors:
                yield f"{message}; {code} findings for this file may be missing", trace

    def _internal(self, message: str, trace: str) -> Result:
        """An SHP000 result, and the same sentence once per process on stderr."""
        message = " ".join(message.split())
        hint = " (run flake8 with -v for the traceback)" if trace and not self.verbose else ""
        if self._say(f"pkgcheck: {self.filename}: {message}{hint}", key=message) and self.verbose and trace:
            self._say(trace.rstrip("\n"), key=None)
        return (1, 0, f"{INTERNAL_ERROR} {message}", type(self))

    @classmethod
    def _say(cls, line: str, key: Optional[str] = "") -> bool:
        """Write ``line`` to stderr unless ``key`` (default: the line) was said before."""
        if key is not None:
            key = key or line
            if key in cls._reported:
                return False
            cls._reported.add(key)
        try:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        except Exception:
            pass
        return True

    def _result(self, violation: "Violation") -> Result:
        message = " ".join(violation.message.split())
        return (max(violation.line, 1), max(violation.column - 1, 0), f"{violation.code} {message}", type(self))


def _codes(value: object) -> List[str]:
    """Codes from an option value: flake8 gives a list (or None); tolerate a string."""
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    return [str(item).strip() for item in items if str(item).strip()]


def _mentions_steamship(path: Path) -> bool:
    """Whether the file's own text mentions steamship or invoke_later (or cannot be read)."""
    from linter.project.marks import has_mark

    try:
        with open(path, "rb") as handle:
            return has_mark(handle.read())
    except OSError:
        return True


def _holds_steamship(directory: str) -> bool:
    base = Path(directory)
    return any(
        (candidate / "invocable" / "invocable.py").is_file()
        for candidate in (base, base / "steamship")
    )


def _fail(message: str) -> None:
    # flake8 prints an ExecutionError as one line and exits 1 (no traceback).
    from flake8.exceptions import ExecutionError

    raise ExecutionError(f"pkgcheck: {message}")


def _crash_message(error: BaseException) -> str:
    try:
        cause = f"{type(error).__name__}: {error}"
    except Exception:  # an exception whose str() fails
        cause = type(error).__name__
    return f"internal error in pkgcheck ({cause}); this file was not checked, please report it at {_issues()}"


def _traceback() -> str:
    import traceback

    return traceback.format_exc()


def _issues() -> str:
    try:
        from linter.frontends.reporters import ISSUES_URL

        return ISSUES_URL
    except Exception:  # the report must not fail because the reporters module did
        return "pkgcheck's issue tracker"


def _main_process_of_flake8_command(options: "argparse.Namespace") -> bool:
    """Whether a head start (:meth:`Plugin._prepare`) pays off here: flake8's command (not its
    legacy API, which parses options before it is told what to check), in the main process
    (not a worker that parses them again), before workers that inherit its memory by forking."""
    import multiprocessing

    if getattr(options, "bug_report", False):
        return False  # flake8 prints its report and exits
    if multiprocessing.current_process().daemon:
        return False  # a worker of flake8's pool, started with spawn or forkserver
    method = multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]
    if method != "fork":
        # The workers would not inherit it; a serial run analyses in this process on its first
        # file anyway, at the same cost.
        return False
    # flake8's Application.initialize parses the options of the ``flake8`` command (directly or
    # through flake8.main.cli.main); flake8.api.legacy.get_style_guide parses them with no
    # paths and names the files to check later, so a head start there would analyse whatever
    # project the working directory is in, for nothing.
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "initialize" and frame.f_globals.get("__name__") == "flake8.main.application":
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _flake8_files(options: "argparse.Namespace") -> List[Path]:
    """The files flake8 is going to check (as its checker manager will list them), without
    stdin's ``-``: stdin is read once, by flake8, and differs from any file anyway."""
    from flake8.discover_files import expand_paths

    names = expand_paths(
        paths=options.filenames,
        stdin_display_name=options.stdin_display_name,
        filename_patterns=options.filename,
        exclude=(*options.exclude, *options.extend_exclude),
    )
    return [Path(name) for name in names if name != "-"]


def _log_failed_head_start() -> None:
    """Say at ``flake8 -vv`` why the main process did not analyse a project (its workers will,
    and will report anything that fails there the usual way)."""
    import logging

    logging.getLogger("flake8").debug(
        "pkgcheck: no analysis before the workers start; each analyses its projects", exc_info=True
    )


def _flake8_verbosity() -> int:
    """How many ``-v`` flake8 got: its preliminary parser keeps ``verbose`` out of the options
    plugins see, but it configures the ``flake8`` logger from it."""
    import logging

    logger = logging.getLogger("flake8")
    if not logger.handlers:
        return 0
    return 2 if logger.isEnabledFor(logging.DEBUG) else 1 if logger.isEnabledFor(logging.INFO) else 0
