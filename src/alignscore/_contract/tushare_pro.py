"""Firm profiles from Tushare Pro tables, as of a date, with the provenance of every fact.

``profiles_from_tushare(tables, as_of=...)`` joins ``stock_basic``, ``stock_company``,
``fina_mainbz`` (by region), ``income`` and ``top10_holders`` on ``ts_code`` and derives the
contract's columns (formulas and judgement calls: ``docs/tushare-adapter.md``). Every step is a
whole-column pandas operation (filters, ``groupby``, merges, a loop over the few dozen rows of
a keyword table at most), so the 5,806-firm universe builds in well under a second.

The as-of rule: a figure is used only if it was published on or before ``as_of``. ``income``
and ``top10_holders`` carry their announcement dates; ``fina_mainbz`` does not, so an annual
region split counts as published when ``income`` shows that year's annual report announced by
``as_of``, and otherwise only from 30 April of the next year (the legal deadline for an annual
report). Of several rows for one firm and period, the latest announcement wins (then
``update_flag`` 1, then the later row of the file).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from alignscore.exceptions import InputError

from .tushare_basic import _venue, area_map, industry_map
from .tushare_tables import check_tables, read_tushare_dir

__all__ = ["PROVENANCE_COLUMNS", "profiles_from_tushare", "write_frame"]

#: Columns of the structured provenance frame (one row per firm and derived field).
PROVENANCE_COLUMNS = ("ts_code", "field", "table", "columns", "end_date", "ann_date", "source")

#: The profile's columns, in output order (contract columns, then extras).
_OUTPUT = ("name", "ticker", "sector", "listing_venue", "hq_province", "ownership",
           "overseas_revenue_share", "revenue_cny_bn", "rd_intensity", "sm_intensity",
           "founded_year", "employees", "ts_code", "industry", "act_ent_type",
           "state_holder_top10", "profile_source")  # fmt: skip

_REVENUE_DEADLINE = (4, 30)  # annual reports are due within four months of the year end


@cache
def _data(file: str) -> tuple[dict[str, str], ...]:
    text = resources.files("alignscore").joinpath("data", file).read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))


def _as_of(as_of: str | dt.date | None) -> pd.Timestamp:
    if as_of is None:
        return pd.Timestamp(dt.date.today())
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(as_of)) if isinstance(as_of, str) else as_of)
    except ValueError:
        raise InputError("--as-of", f"{as_of!r} is not a date (expected YYYY-MM-DD)") from None


def _dates(s: pd.Series) -> pd.Series:
    """Tushare's ``YYYYMMDD`` text (or ISO) to timestamps; blank or malformed -> NaT."""
    digits = s.astype("string").str.replace("-", "", regex=False).str.slice(0, 8)
    return pd.to_datetime(digits, format="%Y%m%d", errors="coerce")


def _num(s: pd.Series) -> pd.Series:
    numbers: pd.Series = pd.to_numeric(s, errors="coerce")
    return numbers


def _iso(ts: pd.Series) -> pd.Series:
    text: pd.Series = ts.dt.strftime("%Y-%m-%d").astype("string")
    return text


