"""Read firms from a CSV file, a Parquet file or a pandas frame, in bounded chunks.

The CSV fast path is pyarrow's streaming reader with every column read as text (the contract's
own parser decides what a cell means). Two things it cannot do are handed to a slower,
exact path built on the standard library's ``csv`` module, which resumes at the record where
the fast path stopped: a cell larger than a read block, and bytes that do not decode. Ragged
rows are caught on the fast path by pyarrow's invalid-row handler, with their row numbers.

Rows are numbered as the user counts them in the file: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ._profiles import Profiles, parse_table
from .exceptions import InputError, Problem

__all__ = ["DEFAULT_CHUNK_ROWS", "Chunk", "iter_chunks", "iter_profiles", "ordered_map", "source_name"]

DEFAULT_CHUNK_ROWS = 65_536  # rows per batch: cache-friendly, and bounds memory
_BLOCK_SIZE = 4 << 20  # bytes per pyarrow read block: bounds read-ahead (memory), fits ordinary rows
_FALLBACK_ROWS = 50_000

Adapter = Callable[[pa.Table], pa.Table]


def source_name(source: object) -> str:
    return str(source) if isinstance(source, (str, Path)) else "<DataFrame>"


def iter_profiles(
    source: str | Path | pd.DataFrame,
    *,
    encoding: str = "utf-8",
    adapter: Adapter | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[Profiles]:
    """Yield the firms of ``source`` as parsed :class:`Profiles`, chunk by chunk.

    Raises :class:`InputError` for a source that cannot be read at all (missing, a directory,
    empty, header only, undecodable header, duplicated or missing ``name`` column).
    """
    for chunk in iter_chunks(source, encoding=encoding, adapter=adapter, chunk_rows=chunk_rows):
        yield chunk.parse()


class Chunk:
    """Rows as read, not yet parsed (parsing can then happen on another thread)."""

    def __init__(self, table: pa.Table, rows: np.ndarray, structural: list[Problem],
                 source: str, adapter: Adapter | None) -> None:  # fmt: skip
        self.table, self.rows, self.structural = table, rows, structural
        self.source, self.adapter = source, adapter

    def parse(self) -> Profiles:
        table = self.adapter(self.table) if self.adapter is not None else self.table
        return parse_table(table, self.source, self.rows, self.structural)


def iter_chunks(
    source: str | Path | pd.DataFrame,
    *,
    encoding: str = "utf-8",
    adapter: Adapter | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[Chunk]:
    """The rows of ``source`` in chunks, as read (see :func:`iter_profiles`)."""
    name = source_name(source)
    seen = 0
    for table, rows, structural in _iter_tables(source, encoding, chunk_rows):
        seen += table.num_rows + len(structural)
        yield Chunk(table, rows, structural, name, adapter)
    if seen == 0:
        raise InputError(name, "has a header but no rows")


def ordered_map(fn, items: Iterator, *, workers: int = 2, ahead: int = 0) -> Iterator:
    """``map(fn, items)`` on a few threads, results in order, at most ``workers + ahead``
    items in flight (numpy, Arrow and the scoring kernel release the GIL)."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alignscore") as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > workers + ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _iter_tables(
    source: str | Path | pd.DataFrame, encoding: str, chunk_rows: int
) -> Iterator[tuple[pa.Table, np.ndarray, list[Problem]]]:
    if isinstance(source, pd.DataFrame):
        yield from _frame_tables(source, chunk_rows)
        return
    path = Path(source)
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a directory, expected a CSV or Parquet file")
    if path.stat().st_size == 0:
        raise InputError(path, "is empty (no header, no rows)")
    if path.suffix.lower() in {".parquet", ".pq"}:
        yield from _parquet_tables(path, chunk_rows)
    else:
        yield from _csv_tables(path, encoding, chunk_rows)


# --- pandas --------------------------------------------------------------------------------


def _frame_tables(
    frame: pd.DataFrame, chunk_rows: int
) -> Iterator[tuple[pa.Table, np.ndarray, list[Problem]]]:
    names = [str(c) for c in frame.columns]
    from ._profiles import check_columns

    check_columns(names, "<DataFrame>")
    for start in range(0, max(len(frame), 1), chunk_rows):
        part = frame.iloc[start : start + chunk_rows]
        arrays = [_series_to_arrow(part.iloc[:, i]) for i in range(part.shape[1])]
        labels = part.index.to_numpy()
        yield pa.Table.from_arrays(arrays, names=names), labels, []
    if len(frame) == 0:
        return


def _series_to_arrow(series: pd.Series) -> pa.Array:
    try:
        return pa.Array.from_pandas(series)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # mixed Python objects: read them as the text a CSV would hold
        texts = [None if _missing(v) else str(v) for v in series.tolist()]
        return pa.array(texts, type=pa.string())


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --- Parquet -------------------------------------------------------------------------------


def _parquet_tables(
    path: Path, chunk_rows: int
) -> Iterator[tuple[pa.Table, np.ndarray, list[Problem]]]:
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(path, f"is not a readable Parquet file ({exc})") from None
    start = 0
    for batch in file.iter_batches(batch_size=chunk_rows):
        table = pa.Table.from_batches([batch])
        rows = np.arange(start, start + table.num_rows, dtype=np.int64) + 2
        start += table.num_rows
        yield table, rows, []


