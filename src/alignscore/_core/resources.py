"""Where the bundled evidence, rules, default model and labelled data live.

In a wheel they are packaged under ``alignscore/_bundled/``; in a source checkout (an editable
install, or running the tests) they are the repository's top-level ``seeds/``, ``rules/``,
``models/`` and ``data/`` folders.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled"]

_PACKAGE = Path(__file__).resolve().parent.parent  # alignscore/
_REPO = _PACKAGE.parent.parent


def bundled(*parts: str) -> Path:
    """The path of a bundled resource, e.g. ``bundled("rules")``."""
    packaged = _PACKAGE.joinpath("_bundled", *parts)
    if packaged.exists():
        return packaged
    return _REPO.joinpath(*parts)
