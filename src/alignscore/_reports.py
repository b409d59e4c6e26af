"""Writing reports to disk: safe file names, one report per firm, an index, atomic writes.

Rendering is :mod:`alignscore._render` (pure, text in memory); this module only decides where
the text goes. Every file lands strictly inside the chosen directory, whatever the firm is
called, and is written atomically (an interrupted run leaves no partial file).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from ._render import FORMATS, render, render_index
from ._result import ScoreResult
from ._write import atomic_write_text
from .exceptions import OutputError

__all__ = ["MAX_SLUG_LENGTH", "safe_slug", "unique_slugs", "write_reports", "write_text"]

#: Longest file-name stem, in characters (and never more than 200 bytes of UTF-8).
MAX_SLUG_LENGTH = 80
_MAX_SLUG_BYTES = 200

#: Names Windows reserves for devices, whatever the extension.
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in range(10)]
    + [f"LPT{i}" for i in range(10)]
    + ["COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"]
)

_EXTENSIONS = {"html": "html", "md": "md", "json": "json"}


def _keep(ch: str) -> bool:
    # letters and digits of any script, and the combining marks some scripts write with
    return unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) in ("Mn", "Mc")


def _cap(slug: str, chars: int) -> str:
    slug = slug[:chars]
    while len(slug.encode("utf-8")) > _MAX_SLUG_BYTES:
        slug = slug[:-1]
    return slug.strip("-.")


def safe_slug(name: str) -> str:
    """A safe, readable file-name stem for a firm name.

    NFKC-normalised; letters and digits of every script are kept (``"华为"`` stays ``"华为"``),
    every other run of characters (separators, dots, spaces, control characters, the characters
    Windows forbids) becomes one ``-``; no leading or trailing ``-`` or ``.``; at most
    :data:`MAX_SLUG_LENGTH` characters; ``"firm"`` when nothing is left.

    >>> safe_slug("../../etc/passwd")
    'etc-passwd'
    >>> safe_slug("华为技术有限公司")
    '华为技术有限公司'
    >>> safe_slug("A<B>:C|D?*")
    'A-B-C-D'
    """
    text = unicodedata.normalize("NFKC", str(name))
    slug = "".join(ch if _keep(ch) else "-" for ch in text)
    slug = re.sub(r"-{2,}", "-", slug).strip("-.")
    # a combining mark cannot start a name on its own
    while slug and unicodedata.category(slug[0]) in ("Mn", "Mc"):
        slug = slug[1:].lstrip("-")
    slug = _cap(slug, MAX_SLUG_LENGTH)
    if not slug:
        return "firm"
    if slug.upper() in _WINDOWS_RESERVED:
        slug += "-firm"
    return slug


def unique_slugs(names: Iterable[str], reserved: Iterable[str] = ()) -> list[str]:
    """One :func:`safe_slug` per name, unique within the run ignoring case (``-2``, ``-3``...).

    ``reserved`` stems are never handed out (``"index"`` for an HTML run).
    """
    taken = {r.casefold() for r in reserved}
    out = []
    for name in names:
        base = safe_slug(name)
        slug, k = base, 1
        while slug.casefold() in taken:
            k += 1
            suffix = f"-{k}"
            slug = _cap(base, MAX_SLUG_LENGTH - len(suffix)) + suffix
        taken.add(slug.casefold())
        out.append(slug)
    return out


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_text(path, text)


def _inside(root: Path, stem: str, ext: str) -> Path:
    path = root / f"{stem}.{ext}"
    if path.resolve().parent != root:
        raise OutputError(path, f"would be written outside {root}; refusing")
    return path


def write_reports(
    results: Iterable[ScoreResult],
    directory: str | Path,
    fmt: str = "html",
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write one report per firm into ``directory`` (created if needed); return the paths.

    Files are named ``<slug>.<html|md|json>`` after the firm (see :func:`safe_slug` and
    :func:`unique_slugs`); for ``fmt="html"`` an ``index.html`` linking to every report is
    written last. ``progress(1)`` is called after each file written.
    """
    if fmt not in FORMATS:
        raise ValueError(
            "The 'fmt' parameter of write_reports must be one of 'json', 'md', 'html'. "
            f"Got {fmt!r} instead."
        )
    results = list(results)
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise OutputError(directory, "exists and is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            directory, f"cannot create the directory ({exc.strerror or exc})"
        ) from None
    root = directory.resolve()
    ext = _EXTENSIONS[fmt]
    slugs = unique_slugs((r.name for r in results), reserved=("index",) if fmt == "html" else ())
    written: list[Path] = []
    for result, slug in zip(results, slugs, strict=True):
        path = _inside(root, slug, ext)
        write_text(path, render(result, fmt))
        written.append(path)
        if progress is not None:
            progress(1)
    if fmt == "html":
        index = _inside(root, "index", "html")
        write_text(index, render_index(results, [p.name for p in written]))
        written.append(index)
        if progress is not None:
            progress(1)
    return written
