"""Generate a Steamship-heavy project for benchmarking pkgcheck: packages, mixins, helpers.

The project is deterministic for a given ``--seed`` and ``--modules``: the same arguments write
byte-identical files. Its shape follows real Steamship code (see ``shared/STEAMSHIP.md``):

- ``app/mixins/gNN/mNNN.py``: ``PackageMixin`` subclasses with ``@post``/``@get`` routes. Some
  inherit from a base mixin in another module, some add a nested mixin to the package from their
  own ``__init__`` (like steamship's ``IndexerPipelineMixin``), some schedule their own routes
  with ``self.package.invoke_later``.
- ``app/packages/gNN/pNNN.py``: ``AgentService`` / ``PackageService`` subclasses listing mixins
  in ``USED_MIXIN_CLASSES``, adding them with ``self.add_mixin`` in ``__init__`` and calling
  ``invoke_later`` on their own routes and on their mixins' routes. Imports are relative
  (``from ...mixins.g01.m012 import Mixin012``) or absolute, mixed.
- ``app/helpers/hNNN.py``: plain modules that never mention Steamship; a few import a mixin
  module (so the prefilter must follow the import graph to them), the rest import each other.
- A few deliberate bugs, each marked on its line with ``# expect: SHPnnn`` like the test
  fixtures: an ``invoke_later`` of a misspelt route, a mixin route colliding with
  ``AgentService``'s ``POST /prompt``, a mixin listed but never added, a duplicate route, an
  ``Optional[Dict[str, Any]]`` route parameter, an ``invoke_later`` with the wrong verb.

``--with-steamship DIR`` also copies steamship's own source (the ``steamship`` package
directory, e.g. an unpacked wheel) into the project as ``steamship/``.

Usage: ``python bench/generate.py OUT [--modules 520] [--seed 1] [--with-steamship DIR]``.
Only the standard library is used.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

GROUP = 10  # modules per sub-package


@dataclass
class Mixin:
    index: int
    group: int
    base: Optional[int] = None  # index of the base mixin it inherits from
    nested: Optional[int] = None  # index of the mixin it adds from its own __init__
    kind: str = "usable"  # "base", "nested" or "usable"

    @property
    def name(self) -> str:
        return f"Mixin{self.index:03d}"

    @property
    def module(self) -> str:
        return f"app.mixins.g{self.group:02d}.m{self.index:03d}"

    @property
    def routes(self) -> List[str]:
        return [f"m{self.index}_run", f"m{self.index}_status"]


@dataclass
class Package:
    index: int
    group: int
    agent: bool
    mixins: List[int] = field(default_factory=list)
    helpers: List[int] = field(default_factory=list)
    bug: Optional[str] = None


@dataclass
class Plan:
    mixins: Dict[int, Mixin]
    packages: List[Package]
    helpers: int
    helper_imports: Dict[int, List[int]]
    helper_mixin: Dict[int, int]
    files: Dict[str, str] = field(default_factory=dict)


BUGS = ("SHP401", "SHP301", "SHP303", "SHP101", "SHP204", "SHP402")


def plan(modules: int, seed: int) -> Plan:
    """Decide who imports whom; the counts add up to ``modules`` Python files."""
    rng = random.Random(seed)
    # Budget: ~40% mixins, ~20% helpers, the rest packages, plus __init__ files per group.
    n_mixins = max(6, modules * 40 // 100)
    n_helpers = max(2, modules * 18 // 100)
    inits = lambda count: (count + GROUP - 1) // GROUP  # noqa: E731
    fixed = 4  # app/, app/mixins/, app/packages/, app/helpers/ __init__.py
    n_packages = modules - n_mixins - n_helpers - fixed - inits(n_mixins)
    n_packages = max(2, n_packages - inits(n_packages))
    while n_mixins + n_helpers + n_packages + fixed + inits(n_mixins) + inits(n_packages) < modules:
        n_packages += 1

    mixins: Dict[int, Mixin] = {}
    n_base = max(1, n_mixins // 10)
    n_nested = max(1, n_mixins // 10)
    for i in range(n_mixins):
        kind = "base" if i < n_base else "nested" if i < n_base + n_nested else "usable"
        mixins[i] = Mixin(i, i // GROUP, kind=kind)
    usable = [m for m in mixins.values() if m.kind == "usable"]
    nested_pool = [m.index for m in mixins.values() if m.kind == "nested"]
    rng.shuffle(nested_pool)
    for mixin in usable:
        if rng.random() < 0.4:
            mixin.base = rng.randrange(n_base)
        if nested_pool and rng.random() < 0.3:
            mixin.nested = nested_pool.pop()  # each nested mixin has exactly one owner

    packages: List[Package] = []
    for p in range(n_packages):
        package = Package(p, p // GROUP, agent=rng.random() < 0.5)
        chosen: List[int] = []
        bases_taken = set()
        for candidate in rng.sample(usable, k=min(len(usable), 8)):
            # Two mixins with a common base share the base's routes: a real conflict. Keep the
            # unmarked part of the project clean, so the only findings are the planted ones.
            if candidate.base is not None and candidate.base in bases_taken:
                continue
            chosen.append(candidate.index)
            if candidate.base is not None:
                bases_taken.add(candidate.base)
            if len(chosen) == rng.randint(2, 4):
                break
        package.mixins = sorted(chosen[:4]) or [usable[0].index]
        package.helpers = sorted(rng.sample(range(n_helpers), k=min(2, n_helpers)))
        packages.append(package)
    # Plant about a dozen bugs, each kind in turn, spread over the packages.
    for number, package in enumerate(packages[3 :: max(1, len(packages) // 12)]):
        package.bug = BUGS[number % len(BUGS)]

    helper_imports = {h: sorted(rng.sample(range(h), k=min(h, 2))) for h in range(n_helpers)}
    helper_mixin = {h: usable[rng.randrange(len(usable))].index for h in range(0, n_helpers, 7)}
    return Plan(mixins, packages, n_helpers, helper_imports, helper_mixin)


def relative(from_module: str, to_module: str) -> str:
    """``from <relative> import`` text that names ``to_module`` from inside ``from_module``."""
    here = from_module.split(".")[:-1]  # the package holding the importing module
    there = to_module.split(".")
    common = 0
    while common < min(len(here), len(there)) and here[common] == there[common]:
        common += 1
    dots = "." * (len(here) - common + 1)
    return dots + ".".join(there[common:])


def import_line(rng: random.Random, importer: str, module: str, name: str) -> str:
    if rng.random() < 0.5:
        return f"from {relative(importer, module)} import {name}"
    return f"from {module} import {name}"


def render_mixin(mixin: Mixin, plan_: Plan, rng: random.Random) -> str:
    lines = [
        f'"""Mixin {mixin.index}: generated by bench/generate.py."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any, Dict, List",
        "",
        "from steamship import Task",
        "from steamship.invocable import PackageService, get, post",
    ]
    if mixin.base is None:
        lines.append("from steamship.invocable.package_mixin import PackageMixin")
        parent = "PackageMixin"
    else:
        base = plan_.mixins[mixin.base]
        lines.append(import_line(rng, mixin.module, base.module, base.name))
        parent = base.name
    if mixin.nested is not None:
        nested = plan_.mixins[mixin.nested]
        lines.append(import_line(rng, mixin.module, nested.module, nested.name))
    lines += [
        "",
        "",
        f"class {mixin.name}({parent}):",
        f'    """Routes of feature {mixin.index}."""',
        "",
    ]
    if mixin.kind == "base":
        lines += [
            "    def __init__(self, package: PackageService, limit: int = 10):",
            "        self.package = package",
            "        self.limit = limit",
            "",
            "    def summarise(self, items: List[str]) -> str:",
            '        return ", ".join(items[: self.limit])',
            "",
            f'    @get("{mixin.routes[1]}")',
            "    def base_status(self) -> Dict[str, Any]:",
            f'        return {{"feature": {mixin.index}, "limit": self.limit}}',
        ]
        return "\n".join(lines) + "\n"
    if mixin.base is None:
        lines += [
            "    def __init__(self, package: PackageService, limit: int = 10):",
            "        self.package = package",
            "        self.limit = limit",
        ]
    else:
        lines += [
            "    def __init__(self, package: PackageService, limit: int = 10):",
            "        super().__init__(package, limit)",
        ]
    if mixin.nested is not None:
        nested = plan_.mixins[mixin.nested]
        lines.append(f"        self.package.add_mixin({nested.name}(package))")
    run, status = mixin.routes
    lines += [
        "",
        f'    @post("{run}")',
        f"    def run_{mixin.index}(self, text: str, count: int = 1) -> List[str]:",
        f'        """Run feature {mixin.index} on ``text``."""',
        "        return [text] * min(count, self.limit)",
        "",
        f'    @post("{run}_later")',
        f"    def run_{mixin.index}_later(self, text: str) -> Task:",
        f'        return self.package.invoke_later("{run}", arguments={{"text": text, "count": 2}})',  # noqa: E501
        "",
        f'    @get("{status}")',
        f"    def status_{mixin.index}(self) -> Dict[str, Any]:",
        f'        return {{"feature": {mixin.index}, "ok": True}}',
    ]
    for extra in range(rng.randint(0, 3)):
        lines += [
            "",
            f"    def _helper_{extra}(self, values: List[int]) -> int:",
            "        total = 0",
            "        for value in values:",
            f"            total += value * {extra + 1}",
            "        return total",
        ]
    return "\n".join(lines) + "\n"


