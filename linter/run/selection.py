"""Which rule codes a run enables: ``select`` / ``extend-select`` / ``ignore`` resolution.

Selectors are code prefixes, as in flake8 and ruff: ``SHP3`` names every ``SHP3xx`` code,
``SHP`` every code, and ``ALL`` every code including the opt-in ones. Settings come in layers
(the configuration file, then the command line); each layer is resolved on top of the previous
one, so ``--ignore`` on the command line adds to the file's ``ignore``, while ``--select``
starts afresh.

Within a layer the most specific selector decides a code (``--select SHP308 --ignore SHP3``
keeps SHP308); on a tie, ignoring wins. Opt-in rules are enabled only by their exact code or
``ALL``: a prefix such as ``SHP3`` never turns on a rule that its author marked opt-in, so a
newly added opt-in rule cannot start failing builds that select a whole family.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

#: The selector that names every code, opt-in rules included.
ALL = "ALL"

_SHAPE = re.compile(r"^[A-Z]+[0-9]*$")


class SelectionError(ValueError):
    """A selector that names no known code."""


@dataclass(frozen=True)
class RuleSelection:
    """One layer of code selection, as written in one place (a file, the command line).

    ``select`` is None when the layer does not set it (the previous layer's choice stands).
    """

    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()


def normalise_selector(selector: str, known: Collection[str]) -> str:
    """``selector`` in canonical (upper) case; raise :class:`SelectionError` if it names nothing."""
    text = selector.strip().upper()
    if text == ALL:
        return ALL
    if not _SHAPE.match(text) or not any(code.startswith(text) for code in known):
        raise SelectionError(f"unknown rule code or prefix {selector.strip()!r}")
    return text


def normalise_selectors(selectors: Iterable[str], known: Collection[str]) -> Tuple[str, ...]:
    return tuple(normalise_selector(selector, known) for selector in selectors if selector.strip())


def selector_matches(selector: str, code: str, opt_in: bool = False) -> bool:
    """Whether ``selector`` names ``code`` when *enabling* (opt-in codes need their exact code)."""
    if selector == ALL:
        return True
    if opt_in:
        return selector == code
    return code.startswith(selector)


def ignore_matches(selector: str, code: str) -> bool:
    """Whether ``selector`` names ``code`` when *disabling* (prefixes always count)."""
    return selector == ALL or code.startswith(selector)


def _specificity(selector: str) -> int:
    return 0 if selector == ALL else len(selector)


def resolve_codes(
    layers: Sequence[RuleSelection],
    codes: Mapping[str, bool],
) -> Set[str]:
    """The enabled codes after applying ``layers`` in order.

    ``codes`` maps every known code to whether it is opt-in. Before any layer, the enabled set is
    every code that is not opt-in.
    """
    enabled = {code for code, opt_in in codes.items() if not opt_in}
    for layer in layers:
        selecting: List[str] = list(layer.select or ()) + list(layer.extend_select)
        result: Set[str] = set()
        for code, opt_in in codes.items():
            chosen = [_specificity(s) for s in selecting if selector_matches(s, code, opt_in)]
            dropped = [_specificity(s) for s in layer.ignore if ignore_matches(s, code)]
            if chosen or dropped:
                on = bool(chosen) and (not dropped or max(chosen) > max(dropped))
            else:
                # Untouched by this layer: a layer with ``select`` starts afresh.
                on = layer.select is None and code in enabled
            if on:
                result.add(code)
        enabled = result
    return enabled
