"""Profiles from Tushare Pro tables (alignscore._contract.tushare_pro; docs/tushare-adapter.md).

Private imports (allowed in ``tests/test_private_imports.py``): checks built profiles against the contract's sectors (_contract.columns).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner  # noqa: TID251 - testing the CLI

import alignscore
from alignscore import cli
from alignscore._contract.columns import SECTORS
from alignscore.exceptions import InputError

ROOT = Path(__file__).parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "tushare_pro"
STOCK_BASIC = ROOT / "data" / "ashare-universe" / "stock_basic.csv"
DATA = ROOT / "src" / "alignscore" / "data"


def _data_rows(file: str) -> list[dict[str, str]]:
    with (DATA / file).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {n: _read(n) for n in ("stock_basic", "stock_company", "income", "top10_holders")}


@pytest.fixture(scope="module")
def built(tables):
    profiles, provenance = alignscore.profiles_from_tushare(tables, as_of="2024-06-30")
    return profiles.set_index("ts_code", drop=False), provenance


# --- the fixture firms against their annual reports ------------------------------------------


def test_every_fixture_firm_is_a_profile_and_valid(built):
    profiles, _ = built
    assert len(profiles) == 12
    frame = alignscore.read_firms(profiles.reset_index(drop=True))
    assert len(frame) == 12


def test_catl_matches_its_2023_annual_report(built):
    catl = built[0].loc["300750.SZ"]
    assert catl["name"] == "宁德时代"
    assert catl["revenue_cny_bn"] == pytest.approx(400.917)  # 4,009.17 亿元
    assert catl["rd_intensity"] == pytest.approx(183.56 / 4009.17)  # 4.58%
    assert pd.isna(catl["sm_intensity"])  # sell_exp not in the fixture: unknown, not 0
    assert (catl["founded_year"], catl["hq_province"]) == (2011, "Fujian")
    assert (catl["ownership"], catl["listing_venue"]) == ("private", "chinext")
    assert catl["sector"] == "batteries"  # 电气设备 refined by 动力电池 in main_business
    assert catl["profile_source"] == (
        "sector=stock_company.main_business '动力电池'; hq_province=stock_company.province; "
        "ownership=stock_basic.act_ent_type; founded_year=stock_company.setup_date; "
        "revenue_cny_bn=income 2023-12-31 (ann 2024-03-16); "
        "rd_intensity=income 2023-12-31 (ann 2024-03-16)"
    )


def test_moutai_revenue_falls_back_to_total_revenue(built):
    moutai = built[0].loc["600519.SH"]
    assert moutai["revenue_cny_bn"] == pytest.approx(150.56)
    assert (moutai["ownership"], moutai["founded_year"]) == ("local_soe", 1999)
    assert moutai["hq_province"] == "Guizhou"


def test_controller_types(built):
    profiles = built[0]
    assert profiles.loc["002415.SZ", "ownership"] == "central_soe"
    assert profiles.loc["600000.SH", "ownership"] == "local_soe"
    assert profiles.loc["002594.SZ", "ownership"] == "private"
    # no actual controller and no state fund among the top 10 (no top-10 rows): unknown
    assert pd.isna(profiles.loc["688981.SH", "ownership"])
    assert pd.isna(profiles.loc["000001.SZ", "ownership"])  # act_ent_type blank


def test_keyword_sectors(built):
    profiles = built[0]
    assert profiles.loc["002594.SZ", "sector"] == "electric_vehicles"  # 汽车整车 + 新能源汽车
    assert profiles.loc["002230.SZ", "sector"] == "ai"  # 软件服务 + 智能语音
    assert profiles.loc["601012.SH", "sector"] == "clean_energy"  # 电气设备 + 光伏
    assert profiles.loc["688981.SH", "sector"] == "semiconductors"  # not a coarse category
    # in no stock_company row: the category default stays, sourced from stock_basic
    assert profiles.loc["300124.SZ", "sector"] == "traditional_manufacturing"
    assert profiles.loc["300124.SZ", "profile_source"].startswith("sector=stock_basic.industry;")


def test_tushare_documentation_examples(built):
    profiles = built[0]
    assert profiles.loc["000001.SZ", "founded_year"] == 1987
    assert profiles.loc["000002.SZ", "founded_year"] == 1984
    # 浦发银行's 2017 top 10: 上海国际集团, 中国移动广东, 证金, 汇金 ... none a named state fund
    assert bool(profiles.loc["600000.SH", "state_holder_top10"]) is False
    assert "state_holder_top10=top10_holders 2017-12-31 (ann 2018-04-28)" in (
        profiles.loc["600000.SH", "profile_source"]
    )


def test_provenance_frame_has_one_row_per_firm_and_field(built):
    profiles, provenance = built
    assert tuple(provenance.columns) == (
        "ts_code", "field", "table", "columns", "end_date", "ann_date", "source",
    )  # fmt: skip
    assert not provenance.duplicated(["ts_code", "field"]).any()
    rd = provenance[(provenance["ts_code"] == "300750.SZ") & (provenance["field"] == "rd_intensity")]
    assert rd[["table", "columns", "end_date", "ann_date"]].values.tolist() == [
        ["income", "rd_exp,revenue", "2023-12-31", "2024-03-16"]
    ]
    # every derived, known cell has a provenance row, and no unknown cell has one
    for field in ("sector", "hq_province", "ownership", "founded_year", "revenue_cny_bn",
                  "rd_intensity", "state_holder_top10"):  # fmt: skip
        known = set(profiles.index[profiles[field].notna()])
        assert set(provenance.loc[provenance["field"] == field, "ts_code"]) == known, field


# --- as of -----------------------------------------------------------------------------------


def test_a_later_report_does_not_leak_in(tables):
    profiles, _ = alignscore.profiles_from_tushare(tables, as_of="2024-03-15")
    catl = profiles.set_index("ts_code").loc["300750.SZ"]
    assert catl["revenue_cny_bn"] == pytest.approx(328.6)  # FY2022, announced 2023-03-09
    assert catl["rd_intensity"] == pytest.approx(155.1 / 3286)
    assert "income 2022-12-31 (ann 2023-03-09)" in catl["profile_source"]
    moutai = profiles.set_index("ts_code").loc["600519.SH"]
    assert pd.isna(moutai["revenue_cny_bn"])  # its only report came out on 2024-04-03


def test_on_the_announcement_day_the_report_counts(tables):
    profiles, _ = alignscore.profiles_from_tushare(tables, as_of="2024-03-16")
    assert profiles.set_index("ts_code").loc["300750.SZ", "revenue_cny_bn"] == pytest.approx(400.917)


def test_latest_announcement_wins_for_a_restated_period():
    income = pd.DataFrame({
        "ts_code": ["A.SZ", "A.SZ", "A.SZ"], "end_date": ["20231231"] * 3,
        "ann_date": ["20240301", "20240801", "20240501"], "revenue": ["100e8", "120e8", "110e8"],
        "update_flag": ["0", "1", "0"],
    })  # fmt: skip
    early, _ = alignscore.profiles_from_tushare({"income": income}, as_of="2024-06-30")
    late, _ = alignscore.profiles_from_tushare({"income": income}, as_of="2024-12-31")
    assert early.loc[0, "revenue_cny_bn"] == pytest.approx(11.0)  # 2024-05-01 restatement
    assert late.loc[0, "revenue_cny_bn"] == pytest.approx(12.0)


def test_quarterly_and_parent_only_statements_are_ignored():
    income = pd.DataFrame({
        "ts_code": ["A.SZ"] * 3, "end_date": ["20240331", "20231231", "20231231"],
        "ann_date": ["20240420", "20240320", "20240320"], "report_type": ["1", "6", "1"],
        "revenue": ["30e8", "50e8", "100e8"],
    })  # fmt: skip
    profiles, _ = alignscore.profiles_from_tushare({"income": income}, as_of="2024-06-30")
    assert profiles.loc[0, "revenue_cny_bn"] == pytest.approx(10.0)


# --- overseas revenue (fina_mainbz, region split) --------------------------------------------


def _mainbz(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["ts_code", "end_date", "bz_item", "bz_sales"])


def test_overseas_share_from_the_region_split():
    mainbz = _mainbz([
        ("A.SZ", "20231231", "境内", 70.0), ("A.SZ", "20231231", "境外", 20.0),
        ("A.SZ", "20231231", "出口", 10.0), ("A.SZ", "20231231", "合计", 100.0),
        ("B.SZ", "20231231", "华东", 50.0), ("B.SZ", "20231231", "海外地区", 25.0),
        ("B.SZ", "20231231", "国内其他", 25.0), ("C.SZ", "20231231", "中国大陆", 10.0),
    ])  # fmt: skip
    profiles, _provenance = alignscore.profiles_from_tushare({"fina_mainbz": mainbz}, as_of="2024-06-30")
    assert profiles["overseas_revenue_share"].tolist() == pytest.approx([0.30, 0.25, 0.0])
    assert profiles.loc[0, "profile_source"] == (
        "overseas_revenue_share=fina_mainbz 2023-12-31 (due by 2024-04-30)"
    )


def test_region_split_dated_by_the_income_announcement():
    mainbz = _mainbz([("A.SZ", "20231231", "境外", 40.0), ("A.SZ", "20231231", "境内", 60.0),
                      ("A.SZ", "20221231", "境外", 10.0), ("A.SZ", "20221231", "境内", 90.0)])  # fmt: skip
    income = pd.DataFrame({"ts_code": ["A.SZ"], "end_date": ["20231231"], "ann_date": ["20240315"],
                           "revenue": ["100"]})  # fmt: skip
    tables = {"fina_mainbz": mainbz, "income": income}
    before, _ = alignscore.profiles_from_tushare(tables, as_of="2024-03-14")
    after, _ = alignscore.profiles_from_tushare(tables, as_of="2024-03-15")
    assert before.loc[0, "overseas_revenue_share"] == pytest.approx(0.10)  # FY2022, due by 2023-04-30
    assert after.loc[0, "overseas_revenue_share"] == pytest.approx(0.40)
    assert "fina_mainbz 2023-12-31 (ann 2024-03-15)" in after.loc[0, "profile_source"]


def test_every_listed_region_keyword_counts_as_overseas():
    rows = _data_rows("tushare_overseas_regions.csv")
    assert len(rows) >= 20
    mainbz = _mainbz([("A.SZ", "20231231", r["keyword"], 1.0) for r in rows]
                     + [("A.SZ", "20231231", "境内", 1.0)])  # fmt: skip
    profiles, _ = alignscore.profiles_from_tushare({"fina_mainbz": mainbz}, as_of="2024-06-30")
    assert profiles.loc[0, "overseas_revenue_share"] == pytest.approx(len(rows) / (len(rows) + 1))


# --- state funds, employees, sectors from the keyword table ----------------------------------


def test_a_named_state_fund_makes_a_private_or_controller_less_firm_state_invested():
    basic = pd.DataFrame({"ts_code": ["A.SH", "B.SH", "C.SH"], "name": ["a", "b", "c"],
                          "act_ent_type": ["民营企业", "无实际控制人", "地方国企"]})  # fmt: skip
    top10 = pd.DataFrame({
        "ts_code": ["A.SH", "B.SH", "C.SH", "A.SH"], "end_date": ["20231231"] * 3 + ["20240630"],
        "ann_date": ["20240320"] * 3 + ["20240830"],
        "holder_name": ["国家集成电路产业投资基金二期股份有限公司"] * 3 + ["张三"],
    })  # fmt: skip
    profiles, _provenance = alignscore.profiles_from_tushare(
        {"stock_basic": basic, "top10_holders": top10}, as_of="2024-06-30")
    assert profiles["ownership"].tolist() == ["state_invested", "state_invested", "local_soe"]
    assert profiles["state_holder_top10"].tolist() == [True, True, True]
    assert profiles.loc[0, "profile_source"] == (
        "ownership=stock_basic.act_ent_type + top10_holders 2023-12-31 "
        "'国家集成电路产业投资基金二期股份有限公司'; "
        "state_holder_top10=top10_holders 2023-12-31 (ann 2024-03-20)"
    )
    later, _ = alignscore.profiles_from_tushare(
        {"stock_basic": basic, "top10_holders": top10}, as_of="2024-09-30")
    assert later["ownership"].tolist()[0] == "private"  # the 2024-06-30 list has no fund


def test_employees_from_stock_company():
    company = pd.DataFrame({"ts_code": ["A.SZ"], "employees": ["1234"], "setup_date": ["19991230"]})
    profiles, _ = alignscore.profiles_from_tushare({"stock_company": company}, as_of="2024-06-30")
    assert (profiles.loc[0, "employees"], profiles.loc[0, "founded_year"]) == (1234, 1999)
    assert profiles.loc[0, "name"] == "A.SZ"  # no name anywhere: the code stands in


def test_keyword_table_is_well_formed_and_every_row_fires():
    rows = _data_rows("tushare_sector_keywords.csv")
    industries = {r["industry"] for r in _data_rows("tushare_industry.csv")}
    assert {r["industry"] for r in rows} <= industries
    assert {r["sector"] for r in rows} <= set(SECTORS)
    basic = pd.DataFrame({"ts_code": [f"{k:06d}.SZ" for k in range(len(rows))],
                          "name": [r["keyword"] for r in rows],
                          "industry": [r["industry"] for r in rows]})  # fmt: skip
    company = pd.DataFrame({"ts_code": basic["ts_code"], "main_business": [r["keyword"] for r in rows]})
    profiles, _ = alignscore.profiles_from_tushare(
        {"stock_basic": basic, "stock_company": company}, as_of="2024-06-30")
    # a keyword earlier in the table for the same industry may win: each row's own keyword fires
    # unless an earlier keyword of its industry is contained in it
    for k, row in enumerate(rows):
        earlier = [r for r in rows[:k] if r["industry"] == row["industry"] and r["keyword"] in row["keyword"]]
        expected = earlier[0]["sector"] if earlier else row["sector"]
        assert profiles.loc[k, "sector"] == expected, row


# --- missing tables, bad input -------------------------------------------------------------


def test_missing_tables_leave_their_fields_unknown(tables):
    profiles, _ = alignscore.profiles_from_tushare({"stock_basic": tables["stock_basic"]}, as_of="2024-06-30")
    for field in ("revenue_cny_bn", "rd_intensity", "founded_year", "employees",
                  "overseas_revenue_share", "state_holder_top10"):  # fmt: skip
        assert profiles[field].isna().all(), field
    assert profiles["sector"].notna().all()


def test_a_renamed_column_is_named_with_a_suggestion(tables):
    income = _read("income").rename(columns={"end_date": "enddate"})
    with pytest.raises(InputError, match=(
        r"table 'income' has no column 'end_date' \(did you mean 'enddate'\?\)"
    )):  # fmt: skip
        alignscore.profiles_from_tushare({**tables, "income": income}, as_of="2024-06-30")


def test_an_unknown_table_name_is_an_error(tables):
    with pytest.raises(InputError, match=r"unknown Tushare table 'incomes' \(did you mean 'income'\?\)"):
        alignscore.profiles_from_tushare({"incomes": tables["income"]}, as_of="2024-06-30")


def test_an_unknown_controller_type_is_an_error():
    basic = pd.DataFrame({"ts_code": ["A.SH"], "name": ["a"], "act_ent_type": ["火星企业"]})
    with pytest.raises(InputError, match=r"column 'act_ent_type' has a value .*'火星企业'"):
        alignscore.profiles_from_tushare({"stock_basic": basic}, as_of="2024-06-30")


def test_a_bad_as_of_date():
    with pytest.raises(InputError, match=r"--as-of: '2024-13-01' is not a date"):
        alignscore.profiles_from_tushare({}, as_of="2024-13-01")


def test_duplicate_stock_basic_rows_keep_the_later_row():
    basic = pd.DataFrame({"ts_code": ["A.SH", "A.SH"], "name": ["old", "new"]})
    profiles, _ = alignscore.profiles_from_tushare({"stock_basic": basic}, as_of="2024-06-30")
    assert profiles["name"].tolist() == ["new"]


# --- the whole market, and coverage --------------------------------------------------------


def test_the_bundled_universe_builds_5806_profiles():
    sb = pd.read_csv(STOCK_BASIC, dtype=str, keep_default_na=False)
    profiles, _ = alignscore.profiles_from_tushare({"stock_basic": sb}, as_of="2024-06-30")
    assert len(profiles) == 5806
    assert profiles["ts_code"].tolist() == sb["ts_code"].tolist()
    assert len(alignscore.read_firms(profiles)) == 5806


def test_built_profiles_have_more_coverage_than_stock_basic_alone(tables):
    scorer = alignscore.Scorer(as_of="2024-06-30")
    full, _ = alignscore.profiles_from_tushare(tables, as_of="2024-06-30")
    basic_only = alignscore.read_firms(FIXTURES / "stock_basic.csv", source_format="tushare")
    full_cov = scorer.score_frame(full).set_index("ts_code")["coverage"]
    basic_cov = scorer.score_frame(basic_only).set_index("ts_code")["coverage"].reindex(full_cov.index)
    assert (full_cov >= basic_cov).all()
    # every firm the extra tables say something scored about gains coverage; the four they
    # leave with no controller type and no figures (SMIC, 中微, 平安银行, 万科) stay level
    level = {"688981.SH", "688012.SH", "000001.SZ", "000002.SZ"}
    gained = set(full_cov.index[full_cov > basic_cov])
    assert gained == set(full_cov.index) - level, sorted(gained)


# --- the fetch path, with a fake client ----------------------------------------------------


class FakePro:
    """Stands in for ``tushare.pro_api()``: returns the recorded fixture frames."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def _rows(self, api: str, kwargs: dict) -> pd.DataFrame:
        self.calls.append((api, kwargs))
        path = FIXTURES / f"{api}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False) if path.exists() else (
            pd.DataFrame(columns=["ts_code", "end_date", "bz_item", "bz_sales"]))  # fmt: skip
        if "ts_code" in kwargs:
            frame = frame[frame["ts_code"] == kwargs["ts_code"]]
        return frame

    def __getattr__(self, api: str):
        return lambda **kwargs: self._rows(api, kwargs)


