"""Every column of the firm-profile contract, accepted and rejected, through every way in.

The contract is ``docs/firm-profile.md``; it is declared once in ``alignscore._contract.columns`` and both
the file reader and the pydantic ``FirmProfile`` are driven by that declaration. Each column
below has good values (with the value they must parse to) and bad values (with what the message
must say was expected); the same raw value must give the same result through the file reader
and through ``FirmProfile`` ("single declaration, never drift"), so each case goes through
both paths in the same test.

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests the column contract (_contract.columns, _contract.cells).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from pathlib import Path

import pandas as pd
import pydantic
import pytest

from alignscore import FirmProfile, read_firms
from alignscore._contract.cells import category_key
from alignscore._contract.columns import (
    CONTEXT_COLUMNS,
    OWNERSHIPS,
    PROFILE_COLUMNS,
    PROVINCES,
    SECTORS,
    VENUES,
    Kind,
    column,
)
from alignscore.exceptions import ProfileValidationError

DOC = Path(__file__).parents[1] / "docs" / "firm-profile.md"
YEAR = dt.date.today().year
PROFILE_NAMES = [c.name for c in PROFILE_COLUMNS]

NUMBER_CRASH = pytest.mark.fixed_bug  # fixed: the bug this marked is gone; kept as a label
BLANK_TEXT = pytest.mark.fixed_bug  # fixed: the bug this marked is gone; kept as a label
HUGE_INT_READ = pytest.mark.fixed_bug  # fixed: the bug this marked is gone; kept as a label
HUGE_INT_MODEL = pytest.mark.fixed_bug  # fixed: the bug this marked is gone; kept as a label


MISSING_NOT_UNKNOWN = pytest.mark.fixed_bug  # fixed: the bug this marked is gone; kept as a label


# --- the contract as documented (docs/firm-profile.md): these names must keep being accepted ----

DOC_SECTORS = [
    # hard tech and state priorities
    "semiconductors", "semiconductor_equipment", "ai", "industrial_software",
    "enterprise_software", "cloud_computing", "computing_hardware", "big_data", "cybersecurity",
    "telecom_equipment", "robotics", "industrial_automation", "iot", "advanced_manufacturing",
    "new_materials", "clean_energy", "batteries", "electric_vehicles", "biotech",
    "aerospace_defense", "quantum_computing",
    # consumer internet ("soft tech")
    "e_commerce", "social_media", "online_gaming", "online_education", "consumer_fintech",
    "ride_hailing", "food_delivery", "live_streaming", "short_video", "online_media",
    "search_advertising", "online_recruitment", "logistics_platform", "cryptocurrency",
    # other
    "consumer_electronics", "home_appliances", "data_centers", "real_estate",
    "traditional_manufacturing", "other",
]  # fmt: skip
DOC_OWNERSHIPS = ["central_soe", "local_soe", "state_invested", "private"]
DOC_VENUES = ["star", "bse", "chinext", "sse_main", "szse_main", "hkex", "us", "unlisted", "other"]
DOC_PROVINCES = [
    "Anhui", "Beijing", "Chongqing", "Fujian", "Gansu", "Guangdong", "Guangxi", "Guizhou",
    "Hainan", "Hebei", "Heilongjiang", "Henan", "Hubei", "Hunan", "Inner Mongolia", "Jiangsu",
    "Jiangxi", "Jilin", "Liaoning", "Ningxia", "Qinghai", "Shaanxi", "Shandong", "Shanghai",
    "Shanxi", "Sichuan", "Tianjin", "Tibet", "Xinjiang", "Yunnan", "Zhejiang",
    "Hong Kong", "Macau", "overseas",
]  # fmt: skip


def _doc_profile_columns() -> list[tuple[str, str]]:
    """(column, type) from the first table of docs/firm-profile.md."""
    text = DOC.read_text(encoding="utf-8").split("Labelled data")[0]
    return re.findall(r"^\| `(\w+)` \| (\w+) \|", text, flags=re.MULTILINE)


def test_code_declares_the_documented_columns_in_order():
    documented = _doc_profile_columns()
    assert [name for name, _ in documented] == PROFILE_NAMES
    assert [kind for _, kind in documented] == [
        # hq_province is documented as text but read against its closed vocabulary
        "text" if c.name == "hq_province" else str(c.kind)
        for c in PROFILE_COLUMNS
    ]
    assert [c.name for c in PROFILE_COLUMNS if c.required] == ["name"]


def test_documented_vocabularies_are_all_declared():
    assert set(DOC_SECTORS) <= set(SECTORS)  # the vocabulary can grow, never shrink
    assert len(DOC_SECTORS) == 41
    assert list(OWNERSHIPS) == DOC_OWNERSHIPS
    assert list(VENUES) == DOC_VENUES
    assert list(PROVINCES) == DOC_PROVINCES
    assert len(PROVINCES) == 34


@pytest.mark.parametrize("vocabulary", [SECTORS, OWNERSHIPS, VENUES, PROVINCES])
def test_vocabulary_keys_never_collide(vocabulary):
    keys = [category_key(v) for v in vocabulary]
    assert len(set(keys)) == len(keys)


def test_firm_profile_fields_are_the_declared_columns():
    assert list(FirmProfile.model_fields) == PROFILE_NAMES + [c.name for c in CONTEXT_COLUMNS]
    assert [n for n, f in FirmProfile.model_fields.items() if f.is_required()] == ["name"]


# --- good and bad values per column -----------------------------------------------------------

FRACTION = "a fraction from 0 to 1 (or a percentage such as 35%)"
BOOLEAN = "true/false, yes/no or 1/0"
NUMBER = "a number from 0 or more"
FINITE = " (finite; leave the cell blank for unknown)"
YEARS = f"a whole number from 1800 to {YEAR}"


def _fraction_good():
    return [("0", 0.0), ("1", 1.0), ("0.35", 0.35), ("35%", 0.35), ("35 %", 0.35),
            ("100%", 1.0), ("0%", 0.0), ("-0", 0.0), (" 0.5 ", 0.5), ("", None)]  # fmt: skip


def _fraction_bad():
    return [("1.01", FRACTION), ("-0.1", FRACTION), ("101%", FRACTION), ("-5%", FRACTION),
            ("NaN", FRACTION + FINITE), ("inf", FRACTION + FINITE),
            pytest.param("abc", FRACTION, marks=NUMBER_CRASH, id="abc"),
            pytest.param("0,35", FRACTION + " (no thousands separators or decimal commas)",
                         marks=NUMBER_CRASH, id="0,35")]  # fmt: skip


_BOOL_GOOD = [("true", True), ("false", False), ("yes", True), ("no", False), ("1", True),
              ("0", False), ("Y", True), ("N", False), ("是", True), ("否", False),
              ("TRUE", True), (" Yes ", True), ("1.0", True), ("", None)]  # fmt: skip
_BOOL_BAD = [("maybe", BOOLEAN), ("2", BOOLEAN), ("yes please", BOOLEAN)]

GOOD: dict[str, list] = {
    "name": [("华为", "华为"), ("中芯国际", "中芯国际"), ("x" * 1000, "x" * 1000),
             ("Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.")],
    "ticker": [("688981.SH", "688981.SH"), ("00700.HK", "00700.HK"),
               pytest.param("", None, marks=BLANK_TEXT, id="blank")],
    "sector": [*((s, s) for s in DOC_SECTORS), ("E-Commerce", "e_commerce"),
               ("Semiconductor Equipment", "semiconductor_equipment"), (" AI ", "ai"),
               ("online-gaming", "online_gaming"), ("CLOUD_COMPUTING", "cloud_computing"),
               ("", None)],
    "overseas_revenue_share": _fraction_good(),
    "government_revenue_share": _fraction_good(),
    "little_giant": _BOOL_GOOD,
    "ownership": [*((o, o) for o in DOC_OWNERSHIPS), ("Central-SOE", "central_soe"),
                  ("LOCAL SOE", "local_soe"), ("Private", "private"), ("", None)],
    "listing_venue": [*((v, v) for v in DOC_VENUES), ("STAR", "star"), ("SSE-Main", "sse_main"),
                      ("szse main", "szse_main"), ("HKEX", "hkex"), ("", None)],
    "hq_province": [*((p, p) for p in DOC_PROVINCES), ("inner mongolia", "Inner Mongolia"),
                    ("inner_mongolia", "Inner Mongolia"), ("HONG KONG", "Hong Kong"),
                    ("hong-kong", "Hong Kong"), ("OVERSEAS", "overseas"),
                    ("shanghai", "Shanghai"), ("", None)],
    "rd_intensity": [("0", 0.0), ("0.12", 0.12), ("1.5", 1.5), ("5%", 0.05), ("-0", 0.0),
                     ("", None)],
    "sm_intensity": [("0", 0.0), ("0.3", 0.3), ("2", 2.0), ("", None)],
    "consumer_mau_m": [("0", 0.0), ("900", 900.0), ("1e3", 1000.0), ("1380.5", 1380.5),
                       ("", None)],
    "personal_data_intensive": _BOOL_GOOD,
    "us_restricted": _BOOL_GOOD,
    "state_project": _BOOL_GOOD,
    "founded_year": [("1800", 1800), (str(YEAR), YEAR), ("1987", 1987), ("1987.0", 1987),
                     ("", None)],
    "revenue_cny_bn": [("0", 0.0), ("704.2", 704.2), ("1e4", 10000.0), ("", None)],
    "employees": [("0", 0), ("207000", 207000), ("1000.0", 1000), ("", None)],
}  # fmt: skip

BAD: dict[str, list] = {
    "name": [("", "non-empty text"), ("   ", "non-empty text"),
             ("长" * 1001, "text of at most 1000 characters (got 1,001)"),
             ("A\x00B", "text without NUL (\\x00) characters")],
    "ticker": [("x" * 1001, "text of at most 1000 characters (got 1,001)"),
               ("688\x00981", "text without NUL (\\x00) characters")],
    "sector": [("semiconductr", "one of the sector vocabulary; did you mean 'semiconductors'?"),
               ("artificial intelligence", "one of the sector vocabulary"),
               ("ecommerce platform", "one of the sector vocabulary; did you mean 'e_commerce'?")],
    "overseas_revenue_share": _fraction_bad(),
    "government_revenue_share": _fraction_bad(),
    "little_giant": _BOOL_BAD,
    "ownership": [("privte", "one of the ownership vocabulary; did you mean 'private'?"),
                  ("government", "one of the ownership vocabulary")],
    "listing_venue": [("nasdaq", "one of the listing_venue vocabulary"),
                      ("chinex", "one of the listing_venue vocabulary; did you mean 'chinext'?")],
    "hq_province": [("shenzhen", "one of the hq_province vocabulary"),
                    ("Zhejang", "one of the hq_province vocabulary; did you mean 'Zhejiang'?")],
    "rd_intensity": [("-0.01", NUMBER), ("inf", NUMBER + FINITE),
                     pytest.param("abc", NUMBER, marks=NUMBER_CRASH, id="abc")],
    "sm_intensity": [("-1", NUMBER), ("1e309", NUMBER + FINITE)],
    "consumer_mau_m": [("5%", NUMBER), ("-1", NUMBER), ("NaN", NUMBER + FINITE)],
    "personal_data_intensive": _BOOL_BAD,
    "us_restricted": _BOOL_BAD,
    "state_project": _BOOL_BAD,
    "founded_year": [("1799", YEARS), (str(YEAR + 1), YEARS), ("2001.5", YEARS),
                     ("1700", YEARS), ("2999", YEARS),
                     pytest.param("MCMXC", YEARS, marks=NUMBER_CRASH, id="MCMXC")],
    "revenue_cny_bn": [("-1", NUMBER),
                       pytest.param("1,234", NUMBER + " (no thousands separators or decimal "
                                    "commas)", marks=NUMBER_CRASH, id="1,234"),
                       pytest.param("35%%", NUMBER, marks=NUMBER_CRASH, id="35%%")],
    "employees": [("-5", "a whole number from 0 or more"),
                  ("2.5", "a whole number from 0 or more")],
}  # fmt: skip


def _cases(table: dict[str, list]) -> list:
    """Flatten ``table`` into pytest params ``(column, raw, outcome)``, keeping marks."""
    out = []
    for name, cases in table.items():
        for case in cases:
            if not hasattr(case, "marks"):  # a plain (raw, outcome) pair
                raw, outcome = case
                out.append(pytest.param(name, raw, outcome, id=f"{name}-{_short(raw)}"))
            else:  # a pytest.param carrying marks
                raw, outcome = case.values
                out.append(
                    pytest.param(name, raw, outcome, marks=case.marks, id=f"{name}-{case.id}")
                )
    return out


def _short(raw: str) -> str:
    return repr(raw if len(raw) <= 20 else raw[:8] + f"...({len(raw)})")


GOOD_CASES = _cases(GOOD)
BAD_CASES = _cases(BAD)


def test_every_contract_column_has_good_and_bad_values():
    assert list(GOOD) == PROFILE_NAMES
    assert list(BAD) == PROFILE_NAMES
    assert all(GOOD[n] and BAD[n] for n in PROFILE_NAMES)


# --- the two ways in ----------------------------------------------------------------------


def _csv_text(name: str, raw: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if name == "name":
        writer.writerows([["name"], [raw]])
    else:
        writer.writerows([["name", name], ["x", raw]])
    return buffer.getvalue()


@pytest.fixture(scope="module")
def read_cell(tmp_path_factory):
    """``read_cell(name, raw)``: ``raw`` in column ``name`` of a one-firm CSV file, as
    ``read_firms`` parses it (unknown: None); raises what ``read_firms`` raises.
    """
    directory = tmp_path_factory.mktemp("cells")
    count = iter(range(10**9))

    def read(name: str, raw: str) -> object:
        path = directory / f"cell{next(count)}.csv"
        path.write_text(_csv_text(name, raw), encoding="utf-8")
        return _plain(read_firms(path).loc[0, name])

    return read


def _plain(value: object) -> object:
    if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def model_value(name: str, raw: object) -> object:
    data = {"name": raw} if name == "name" else {"name": "x", name: raw}
    return getattr(FirmProfile(**data), name)


def _shown(raw: str) -> str:
    """The value as a file error message shows it (long values shortened, as in Problem)."""
    return repr(raw if len(raw) <= 60 else raw[:57] + "...")


def _check_value(got: object, value: object) -> None:
    assert got == value
    assert type(got) is type(value)
    if isinstance(got, float) and got == 0.0:
        assert math.copysign(1.0, got) == 1.0  # "-0" is read as 0.0


@pytest.mark.parametrize(("name", "raw", "value"), GOOD_CASES)
def test_good_value_is_accepted_by_file_and_model_alike(read_cell, name, raw, value):
    from_file = read_cell(name, raw)
    from_model = model_value(name, raw)
    _check_value(from_file, value)
    _check_value(from_model, value)
    assert from_file == from_model  # single declaration, never drift


@pytest.mark.parametrize(("name", "raw", "expected"), BAD_CASES)
def test_bad_value_is_rejected_by_file_and_model_alike(read_cell, name, raw, expected):
    row = f"row 2, column '{name}': {_shown(raw)} - expected {expected}"
    with pytest.raises(ProfileValidationError, match=re.escape(row) + "$") as from_file:
        read_cell(name, raw)
    with pytest.raises(
        pydantic.ValidationError, match=re.escape(f"{name}: {raw!r} - expected {expected}")
    ) as from_model:
        model_value(name, raw)
    # single declaration, never drift: the same problem, found by the same parser
    (problem,) = from_file.value.problems
    (error,) = from_model.value.errors()
    assert error["msg"] == f"Value error, {name}: {raw!r} - expected {problem.expected}"
    assert from_file.value.total == 1


# --- FirmProfile beyond single cells ----------------------------------------------------------


def test_firm_profile_unknown_field_suggests_the_right_one():
    with pytest.raises(pydantic.ValidationError, match=re.escape(
        "unknown field(s): 'sectr' (did you mean 'sector'?)"
    )):  # fmt: skip
        FirmProfile(name="SMIC", sectr="semiconductors")


def test_firm_profile_label_columns_are_not_profile_fields():
    with pytest.raises(pydantic.ValidationError, match=re.escape("unknown field(s): 'favoured'")):
        FirmProfile(name="SMIC", favoured=True)


@pytest.mark.parametrize("data", [{}, {"sector": "ai"}], ids=["nothing", "no-name"])
def test_firm_profile_name_is_required(data):
    with pytest.raises(pydantic.ValidationError, match=re.escape(
        "'name' is required: the firm name as the user knows it"
    )):  # fmt: skip
        FirmProfile(**data)


def test_firm_profile_only_name_everything_else_unknown():
    profile = FirmProfile(name="中芯国际")
    assert profile.to_dict() == {
        "name": "中芯国际",
        **{n: None for n in PROFILE_NAMES[1:]},
        "as_of": None,
    }


def test_firm_profile_as_of_date():
    assert FirmProfile(name="x", as_of="2024-01-02").as_of == dt.date(2024, 1, 2)
    assert FirmProfile(name="x", as_of=dt.date(2024, 1, 2)).as_of == dt.date(2024, 1, 2)
    with pytest.raises(pydantic.ValidationError, match=re.escape(
        "as_of: '2024-13-02' - expected a date as YYYY-MM-DD"
    )):  # fmt: skip
        FirmProfile(name="x", as_of="2024-13-02")


def test_firm_profile_is_frozen():
    profile = FirmProfile(name="SMIC")
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        profile.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("little_giant", True, True), ("little_giant", 0, False), ("little_giant", 1.0, True),
        ("founded_year", 1990, 1990), ("founded_year", 1990.0, 1990),
        ("overseas_revenue_share", 0.35, 0.35), ("overseas_revenue_share", None, None),
        ("overseas_revenue_share", float("nan"), None), ("employees", 207000, 207000),
        ("sector", None, None),
    ],
)  # fmt: skip
def test_firm_profile_accepts_typed_python_values(name, raw, value):
    got = model_value(name, raw)
    assert got == value
    assert type(got) is type(value)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("little_giant", 2, f"'2' - expected {BOOLEAN}"),
        ("founded_year", 2001.5, f"'2001.5' - expected {YEARS}"),
        ("founded_year", True, f"'True' - expected {YEARS}"),
        ("revenue_cny_bn", True, f"'True' - expected {NUMBER}"),
        ("overseas_revenue_share", 1.01, f"'1.01' - expected {FRACTION}"),
        ("overseas_revenue_share", float("inf"), f"'inf' - expected {FRACTION}"),
        ("sector", 5, "'5' - expected one of the sector vocabulary"),
    ],
)  # fmt: skip
def test_firm_profile_rejects_typed_python_values(name, raw, expected):
    with pytest.raises(pydantic.ValidationError, match=re.escape(f"{name}: {expected}")):
        model_value(name, raw)


@HUGE_INT_READ
def test_file_reader_rejects_an_integer_it_cannot_hold(read_cell):
    with pytest.raises(ProfileValidationError, match=re.escape(
        "row 2, column 'employees': '100000000000000000000' - expected a whole number"
    )):  # fmt: skip
        read_cell("employees", str(10**20))


@HUGE_INT_MODEL
def test_firm_profile_rejects_an_integer_it_cannot_hold():
    with pytest.raises(pydantic.ValidationError, match=re.escape(
        "employees: '100000000000000000000' - expected a whole number"
    )):  # fmt: skip
        model_value("employees", 10**20)


MISSING = [
    ("overseas_revenue_share", float("nan"), []),
    ("little_giant", float("nan"), []),
    ("sector", float("nan"), [MISSING_NOT_UNKNOWN]),
    ("hq_province", float("nan"), [MISSING_NOT_UNKNOWN]),
    ("ticker", float("nan"), [MISSING_NOT_UNKNOWN]),
    ("ticker", pd.NA, [MISSING_NOT_UNKNOWN]),
    ("sector", pd.NA, [MISSING_NOT_UNKNOWN]),
    ("little_giant", pd.NA, [MISSING_NOT_UNKNOWN]),
    ("revenue_cny_bn", pd.NA, [MISSING_NOT_UNKNOWN]),
    ("founded_year", pd.NA, [MISSING_NOT_UNKNOWN]),
]


@pytest.mark.parametrize(
    ("name", "missing"),
    [pytest.param(n, v, marks=m, id=f"{n}-{v!r}") for n, v, m in MISSING],
)
def test_pandas_missing_markers_are_unknown_in_frame_and_model_alike(name, missing):
    frame = read_firms(pd.DataFrame({"name": ["x"], name: pd.Series([missing], dtype=object)}))
    assert _plain(frame.loc[0, name]) is None
    assert model_value(name, missing) is None


@MISSING_NOT_UNKNOWN
def test_a_row_read_from_a_file_makes_the_same_firm_profile():
    good = Path(__file__).parent / "fixtures" / "inputs" / "good.csv"
    frame = read_firms(good)[PROFILE_NAMES]
    for _, row in frame.iterrows():
        data = {k: _plain(v) if not isinstance(v, str) else v for k, v in row.to_dict().items()}
        assert FirmProfile(**row.to_dict()).to_dict() == {**data, "as_of": None}


def test_every_column_kind_is_exercised():
    kinds = {column(n).kind for n in PROFILE_NAMES}
    assert kinds == {
        Kind.TEXT,
        Kind.CATEGORY,
        Kind.FRACTION,
        Kind.NUMBER,
        Kind.INTEGER,
        Kind.BOOLEAN,
    }
