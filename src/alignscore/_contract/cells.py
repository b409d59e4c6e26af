"""Parse the cells of one column of firms, vectorised, and say exactly which cells are bad.

Input is a pyarrow array: strings from a CSV, or typed values from Parquet or a pandas frame.
Output is a numpy array in the engine's representation plus a mask of bad cells:

=========  ==============================================  =========================
kind       representation                                  unknown
=========  ==============================================  =========================
number     float64 (fraction, number, integer, boolean)    NaN
category   int16 code into the column's vocabulary         -1
date       datetime64[D]                                   NaT
text       pyarrow string array (as given)                 null
=========  ==============================================  =========================

Distinct values of categories and booleans are few, so those columns are dictionary-encoded
and only the dictionary is looked at in Python; numbers go through pyarrow's C cast, with a
pandas fallback only to find the bad cells when the cast fails.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from alignscore._core.spreadsheet import FORMULA_START
from alignscore._core.suggest import did_you_mean

from .columns import MAX_TEXT_LENGTH, Column, Kind

__all__ = ["ParsedColumn", "category_key", "parse_array"]


TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1", "1.0", "是", "真"})
FALSE_WORDS = frozenset({"false", "no", "n", "f", "0", "0.0", "否", "假"})


@dataclass
class ParsedColumn:
    """One parsed column: ``values`` (see the module docstring) and which cells are bad.

    ``expected`` maps a bad cell's text to what was expected, where that differs from the
    column's general expectation (for example a "did you mean" for a misspelt sector).
    """

    values: np.ndarray | pa.Array
    bad: np.ndarray  # bool, True where the cell breaks the contract
    expected: dict[str, str] = field(default_factory=dict)
    #: known to hold no cell that a spreadsheet would run as a formula (see ``FORMULA_START``)
    formula_safe: bool = False


def category_key(text: str) -> str:
    """The form in which category values are compared: case, spaces, ``-`` and ``_`` ignored."""
    return re.sub(r"[\s_\-]+", "", text.lower())


def parse_array(col: Column, arr: pa.Array | pa.ChunkedArray) -> ParsedColumn:
    """Parse one column's cells according to its declaration.

    A cell no parser can take (a struct, a list, undecodable bytes, an integer too large to be
    exact in a float64) is a bad cell of its row, never an error for the whole column.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_null(arr.type):
        arr = pa.array([None] * len(arr), type=pa.string())
    try:
        if _is_text(arr.type) or (pa.types.is_dictionary(arr.type) and _is_text(arr.type.value_type)):
            return _parse_typed(col, arr)
        if _nested(arr.type) or _binary(arr.type):
            return _parse_cells(col, arr)
        return _parse_typed(col, _checked_integers(arr))
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return _parse_cells(col, arr)


#: Integers beyond this are not exact in a float64, the engine's number type.
_EXACT = 2**53


def _nested(t: pa.DataType) -> bool:
    return pa.types.is_nested(t) or pa.types.is_union(t) or (
        pa.types.is_dictionary(t) and _nested(t.value_type)
    )


def _binary(t: pa.DataType) -> bool:
    return (
        pa.types.is_binary(t) or pa.types.is_large_binary(t)
        or pa.types.is_fixed_size_binary(t) or pa.types.is_binary_view(t)
    )  # fmt: skip


def _checked_integers(arr: pa.Array) -> pa.Array:
    """Refuse (to the cell-by-cell path) integers too large to be exact in a float64."""
    if pa.types.is_integer(arr.type) and len(arr) and arr.null_count < len(arr):
        low, high = pc.min_max(arr).values()
        if high.as_py() > _EXACT or low.as_py() < -_EXACT:
            raise OverflowError("integer beyond 2**53")
    return arr


def _parse_cells(col: Column, arr: pa.Array) -> ParsedColumn:
    """The slow, exact path for cells of unusual types: each cell becomes the text a CSV would
    hold and is parsed as such, or is marked bad with what it was."""
    texts: list[str | None] = []
    bad_cells: dict[int, str] = {}
    for i, value in enumerate(_cells(arr)):
        if value is None:
            texts.append(None)
        elif isinstance(value, (dict, list, tuple)):
            texts.append(None)
            bad_cells[i] = f"{col.expected} (got a {'structure' if isinstance(value, dict) else 'list'} of values, not one value)"
        elif isinstance(value, bytes):
            try:
                texts.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                texts.append(None)
                bad_cells[i] = f"{col.expected} (got bytes that are not UTF-8 text)"
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _EXACT and col.kind is not Kind.TEXT:
            texts.append(None)
            bad_cells[i] = f"{col.expected} (at most 2**53 = 9,007,199,254,740,992 in size, to be exact)"
        else:
            texts.append(str(value))
    result = _parse_typed(col, pa.array(texts, pa.string()))
    if bad_cells:
        shown = {i: _shown(v) for i, v in zip(bad_cells, (_cells(arr)[i] for i in bad_cells), strict=True)}
        result.bad[list(bad_cells)] = True
        for i, expected in bad_cells.items():
            result.expected[shown[i]] = expected
        result.formula_safe = False
    return result