def render_package(package: Package, plan_: Plan, rng: random.Random) -> str:
    module = f"app.packages.g{package.group:02d}.p{package.index:03d}"
    bug = package.bug
    lines = [f'"""Package {package.index}: generated by bench/generate.py."""', ""]
    if bug != "SHP204":  # the postponed annotation would be a string: no problem at runtime
        lines += ["from __future__ import annotations", ""]
    lines += ["from typing import Any, Dict, List, Optional", ""]
    if package.agent:
        lines.append("from steamship.agents.service.agent_service import AgentService")
        parent = "AgentService"
    else:
        lines.append("from steamship.invocable import PackageService")
        parent = "PackageService"
    lines += ["from steamship.invocable import get, post", "from steamship.utils.url import Verb"]
    mixins = [plan_.mixins[i] for i in package.mixins]
    for mixin in mixins:
        lines.append(import_line(rng, module, mixin.module, mixin.name))
    for helper in package.helpers:
        lines.append(import_line(rng, module, f"app.helpers.h{helper:03d}", f"helper_{helper}"))
    listed = ", ".join(m.name for m in mixins)
    lines += [
        "",
        "",
        f"class Package{package.index:03d}({parent}):",
        f'    """Service {package.index}."""',
        "",
    ]
    if bug == "SHP301":
        # A mixin whose route collides with AgentService's POST /prompt, or with the package's
        # own POST /answer when the package is a plain PackageService.
        path = "prompt" if package.agent else "answer"
        lines[-5:-5] = [
            "from steamship.invocable.package_mixin import PackageMixin",
            "",
            "",
            "class PromptMixin(PackageMixin):",
            f'    @post("{path}")',
            "    def canned(self, prompt: str) -> str:",
            "        return prompt",
        ]
        listed += ", PromptMixin"
        lines += [f"    USED_MIXIN_CLASSES = [{listed}]  # expect: SHP301", ""]
    else:
        lines += [f"    USED_MIXIN_CLASSES = [{listed}]", ""]
    lines += ["    def __init__(self, **kwargs):", "        super().__init__(**kwargs)"]
    for number, mixin in enumerate(mixins):
        if bug == "SHP303" and number == 0:
            continue  # listed, never added
        lines.append(f"        self.add_mixin({mixin.name}(self, limit={number + 3}))")
    if bug == "SHP303":
        lines[lines.index(f"    USED_MIXIN_CLASSES = [{listed}]")] += "  # expect: SHP303"
    if bug == "SHP301":
        # The class cannot even be defined, so only that is reported (not this line too).
        lines.append("        self.add_mixin(PromptMixin())")
    first = mixins[0]
    lines += [
        "",
        '    @post("answer")',
        "    def answer(self, question: str, context: Optional[str] = None) -> str:",
        f"        return helper_{package.helpers[0]}(question) if package_ready() else question",
        "",
        '    @get("health")',
        "    def health(self) -> Dict[str, Any]:",
        f'        return {{"package": {package.index}, "mixins": {len(mixins)}}}',
        "",
        '    @post("schedule")',
        "    def schedule(self, question: str) -> str:",
        '        self.invoke_later("answer", arguments={"question": question})',
        f'        self.invoke_later("{first.routes[0]}", arguments={{"text": question}})',
        f'        self.invoke_later("{first.routes[1]}", verb=Verb.GET)',
    ]
    if bug == "SHP401":
        lines.append(
            '        self.invoke_later("anwser", arguments={"question": question})  # expect: SHP401'  # noqa: E501
        )
    if bug == "SHP402":
        lines.append('        self.invoke_later("health", arguments={})  # expect: SHP402')
    lines.append("        return question")
    if bug == "SHP101":
        lines += [
            "",
            '    @get("/health")  # expect: SHP101',
            "    def health_again(self) -> Dict[str, Any]:",
            "        return {}",
        ]
    if bug == "SHP204":
        lines += [
            "",
            '    @post("configure")',
            "    def configure(self, options: Optional[Dict[str, Any]] = None) -> str:"
            "  # expect: SHP204",
            '        return str(options or "")',
        ]
    lines += [
        "",
        '    @post("batch")',
        "    def batch(self, questions: List[str]) -> List[str]:",
        "        return [self.answer(question) for question in questions]",
        "",
        "",
        "def package_ready() -> bool:",
        "    return True",
    ]
    return "\n".join(lines) + "\n"


