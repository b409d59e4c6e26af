"""Reading the Tushare Pro tables a user saved: one file per API, checked column by column.

Each table is as ``pro.<api>(...)`` returns it (Tushare's own column names), saved as CSV or
Parquet under the API's name (``income.csv``, ``top10_holders.parquet``). Any table may be
missing. A table that is present must have the columns the profile builder reads; a missing or
renamed one is an :class:`~alignscore.exceptions.InputError` naming the table and the column,
with the closest column present as a suggestion. Every cell is read as text, so ``000001``
keeps its zeros; numbers are parsed where they are used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alignscore._core.suggest import did_you_mean
from alignscore.exceptions import InputError

__all__ = ["TABLES", "TableSpec", "check_tables", "fetch_tushare_tables", "read_tushare_dir"]


@dataclass(frozen=True)
class TableSpec:
    """What the builder reads from one Tushare Pro API: columns it cannot do without, and
    columns it uses when they are there."""

    api: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    #: arguments for the optional fetch path (``pro.<api>(**fetch)``)
    fetch: tuple[tuple[str, str], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


TABLES: dict[str, TableSpec] = {
    spec.api: spec
    for spec in (
        TableSpec("stock_basic", ("ts_code", "name"),
                  ("area", "industry", "list_status", "act_name", "act_ent_type"),
                  (("list_status", "L"),
                   ("fields", "ts_code,symbol,name,area,industry,list_status,list_date,"
                              "act_name,act_ent_type"))),
        TableSpec("stock_company", ("ts_code",),
                  ("com_name", "setup_date", "province", "employees", "main_business"),
                  (("fields", "ts_code,com_name,setup_date,province,employees,main_business"),)),
        TableSpec("fina_mainbz", ("ts_code", "end_date", "bz_item", "bz_sales"),
                  ("bz_code", "update_flag"), (("type", "D"),)),
        TableSpec("income", ("ts_code", "ann_date", "end_date", "revenue"),
                  ("f_ann_date", "report_type", "total_revenue", "rd_exp", "sell_exp",
                   "update_flag"),
                  (("report_type", "1"),)),
        TableSpec("top10_holders", ("ts_code", "ann_date", "end_date", "holder_name"),
                  ("hold_ratio",)),
    )
}  # fmt: skip

_SUFFIXES = (".csv", ".parquet", ".pq")


def _suggest(column: str, present: list[str]) -> str:
    hint = did_you_mean(column, present)
    return f" ({hint})" if hint else ""


def check_tables(tables: Mapping[str, pd.DataFrame], source: str = "<tables>") -> dict[str, pd.DataFrame]:
    """Validate the tables by name and columns; return them with every cell as text.

    An unknown table name is an error too (a misspelt ``income`` would otherwise be silently
    missing).
    """
    out: dict[str, pd.DataFrame] = {}
    for api, frame in tables.items():
        if api not in TABLES:
            raise InputError(source, f"unknown Tushare table {api!r}{_suggest(api, list(TABLES))}; "
                                     f"expected some of {', '.join(TABLES)}")  # fmt: skip
        if not isinstance(frame, pd.DataFrame):
            raise InputError(source, f"table {api!r} must be a pandas DataFrame, got {type(frame).__name__}")
        present = [str(c) for c in frame.columns]
        for column in TABLES[api].required:
            if column not in present:
                raise InputError(
                    source,
                    f"table '{api}' has no column '{column}'{_suggest(column, present)}; "
                    f"Tushare's {api} has it and the profile builder needs it",
                )
        frame = frame.copy()
        frame.columns = present
        out[api] = _as_text(frame)
    return out


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as pandas text (``<NA>`` for blank); floats like ``20231231.0`` that a
    spreadsheet round trip produces lose their ``.0``."""
    text = {}
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_float_dtype(col):
            whole = col.notna() & (col == col.round())
            as_str = col.astype("string")
            as_str = as_str.mask(whole, col.where(whole).astype("Int64").astype("string"))
            text[name] = as_str
        else:
            s = col.astype("string").str.strip()
            text[name] = s.mask(s == "")
    return pd.DataFrame(text, index=frame.index)


def read_tushare_dir(directory: str | Path) -> dict[str, pd.DataFrame]:
    """Read every ``<api>.csv`` / ``<api>.parquet`` in ``directory`` (other files are ignored
    and listed nowhere: a folder may hold more than Tushare tables)."""
    root = Path(directory)
    if not root.exists():
        raise InputError(root, "no such folder")
    if not root.is_dir():
        raise InputError(root, "is a file, expected a folder of Tushare tables (stock_basic.csv, income.csv, ...)")
    tables: dict[str, pd.DataFrame] = {}
    for api in TABLES:
        found = [root / f"{api}{s}" for s in _SUFFIXES if (root / f"{api}{s}").is_file()]
        if len(found) > 1:
            raise InputError(root, f"both {found[0].name} and {found[1].name} are present; keep one")
        if not found:
            continue
        path = found[0]
        try:
            if path.suffix == ".csv":
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            else:
                frame = pd.read_parquet(path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise InputError(path, f"cannot be read as a Tushare {api} table ({exc})") from None
        tables[api] = frame
    if not tables:
        raise InputError(root, "holds none of the Tushare tables "
                               + ", ".join(f"{a}.csv" for a in TABLES))  # fmt: skip
    return check_tables(tables, str(root))


def fetch_tushare_tables(
    ts_codes: list[str] | None = None,
    *,
    periods: tuple[str, ...] = (),
    token: str | None = None,
    client: object | None = None,
) -> dict[str, pd.DataFrame]:
    """Fetch the five tables with the ``tushare`` package (``pip install 'alignscore[tushare]'``).

    ``client`` is anything with Tushare Pro's methods (``pro.stock_basic(**kw)`` ...); without
    it, ``tushare.pro_api(token)`` is made with ``token`` or the ``TUSHARE_TOKEN`` environment
    variable. ``stock_basic`` and ``stock_company`` are fetched for the whole market; the per-firm
    tables for each of ``ts_codes`` (default: every code ``stock_basic`` returned), restricted to
    ``periods`` (``"20231231"``) when given.
    """
    import os

    if client is None:
        token = token or os.environ.get("TUSHARE_TOKEN")
        if not token:
            raise InputError("TUSHARE_TOKEN", "set the TUSHARE_TOKEN environment variable (or pass token=) to fetch from Tushare Pro")
        try:
            import tushare  # optional extra: imported only here
        except ImportError:
            raise InputError("tushare", "the tushare package is not installed; pip install 'alignscore[tushare]'") from None
        client = tushare.pro_api(token)
    tables: dict[str, list[pd.DataFrame]] = {api: [] for api in TABLES}
    for api in ("stock_basic", "stock_company"):
        tables[api].append(getattr(client, api)(**dict(TABLES[api].fetch)))
    codes = ts_codes if ts_codes is not None else tables["stock_basic"][0]["ts_code"].astype(str).tolist()
    for api in ("fina_mainbz", "income", "top10_holders"):
        call = getattr(client, api)
        for code in codes:
            for period in periods or (None,):
                kwargs = dict(TABLES[api].fetch, ts_code=code)
                if period is not None:
                    kwargs["period"] = period
                tables[api].append(call(**kwargs))
    frames = {api: pd.concat(parts, ignore_index=True) for api, parts in tables.items() if parts}
    return check_tables(frames, "<tushare>")