def _cells(arr: pa.Array) -> list:
    try:
        return arr.to_pylist()
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return [None if not cell.is_valid else str(cell) for cell in arr]


def _shown(value: object) -> str:
    """A bad cell as :meth:`Profiles.problems` shows it (``str`` of the value as read)."""
    return str(value)


def _parse_typed(col: Column, arr: pa.Array) -> ParsedColumn:
    if col.kind is Kind.TEXT:
        return _parse_text(col, arr)
    if col.kind is Kind.CATEGORY:
        return _parse_category(col, arr)
    if col.kind is Kind.BOOLEAN:
        return _parse_boolean(col, arr)
    if col.kind is Kind.DATE:
        return _parse_date(col, arr)
    return _parse_number(col, arr)


# --- helpers -------------------------------------------------------------------------------


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _blank_to_null(arr: pa.Array) -> pa.Array:
    """Trim whitespace; a cell with nothing left is unknown (null)."""
    trimmed = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, trimmed.type), trimmed)


def _no_bad(n: int) -> np.ndarray:
    return np.zeros(n, dtype=bool)


def _map_dictionary(arr: pa.Array, lookup) -> tuple[np.ndarray, np.ndarray, list[str], bool]:
    """Dictionary-encode ``arr`` and map each distinct value with ``lookup(text) -> code``.

    ``lookup`` gets the trimmed text and returns a code, ``None`` for unknown, or raises
    ``KeyError`` for a bad value. Returns (codes per row as float64 with NaN unknown, bad mask,
    distinct bad texts, whether no distinct value starts like a spreadsheet formula).
    """
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    dictionary = arr.dictionary.to_pylist()
    table = np.full(len(dictionary) + 1, np.nan)
    bad_code = np.zeros(len(dictionary) + 1, dtype=bool)
    bad_texts: list[str] = []
    safe = True
    for i, raw in enumerate(dictionary):
        if isinstance(raw, str) and raw.startswith(FORMULA_START):
            safe = False
        text = str(raw).strip() if raw is not None else ""
        if text == "":
            continue
        try:
            code = lookup(text)
        except KeyError:
            bad_code[i] = True
            bad_texts.append(text)
            continue
        if code is not None:
            table[i] = code
    indices = arr.indices.fill_null(len(dictionary)).to_numpy(zero_copy_only=False)
    return table[indices], bad_code[indices], bad_texts, safe


# --- text ----------------------------------------------------------------------------------


def _blank_mask(arr: pa.Array) -> pa.Array:
    """True where a text cell is null, empty or only whitespace (one cheap pass each)."""
    empty = pc.equal(pc.binary_length(arr), 0)
    return pc.fill_null(pc.or_(empty, pc.utf8_is_space(arr)), True)


def _parse_text(col: Column, arr: pa.Array) -> ParsedColumn:
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if not _is_text(arr.type):
        arr = pc.cast(arr, pa.string())
    n = len(arr)
    bad = _no_bad(n)
    expected: dict[str, str] = {}
    blank = _blank_mask(arr)
    if col.required:
        bad |= blank.to_numpy(zero_copy_only=False)
    elif blank.true_count:  # a blank optional text cell is unknown
        arr = pc.if_else(blank, pa.scalar(None, arr.type), arr)
    nul = pc.fill_null(pc.match_substring(arr, "\x00"), False)
    if nul.true_count:
        bad |= nul.to_numpy(zero_copy_only=False)
        for text in pc.filter(arr, nul).to_pylist():
            expected[text] = "text without NUL (\\x00) characters"
    # bytes bound characters from above: count characters only if some cell could be too long
    if n and (pc.max(pc.binary_length(arr)).as_py() or 0) > MAX_TEXT_LENGTH:
        long = pc.fill_null(pc.greater(pc.utf8_length(arr), MAX_TEXT_LENGTH), False)
        if long.true_count:
            bad |= long.to_numpy(zero_copy_only=False)
            for text in pc.filter(arr, long).to_pylist():
                expected[text] = f"text of at most {MAX_TEXT_LENGTH} characters (got {len(text):,})"
    return ParsedColumn(arr, bad, expected)


# --- categories ----------------------------------------------------------------------------


