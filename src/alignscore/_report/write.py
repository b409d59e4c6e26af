"""Writing reports to disk: safe file names, one report per firm, an index, atomic writes.

Rendering is :mod:`alignscore._report.render` (pure, text in memory); this module only decides where
the text goes. Reports are streamed: each is written as soon as it is rendered, and only a small
summary per firm is kept for the index, so memory does not grow with the number of firms
beyond that. Every file lands strictly inside the chosen directory, whatever the firm is
called, and is written atomically (an interrupted run leaves no partial file). The directory is
one alignscore owns (new, empty, or marked by its manifest, which lists what was written):
nothing alignscore did not write is ever replaced.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from alignscore._core.atomic_write import atomic_write_text
from alignscore._scoring.result import Reason, RiskFlag, ScoreResult
from alignscore.exceptions import OutputError, ReportsInterrupted

from .render import FORMATS, render, render_index

__all__ = [
    "MANIFEST",
    "MAX_SLUG_LENGTH",
    "ReportSummary",
    "safe_slug",
    "unique_slugs",
    "write_reports",
    "write_text",
]

#: The file that marks a folder as alignscore's and lists what the last run wrote into it.
MANIFEST = "alignscore-reports.json"
_TOOL = "alignscore report"

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


class _Slugs:
    """Hands out :func:`safe_slug` stems one at a time, unique ignoring case (``-2``, ``-3``...)."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.taken = {r.casefold() for r in reserved}

    def next(self, name: str) -> str:
        base = safe_slug(name)
        slug, k = base, 1
        while slug.casefold() in self.taken:
            k += 1
            suffix = f"-{k}"
            slug = _cap(base, MAX_SLUG_LENGTH - len(suffix)) + suffix
        self.taken.add(slug.casefold())
        return slug


def unique_slugs(names: Iterable[str], reserved: Iterable[str] = ()) -> list[str]:
    """One :func:`safe_slug` per name, unique within the run ignoring case (``-2``, ``-3``...).

    ``reserved`` stems are never handed out (``"index"`` for an HTML run).
    """
    slugs = _Slugs(reserved)
    return [slugs.next(name) for name in names]


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_text(path, text)


def _inside(root: Path, stem: str, ext: str) -> Path:
    path = root / f"{stem}.{ext}"
    if path.resolve().parent != root:
        raise OutputError(path, f"would be written outside {root}; refusing")
    return path


@dataclass(frozen=True)
class _Methodology:
    as_of: str
    alignscore_version: str


@dataclass(frozen=True)
class ReportSummary:
    """What the index shows of one firm: kept for every firm while its full result is not.

    It has the attributes :func:`~alignscore._report.render.render_index` reads of a result.
    """

    name: str
    row: int | str
    score: float
    score_low: float
    score_high: float
    interval: float
    band: str
    rated: bool
    coverage: float
    reasons: list[Reason]
    risk_flags: list[RiskFlag]
    methodology: _Methodology

    @classmethod
    def of(cls, result: ScoreResult) -> ReportSummary:
        m = result.methodology
        return cls(
            result.name, result.row, result.score, result.score_low, result.score_high,
            result.interval, result.band, result.rated, result.coverage, list(result.reasons),
            list(result.risk_flags), _Methodology(m.as_of, m.alignscore_version),
        )  # fmt: skip


