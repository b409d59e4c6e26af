"""Read firms from a CSV file, a Parquet file or a pandas frame, in bounded chunks.

The CSV fast path is pyarrow's streaming reader with every column read as text (the contract's
own parser decides what a cell means). Two things it cannot do are handed to a slower,
exact path built on the standard library's ``csv`` module, which resumes at the record where
the fast path stopped: a cell larger than a read block, and bytes that do not decode. Ragged
rows are caught on the fast path by pyarrow's invalid-row handler, with their row numbers.

The header is read once by the ``csv`` module (it may hold quoted newlines and be of any
length), and pyarrow is given positional column names, so that no column is ever type-guessed:
``000123`` stays ``000123`` whatever the header looks like. Compressed input (gzip, bzip2, xz,
zstd) is read by its magic bytes, not its name; ``-`` is standard input, and it and other
streams (a named pipe, ``<(zcat x.gz)``) are spooled to a temporary file, since the reader
reads the first bytes and the header before the rows. A Parquet file whose row group cannot
be decoded has those rows reported as problems, not the whole file refused.

Rows are numbered as the user counts them in the file: the header is row 1.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import lzma
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from alignscore._core.atomic_write import STDIO, os_errors
from alignscore.exceptions import InputError, Problem

from .header import ExtraColumns, resolve_header
from .profiles import Profiles, check_columns, parse_table

__all__ = ["DEFAULT_CHUNK_ROWS", "Chunk", "iter_chunks", "iter_profiles", "ordered_map", "source_name"]

DEFAULT_CHUNK_ROWS = 65_536  # rows per batch: cache-friendly, and bounds memory
_BLOCK_SIZE = 4 << 20  # bytes per pyarrow read block: bounds read-ahead (memory), fits ordinary rows
_FALLBACK_ROWS = 50_000

Adapter = Callable[[pa.Table], pa.Table]


def source_name(source: object) -> str:
    """How messages name ``source``: its path, ``<stdin>`` for ``-``, or ``<DataFrame>``."""
    if isinstance(source, (str, Path)):
        return "<stdin>" if str(source) == STDIO else str(source)
    return "<DataFrame>"


def iter_profiles(
    source: str | Path | pd.DataFrame,
    *,
    encoding: str = "utf-8",
    adapter: Adapter | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    extra_columns: ExtraColumns = "error",
) -> Iterator[Profiles]:
    """Yield the firms of ``source`` as parsed :class:`Profiles`, chunk by chunk.

    Raises :class:`InputError` for a source that cannot be read at all (missing, a directory,
    empty, header only, undecodable header, duplicated or missing ``name`` column, a header
    column that misspells a contract column unless ``extra_columns="keep"``).
    """
    chunks = iter_chunks(
        source, encoding=encoding, adapter=adapter, chunk_rows=chunk_rows, extra_columns=extra_columns
    )
    for chunk in chunks:
        yield chunk.parse()


class Chunk:
    """Rows as read, not yet parsed (parsing can then happen on another thread)."""

    def __init__(self, table: pa.Table, rows: np.ndarray, structural: list[Problem],
                 source: str, adapter: Adapter | None) -> None:  # fmt: skip
        self.table, self.rows, self.structural = table, rows, structural
        self.source, self.adapter = source, adapter

    def parse(self) -> Profiles:
        table = self.table
        if self.adapter is not None:
            try:
                table = self.adapter(table)
            except InputError as exc:  # the adapter does not know the file's name
                raise InputError(self.source, exc.problem) from None
        return parse_table(table, self.source, self.rows, self.structural)


def iter_chunks(
    source: str | Path | pd.DataFrame,
    *,
    encoding: str = "utf-8",
    adapter: Adapter | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    extra_columns: ExtraColumns = "error",
) -> Iterator[Chunk]:
    """The rows of ``source`` in chunks, as read (see :func:`iter_profiles`)."""
    name = source_name(source)
    seen = 0
    header: list[str] | None = None
    for table, rows, structural in _iter_tables(source, encoding, chunk_rows):
        if header is None:
            header = resolve_header(
                table.column_names, name, extra_columns=extra_columns, adapted=adapter is not None
            )
            check_columns(header, name)
        if header != table.column_names:
            table = table.rename_columns(header)
        table = _without_views(table)
        seen += table.num_rows + len(structural)
        yield Chunk(table, rows, structural, name, adapter)
    if seen == 0:
        raise InputError(name, "has a header but no rows")


def _without_views(table: pa.Table) -> pa.Table:
    """View types (``string_view``, what pandas 3 and newer Arrow write) as their plain types,
    which every compute kernel (``take``, ``filter``) accepts."""
    for i, f in enumerate(table.schema):
        plain = {pa.string_view(): pa.string(), pa.binary_view(): pa.binary()}.get(f.type)
        if plain is None and (pa.types.is_list_view(f.type) or pa.types.is_large_list_view(f.type)):
            plain = pa.list_(f.type.value_type)
        if plain is not None:
            table = table.set_column(i, f.name, table.column(i).cast(plain))
    return table


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
    if not isinstance(source, (str, Path)):
        raise InputError("<input>", f"expected a file path or a DataFrame, got {type(source).__name__}")
    path = Path(source)
    stdin = str(source) == STDIO
    if stdin or (path.exists() and not path.is_file() and not path.is_dir()):
        # standard input, a pipe, a device: read once into a temporary file, which can be
        # sniffed, read for its header and read again
        name = "<stdin>" if stdin else str(source)
        with tempfile.TemporaryDirectory(prefix="alignscore-input-") as tmp:
            spooled = Path(tmp) / "input"
            with os_errors(name), spooled.open("wb") as fh:
                if stdin:
                    shutil.copyfileobj(sys.stdin.buffer, fh, 1 << 20)
                else:
                    with path.open("rb") as stream:
                        shutil.copyfileobj(stream, fh, 1 << 20)
            yield from _file_tables(spooled, encoding, chunk_rows, name)
        return
    yield from _file_tables(path, encoding, chunk_rows, str(source))


def _file_tables(
    path: Path, encoding: str, chunk_rows: int, name: str
) -> Iterator[tuple[pa.Table, np.ndarray, list[Problem]]]:
    if not path.exists():
        raise InputError(name, "no such file")
    if path.is_dir():
        raise InputError(name, "is a directory, expected a CSV or Parquet file")
    with os_errors(name):
        size = path.stat().st_size
        with path.open("rb") as fh:
            magic = fh.read(16)
    if size == 0 and path.is_file():
        raise InputError(name, "is empty (no header, no rows)")
    kind = _sniff(magic, name)
    if kind == "parquet" or (kind is None and path.suffix.lower() in {".parquet", ".pq"}):
        yield from _parquet_tables(path, chunk_rows, name)
    else:
        codec = _codec(encoding, name)
        yield from _csv_tables(path, codec, chunk_rows, name, kind)


#: magic bytes of compressed files that are read (decompressed on the fly)
_COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd"}
#: magic bytes of files that are not CSV at all, and what they are
_NOT_CSV = {
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook is one): export it as CSV or Parquet, or unzip it",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook (or another Office file): export it as CSV or Parquet",
    b"%PDF": "a PDF document, not a CSV or Parquet file",
    b"\x89HDF": "an HDF5 file, not a CSV or Parquet file",
    b"ARROW1": "an Arrow IPC (Feather) file: convert it to Parquet or CSV",
    b"SQLite format": "an SQLite database, not a CSV or Parquet file",
}


def _sniff(magic: bytes, name: str) -> str | None:
    """``"parquet"``, a compression name, or ``None`` (plain text); refuses known non-CSV files."""
    if magic.startswith(b"PAR1"):
        return "parquet"
    for prefix, kind in _COMPRESSED.items():
        if magic.startswith(prefix):
            return kind
    for prefix, what in _NOT_CSV.items():
        if magic.startswith(prefix):
            raise InputError(name, f"is {what}")
    return None


@contextlib.contextmanager
def _reading(name: str, compression: str | None) -> Iterator[None]:
    """Errors met while reading: a damaged compressed stream is bad input (exit 2), any other
    operating-system error (permission denied, an I/O error) a :class:`FileSystemError`."""
    try:
        yield
    except (EOFError, lzma.LZMAError) as exc:
        raise InputError(name, f"is a damaged {compression} file ({exc})") from None
    except OSError as exc:
        if compression is not None and not isinstance(exc, (PermissionError, FileNotFoundError)) and not exc.errno:
            raise InputError(name, f"is a damaged {compression} file ({exc})") from None
        with os_errors(name):
            raise


def _open_binary(path: Path, compression: str | None):
    """A binary stream of the file's (decompressed) bytes."""
    if compression == "xz":
        return lzma.open(path, "rb")
    if compression is None:
        return path.open("rb")
    return pa.input_stream(str(path), compression=compression)