def render_helper(index: int, plan_: Plan, rng: random.Random) -> str:
    module = f"app.helpers.h{index:03d}"
    lines = [f'"""Helper {index}: plain code, generated by bench/generate.py."""', ""]
    for other in plan_.helper_imports[index]:
        lines.append(import_line(rng, module, f"app.helpers.h{other:03d}", f"helper_{other}"))
    if index in plan_.helper_mixin:
        mixin = plan_.mixins[plan_.helper_mixin[index]]
        lines.append(import_line(rng, module, mixin.module, mixin.name))
    lines += ["", "", f"def helper_{index}(text: str) -> str:"]
    body = ["    result = text.strip()"]
    for other in plan_.helper_imports[index]:
        body.append(f"    result = helper_{other}(result)")
    body.append("    return result")
    lines += body
    for extra in range(rng.randint(1, 4)):
        lines += [
            "",
            "",
            f"def compute_{extra}(values: list) -> int:",
            "    total = 0",
            "    for position, value in enumerate(values):",
            f"        if position % {extra + 2} == 0:",
            "            total += value",
            "    return total",
        ]
    if index in plan_.helper_mixin:
        lines += [
            "",
            "",
            "def mixin_class() -> type:",
            f"    return {plan_.mixins[plan_.helper_mixin[index]].name}",
        ]
    return "\n".join(lines) + "\n"


