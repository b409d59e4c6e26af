"""A batch of firms parsed per the contract: the one shape every way in turns into.

:func:`parse_table` takes a pyarrow table (one chunk of a CSV, a Parquet batch, a DataFrame),
parses every contract column it has (absent ones are all unknown), and keeps the table as read
so that extra columns go through untouched and rejected rows can be written back as they came.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from alignscore._core.suggest import best
from alignscore.exceptions import InputError, Problem

from .cells import ParsedColumn, parse_array
from .columns import COLUMNS, LABEL_COLUMNS, PROFILE_COLUMNS, Column, Kind

__all__ = ["Profiles", "parse_table", "python_value", "unknown_values"]

_CONTRACT_NAMES = {c.name for c in COLUMNS}


def unknown_values(col: Column, n: int) -> np.ndarray | pa.Array:
    """An all-unknown column in the engine's representation."""
    if col.kind is Kind.TEXT:
        return pa.nulls(n, type=pa.string())
    if col.kind is Kind.CATEGORY:
        return np.full(n, -1, dtype=np.int16)
    if col.kind is Kind.DATE:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    return np.full(n, np.nan)


@dataclass
class Profiles:
    """Firms parsed per the contract.

    ``values`` holds every contract column (absent ones all unknown); ``present`` the contract
    columns the input had; ``raw`` the input as read; ``row_numbers`` each row's number as the
    user counts it (header = row 1) or its index label; ``bad`` which rows break the contract;
    ``parsed`` the per-column parse results, for the problems.
    """

    source: str
    raw: pa.Table
    values: dict[str, np.ndarray | pa.Array]
    present: tuple[str, ...]
    row_numbers: np.ndarray
    bad: np.ndarray
    parsed: dict[str, ParsedColumn]
    structural: list[Problem]

    def __len__(self) -> int:
        return self.raw.num_rows

    @property
    def extras(self) -> tuple[str, ...]:
        return tuple(n for n in self.raw.column_names if n not in _CONTRACT_NAMES)

    @property
    def has_labels(self) -> bool:
        return all(c.name in self.present for c in LABEL_COLUMNS[:1])

    def texts(self, name: str) -> list[str | None]:
        """A text column's values (text is kept as an Arrow array, numbers as numpy)."""
        values = self.values[name]
        if isinstance(values, np.ndarray):
            raise TypeError(f"column {name!r} holds numbers, not text")
        texts: list[str | None] = values.to_pylist()
        return texts

    # --- problems ------------------------------------------------------------------------

    def problem_count(self) -> int:
        cells = sum(int(p.bad.sum()) for p in self.parsed.values())
        return cells + len(self.structural)

    def problems(self, limit: int | None = None) -> list[Problem]:
        """Problems in row order (then column order), the first ``limit`` of them."""
        return [p for _, p in self._located(limit)]

    def _located(self, limit: int | None = None) -> list[tuple[int, Problem]]:
        """Problems with the position of their row in the batch (-1 for structural ones): a
        DataFrame's index labels need not be unique, positions are."""
        found: list[tuple[int, int, int, Problem]] = [
            (_order(p.row), -1, -1, p) for p in self.structural
        ]
        for order, (name, parsed) in enumerate(self.parsed.items()):
            idx = np.flatnonzero(parsed.bad)
            if limit is not None:
                idx = idx[:limit]
            if not len(idx):
                continue
            texts = self.raw.column(name).take(pa.array(idx)).to_pylist()
            col = _column(name)
            for i, text in zip(idx, texts, strict=True):
                shown = "" if text is None else str(text)
                expected = parsed.expected.get(shown, col.expected)
                label = _label(self.row_numbers[i])
                key = label if isinstance(label, int) else int(i)
                found.append((key, order, int(i), Problem(label, name, shown, expected)))
        found.sort(key=lambda t: (t[0], t[1]))
        out = [(pos, p) for _, _, pos, p in found]
        return out if limit is None else out[:limit]

    def reasons(self) -> list[str]:
        """One reason line per bad row, in row order."""
        per_row: dict[int, list[str]] = {}
        for pos, p in self._located():
            per_row.setdefault(pos, []).append(f"column '{p.column}': {p.value!r} - expected {p.expected}")
        return ["; ".join(per_row[int(i)]) for i in np.flatnonzero(self.bad)]

    # --- subsets and views ---------------------------------------------------------------

    def take(self, mask: np.ndarray) -> Profiles:
        """The rows where ``mask`` is true (for scoring the good rows)."""
        idx = pa.array(np.flatnonzero(mask))
        values = {
            k: (v.take(idx) if isinstance(v, pa.Array) else v[mask]) for k, v in self.values.items()
        }
        parsed = {
            k: ParsedColumn(p.values, p.bad[mask], p.expected, p.formula_safe)
            for k, p in self.parsed.items()
        }
        return Profiles(
            self.source, self.raw.take(idx), values, self.present,
            self.row_numbers[mask], self.bad[mask], parsed, [],
        )  # fmt: skip

    def to_frame(self, *, include_extras: bool = True) -> pd.DataFrame:
        """The firms as a typed pandas frame (nullable dtypes: unknown is ``<NA>``)."""
        data: dict[str, object] = {}
        for name in self.raw.column_names:
            if name in _CONTRACT_NAMES:
                data[name] = typed_series(_column(name), self.values[name])
            elif include_extras:
                data[name] = self.raw.column(name).to_pandas()
        return pd.DataFrame(data)


