"""Scoring a file of any size in bounded memory: read a chunk, score it, write it, repeat.

Output rows come out in input order. Every output (scores and rejects) is written to a
temporary file beside its target and renamed into place only when the whole run succeeded, so
a crash or Ctrl-C never leaves a half-written file under the final name. In strict mode the
first bad value stops the scoring; the rest of the file is still parsed to count the problems.

Before anything is read, an output that is the input (or the other output) is refused, and so
is an input column that an output column would replace. In CSV, every text cell and header that
a spreadsheet would run as a formula is escaped, whatever the Arrow type that carries the text
(dictionary, ``large_string``, ``string_view``, binary); values CSV cannot hold (structs, lists)
are written as JSON text. Parquet and JSON Lines outputs carry the contract columns as parsed
(numbers as numbers, dates as dates), not as the text they were read from.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from alignscore._contract.columns import Kind, column
from alignscore._contract.header import ExtraColumns, check_not_shadowing, printable
from alignscore._contract.profiles import Profiles
from alignscore._contract.read import (
    DEFAULT_CHUNK_ROWS,
    Chunk,
    iter_chunks,
    ordered_map,
    source_name,
)
from alignscore._contract.validate import ContractProblems, adapter_for
from alignscore._core.atomic_write import STDIO, atomic_path, check_distinct, os_errors
from alignscore._core.spreadsheet import csv_writable, escape_formula, escape_name
from alignscore.exceptions import InputWarning, OutputError

from .scorer import RESULT_COLUMNS, Scorer

__all__ = ["StreamSummary", "score_file"]

#: Result columns alignscore writes itself, none of which can start like a formula.
_SAFE_RESULTS = frozenset({"band", "reasons", "risk_flags"})


@dataclass
class StreamSummary:
    rows: int = 0
    scored: int = 0
    rejected: int = 0
    output: str = "-"
    rejects: str | None = None


def _result_table(raw: pa.Table, cols: dict[str, Any]) -> pa.Table:
    out = raw
    for name, values in cols.items():
        if isinstance(values, pa.DictionaryArray):
            arr = values.cast(pa.string())
        elif isinstance(values, pd.Categorical):
            arr = pa.DictionaryArray.from_arrays(
                pa.array(values.codes, pa.int32()), pa.array(list(values.categories), pa.string())
            ).cast(pa.string())
        else:
            arr = pa.array(np.asarray(values))
        if name in out.column_names:
            out = out.set_column(out.column_names.index(name), name, arr)
        else:
            out = out.append_column(name, arr)
    return out


#: Digits of the result columns in CSV, which people read (scores to one decimal, probability
#: and coverage to three); Parquet and JSON Lines keep full precision, as the API does.
CSV_DIGITS = {"score": 1, "score_low": 1, "score_high": 1, "probability": 3, "coverage": 3}


def _rounded(table: pa.Table) -> pa.Table:
    for name, digits in CSV_DIGITS.items():
        if name in table.column_names and pa.types.is_floating(table.schema.field(name).type):
            i = table.column_names.index(name)
            table = table.set_column(i, name, pc.round(table.column(name), digits))
    return table


class _Writer:
    """One output: CSV, Parquet or JSON Lines, chosen by the file name; ``-`` is stdout CSV.

    Writing happens on a background thread fed through a small bounded queue, so that
    formatting and writing one batch overlaps with reading and scoring the next (pyarrow's
    writers release the GIL); the queue bounds the memory held in flight.
    """

    def __init__(self, target: Path | None, escape: bool) -> None:
        self.target = target
        self.name = str(target) if target is not None else "<stdout>"
        self.escape = escape
        suffix = target.suffix.lower() if target else ".csv"
        if target is not None and target.exists() and not target.is_file() and not target.is_dir():
            suffix = suffix if suffix in (".parquet", ".pq", ".jsonl", ".ndjson") else ".csv"  # a device, a pipe
        if suffix not in (".csv", ".parquet", ".pq", ".jsonl", ".ndjson"):
            raise OutputError(target or "-", "output format follows the name: .csv, .parquet or .jsonl")
        self.kind = {".pq": ".parquet", ".ndjson": ".jsonl"}.get(suffix, suffix)
        self._writer: Any = None
        self._sink: Any = None
        self._queue: queue.Queue[tuple[pa.Table, frozenset[str]] | None] = queue.Queue(maxsize=2)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def open(self, sink: Any) -> None:
        self._sink = sink
        self._thread = threading.Thread(target=self._run, name="alignscore-writer", daemon=True)
        self._thread.start()

    def write(self, table: pa.Table, safe: frozenset[str] = frozenset()) -> None:
        """Queue ``table``; in CSV, text cells that could run as formulas are escaped, except
        in the columns named in ``safe`` (known to hold none)."""
        if self._error is not None:
            raise self._error
        self._queue.put((table, safe))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    with os_errors(self.name):
                        self._write_now(*item)
                except BaseException as exc:
                    self._error = exc

    def _write_now(self, table: pa.Table, safe: frozenset[str]) -> None:
        if self.kind == ".csv":
            table = _rounded(table)
        if self.kind == ".csv":
            columns = [table.column(i).combine_chunks() for i in range(table.num_columns)]
            names = table.column_names
            if self.escape:
                columns = [csv_writable(c) if n in safe else escape_formula(c) for n, c in zip(names, columns, strict=True)]
                names = [escape_name(n) for n in names]
            else:
                columns = [csv_writable(c) for c in columns]
            table = pa.Table.from_arrays(columns, names=names)
        if self.kind == ".jsonl":
            self._sink.write(_jsonl(table))
            return
        if self._writer is None:
            if self.kind == ".csv":
                self._writer = pa_csv.CSVWriter(self._sink, table.schema)
            else:
                self._writer = pq.ParquetWriter(self._sink, table.schema)
        self._writer.write_table(table.cast(self._writer.schema) if self.kind == ".parquet" else table)

    def close(self) -> None:
        """Finish the queued writes and close; raises what the background thread met."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if self._writer is not None:
            writer, self._writer = self._writer, None
            with os_errors(self.name):
                writer.close()
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def _jsonl(table: pa.Table) -> bytes:
    """JSON Lines of ``table``: numbers as numbers, dates as ``YYYY-MM-DD``, nested values as
    JSON objects and arrays, binary as text."""
    columns = []
    for arr in (table.column(i).combine_chunks() for i in range(table.num_columns)):
        t = arr.type.value_type if pa.types.is_dictionary(arr.type) else arr.type
        if pa.types.is_date(t) or pa.types.is_timestamp(t) or pa.types.is_time(t):
            arr = pc.cast(arr, pa.string())
        elif pa.types.is_decimal(t):
            arr = pc.cast(arr, pa.float64())
        elif not pa.types.is_nested(t):
            arr = csv_writable(arr)
        columns.append(arr)
    frame: pd.DataFrame = pa.Table.from_arrays(columns, names=table.column_names).to_pandas()
    if not len(frame):
        return b""
    return frame.to_json(orient="records", lines=True, force_ascii=False, double_precision=15).encode("utf-8")


