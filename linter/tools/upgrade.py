"""What moving a project to another steamship release would break: ``pkgcheck upgrade``.

Each project is checked twice, with the code of the release it uses now (the installed steamship,
else the catalogue of the release its requirements choose) and with the catalogue of the target
release, and its package specs are built under both. Findings are matched by where they are in
the project's own code (file, line, column, code: the other place a message names may move
between releases); spec changes are :mod:`linter.tools.diff`'s, breaking or compatible.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from linter.run.checker import Violation
from linter.run.engine import DEFAULT_EXCLUDES, check_group, group_by_project, project_specs
from linter.project.files import iter_python_files
from linter.sdk.catalogue import load_bundle
from linter.sdk.locate import SteamshipSource, locate_steamship
from linter.sdk.releases import ASKED, choose_release
from linter.tools.diff import Change, diff_specs, spec_dicts


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    code: str
    message: str

    @classmethod
    def of(cls, violation: Violation) -> "Finding":
        return cls(violation.path, violation.line, violation.column, violation.code, violation.message)

    @property
    def place(self) -> Tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)


@dataclass
class ProjectUpgrade:
    """One project's move from release ``current`` to release ``target``."""

    root: Path
    current: str
    target: str
    #: findings under ``target`` that ``current`` does not have
    new_findings: List[Finding] = field(default_factory=list)
    #: findings under ``current`` that ``target`` does not have
    gone_findings: List[Finding] = field(default_factory=list)
    spec_changes: List[Change] = field(default_factory=list)
    #: what the runs said about the releases (one not modelled, a requirement beyond them)
    notices: List[str] = field(default_factory=list)

    @property
    def breaks(self) -> bool:
        return bool(self.new_findings) or any(change.breaking for change in self.spec_changes)


def target_source(version: Optional[str]) -> SteamshipSource:
    """The catalogue of release ``version`` (the newest known when None). Raises
    :class:`~linter.sdk.releases.ReleaseError` for a release pkgcheck does not know."""
    bundle = load_bundle()
    if version is None:
        return SteamshipSource("catalogue", bundle.newest, reason="the newest release known")
    choice = choose_release(bundle, None, version)
    return SteamshipSource("catalogue", choice.version, reason=ASKED, note=choice.note)


def upgrade(
    paths: Sequence[Path],
    enabled: Iterable[str],
    target: SteamshipSource,
    excludes: Sequence[str] = DEFAULT_EXCLUDES,
) -> List[ProjectUpgrade]:
    """The upgrade of every project under ``paths`` to ``target`` (see the module docstring)."""
    absolute = [Path(os.path.abspath(p)) for p in paths]
    codes = set(enabled)
    result = []
    for group in group_by_project(absolute, list(iter_python_files(absolute, excludes))):
        now = locate_steamship(None, group.root)
        before = check_group(group, codes, excludes=excludes, steamship_source=now)
        after = check_group(group, codes, excludes=excludes, steamship_source=target)
        moved = ProjectUpgrade(group.root, str(now.version), str(target.version))
        old = {Finding.of(v).place: Finding.of(v) for v in before.violations}
        new = {Finding.of(v).place: Finding.of(v) for v in after.violations}
        moved.new_findings = [finding for place, finding in sorted(new.items()) if place not in old]
        moved.gone_findings = [finding for place, finding in sorted(old.items()) if place not in new]
        moved.spec_changes = diff_specs(_specs(group.paths, now, excludes), _specs(group.paths, target, excludes))
        moved.notices = list(dict.fromkeys([*before.notices, *after.notices]))
        result.append(moved)
    return result


def _specs(paths: List[Path], source: SteamshipSource, excludes: Sequence[str]) -> Dict[str, dict]:
    specs: Dict[str, dict] = {}
    for group in project_specs(paths, "instance", excludes=excludes, steamship_source=source):
        specs.update(spec_dicts(group.specs, group.project))
    return specs


def render(upgrades: Sequence[ProjectUpgrade], fmt: str = "text", cwd: Optional[Path] = None) -> str:
    cwd = cwd or Path.cwd()
    if fmt == "json":
        return json.dumps([_as_dict(item) for item in upgrades], indent=2) + "\n"
    lines: List[str] = []
    for item in upgrades:
        lines.append(f"{_relative(str(item.root), cwd)}: steamship {item.current} -> {item.target}")
        for finding in item.new_findings:
            lines.append(f"  new       {_show(finding, cwd)}")
        for finding in item.gone_findings:
            lines.append(f"  gone      {_show(finding, cwd)}")
        for change in item.spec_changes:
            label = "breaking" if change.breaking else "compatible"
            where = f"{change.package} {change.route}".rstrip()
            lines.append(f"  {label:<9} {where}: {change.detail}")
        if not (item.new_findings or item.gone_findings or item.spec_changes):
            lines.append("  no finding and no route changes")
    breaking = sum(1 for item in upgrades for change in item.spec_changes if change.breaking)
    new = sum(len(item.new_findings) for item in upgrades)
    lines.append(
        f"{new} new finding{'s' * (new != 1)}, {breaking} breaking spec change{'s' * (breaking != 1)}"
    )
    return "\n".join(lines) + "\n"


def _as_dict(item: ProjectUpgrade) -> dict:
    return {
        "root": str(item.root),
        "from": item.current,
        "to": item.target,
        "breaks": item.breaks,
        "new_findings": [asdict(f) for f in item.new_findings],
        "gone_findings": [asdict(f) for f in item.gone_findings],
        "spec_changes": [c.to_dict() for c in item.spec_changes],
        "notices": item.notices,
    }


def _relative(path: str, cwd: Path) -> str:
    try:
        return os.path.relpath(path, cwd)
    except ValueError:
        return path


def _show(finding: Finding, cwd: Path) -> str:
    return f"{_relative(finding.path, cwd)}:{finding.line}:{finding.column}: {finding.code} {finding.message}"