def render(plan_: Plan, seed: int) -> Dict[str, str]:
    rng = random.Random(seed * 7919 + 1)
    files: Dict[str, str] = {
        "pyproject.toml": '[project]\nname = "generated-bench-project"\nversion = "0"\n'
        'dependencies = ["steamship==2.17.34"]\n',
        "app/__init__.py": '"""Generated Steamship project."""\n',
        "app/mixins/__init__.py": "",
        "app/packages/__init__.py": "",
        "app/helpers/__init__.py": "",
    }
    for mixin in plan_.mixins.values():
        files.setdefault(f"app/mixins/g{mixin.group:02d}/__init__.py", "")
        files[f"app/mixins/g{mixin.group:02d}/m{mixin.index:03d}.py"] = render_mixin(
            mixin, plan_, rng
        )
    for package in plan_.packages:
        files.setdefault(f"app/packages/g{package.group:02d}/__init__.py", "")
        files[f"app/packages/g{package.group:02d}/p{package.index:03d}.py"] = render_package(
            package, plan_, rng
        )
    for helper in range(plan_.helpers):
        files[f"app/helpers/h{helper:03d}.py"] = render_helper(helper, plan_, rng)
    return files


def generate(
    out: Path, modules: int = 520, seed: int = 1, steamship: Optional[Path] = None
) -> Dict[str, int]:
    """Write the project under ``out`` (created; must be empty or absent). Returns counts."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not empty")
    files = render(plan(modules, seed), seed)
    for relative_path, text in sorted(files.items()):
        target = out / relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    copied = 0
    if steamship is not None:
        source = Path(steamship)
        if (source / "steamship").is_dir():
            source = source / "steamship"
        shutil.copytree(
            source, out / "steamship", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        copied = sum(1 for _ in (out / "steamship").rglob("*.py"))
    python = sum(1 for name in files if name.endswith(".py"))
    expected = sum(text.count("# expect: ") for text in files.values())
    return {"generated_modules": python, "steamship_modules": copied, "planted_bugs": expected}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to create")
    parser.add_argument(
        "--modules", type=int, default=520, help="Python modules to generate (default 520)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--with-steamship",
        type=Path,
        default=None,
        metavar="DIR",
        help="copy this steamship package (or the directory holding it) in as steamship/",
    )
    args = parser.parse_args(argv)
    counts = generate(args.out, args.modules, args.seed, args.with_steamship)
    print(", ".join(f"{key}={value}" for key, value in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