def _map_text(s: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """Map text through ``mapping``; an unmapped value stays as it was, so that the contract's
    parser reports it rather than the builder guessing."""
    return s.map(mapping).astype("string").fillna(s)


def _announced(income: pd.DataFrame) -> pd.Series:
    """When a statement became public: ``f_ann_date`` (actual announcement), else ``ann_date``."""
    ann = _dates(income["ann_date"])
    return _dates(income["f_ann_date"]).fillna(ann) if "f_ann_date" in income else ann


def _latest(frame: pd.DataFrame, keys: list[str], order: list[str]) -> pd.DataFrame:
    """Keep, per ``keys``, the row that sorts last by ``order`` (ties: the later row)."""
    frame = frame.assign(_row=np.arange(len(frame)))
    frame = frame.sort_values([*order, "_row"], kind="stable", na_position="first")
    return frame.drop_duplicates(keys, keep="last").drop(columns="_row")


# --- one derivation per table ---------------------------------------------------------------


def _income(income: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Latest annual consolidated income statement announced on or before ``as_of``."""
    f = income
    if "report_type" in f:
        f = f[f["report_type"].isna() | (f["report_type"] == "1")]
    end = _dates(f["end_date"])
    ann = _announced(f)
    revenue = _num(f["revenue"])
    if "total_revenue" in f:
        revenue = revenue.fillna(_num(f["total_revenue"]))
    g = pd.DataFrame({
        "ts_code": f["ts_code"], "end": end, "ann": ann, "revenue": revenue,
        "rd_exp": _num(f["rd_exp"]) if "rd_exp" in f else np.nan,
        "sell_exp": _num(f["sell_exp"]) if "sell_exp" in f else np.nan,
        "flag": _num(f["update_flag"]).fillna(0) if "update_flag" in f else 0,
    })  # fmt: skip
    annual = (g["end"].dt.month == 12) & (g["end"].dt.day == 31)
    g = g[annual & g["ann"].notna() & (g["ann"] <= as_of) & g["ts_code"].notna()]
    g = _latest(g, ["ts_code", "end"], ["ann", "flag"])
    g = _latest(g, ["ts_code"], ["end"])
    return g.set_index("ts_code")


def _mainbz(mainbz: pd.DataFrame, published: pd.Series, as_of: pd.Timestamp) -> pd.DataFrame:
    """Overseas share of the latest annual region split published by ``as_of``.

    ``published`` maps (ts_code, end) to the annual report's announcement date, from ``income``.
    """
    f = mainbz
    if "bz_code" in f:
        f = f[f["bz_code"].isna() | (f["bz_code"] == "D")]
    g = pd.DataFrame({
        "ts_code": f["ts_code"], "end": _dates(f["end_date"]),
        "item": f["bz_item"].fillna(""), "sales": _num(f["bz_sales"]),
        "flag": _num(f["update_flag"]).fillna(0) if "update_flag" in f else 0,
    })  # fmt: skip
    g = g[(g["end"].dt.month == 12) & (g["end"].dt.day == 31) & g["ts_code"].notna()]
    ann = pd.Series(
        published.reindex(pd.MultiIndex.from_frame(g[["ts_code", "end"]])).to_numpy(),
        index=g.index, dtype="datetime64[ns]",
    )
    deadline = g["end"] + pd.DateOffset(months=_REVENUE_DEADLINE[0])
    g = g.assign(ann=ann, by_deadline=ann.isna())
    g["ann"] = g["ann"].fillna(deadline)
    g = g[g["ann"] <= as_of]
    g = _latest(g, ["ts_code", "end", "item"], ["flag"])  # a corrected row replaces the old
    totals = g["item"].str.contains("合计|小计|总计", regex=True)
    g = g[~totals & (g["sales"] > 0)]
    g = g.assign(overseas=_is_overseas(g["item"]))
    g["overseas_sales"] = g["sales"].where(g["overseas"], 0.0)
    per = g.groupby(["ts_code", "end"], sort=False).agg(
        sales=("sales", "sum"), overseas_sales=("overseas_sales", "sum"),
        ann=("ann", "max"), by_deadline=("by_deadline", "all"),
    )  # fmt: skip
    per = per.reset_index()
    per = _latest(per, ["ts_code"], ["end"]).set_index("ts_code")
    per["share"] = (per["overseas_sales"] / per["sales"]).clip(0, 1)
    return per


def _is_overseas(items: pd.Series) -> pd.Series:
    keywords = [row["keyword"] for row in _data("tushare_overseas_regions.csv")]
    overseas = items.str.contains("|".join(map(re.escape, keywords)), regex=True)
    domestic = items.str.contains("境内|国内|中国大陆|内销", regex=True)
    return overseas & ~domestic


def _holders(top10: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Latest top-10 list announced by ``as_of``; whether a named state fund is on it."""
    f = top10
    g = pd.DataFrame({
        "ts_code": f["ts_code"], "end": _dates(f["end_date"]), "ann": _dates(f["ann_date"]),
        "holder": f["holder_name"].fillna(""),
    })  # fmt: skip
    g = g[g["ann"].notna() & (g["ann"] <= as_of) & g["ts_code"].notna()]
    # the latest period, and within it the latest announcement of that period's list
    last_end = g.groupby("ts_code")["end"].transform("max")
    g = g[g["end"] == last_end]
    last_ann = g.groupby("ts_code")["ann"].transform("max")
    g = g[g["ann"] == last_ann]
    patterns = [r["pattern"] for r in _data("tushare_state_holders.csv") if r["counts"] == "yes"]
    hit = g["holder"].str.contains("|".join(map(re.escape, patterns)), regex=True)
    g = g.assign(state=hit, state_name=g["holder"].where(hit))
    per = g.groupby("ts_code", sort=False).agg(
        end=("end", "first"), ann=("ann", "first"), state=("state", "any"),
        state_name=("state_name", "first"),
    )  # fmt: skip
    return per


def _sector(industry: pd.Series, main_business: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Tushare industry -> sector, refined by ``main_business`` keywords for coarse industries.
    Returns the sector and the keyword that refined it (or <NA>)."""
    sector = _map_text(industry, industry_map())
    keyword = pd.Series(pd.NA, index=industry.index, dtype="string")
    text = main_business.fillna("")
    for row in _data("tushare_sector_keywords.csv"):  # a few dozen rows, each a column operation
        hit = (industry == row["industry"]).fillna(False) & keyword.isna()
        hit &= text.str.contains(row["keyword"], regex=False)
        sector = sector.mask(hit, row["sector"])
        keyword = keyword.mask(hit, row["keyword"])
    return sector, keyword


def _ownership(ent_type: pd.Series, state: pd.Series) -> pd.Series:
    """``act_ent_type`` -> ownership; a private or controller-less firm with a named state fund
    among its top-10 holders is ``state_invested``."""
    rows = _data("tushare_ent_type.csv")
    mapping = {r["act_ent_type"]: (r["ownership"] or None) for r in rows}
    unknown = sorted(set(ent_type[ent_type.notna() & ~ent_type.isin(list(mapping))].tolist()))
    if unknown:
        raise InputError("stock_basic", f"column 'act_ent_type' has a value the builder does not "
                                        f"know: {unknown[0]!r} (known: {', '.join(mapping)})")  # fmt: skip
    base = ent_type.map(mapping).astype("string")
    no_controller = ent_type.isin(["公众企业", "无实际控制人"])
    lift = state.fillna(False).astype(bool) & (base.eq("private").fillna(False) | no_controller)
    return base.mask(lift, "state_invested")


# --- the builder ----------------------------------------------------------------------------


def profiles_from_tushare(
    tables: Mapping[str, pd.DataFrame] | str | Path, *, as_of: str | dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build firm profiles from Tushare Pro tables, as of a date (default: today).

    ``tables`` maps API names (``stock_basic``, ``stock_company``, ``fina_mainbz``, ``income``,
    ``top10_holders``) to the frames Tushare returned, or is a folder holding them as
    ``<api>.csv`` or ``<api>.parquet``; any table may be missing. Returns
    ``(profiles, provenance)``: ``profiles`` has the contract's columns plus the extras
    ``ts_code``, ``industry``, ``act_ent_type``, ``state_holder_top10`` and ``profile_source``
    (a one-line, human-readable provenance per firm); ``provenance`` has one row per firm and
    derived field, with the columns :data:`PROVENANCE_COLUMNS`.

    >>> import pandas as pd
    >>> basic = pd.DataFrame({"ts_code": ["300750.SZ"], "name": ["宁德时代"],
    ...                       "industry": ["电气设备"], "act_ent_type": ["民营企业"]})
    >>> income = pd.DataFrame({"ts_code": ["300750.SZ"], "ann_date": ["20240316"],
    ...                        "end_date": ["20231231"], "revenue": [400917000000.0],
    ...                        "rd_exp": [18356000000.0]})
    >>> profiles, provenance = profiles_from_tushare(
    ...     {"stock_basic": basic, "income": income}, as_of="2024-06-30")
    >>> round(float(profiles.loc[0, "rd_intensity"]), 4), profiles.loc[0, "ownership"]
    (0.0458, 'private')
    >>> for part in profiles.loc[0, "profile_source"].split("; "):
    ...     print(part)
    sector=stock_basic.industry
    ownership=stock_basic.act_ent_type
    revenue_cny_bn=income 2023-12-31 (ann 2024-03-16)
    rd_intensity=income 2023-12-31 (ann 2024-03-16)
    >>> provenance.loc[provenance["field"] == "rd_intensity", ["table", "end_date", "ann_date"]]
        table    end_date    ann_date
    3  income  2023-12-31  2024-03-16
    """
    when = _as_of(as_of)
    t = read_tushare_dir(tables) if isinstance(tables, (str, Path)) else check_tables(tables)
    basic = _dedupe(t.get("stock_basic"))
    company = _dedupe(t.get("stock_company"))
    codes = _universe(basic, t)
    out = pd.DataFrame({"ts_code": codes}, index=pd.RangeIndex(len(codes)))
    sources: list[pd.DataFrame] = []

    def take(frame: pd.DataFrame | None, column: str) -> pd.Series:
        if frame is None or column not in frame:
            return pd.Series(pd.NA, index=out.index, dtype="string")
        return frame[column].reindex(out["ts_code"]).reset_index(drop=True).astype("string")

    def record(field: str, has: pd.Series, table: str, columns: str,
               end: pd.Series | None = None, ann: pd.Series | None = None,
               text: pd.Series | str | None = None) -> None:  # fmt: skip
        has = has.fillna(False).astype(bool)
        if not has.any():
            return
        end_s = _iso(end) if end is not None else pd.Series(pd.NA, index=out.index, dtype="string")
        ann_s = _iso(ann) if ann is not None else pd.Series(pd.NA, index=out.index, dtype="string")
        if text is None:
            text = f"{table}.{columns}"
        src = pd.Series(text, index=out.index, dtype="string")
        sources.append(pd.DataFrame({
            "ts_code": out["ts_code"], "field": field, "table": table, "columns": columns,
            "end_date": end_s, "ann_date": ann_s, "source": src,
        })[has.to_numpy()])  # fmt: skip

    # names, tickers, venue: stock_basic, else stock_company's full name, else the code
    name = take(basic, "name").fillna(take(company, "com_name")).fillna(out["ts_code"])
    out["name"] = name
    out["ticker"] = out["ts_code"]
    out["listing_venue"] = pd.Series(_venue(pa.array(out["ts_code"].tolist())).to_pylist(),
                                     index=out.index, dtype="string")  # fmt: skip
    # sector
    industry = take(basic, "industry")
    sector, keyword = _sector(industry, take(company, "main_business"))
    out["sector"], out["industry"] = sector, industry
    record("sector", sector.notna() & keyword.isna(), "stock_basic", "industry")
    record("sector", keyword.notna(), "stock_company", "main_business",
           text="stock_company.main_business '" + keyword + "'")
    # province: stock_company.province, else stock_basic.area
    areas = area_map()
    province = _map_text(take(company, "province"), areas)
    area = _map_text(take(basic, "area"), areas)
    out["hq_province"] = province.fillna(area)
    record("hq_province", province.notna(), "stock_company", "province")
    record("hq_province", province.isna() & area.notna(), "stock_basic", "area")
    # founded_year, employees
    setup = _dates(take(company, "setup_date"))
    out["founded_year"] = setup.dt.year.astype("Int64")
    record("founded_year", setup.notna(), "stock_company", "setup_date")
    employees = _num(take(company, "employees"))
    out["employees"] = employees.round().astype("Int64")
    record("employees", employees.notna(), "stock_company", "employees")
    # holders, ownership
    holders = _holders(t["top10_holders"], when) if "top10_holders" in t else None
    state = _reindex(holders, "state", out, "boolean")
    out["state_holder_top10"] = state
    if holders is not None:
        h_end, h_ann = _reindex(holders, "end", out), _reindex(holders, "ann", out)
        record("state_holder_top10", state.notna(), "top10_holders", "holder_name", h_end, h_ann,
               "top10_holders " + _iso(h_end) + " (ann " + _iso(h_ann) + ")")
    ent_type = take(basic, "act_ent_type")
    out["act_ent_type"] = ent_type
    out["ownership"] = _ownership(ent_type, state)
    lifted = out["ownership"].eq("state_invested").fillna(False)
    record("ownership", out["ownership"].notna() & ~lifted, "stock_basic", "act_ent_type")
    if holders is not None:
        name_hit = _reindex(holders, "state_name", out, "string")
        record("ownership", lifted, "top10_holders", "holder_name", h_end, h_ann,
               "stock_basic.act_ent_type + top10_holders " + _iso(h_end) + " '" + name_hit + "'")
    # overseas share, revenue, intensities
    inc = _income(t["income"], when) if "income" in t else None
    # every annual report announced by as_of (not only the latest) dates the region splits
    published = (_published(t["income"], when) if "income" in t
                 else pd.Series(dtype="datetime64[ns]"))  # fmt: skip
    mb = _mainbz(t["fina_mainbz"], published, when) if "fina_mainbz" in t else None
    share = _reindex(mb, "share", out, "Float64")
    out["overseas_revenue_share"] = share
    if mb is not None:
        m_end, m_ann = _reindex(mb, "end", out), _reindex(mb, "ann", out)
        how = pd.Series(np.where(_reindex(mb, "by_deadline", out, "boolean").fillna(False),
                                 "due by ", "ann "), index=out.index, dtype="string")  # fmt: skip
        record("overseas_revenue_share", share.notna(), "fina_mainbz", "bz_item,bz_sales",
               m_end, m_ann, "fina_mainbz " + _iso(m_end) + " (" + how + _iso(m_ann) + ")")
    revenue = _reindex(inc, "revenue", out, "Float64")
    out["revenue_cny_bn"] = revenue / 1e9
    positive = revenue.gt(0).fillna(False)
    out["rd_intensity"] = (_reindex(inc, "rd_exp", out, "Float64") / revenue).where(positive)
    out["sm_intensity"] = (_reindex(inc, "sell_exp", out, "Float64") / revenue).where(positive)
    if inc is not None:
        i_end, i_ann = _reindex(inc, "end", out), _reindex(inc, "ann", out)
        i_text = "income " + _iso(i_end) + " (ann " + _iso(i_ann) + ")"
        for field, cols in (("revenue_cny_bn", "revenue"), ("rd_intensity", "rd_exp,revenue"),
                            ("sm_intensity", "sell_exp,revenue")):  # fmt: skip
            record(field, out[field].notna(), "income", cols, i_end, i_ann, i_text)
    provenance = _provenance(sources, out["ts_code"])
    out["profile_source"] = _one_line(provenance, out["ts_code"])
    return out[list(_OUTPUT)], provenance


def _published(income: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """(ts_code, annual end) -> earliest announcement on or before ``as_of``, from ``income``."""
    end = _dates(income["end_date"])
    g = pd.DataFrame({"ts_code": income["ts_code"], "end": end, "ann": _announced(income)})
    g = g[g["ann"].notna() & (g["ann"] <= as_of) & (g["end"].dt.month == 12) & (g["end"].dt.day == 31)]
    earliest: pd.Series = g.groupby(["ts_code", "end"])["ann"].min()
    return earliest


def _dedupe(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """One row per firm for the undated tables: the later row of the file wins."""
    if frame is None:
        return None
    frame = frame[frame["ts_code"].notna()]
    return frame.drop_duplicates("ts_code", keep="last").set_index("ts_code")


def _universe(basic: pd.DataFrame | None, tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    """Every firm of ``stock_basic`` in its order, then firms only other tables name, sorted."""
    first = basic.index.to_series() if basic is not None else pd.Series([], dtype="string")
    others = pd.concat([f["ts_code"] for api, f in tables.items() if api != "stock_basic"]
                       or [pd.Series([], dtype="string")])  # fmt: skip
    extra = pd.Series(sorted(set(others.dropna()) - set(first)), dtype="string")
    return pd.concat([first.astype("string"), extra], ignore_index=True)


def _reindex(
    per: pd.DataFrame | None, column: str, out: pd.DataFrame,
    dtype: Literal["boolean", "string", "Float64"] | None = None,
) -> pd.Series:
    if per is None:
        return pd.Series(pd.NA if dtype else pd.NaT, index=out.index, dtype=dtype or "datetime64[ns]")
    values = per[column].reindex(out["ts_code"]).reset_index(drop=True)
    return values.astype(dtype) if dtype else values


_FIELD_ORDER = ("sector", "hq_province", "ownership", "state_holder_top10", "founded_year",
                "employees", "overseas_revenue_share", "revenue_cny_bn", "rd_intensity",
                "sm_intensity")  # fmt: skip


def _provenance(sources: list[pd.DataFrame], codes: pd.Series) -> pd.DataFrame:
    if not sources:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in PROVENANCE_COLUMNS})
    prov = pd.concat(sources)
    prov["_firm"] = prov.index
    prov["_field"] = prov["field"].map({f: k for k, f in enumerate(_FIELD_ORDER)})
    prov = prov.sort_values(["_firm", "_field"], kind="stable")
    return prov.drop(columns=["_firm", "_field"]).reset_index(drop=True).astype("string")


def _one_line(provenance: pd.DataFrame, codes: pd.Series) -> pd.Series:
    """``field=source; field=source`` per firm, fields in a fixed order; blank when nothing
    was derived (only the name, ticker and venue, which come from the code itself). One
    column operation per field, not one Python call per firm."""
    line = pd.Series("", index=codes.index, dtype="string")
    if provenance.empty:
        return line.mask(line == "")
    wide = provenance.pivot(index="ts_code", columns="field", values="source")
    for field in _FIELD_ORDER:
        if field not in wide:
            continue
        part = wide[field].reindex(codes).reset_index(drop=True).astype("string")
        has = part.notna()
        sep = pd.Series(np.where(line.ne("") & has, "; ", ""), index=codes.index, dtype="string")
        line = line + sep + (field + "=" + part).fillna("")
    return line.mask(line == "")


def write_frame(frame: pd.DataFrame, path: str | Path, *, escape_formulas: bool = True) -> None:
    """Write profiles (or provenance) atomically; the format follows the name (``.csv``,
    ``.parquet``). In CSV, text cells that a spreadsheet would run as a formula get a leading
    ``'``, as in ``alignscore score``'s output (``unescape_formula`` undoes it)."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    from alignscore._core.atomic_write import atomic_path
    from alignscore._core.spreadsheet import escape_formula

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in {".csv", ".parquet", ".pq"}:
        raise InputError(target, "expected an output name ending .csv or .parquet")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with atomic_path(target) as tmp:
        if suffix == ".csv":
            if escape_formulas:
                table = pa.table({n: escape_formula(table.column(n).combine_chunks())
                                  for n in table.column_names})  # fmt: skip
            pa_csv.write_csv(table, tmp)
        else:
            pq.write_table(table, tmp)
