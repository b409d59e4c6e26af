"""Shared, generic test helpers. Keep this file small: only what several test modules need."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` to a file in ``tmp_path`` and return its path.

    ``write_csv(text, encoding="utf-8", name="firms.csv")``; ``text`` may be ``bytes``, written
    as they are (for byte-order marks, mixed encodings, NUL bytes).
    """

    def _write(text: str | bytes, encoding: str = "utf-8", name: str = "firms.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return path

    return _write
