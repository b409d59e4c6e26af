"""Matching a file's header to the contract, so that no contract column is dropped unseen.

A header cell that equals a contract column once trimmed and case-folded (``" sector"``,
``"Sector"``) is read as that column, with an :class:`~alignscore.exceptions.InputWarning`.
One that would match only after removing invisible characters (a zero-width space, a BOM in
the middle of a header) or after fixing a typo (``sectr``, ``listing_venu``) is an error with a
"did you mean", because carrying it through as an extra column would silently leave the
contract column unknown; ``extra_columns="keep"`` carries such columns through as they are.
A Tushare ``stock_basic`` header read without the Tushare adapter gets a warning naming the flag.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from typing import Literal

from alignscore._core.suggest import did_you_mean
from alignscore.exceptions import InputError, InputWarning

from .columns import COLUMNS

__all__ = ["ExtraColumns", "check_not_shadowing", "printable", "resolve_header"]

ExtraColumns = Literal["error", "keep"]
_CONTRACT = tuple(c.name for c in COLUMNS)
_TUSHARE_SHAPE = {"ts_code", "industry", "area"}
#: how close a header must be to an absent contract column to count as a misspelling of it
_CUTOFF = 0.85


def printable(name: str) -> str:
    """A header name as a message may show it: as written if every character prints, else its
    ``repr`` (so that escape sequences in a header cannot drive the user's terminal)."""
    return name if name.isprintable() else repr(name)


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cf", "Cc", "Co", "Cn") and ch not in "\t\n\r"


def _describe_invisible(text: str) -> str:
    found = dict.fromkeys(ch for ch in text if _invisible(ch))
    return ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}" for ch in found)


def resolve_header(
    names: list[str], source: str, *, extra_columns: ExtraColumns = "error", adapted: bool = False
) -> list[str]:
    """The header as the contract reads it (see the module docstring).

    ``adapted``: an input adapter (``--source tushare``) maps the columns, so only exact
    trimming and case folding apply. Raises :class:`InputError` for near misses.
    """
    if extra_columns not in ("error", "keep"):
        raise InputError(source, f"--extra-columns must be 'error' or 'keep', got {extra_columns!r}")
    out = list(names)
    taken = set(names)
    notes: list[str] = []
    misses: list[str] = []
    for i, name in enumerate(names):
        if name in _CONTRACT:
            continue
        folded = name.strip().casefold()
        if folded in _CONTRACT and folded not in taken:
            out[i] = folded
            taken.add(folded)
            notes.append(f"column {name!r} is read as {folded!r}")
            continue
        if folded in _CONTRACT and not adapted and extra_columns != "keep":  # ' sector' and 'sector'?
            misses.append(f"{name!r} is {folded!r} once trimmed and case-folded, and {folded!r} is there too;")
            continue
        if adapted or extra_columns == "keep":
            continue
        visible = "".join(ch for ch in name if not _invisible(ch))
        cleaned = re.sub(r"[\s\-]+", "_", unicodedata.normalize("NFKC", visible).strip().casefold())
        absent = [c for c in _CONTRACT if c not in taken]
        if cleaned in absent:
            why = f"has invisible characters ({_describe_invisible(name)})" if visible != name else "differs in spelling"
            misses.append(f"{name!r} {why}; did you mean {cleaned!r}?")
            continue
        # a stricter cutoff than elsewhere: here a suggestion is not a hint but an error that
        # stops the file, so only a near-certain misspelling may count as one
        hint = did_you_mean(cleaned, absent, cutoff=_CUTOFF)
        if hint:
            misses.append(f"{name!r} is not a contract column; {hint}")
    if misses:
        raise InputError(
            source,
            "header column(s) that look like contract columns but do not match: "
            + " ".join(misses)
            + " Rename them, or pass --extra-columns keep to carry them through unread.",
        )
    if notes:
        warnings.warn(
            InputWarning(f"{source}: {'; '.join(notes)} (trimmed and case-folded to the contract's name)"),
            stacklevel=2,
        )
    if not adapted and taken >= _TUSHARE_SHAPE and not (taken & {"sector", "hq_province", "listing_venue"}):
        warnings.warn(
            InputWarning(
                f"{source}: the header looks like a Tushare stock_basic list (ts_code, area, "
                "industry); pass --source tushare to read industry, area and ts_code into the "
                "contract's sector, hq_province and listing_venue"
            ),
            stacklevel=2,
        )
    return out


def check_not_shadowing(names: list[str], source: str, reserved: tuple[str, ...]) -> None:
    """Refuse input columns that an output column would silently replace (``score``, ``band``,
    ... and, with a rejects file, ``row`` and ``reason``)."""
    clash = [n for n in names if n in reserved]
    if clash:
        raise InputError(
            source,
            f"input column(s) {', '.join(map(repr, clash))} have the name of a column alignscore "
            f"writes ({', '.join(reserved)}), and would be replaced; rename or drop them "
            "(a file scored before: score the original input instead)",
        )