def _typed(raw: pa.Table, batch: Profiles) -> pa.Table:
    """``raw`` with each contract column replaced by its parsed values (for Parquet, JSONL)."""
    out = raw
    for name in batch.present:
        if name not in out.column_names:
            continue
        col, values = column(name), batch.values[name]
        if col.kind is Kind.TEXT:
            arr = values
        elif col.kind is Kind.CATEGORY:
            codes = np.asarray(values, dtype=np.int32)
            arr = pa.DictionaryArray.from_arrays(
                pa.array(codes, mask=codes < 0), pa.array(list(col.vocabulary), pa.string())
            ).cast(pa.string())
        elif col.kind is Kind.DATE:
            arr = pa.array(values, type=pa.date32(), mask=np.isnat(values))
        else:
            unknown = np.isnan(values)
            if col.kind is Kind.BOOLEAN:
                arr = pa.array(values == 1.0, mask=unknown)
            elif col.kind is Kind.INTEGER:
                arr = pa.array(np.nan_to_num(values).astype(np.int64), mask=unknown)
            else:
                arr = pa.array(values, type=pa.float64(), mask=unknown)
        out = out.set_column(out.column_names.index(name), name, arr)
    return out


@contextlib.contextmanager
def _sink(target: Path | None) -> Iterator[Any]:
    if target is None:
        yield sys.stdout.buffer
        return
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        yield fh


