"""The Tushare adapter on the real ``stock_basic.csv`` (docs/tushare-adapter.md).

Private imports (allowed in ``tests/test_private_imports.py``): checks the Tushare mapping against the contract's vocabulary (_contract.columns).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from alignscore import read_firms, validate_file
from alignscore._contract.columns import PROFILE_COLUMNS, PROVINCES, SECTORS
from alignscore.exceptions import InputError, InputWarning, ProfileValidationError

ROOT = Path(__file__).parents[1]
STOCK_BASIC = ROOT / "data" / "ashare-universe" / "stock_basic.csv"
DATA = ROOT / "src" / "alignscore" / "data"
TUSHARE_COLUMNS = ["ts_code", "symbol", "area", "industry", "list_date", "delist_date", "status"]
DERIVED = {"name", "ticker", "sector", "listing_venue", "hq_province"}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def source() -> list[dict[str, str]]:
    return _rows(STOCK_BASIC)


@pytest.fixture(scope="module")
def firms() -> pd.DataFrame:
    return read_firms(STOCK_BASIC, source_format="tushare")


@pytest.fixture(scope="module")
def by_code(firms) -> pd.DataFrame:
    return firms.set_index("ts_code", drop=False)


def test_every_row_in_is_a_firm_out(source, firms):
    assert len(source) == 5806
    assert len(firms) == 5806
    assert firms["ts_code"].tolist() == [r["ts_code"] for r in source]
    assert firms["name"].tolist() == [r["name"] for r in source]


def test_validate_reports_no_problems():
    report = validate_file(STOCK_BASIC, source_format="tushare")
    assert (report.rows, report.valid_rows, report.rejected_rows) == (5806, 5806, 0)
    assert (report.total_problems, report.problems) == (0, [])
    assert report.columns_recognised == ["name", "ticker", "sector", "listing_venue", "hq_province"]
    assert report.columns_carried == TUSHARE_COLUMNS
    assert report.unknown_per_column == {
        "name": 0, "ticker": 0, "sector": 320, "listing_venue": 0, "hq_province": 320,
    }  # fmt: skip


def test_smic(by_code):
    smic = by_code.loc["688981.SH"]
    assert (smic["name"], smic["ticker"]) == ("中芯国际", "688981.SH")
    assert (smic["listing_venue"], smic["sector"], smic["hq_province"]) == (
        "star", "semiconductors", "Shanghai",
    )  # fmt: skip


def test_shenzhen_is_guangdong(firms, by_code):
    assert by_code.loc["000001.SZ", "area"] == "深圳"
    assert by_code.loc["000001.SZ", "hq_province"] == "Guangdong"
    shenzhen = firms[firms["area"] == "深圳"]
    assert len(shenzhen) == 426
    assert set(shenzhen["hq_province"]) == {"Guangdong"}


def test_beijing_exchange_codes_are_bse(firms):
    bj = firms[firms["ts_code"].str.endswith(".BJ")]
    assert len(bj) == 300
    assert set(bj["listing_venue"]) == {"bse"}


def test_chinext_codes(firms, by_code):
    prefix = firms["ts_code"].str[:3]
    chinext = firms[prefix.isin(["300", "301", "302"]) & firms["ts_code"].str.endswith(".SZ")]
    assert set(chinext["listing_venue"]) == {"chinext"}
    assert by_code.loc["300150.SZ", "listing_venue"] == "chinext"
    assert by_code.loc["302132.SZ", "listing_venue"] == "chinext"  # 中航成飞, ex-300114


def test_star_codes(firms):
    star = firms[firms["ts_code"].str.match(r"^68[89]\d{3}\.SH$")]
    assert set(star["listing_venue"]) == {"star"}
    assert len(star) == 606


def test_placeholder_code_falls_to_its_board(by_code):
    assert by_code.loc["TS0018.SH", "listing_venue"] == "sse_main"


def test_venue_counts_match_the_documentation(firms):
    assert firms["listing_venue"].value_counts().to_dict() == {
        "sse_main": 1838, "szse_main": 1632, "chinext": 1430, "star": 606, "bse": 300,
        "hkex": 0, "us": 0, "unlisted": 0, "other": 0,
    }  # fmt: skip


def test_delisted_firms_are_kept_with_sector_and_province_unknown(firms):
    delisted = firms[firms["status"] == "D"]
    assert len(delisted) == 320
    assert delisted["sector"].isna().all()
    assert delisted["hq_province"].isna().all()
    assert delisted["listing_venue"].notna().all()
    assert (delisted["delist_date"] != "").all()


def test_every_industry_is_mapped(source, firms):
    has_industry = firms["industry"] != ""
    assert has_industry.sum() == 5806 - 320
    assert firms.loc[has_industry, "sector"].notna().all()
    assert firms.loc[~has_industry, "sector"].isna().all()
    has_area = firms["area"] != ""
    assert firms.loc[has_area, "hq_province"].notna().all()
    assert firms.loc[~has_area, "hq_province"].isna().all()


def test_sector_counts_match_the_documentation(firms):
    counts = {k: v for k, v in firms["sector"].value_counts().to_dict().items() if v}
    assert counts == {
        "traditional_manufacturing": 2866, "other": 1137, "consumer_electronics": 301,
        "enterprise_software": 282, "semiconductors": 193, "telecom_equipment": 136,
        "real_estate": 97, "home_appliances": 91, "advanced_manufacturing": 84, "biotech": 80,
        "computing_hardware": 79, "aerospace_defense": 53, "clean_energy": 52,
        "new_materials": 35,
    }  # fmt: skip


def test_province_counts_match_the_documentation(firms):
    counts = firms["hq_province"].value_counts()
    assert counts["Guangdong"] == 891
    assert counts["Zhejiang"] == 735
    assert counts["Jiangsu"] == 724
    assert counts["Beijing"] == 483
    assert counts["Shanghai"] == 452
    assert counts["Shandong"] == 311
    assert counts["Qinghai"] == 10
    assert (counts["Hong Kong"], counts["Macau"], counts["overseas"]) == (0, 0, 0)


def test_fields_tushare_does_not_give_stay_unknown(firms):
    for col in PROFILE_COLUMNS:
        if col.name not in DERIVED:
            assert col.name not in firms.columns or firms[col.name].isna().all(), col.name
    assert "founded_year" not in firms.columns  # list_date is not the founding year


def test_tushare_columns_carried_as_text(firms, by_code):
    assert by_code.loc["000001.SZ", "symbol"] == "000001"  # leading zeros kept
    assert by_code.loc["000001.SZ", "list_date"] == "19910403"
    assert by_code.loc["000002.SZ", "name"] == "万科Ａ"  # full-width Ａ copied as is
    assert by_code.loc["000004.SZ", "name"] == "*ST国华"


# --- the mapping files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "key", "value", "column", "vocabulary", "count"),
    [
        ("tushare_industry.csv", "industry", "sector", "industry", SECTORS, 110),
        ("tushare_area.csv", "area", "hq_province", "area", PROVINCES, 32),
    ],
)
def test_mapping_file_covers_every_value_exactly_once(
    source, file, key, value, column, vocabulary, count
):
    raw = (DATA / file).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    rows = _rows(DATA / file)
    keys = [r[key] for r in rows]
    assert len(keys) == count
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    in_file = {r[column] for r in source if r[column]}
    assert set(keys) == in_file
    assert {r[value] for r in rows} <= set(vocabulary)
    # ordered by number of firms, largest first
    firms_per_key = Counter(r[column] for r in source if r[column])
    sizes = [firms_per_key[k] for k in keys]
    assert sizes == sorted(sizes, reverse=True)


def test_industry_file_notes():
    rows = _rows(DATA / "tushare_industry.csv")
    assert list(rows[0]) == ["industry", "industry_en", "sector", "note"]
    assert sum(1 for r in rows if r["note"].strip()) == 40
    assert all(r["industry_en"].strip() for r in rows)
    by_industry = {r["industry"]: r["sector"] for r in rows}
    assert by_industry["半导体"] == "semiconductors"
    assert by_industry["互联网"] == "other"
    assert by_industry["通信设备"] == "telecom_equipment"


def test_area_file_awkward_names():
    by_area = {r["area"]: r["hq_province"] for r in _rows(DATA / "tushare_area.csv")}
    assert by_area["深圳"] == "Guangdong"
    assert by_area["广东"] == "Guangdong"
    assert by_area["内蒙"] == "Inner Mongolia"
    assert by_area["山西"] == "Shanxi"
    assert by_area["陕西"] == "Shaanxi"


# --- the adapter on small inputs ------------------------------------------------------------

HEADER = "ts_code,symbol,name,area,industry,list_date,delist_date,status\n"


def test_missing_tushare_column(write_csv):
    path = write_csv("ts_code,name,industry\n688981.SH,中芯国际,半导体\n")
    with pytest.raises(InputError, match=(
        r"--source tushare needs the stock_basic columns ts_code, name, area, industry; "
        r"missing: area$"
    )):  # fmt: skip
        read_firms(path, source_format="tushare")


def test_unmapped_industry_is_reported_not_guessed(write_csv):
    path = write_csv(HEADER + "688981.SH,688981,中芯国际,上海,火星采矿,20200716,,L\n")
    with pytest.raises(ProfileValidationError, match=(
        r"row 2, column 'sector': '火星采矿' - expected one of the sector vocabulary$"
    )):  # fmt: skip
        read_firms(path, source_format="tushare")


def test_unmapped_area_is_reported_not_guessed(write_csv):
    report = validate_file(
        write_csv(HEADER + "688981.SH,688981,中芯国际,火星,半导体,20200716,,L\n"),
        source_format="tushare",
    )
    assert [(p.row, p.column, p.value) for p in report.problems] == [(2, "hq_province", "火星")]


def test_profile_source_reads_stock_basic_without_deriving(write_csv):
    path = write_csv(HEADER + "688981.SH,688981,中芯国际,上海,半导体,20200716,,L\n")
    with pytest.warns(InputWarning, match=r"looks like a Tushare stock_basic list .*; pass --source tushare"):
        frame = read_firms(path)  # source_format="profile": only the name is a contract column
    assert list(frame.columns) == ["ts_code", "symbol", "name", "area", "industry",
                                   "list_date", "delist_date", "status"]  # fmt: skip