# --- pandas --------------------------------------------------------------------------------


def _frame_tables(
    frame: pd.DataFrame, chunk_rows: int
) -> Iterator[tuple[pa.Table, np.ndarray, list[Problem]]]:
    names = [str(c) for c in frame.columns]
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
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        # mixed Python objects: read them as the text a CSV would hold
        texts = [None if _missing(v) else str(v) for v in series.tolist()]
        return pa.array(texts, type=pa.string())


def _missing(value: object) -> bool:
    try:
        # any object may come here; pandas-stubs type pd.isna only for known scalar/array types
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


# --- Parquet -------------------------------------------------------------------------------


def _parquet_tables(
    path: Path, chunk_rows: int, name: str
) -> Iterator[tuple[pa.Table, np.ndarray, list[Problem]]]:
    """Row group by row group; rows of a group that cannot be decoded become problems."""
    try:
        file = pq.ParquetFile(path)
        schema = file.schema_arrow
    except PermissionError as exc:
        with os_errors(name):
            raise exc from None
    except (pa.ArrowException, OSError) as exc:
        raise InputError(name, f"is not a readable Parquet file ({exc})") from None
    start = 0
    for group in range(file.num_row_groups):
        group_rows = file.metadata.row_group(group).num_rows
        done = 0
        try:
            for batch in file.iter_batches(batch_size=chunk_rows, row_groups=[group]):
                table = pa.Table.from_batches([batch])
                rows = np.arange(start + done, start + done + table.num_rows, dtype=np.int64) + 2
                done += table.num_rows
                yield table, rows, []
        except (pa.ArrowException, OSError) as exc:
            if isinstance(exc, PermissionError):
                raise
            why = f"a readable row (row group {group} of the Parquet file cannot be decoded: {exc})"
            lost = [Problem(int(r) + 2, "*", "", why) for r in range(start + done, start + group_rows)]
            yield schema.empty_table(), np.zeros(0, dtype=np.int64), lost
        start += group_rows


