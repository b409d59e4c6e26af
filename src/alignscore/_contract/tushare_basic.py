"""The Tushare adapter: ``stock_basic`` rows (the A-share list researchers pull from Tushare) to
firm profiles.

- ``industry`` (Tushare's 110 categories, in Chinese) -> ``sector``, through the data file
  ``alignscore/data/tushare_industry.csv`` (every category assigned; judgement calls noted);
- ``ts_code`` -> ``ticker``, and its board -> ``listing_venue`` (688/689 STAR, 300/301/302 ChiNext,
  ``.BJ`` Beijing Stock Exchange, other ``.SH``/``.SZ`` main boards); for a delisted firm this is
  the board it was listed on (its ``status`` column is carried through);
- ``area`` -> ``hq_province`` through ``alignscore/data/tushare_area.csv`` (深圳 is Guangdong).

Every other contract column is unknown. The Tushare columns themselves are carried through.
See ``docs/tushare-adapter.md``.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from alignscore.exceptions import InputError

__all__ = ["TUSHARE_COLUMNS", "from_tushare"]

TUSHARE_COLUMNS = ("ts_code", "name", "area", "industry")


@cache
def _mapping(file: str, key: str, value: str) -> dict[str, str]:
    text = resources.files("alignscore").joinpath("data", file).read_text(encoding="utf-8")
    return {row[key]: row[value] for row in csv.DictReader(text.splitlines())}


def industry_map() -> dict[str, str]:
    """Tushare industry (Chinese) -> contract sector."""
    return _mapping("tushare_industry.csv", "industry", "sector")


def area_map() -> dict[str, str]:
    """Tushare area (Chinese) -> contract ``hq_province``."""
    return _mapping("tushare_area.csv", "area", "hq_province")


def _lookup(arr: pa.Array, mapping: dict[str, str]) -> pa.Array:
    """Map text through ``mapping``; blanks stay blank, an unmapped value stays as it was so
    that the contract's parser reports it."""
    encoded = pc.dictionary_encode(pc.utf8_trim_whitespace(arr.cast(pa.string())))
    mapped = [None if v in (None, "") else mapping.get(v, v) for v in encoded.dictionary.to_pylist()]
    return pa.DictionaryArray.from_arrays(encoded.indices, pa.array(mapped, pa.string())).cast(
        pa.string()
    )


def _venue(codes: pa.Array) -> pa.Array:
    code = np.asarray(pc.fill_null(codes.cast(pa.string()), "").to_pylist(), dtype=object)
    text = code.astype(str)
    prefix = np.array([s[:3] for s in text], dtype=object)
    venue = np.full(len(text), None, dtype=object)
    sh = np.char.endswith(text.astype("U"), ".SH")
    sz = np.char.endswith(text.astype("U"), ".SZ")
    bj = np.char.endswith(text.astype("U"), ".BJ")
    star = np.isin(prefix, ["688", "689"])
    chinext = np.isin(prefix, ["300", "301", "302"])
    venue[sh] = "sse_main"
    venue[sz] = "szse_main"
    venue[sh & star] = "star"
    venue[sz & chinext] = "chinext"
    venue[bj] = "bse"
    return pa.array(venue.tolist(), type=pa.string())


def from_tushare(table: pa.Table) -> pa.Table:
    """Turn a chunk of Tushare ``stock_basic`` rows into contract columns (plus the originals)."""
    missing = [c for c in TUSHARE_COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(
            "<tushare>",
            f"--source tushare needs the stock_basic columns {', '.join(TUSHARE_COLUMNS)}; "
            f"missing: {', '.join(missing)}",
        )
    codes = table.column("ts_code").combine_chunks()
    derived = {
        "ticker": codes.cast(pa.string()),
        "sector": _lookup(table.column("industry").combine_chunks(), industry_map()),
        "listing_venue": _venue(codes),
        "hq_province": _lookup(table.column("area").combine_chunks(), area_map()),
    }
    out = table
    for name, values in derived.items():
        if name in out.column_names:
            out = out.set_column(out.column_names.index(name), name, values)
        else:
            out = out.append_column(name, values)
    return out