def test_fetch_with_a_fake_client_matches_the_saved_tables(built):
    pro = FakePro()
    fetched = alignscore.fetch_tushare_tables(["300750.SZ", "600519.SH"], client=pro)
    profiles, _ = alignscore.profiles_from_tushare(fetched, as_of="2024-06-30")
    catl = profiles.set_index("ts_code").loc["300750.SZ"]
    assert catl["rd_intensity"] == pytest.approx(built[0].loc["300750.SZ", "rd_intensity"])
    assert ("fina_mainbz", {"type": "D", "ts_code": "300750.SZ"}) in pro.calls
    assert ("income", {"report_type": "1", "ts_code": "600519.SH"}) in pro.calls
    assert [c[0] for c in pro.calls[:2]] == ["stock_basic", "stock_company"]


def test_fetch_without_a_token_says_so(monkeypatch):
    monkeypatch.delenv("TUSHARE_TOKEN", raising=False)
    with pytest.raises(InputError, match=r"TUSHARE_TOKEN: set the TUSHARE_TOKEN environment variable"):
        alignscore.fetch_tushare_tables()


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_profiles_then_score(tmp_path):
    runner = CliRunner()
    out = tmp_path / "profiles.csv"
    prov = tmp_path / "provenance.csv"
    result = runner.invoke(cli.app, ["profiles", "tushare", str(FIXTURES), "--as-of", "2024-06-30",
                                     "-o", str(out), "--provenance", str(prov)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote 12 profiles" in result.output
    written = pd.read_csv(out, dtype=str)
    assert written.loc[written["ts_code"] == "300750.SZ", "revenue_cny_bn"].astype(float).iloc[0] == pytest.approx(400.917)
    assert set(pd.read_csv(prov, dtype=str)["table"]) >= {"income", "stock_company", "stock_basic"}
    scored = tmp_path / "scores.csv"
    result = runner.invoke(cli.app, ["score", str(out), "-o", str(scored), "-q"])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(scored)) == 12


def test_cli_score_source_tushare_pro(tmp_path):
    scored = tmp_path / "scores.csv"
    result = CliRunner().invoke(cli.app, ["score", str(FIXTURES), "--source", "tushare-pro",
                                          "--as-of", "2024-06-30", "-o", str(scored), "-q"])  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(scored, dtype=str)
    assert len(frame) == 12
    assert frame["profile_source"].notna().all()


def test_cli_bad_folder_exits_2(tmp_path):
    shutil.copy(FIXTURES / "income.csv", tmp_path / "income.csv")
    bad = pd.read_csv(tmp_path / "income.csv", dtype=str).rename(columns={"revenue": "revenu"})
    bad.to_csv(tmp_path / "income.csv", index=False)
    result = CliRunner().invoke(cli.app, ["profiles", "tushare", str(tmp_path), "-o", str(tmp_path / "p.csv")])
    assert result.exit_code == 2
    assert "table 'income' has no column 'revenue' (did you mean 'revenu'?)" in result.output
    assert not (tmp_path / "p.csv").exists()


def test_a_folder_of_parquet_tables_builds_the_same_profiles(tmp_path, built):
    for name in ("stock_basic", "stock_company", "income", "top10_holders"):
        frame = _read(name)
        if name == "income":  # numbers as Tushare returns them: floats
            for col in ("total_revenue", "revenue", "rd_exp", "sell_exp"):
                frame[col] = pd.to_numeric(frame[col])
        frame.to_parquet(tmp_path / f"{name}.parquet")
    profiles, _ = alignscore.profiles_from_tushare(tmp_path, as_of="2024-06-30")
    expected = built[0].reset_index(drop=True)
    pd.testing.assert_frame_equal(profiles, expected)


def test_a_folder_with_the_same_table_twice_is_an_error(tmp_path):
    shutil.copy(FIXTURES / "income.csv", tmp_path / "income.csv")
    _read("income").to_parquet(tmp_path / "income.parquet")
    with pytest.raises(InputError, match=r"both income.csv and income.parquet are present; keep one"):
        alignscore.profiles_from_tushare(tmp_path, as_of="2024-06-30")


def test_a_folder_without_tables_is_an_error(tmp_path):
    with pytest.raises(InputError, match=r"holds none of the Tushare tables stock_basic.csv"):
        alignscore.profiles_from_tushare(tmp_path, as_of="2024-06-30")
