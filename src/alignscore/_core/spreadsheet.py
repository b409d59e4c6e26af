"""Cells a spreadsheet would run as formulas (OWASP CSV injection): escaping them on the way
out, undoing it on the way back, and making any Arrow column writable as CSV text."""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["FORMULA_START", "csv_writable", "escape_formula", "escape_name", "unescape_formula"]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection);
#: ``'`` is included so that escaping by a leading ``'`` can be undone exactly.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")

#: A cell starting like this is one a spreadsheet would run as a formula (OWASP CSV injection).
_FORMULA_RE = "^[" + re.escape("".join(FORMULA_START)) + "]"


def escape_formula(arr: pa.Array) -> pa.Array:
    """Prefix ``'`` to text cells that start with ``= + - @``, tab, CR or ``'`` itself.

    Reversible: :func:`unescape_formula` drops exactly one leading ``'``, and since a cell that
    already started with ``'`` is escaped too, the round trip is exact.
    """
    arr = csv_writable(arr)
    if not pa.types.is_string(arr.type):
        return arr
    hit = pc.fill_null(pc.match_substring_regex(arr, _FORMULA_RE), False)
    if not pc.any(hit).as_py():
        return arr
    return pc.if_else(hit, pc.binary_join_element_wise("'", arr, ""), arr)


def escape_name(name: str) -> str:
    return "'" + name if name.startswith(FORMULA_START) else name


def csv_writable(arr: pa.Array) -> pa.Array:
    """``arr`` in a type the CSV writer takes, any text as plain ``string``: dictionaries are
    decoded, ``large_string``/``string_view`` cast, binary decoded as UTF-8 (undecodable bytes
    as ``\\xNN``), nested values (structs, lists, maps) written as JSON text."""
    t = arr.type
    if pa.types.is_string(t):
        return arr
    if pa.types.is_dictionary(t):
        return csv_writable(arr.dictionary_decode())
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return arr.cast(pa.string())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t) or pa.types.is_binary_view(t):
        cells = [None if v is None else v.decode("utf-8", "backslashreplace") for v in arr.to_pylist()]
        return pa.array(cells, pa.string())
    if pa.types.is_nested(t) or pa.types.is_union(t) or pa.types.is_duration(t) or pa.types.is_interval(t):
        cells = [None if v is None else json.dumps(v, default=str, ensure_ascii=False) for v in arr.to_pylist()]
        return pa.array(cells, pa.string())
    return arr


def unescape_formula(value: str) -> str:
    """Undo :func:`escape_formula` for one cell read back from alignscore's CSV output.

    >>> unescape_formula("'=SUM(A1)")
    '=SUM(A1)'
    >>> unescape_formula("plain")
    'plain'
    """
    return value[1:] if value.startswith("'") else value