def typed_series(col: Column, values: np.ndarray | pa.Array) -> pd.api.extensions.ExtensionArray:
    """One column's engine values as a pandas extension array."""
    if not isinstance(values, np.ndarray):  # text, the one kind kept as an Arrow array
        return pd.array(values.to_pylist(), dtype="string")
    if col.kind is Kind.CATEGORY:
        return pd.Categorical.from_codes(values, categories=pd.Index(col.vocabulary))
    if col.kind is Kind.BOOLEAN:
        mask = np.isnan(values)
        return pd.arrays.BooleanArray(np.nan_to_num(values).astype(bool), mask)
    if col.kind is Kind.INTEGER:
        mask = np.isnan(values)
        return pd.arrays.IntegerArray(np.nan_to_num(values).astype(np.int64), mask)
    if col.kind is Kind.DATE:
        return pd.array(values.astype("datetime64[s]"))
    return pd.array(values, dtype="Float64")


def python_value(col: Column, values: np.ndarray | pa.Array, i: int) -> object:
    """Row ``i`` of one column's engine values as a plain Python value (``None`` if unknown)."""
    if col.kind is Kind.TEXT:
        return values[i].as_py()
    if col.kind is Kind.CATEGORY:
        code = int(values[i])
        return None if code < 0 else col.vocabulary[code]
    if col.kind is Kind.DATE:
        return None if np.isnat(values[i]) else values[i].astype(_dt.date)
    number = float(values[i])
    if np.isnan(number):
        return None
    if col.kind is Kind.BOOLEAN:
        return bool(number)
    if col.kind is Kind.INTEGER:
        return int(number)
    return number


def _column(name: str) -> Column:
    from .columns import column

    return column(name)


def _label(row: object) -> int | str:
    return int(row) if isinstance(row, (int, np.integer)) else str(row)


def _order(row: object) -> int:
    return int(row) if isinstance(row, (int, np.integer)) else 0


def parse_table(
    table: pa.Table,
    source: str,
    row_numbers: np.ndarray,
    structural: list[Problem] | None = None,
) -> Profiles:
    """Parse every contract column of ``table``; see :class:`Profiles`."""
    check_columns(table.column_names, source)
    n = table.num_rows
    values: dict[str, np.ndarray | pa.Array] = {}
    parsed: dict[str, ParsedColumn] = {}
    bad = np.zeros(n, dtype=bool)
    for col in COLUMNS:
        if col.name in table.column_names:
            result = parse_array(col, table.column(col.name))
            values[col.name] = result.values
            parsed[col.name] = result
            bad |= result.bad
        else:
            values[col.name] = unknown_values(col, n)
    present = tuple(c.name for c in COLUMNS if c.name in table.column_names)
    return Profiles(source, table, values, present, row_numbers, bad, parsed, structural or [])


def check_columns(names: list[str], source: str) -> None:
    """Refuse a header the contract cannot work with: duplicates, or no ``name`` column."""
    dupes = [n for n, k in Counter(names).items() if k > 1]
    if dupes:
        raise InputError(source, f"duplicated column name(s): {', '.join(map(repr, dupes))}")
    if "name" not in names:
        lowered = {n.strip().lower(): n for n in names}
        close = lowered.get("name") or best("name", names)
        hint = f"; did you mean {close!r}?" if close else ""
        shown = ", ".join(repr(n) for n in names[:12]) + (" ..." if len(names) > 12 else "")
        raise InputError(
            source,
            f"no 'name' column (the one required column); columns found: {shown}{hint}",
        )


#: Contract columns that a profile can carry (used by the summary of ``validate``).
PROFILE_NAMES = tuple(c.name for c in PROFILE_COLUMNS)