class _Folder:
    """The output folder: claimed (new, empty, or one of our own report folders) and its
    manifest kept true to what is in it."""

    def __init__(self, directory: Path, fmt: str) -> None:
        self.directory = directory
        self.fmt = fmt
        if directory.exists() and not directory.is_dir():
            raise OutputError(directory, "exists and is not a directory")
        previous = self._previous_files() if directory.is_dir() else []
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                directory, f"cannot create the directory ({exc.strerror or exc})"
            ) from None
        self.root = directory.resolve()
        for name in previous:  # the previous run's files go: what is left is this run's
            path = self.root / name
            if path.parent == self.root and (path.is_symlink() or path.is_file()):
                path.unlink()
        self.manifest = self.root / MANIFEST
        self.files: list[str] = []
        self.pending: str | None = None  # the file being written, until it is listed
        self.write_manifest("writing")

    def _previous_files(self) -> list[str]:
        entries = [p.name for p in self.directory.iterdir()]
        if not entries:
            return []
        if MANIFEST not in entries:
            raise OutputError(
                self.directory,
                f"is not empty and is not an alignscore report folder (no {MANIFEST}); "
                "refusing to write among files alignscore does not own: choose a new or "
                "empty folder",
            )
        try:
            data = json.loads((self.directory / MANIFEST).read_text(encoding="utf-8"))
            files = data["files"] if data.get("tool") == _TOOL else None
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            files = None
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise OutputError(
                self.directory / MANIFEST,
                "is not a manifest alignscore wrote; refusing to write into this folder: "
                "choose a new or empty folder",
            )
        return [f for f in files if "/" not in f and "\\" not in f and f not in ("", ".", "..")]

    def taken(self) -> set[str]:
        """Stems that are not ours to write: whatever else is in the folder, and our own."""
        stems = {p.stem for p in self.root.iterdir()}
        return stems | {"alignscore-reports"} | ({"index"} if self.fmt == "html" else set())

    def write(self, stem: str, ext: str, text: str) -> Path:
        path = self.root / f"{stem}.{ext}"
        if path.resolve().parent != self.root:
            raise OutputError(path, f"would be written outside {self.root}; refusing")
        self.pending = path.name  # an interrupt may land after the rename, before the append
        write_text(path, text)
        self.files.append(path.name)
        self.pending = None
        return path

    def write_manifest(self, status: str) -> None:
        pending, self.pending = self.pending, None
        if pending is not None and (self.root / pending).is_file():  # its name was free before
            self.files.append(pending)
        data = {
            "tool": _TOOL,
            "manifest_version": 1,
            "status": status,
            "format": self.fmt,
            "files": self.files,
        }
        write_text(self.manifest, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def write_reports(
    results: Iterable[ScoreResult],
    directory: str | Path,
    fmt: str = "html",
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write one report per firm into ``directory``, each as soon as it is rendered; return
    the paths.

    ``results`` may be a generator (:meth:`Scorer.iter_explain`): only a small
    :class:`ReportSummary` of each firm is kept, for the index. Files are named
    ``<slug>.<html|md|json>`` after the firm (see :func:`safe_slug` and :func:`unique_slugs`);
    for ``fmt="html"`` an ``index.html`` linking to every report is written last.
    ``progress(1)`` is called after each file written.

    The folder must be new, empty, or a report folder written before (it holds
    :data:`MANIFEST`): alignscore never writes among files it does not own. A previous run's
    files (as its manifest lists them) are removed; a file alignscore did not write is never
    touched, and a firm's name never takes its place. :data:`MANIFEST` lists every file
    written and says whether the run was ``complete``, ``interrupted`` (Ctrl-C: the
    exception raised is :class:`~alignscore.exceptions.ReportsInterrupted`, which says what
    was left) or ``failed``.
    """
    if fmt not in FORMATS:
        raise ValueError(
            "The 'fmt' parameter of write_reports must be one of 'json', 'md', 'html'. "
            f"Got {fmt!r} instead."
        )
    items = iter(results)
    first = next(items, None)  # bad input fails here, before the folder is touched
    folder = _Folder(Path(directory), fmt)
    slugs = _Slugs(folder.taken())
    ext = _EXTENSIONS[fmt]
    summaries: list[ReportSummary] = []
    written: list[Path] = []
    try:
        for result in itertools.chain([first] if first is not None else [], items):
            written.append(folder.write(slugs.next(result.name), ext, render(result, fmt)))
            if fmt == "html":
                summaries.append(ReportSummary.of(result))
            if progress is not None:
                progress(1)
        if fmt == "html":
            links = [p.name for p in written]
            # a ReportSummary has every attribute render_index reads of a ScoreResult (duck-typed)
            written.append(folder.write("index", "html", render_index(summaries, links)))  # type: ignore[arg-type]
            if progress is not None:
                progress(1)
    except KeyboardInterrupt:
        folder.write_manifest("interrupted")
        firms = len([p for p in written if p.name != "index.html" or fmt != "html"])
        index_missing = fmt == "html" and firms == len(written)
        raise ReportsInterrupted(folder.root, firms, MANIFEST, index_missing) from None
    except BaseException:
        folder.write_manifest("failed")
        raise
    folder.write_manifest("complete")
    return written