# --- CSV -----------------------------------------------------------------------------------


#: Codecs that Python calls text encodings but that do not read a file of text (they map
#: host names, or Python string literals).
_NOT_FILE_TEXT = {"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined"}


def _codec(encoding: str, name: str) -> str:
    """The codec for ``--encoding``; only encodings of text (not ``hex``, ``rot13``, ``idna``)."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        raise InputError(name, f"unknown encoding {encoding!r}") from None
    sample = "name,sector\n"
    try:
        ok = (
            getattr(info, "_is_text_encoding", True)
            and info.name not in _NOT_FILE_TEXT
            and sample.encode(info.name).decode(info.name) == sample
        )
    except (UnicodeError, LookupError, TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(name, f"{encoding!r} is not a text encoding a CSV file can use (try utf-8 or gb18030)")
    return info.name


def _read_header(path: Path, codec: str, compression: str | None, name: str) -> list[str]:
    """The first CSV record, however long, quoted newlines included."""
    csv.field_size_limit(sys.maxsize)
    with _reading(name, compression), _open_binary(path, compression) as raw:
        head = raw.read(4)
        if head[:2] in (b"\xff\xfe", b"\xfe\xff") and not codec.startswith("utf-16"):
            raise InputError(
                name,
                "is UTF-16 encoded (it starts with a UTF-16 byte-order mark); "
                "save it as UTF-8, or pass --encoding utf-16",
            )
        if compression is None and not head:
            raise InputError(name, "is empty (no header, no rows)")
    with _reading(name, compression), _open_binary(path, compression) as raw:
        text = io.TextIOWrapper(
            raw, encoding="utf-8-sig" if codec == "utf-8" else codec, errors="surrogateescape", newline=""
        )
        try:
            first = next(csv.reader(text), None)
        except csv.Error as exc:
            raise InputError(name, f"the header row is not a readable CSV record ({exc})") from None
        with contextlib.suppress(Exception):
            text.detach()
    if first is None:
        raise InputError(name, "is empty (no header, no rows)")
    if not any(cell.strip() for cell in first):
        raise InputError(name, "has no header row (the first line is blank)")
    if any(_undecodable(cell) for cell in first):
        hint = " (try --encoding gb18030)" if codec.startswith("utf-8") else ""
        raise InputError(name, f"the header row is not valid {codec} text{hint}")
    return first


def _csv_tables(
    path: Path, codec: str, chunk_rows: int, name: str, compression: str | None = None
) -> Iterator[tuple[pa.Table, np.ndarray, list[Problem]]]:
    """The fast path: pyarrow's threaded streaming reader, every column as text.

    pyarrow is given positional column names and told to skip the header record, so that
    every column is read as text whatever the header holds (quoted newlines, any length).
    At the first thing it cannot do exactly (a row with the wrong number of fields, a cell
    larger than a block, bytes that do not decode) it hands over to :func:`_csv_fallback`,
    which resumes at the first record not yet yielded.
    """
    names = _read_header(path, codec, compression, name)
    positional = [f"c{i}" for i in range(len(names))]

    read_options = pa_csv.ReadOptions(
        use_threads=True,
        block_size=_BLOCK_SIZE,
        encoding="utf8" if codec == "utf-8" else codec,
        column_names=positional,
        skip_rows_after_names=1,
    )
    # No invalid-row handler: pyarrow decodes a bad row's bytes as UTF-8 before calling it and
    # prints an "exception ignored" traceback when they do not decode. A row of the wrong width
    # raises instead, and the exact path resumes after the rows already yielded.
    parse_options = pa_csv.ParseOptions(newlines_in_values=True)
    convert_options = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(positional, pa.string()), strings_can_be_null=False
    )
    schema = pa.schema([(n, pa.string()) for n in names])
    good = 0  # data records yielded so far
    stream = None
    try:
        stream = _open_binary(path, compression) if compression else None
        reader = pa_csv.open_csv(stream if stream is not None else path, read_options, parse_options, convert_options)
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        for batch in reader:
            pending.append(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
            pending_rows += batch.num_rows
            while pending_rows >= chunk_rows:  # exactly chunk_rows per chunk
                table = pa.Table.from_batches(pending)
                chunk, rest = table.slice(0, chunk_rows), table.slice(chunk_rows)
                yield chunk, np.arange(good, good + chunk_rows, dtype=np.int64) + 2, []
                good += chunk_rows
                pending, pending_rows = rest.to_batches(), rest.num_rows
        if pending_rows:
            table = pa.Table.from_batches(pending, schema=schema)
            yield table, np.arange(good, good + table.num_rows, dtype=np.int64) + 2, []
        return
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        message = str(exc)
        if isinstance(exc, pa.ArrowInvalid) and not any(
            word in message for word in ("straddling", "UTF8", "decode", "Expected")
        ):
            raise InputError(name, f"is not a readable CSV file ({message})") from None
    except (EOFError, lzma.LZMAError, OSError) as exc:
        with _reading(name, compression):
            raise exc from None
    finally:
        if stream is not None:
            stream.close()
    yield from _csv_fallback(path, codec, names, good, chunk_rows, compression, name)


def _csv_fallback(
    path: Path, codec: str, names: list[str], skip: int, chunk_rows: int,
    compression: str | None, name: str,
) -> Iterator[tuple[pa.Table, np.ndarray, list[Problem]]]:  # fmt: skip
    """The exact slow path: the ``csv`` module, resuming after ``skip`` data records."""
    csv.field_size_limit(sys.maxsize)
    width = len(names)
    with _reading(name, compression), _open_binary(path, compression) as raw:
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
