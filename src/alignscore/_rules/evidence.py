"""The seed articles, and finding a quote in them.

Quotes are compared after normalising both sides: whitespace runs become one space; every kind
of quote mark is the same mark; dashes are ``-``. One seed (``004_...``) lost bytes when it was
mis-decoded, leaving ``â`` where a curly quote or dash stood: :func:`repair` restores what can be
restored before the comparison. The seed files themselves are never changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alignscore._core.safe_read import read_regular_text

__all__ = ["MAX_SEED_BYTES", "Seeds", "normalise", "repair"]

#: Largest seed article read, in bytes.
MAX_SEED_BYTES = 8 << 20

_QUOTES = str.maketrans({c: "'" for c in "‘’‚‛“”„‟\"'`´′″"})
_DASHES = str.maketrans({c: "-" for c in "—–‒―−"})


def repair(text: str) -> str:
    """Undo the lossy mis-decoding seen in a seed: ``â"`` was an em dash, ``â¦`` an ellipsis,
    and any other ``â`` (followed by a letter, space or quote) a curly quote mark."""
    text = text.replace('â"', "—").replace("â¦", "…")
    return re.sub(r"â(?=[\w\s'\"“”‘’.,;:!?)]|$)", "'", text)


def normalise(text: str) -> str:
    """The form in which quotes are compared."""
    text = repair(text).translate(_QUOTES).translate(_DASHES).replace("…", "...")
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Seeds:
    """The seed articles in a directory, by file name."""

    directory: Path

    def names(self) -> list[str]:
        return sorted(p.name for p in self.directory.glob("*.txt"))

    def text(self, name: str) -> str:
        return _read(self.directory / name)

    def normalised(self, name: str) -> str:
        return _normalised(self.directory / name)

    def contains(self, name: str, quote: str) -> bool:
        """Whether ``quote`` stands in seed ``name`` (after normalisation)."""
        return normalise(quote) in self.normalised(name)

    def locate(self, name: str, quote: str) -> int:
        """Character offset of the quote in the normalised seed (-1 if absent)."""
        return self.normalised(name).find(normalise(quote))


@cache
def _read(path: Path) -> str:
    return read_regular_text(path, MAX_SEED_BYTES, "seed articles")


@cache
def _normalised(path: Path) -> str:
    return normalise(_read(path))