def _parse_category(col: Column, arr: pa.Array) -> ParsedColumn:
    by_key = {category_key(v): i for i, v in enumerate(col.vocabulary)}
    for alias, value in col.aliases:
        by_key.setdefault(category_key(alias), col.vocabulary.index(value))

    def lookup(text: str) -> int:
        return by_key[category_key(text)]

    if not pa.types.is_dictionary(arr.type) and not _is_text(arr.type):
        arr = pc.cast(arr, pa.string())
    codes, bad, bad_texts, safe = _map_dictionary(arr, lookup)
    expected = {}
    for text in bad_texts:
        hint = did_you_mean(text, col.vocabulary, n=3)
        hint = f"; {hint}" if hint else ""
        expected[text] = f"one of the {col.name} vocabulary{hint}"
    out = np.where(np.isnan(codes), -1, codes).astype(np.int16)
    return ParsedColumn(out, bad, expected, safe)


# --- booleans ------------------------------------------------------------------------------


def _bool_lookup(text: str) -> float:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return 1.0
    if word in FALSE_WORDS:
        return 0.0
    raise KeyError(text)


def _parse_boolean(col: Column, arr: pa.Array) -> ParsedColumn:
    t = arr.type
    if pa.types.is_boolean(t):
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        return ParsedColumn(values, _no_bad(len(arr)))
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        bad = ~np.isnan(values) & (values != 0.0) & (values != 1.0)
        return ParsedColumn(np.where(bad, np.nan, values), bad)
    if not pa.types.is_dictionary(t) and not _is_text(t):
        arr = pc.cast(arr, pa.string())
    values, bad, _, safe = _map_dictionary(arr, _bool_lookup)
    return ParsedColumn(values, bad, formula_safe=safe)


# --- numbers -------------------------------------------------------------------------------


def _to_float(arr: pa.Array) -> np.ndarray:
    """Strings to float64: pyarrow's cast when every cell is a number, else pandas to locate."""
    try:
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False).copy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        as_series = pd.Series(arr.to_numpy(zero_copy_only=False), dtype=object)
        return pd.to_numeric(as_series, errors="coerce").to_numpy(dtype=np.float64, copy=True)


def _parse_number(col: Column, arr: pa.Array) -> ParsedColumn:
    t = arr.type
    n = len(arr)
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = arr.type
    expected: dict[str, str] = {}
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        if not values.flags.writeable:  # a zero-copy view of Arrow memory
            values = values.copy()
        bad = np.isinf(values)
    elif pa.types.is_boolean(t):
        bad = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False))
        values = np.full(n, np.nan)
    else:
        if not _is_text(t):
            arr = pc.cast(arr, pa.string())
        text = _blank_to_null(arr)
        blank = text.is_null().to_numpy(zero_copy_only=False)
        percent = np.zeros(n, dtype=bool)
        if n and pc.any(pc.fill_null(pc.ends_with(text, "%"), False)).as_py():
            percent = pc.fill_null(pc.ends_with(text, "%"), False).to_numpy(zero_copy_only=False)
            text = pc.replace_substring_regex(text, r"\s*%$", "")
        values = _to_float(text)
        bad = ~blank & ~np.isfinite(values)
        if percent.any():
            if col.percent:
                values = np.where(percent, values / 100.0, values)
            else:
                bad |= percent
        if bad.any():
            for raw in pc.filter(arr, pa.array(bad)).to_pylist():
                word = raw.strip().lower()
                if word in {"nan", "inf", "+inf", "-inf", "infinity", "-infinity"} or "e" in word:
                    expected[raw] = col.expected + " (finite; leave the cell blank for unknown)"
                elif "," in word:
                    expected[raw] = col.expected + " (no thousands separators or decimal commas)"
    known = ~np.isnan(values) & ~bad
    if col.minimum is not None:
        bad |= known & (values < col.minimum)
    high = col.upper_bound()
    if high is not None:
        bad |= known & (values > high)
    if col.kind is Kind.INTEGER:
        # whole numbers, and small enough to be exact in a float64 (and an int64)
        bad |= known & ((values != np.floor(values)) | (np.abs(values) > 2.0**53))
    values[bad] = np.nan
    values += 0.0  # turns -0.0 into 0.0
    # a cell that parsed as a number can only spell a number (``-0``, ``+5``), never a formula
    return ParsedColumn(values, bad, expected, formula_safe=True)


# --- dates ---------------------------------------------------------------------------------


def _parse_date(col: Column, arr: pa.Array) -> ParsedColumn:
    t = arr.type
    n = len(arr)
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        values = pc.cast(arr, pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
        return ParsedColumn(values, _no_bad(n), formula_safe=True)
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
    if not _is_text(arr.type):
        arr = pc.cast(arr, pa.string())
    text = _blank_to_null(arr)
    try:
        values = pc.cast(text, pa.date32()).to_numpy(zero_copy_only=False)
        return ParsedColumn(values.astype("datetime64[D]"), _no_bad(n), formula_safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    bad = _no_bad(n)
    for i, raw in enumerate(text.to_pylist()):
        if raw is None:
            continue
        try:
            out[i] = np.datetime64(_dt.date.fromisoformat(raw), "D")
        except ValueError:
            bad[i] = True
    return ParsedColumn(out, bad, formula_safe=True)