def score_file(
    scorer: Scorer,
    source: str | Path,
    output: str | Path | None = None,
    *,
    rejects: str | Path | None = None,
    encoding: str = "utf-8",
    source_format: str = "profile",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    escape_formulas: bool = True,
    progress: Callable[[int], None] | None = None,
    extra_columns: ExtraColumns = "error",
) -> StreamSummary:
    """Score every row of ``source`` into ``output`` (``None`` or ``"-"``: CSV on stdout;
    ``source`` ``"-"``: standard input).

    Without ``rejects`` the run is strict: any bad value raises
    :class:`~alignscore.exceptions.ProfileValidationError` and nothing is written. With
    ``rejects``, bad rows go there (as read, plus ``row`` and ``reason``) and
    ``rows == scored + rejected``. An output that is the same file as the input or as the other
    output raises :class:`~alignscore.exceptions.OutputError` before anything is read; an
    input column named like an output column raises :class:`~alignscore.exceptions.InputError`.
    When no row has any fact the rules read (coverage 0 everywhere), an
    :class:`~alignscore.exceptions.InputWarning` says so.
    """
    target = Path(output) if output is not None and str(output) != STDIO else None
    reject_path = Path(rejects) if rejects is not None else None
    if reject_path is not None and str(reject_path) == STDIO:
        raise OutputError(STDIO, "the rejects need a file name (.csv, .parquet or .jsonl), not standard output")
    check_distinct(
        {"the input": source, "the rules directory": scorer.rules, "the model directory": scorer.model},
        {"the output": target, "the rejects file": reject_path},
    )
    writer = _Writer(target, escape_formulas)
    reject_writer = _Writer(reject_path, escape_formulas) if reject_path else None
    summary = StreamSummary(output=str(target) if target else "-", rejects=str(reject_path) if reject_path else None)
    chunks = iter_chunks(
        source, encoding=encoding, adapter=adapter_for(source_format), chunk_rows=chunk_rows,
        extra_columns=extra_columns,
    )  # fmt: skip
    first = next(chunks)  # reads the header: an unreadable file fails before anything is opened
    reserved = (*RESULT_COLUMNS, "rejected") + (("row", "reason") if reject_writer else ())
    check_not_shadowing(first.table.column_names, source_name(source), reserved)
    typed = writer.kind != ".csv"
    scorer._engine()  # load rules and model once, before the worker threads start
    problems = ContractProblems(source_name(source))
    strict_failed = False

    covered = False  # has any scored row a fact the rules read?

    def work(chunk: Chunk) -> tuple[Profiles, pa.Table | None, frozenset[str], bool]:
        """Parse and score one chunk (on a worker thread)."""
        batch = chunk.parse()
        if strict_failed or (reject_writer is None and (batch.bad.any() or batch.structural)):
            return batch, None, frozenset(), False  # strict mode failed: only count the problems now
        good = batch.take(~batch.bad) if batch.bad.any() else batch
        if not len(good):
            return batch, None, frozenset(), False
        safe = _SAFE_RESULTS | {n for n, p in good.parsed.items() if p.formula_safe}
        results = scorer._result_columns(good)
        some = bool(np.any(np.asarray(results["coverage"]) > 0))
        return batch, _result_table(_typed(good.raw, good) if typed else good.raw, results), safe, some

    with contextlib.ExitStack() as stack:
        writer.open(stack.enter_context(_sink(target)))
        stack.callback(writer.close)  # before the sink closes, also when interrupted
        if reject_writer is not None:
            reject_writer.open(stack.enter_context(_sink(reject_path)))
            stack.callback(reject_writer.close)
        batch: Profiles  # the first chunk is always there, so the loop sets it
        for batch, table, safe, some in ordered_map(work, _chain(first, chunks)):
            covered |= some
            n_bad = int(batch.bad.sum()) + len(batch.structural)
            summary.rows += len(batch) + len(batch.structural)
            if n_bad and reject_writer is None:
                strict_failed = True
                problems.add(batch)
            if strict_failed:
                continue
            if table is not None:
                writer.write(table, safe)
            summary.scored += len(batch) - int(batch.bad.sum())
            if n_bad and reject_writer is not None:
                reject_writer.write(_rejects_table(batch))
                summary.rejected += n_bad
            if progress is not None:
                progress(len(batch) + len(batch.structural))
        problems.raise_if_failed()
        if summary.scored == 0:  # every row rejected: still a header (or schema) in the output
            none = batch.take(np.zeros(len(batch), dtype=bool))
            writer.write(_result_table(_typed(none.raw, none) if typed else none.raw, scorer._result_columns(none)))
        writer.close()
        if reject_writer is not None:
            if summary.rejected == 0:
                reject_writer.write(_rejects_table(batch.take(np.zeros(len(batch), dtype=bool))))
            reject_writer.close()
    if summary.scored and not covered:
        warnings.warn(
            InputWarning(
                f"{source_name(source)}: no firm has any fact the rules read (coverage is 0 for all "
                f"{summary.scored:,} scored rows), so every one scored at the neutral baseline; "
                f"columns read: {', '.join(map(printable, first.table.column_names))}"
                + ("; for a Tushare stock_basic list pass --source tushare" if _tushare_shaped(first.table.column_names, source_format) else "")
            ),
            stacklevel=2,
        )
    return summary


def _tushare_shaped(names: list[str], source_format: str) -> bool:
    return source_format != "tushare" and {"ts_code", "industry", "area"} <= set(names)


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def _rejects_table(batch: Any) -> pa.Table:
    """Bad rows as read (every column as text), with their row number and the reason."""
    bad = batch.take(batch.bad) if len(batch.bad) else batch
    names = batch.raw.column_names
    columns: dict[str, list[object]] = {"row": [], **{n: [] for n in names}, "reason": []}
    raw = bad.raw
    reasons = batch.reasons()
    for k in range(raw.num_rows):
        columns["row"].append(str(bad.row_numbers[k]))
        for n in names:
            v = raw.column(n)[k].as_py()
            columns[n].append(None if v is None else str(v))
        columns["reason"].append(reasons[k])
    for p in batch.structural:
        columns["row"].append(str(p.row))
        for n in names:
            columns[n].append(p.value if n == names[0] else None)
        columns["reason"].append(f"the row as a whole: expected {p.expected}")
    return pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