# --- CSV -----------------------------------------------------------------------------------


def _codec(encoding: str, path: Path) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(path, f"unknown encoding {encoding!r}") from None


def _read_header(path: Path, codec: str) -> list[str]:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") and not codec.startswith("utf-16"):
        raise InputError(
            path,
            "is UTF-16 encoded (it starts with a UTF-16 byte-order mark); "
            "save it as UTF-8, or pass --encoding utf-16",
        )
    if codec == "utf-8":
        codec = "utf-8-sig"
    text = head.decode(codec, errors="replace")
    first = text.splitlines()[0] if text.splitlines() else ""
    raw_first = head.split(b"\n", 1)[0]
    try:
        raw_first.decode(codec)
    except UnicodeDecodeError:
        if len(raw_first) < len(head) or len(head) < (1 << 16):
            hint = " (try --encoding gb18030)" if codec.startswith("utf-8") else ""
            raise InputError(path, f"the header row is not valid {codec} text{hint}") from None
    if not first.strip():
        raise InputError(path, "has no header row (the first line is blank)")
    return next(csv.reader([first]))


def _csv_tables(
    path: Path, encoding: str, chunk_rows: int
) -> Iterator[tuple[pa.Table, np.ndarray, list[Problem]]]:
    """The fast path: pyarrow's threaded streaming reader, every column as text.

    At the first thing it cannot do exactly (a row with the wrong number of fields, a cell
    larger than a block, bytes that do not decode) it hands over to :func:`_csv_fallback`,
    which resumes at the first record not yet yielded.
    """
    codec = _codec(encoding, path)
    names = _read_header(path, codec)
    from ._profiles import check_columns

    check_columns(names, str(path))

    irregular: list[int] = []  # set by pyarrow (from its threads) on a row with the wrong width

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        irregular.append(1)
        return "skip"

    read_options = pa_csv.ReadOptions(
        use_threads=True,
        block_size=_BLOCK_SIZE,
        encoding="utf8" if codec == "utf-8" else codec,
    )
    parse_options = pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid)
    convert_options = pa_csv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=False
    )
    good = 0  # data records yielded so far
    try:
        reader = pa_csv.open_csv(path, read_options, parse_options, convert_options)
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        for batch in reader:
            if irregular:  # this batch, or one read ahead, lost a row: go exact from here
                break
            pending.append(batch)
            pending_rows += batch.num_rows
            while pending_rows >= chunk_rows:  # exactly chunk_rows per chunk
                table = pa.Table.from_batches(pending)
                chunk, rest = table.slice(0, chunk_rows), table.slice(chunk_rows)
                yield chunk, np.arange(good, good + chunk_rows, dtype=np.int64) + 2, []
                good += chunk_rows
                pending, pending_rows = rest.to_batches(), rest.num_rows
        if not irregular:
            if pending_rows:
                table = pa.Table.from_batches(pending, schema=reader.schema)
                yield table, np.arange(good, good + table.num_rows, dtype=np.int64) + 2, []
            return
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        message = str(exc)
        if isinstance(exc, pa.ArrowInvalid) and not any(
            word in message for word in ("straddling", "UTF8", "decode", "Expected")
        ):
            raise InputError(path, f"is not a readable CSV file ({message})") from None
    yield from _csv_fallback(path, codec, names, good, chunk_rows)


def _csv_fallback(
    path: Path, codec: str, names: list[str], skip: int, chunk_rows: int
) -> Iterator[tuple[pa.Table, np.ndarray, list[Problem]]]:
    """The exact slow path: the ``csv`` module, resuming after ``skip`` data records."""
    csv.field_size_limit(sys.maxsize)
    width = len(names)
    with path.open("rb") as raw:
        text = io.TextIOWrapper(
            raw, encoding="utf-8-sig" if codec == "utf-8" else codec,
            errors="surrogateescape", newline="",
        )  # fmt: skip
        reader = csv.reader(text)
        next(reader)  # header
        columns: list[list[str]] = [[] for _ in names]
        rows: list[int] = []
        structural: list[Problem] = []
        ordinal = -1  # data records so far; blank lines are not records (as on the fast path)
        for record in reader:
            if not record:
                continue
            ordinal += 1
            if ordinal < skip:
                continue
            number = ordinal + 2
            if any(_undecodable(cell) for cell in record):
                shown = ",".join(record).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                hint = " (try --encoding gb18030)" if codec.startswith("utf-8") else ""
                structural.append(Problem(number, "*", shown, f"text that decodes as {codec}{hint}"))
            elif len(record) != width:
                structural.append(
                    Problem(number, "*", ",".join(record), f"{width} fields as in the header (got {len(record)})")
                )
            else:
                for column, cell in zip(columns, record, strict=True):
                    column.append(cell)
                rows.append(number)
            if len(rows) >= min(chunk_rows, _FALLBACK_ROWS):
                yield _table(names, columns), np.array(rows, dtype=np.int64), structural
                columns, rows, structural = [[] for _ in names], [], []
        if rows or structural:
            yield _table(names, columns), np.array(rows, dtype=np.int64), structural


def _undecodable(cell: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in cell)


def _table(names: list[str], columns: list[list[str]]) -> pa.Table:
    return pa.Table.from_arrays([pa.array(c, type=pa.string()) for c in columns], names=names)
