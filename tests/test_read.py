"""Reading and validating files of firms: ``read_firms``, ``validate_file`` and ``iter_profiles``.

Every hand-made input in ``tests/fixtures/inputs`` is driven through all three. A bad input
``NAME.csv`` sits beside ``NAME.expected``: each non-empty line of that file is an exact fragment
of the error message, and the fragments must appear in the message in that order.

Row numbers are as the user counts them: the header is row 1, the first firm row 2.

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests reading in batches (_contract.read, _contract.validate, _contract.columns).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from alignscore import read_firms, validate_file
from alignscore._contract import read as _read
from alignscore._contract.columns import PROFILE_COLUMNS, Kind
from alignscore._contract.read import iter_profiles
from alignscore._contract.validate import adapter_for
from alignscore.exceptions import InputError, Problem, ProfileValidationError

INPUTS = Path(__file__).parent / "fixtures" / "inputs"
PROFILE_NAMES = [c.name for c in PROFILE_COLUMNS]

# --- known bugs in src: strict xfails (see each reason); fixed ones keep a fixed_bug label ---

NUMBER_CRASH = pytest.mark.fixed_bug  # fixed: the bug this marked is gone; kept as a label
PROBLEMS_OUT_OF_ORDER = pytest.mark.fixed_bug  # fixed: the bug this marked is gone; kept as a label
BLANK_LINE_NUMBERING = pytest.mark.fixed_bug  # fixed: the bug this marked is gone; kept as a label

# --- the fixture table ------------------------------------------------------------------------

# fixture, error raised by read_firms, reader keywords, data rows, valid rows
# (rows and valid rows are None where the file cannot be read at all)
BAD = [
    ("missing_name_column.csv", InputError, {}, None, None),
    ("empty.csv", InputError, {}, None, None),
    ("header_only.csv", InputError, {}, None, None),
    ("duplicate_columns.csv", InputError, {}, None, None),
    ("utf16.csv", InputError, {}, None, None),
    ("ragged_row.csv", ProfileValidationError, {}, 3, 2),
    ("bad_fraction.csv", ProfileValidationError, {}, 2, 1),
    ("bad_percent.csv", ProfileValidationError, {}, 1, 0),
    ("bad_bool.csv", ProfileValidationError, {}, 2, 1),
    ("bad_sector.csv", ProfileValidationError, {}, 1, 0),
    ("bad_ownership.csv", ProfileValidationError, {}, 2, 0),
    ("bad_province.csv", ProfileValidationError, {}, 1, 0),
    ("bad_year.csv", ProfileValidationError, {}, 4, 1),
    ("negative_number.csv", ProfileValidationError, {}, 1, 0),
    ("nan_inf.csv", ProfileValidationError, {}, 4, 0),
    pytest.param(
        "thousands.csv", ProfileValidationError, {}, 1, 0, marks=NUMBER_CRASH, id="thousands.csv"
    ),
    ("nul_byte.csv", ProfileValidationError, {}, 1, 0),
    ("gbk_as_utf8.csv", ProfileValidationError, {}, 3, 2),
    ("long_name.csv", ProfileValidationError, {}, 2, 1),
]
BAD_IDS = [None if hasattr(b, "marks") else b[0] for b in BAD]


def expected_pattern(fixture: str) -> str:
    """A regex matching the fragments of ``fixture``'s ``.expected`` file, in order."""
    text = (INPUTS / fixture).with_suffix(".expected").read_text(encoding="utf-8")
    fragments = [line for line in text.splitlines() if line.strip()]
    assert fragments, f"{fixture}: empty .expected file"
    return "(?s)" + ".*".join(re.escape(f) for f in fragments)


def as_problems(report) -> list[Problem]:
    return [Problem(p.row, p.column, p.value, p.expected) for p in report.problems]


def cell(value: object) -> object:
    """A frame cell as a plain Python value (unknown -> None)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def test_every_bad_fixture_is_driven_and_has_its_expected_file():
    driven = {b.values[0] if hasattr(b, "marks") else b[0] for b in BAD}
    expected_files = {p.with_suffix(".csv").name for p in INPUTS.glob("*.expected")}
    assert expected_files == driven
    assert all((INPUTS / name).is_file() for name in driven)


@pytest.mark.parametrize(("fixture", "error", "kwargs", "rows", "valid"), BAD, ids=BAD_IDS)
def test_bad_fixture_read_firms(fixture, error, kwargs, rows, valid):
    path = INPUTS / fixture
    with pytest.raises(error, match=expected_pattern(fixture)) as info:
        read_firms(path, **kwargs)
    assert type(info.value) is error
    assert str(info.value).startswith(f"{path}: ")
    assert info.value.source == str(path)


@pytest.mark.parametrize(("fixture", "error", "kwargs", "rows", "valid"), BAD, ids=BAD_IDS)
def test_bad_fixture_validate_file(fixture, error, kwargs, rows, valid):
    path = INPUTS / fixture
    if rows is None:
        with pytest.raises(error, match=expected_pattern(fixture)):
            validate_file(path, **kwargs)
        return
    report = validate_file(path, **kwargs)
    assert (report.rows, report.valid_rows, report.rejected_rows) == (rows, valid, rows - valid)
    assert report.valid_rows + report.rejected_rows == report.rows
    assert not report.ok
    assert re.search(expected_pattern(fixture), "\n".join(map(str, as_problems(report))))
    # validate_file reports exactly what strict reading raises
    with pytest.raises(ProfileValidationError, match=expected_pattern(fixture)) as info:
        read_firms(path, **kwargs)
    assert as_problems(report) == info.value.problems
    assert report.total_problems == info.value.total


@pytest.mark.parametrize(("fixture", "error", "kwargs", "rows", "valid"), BAD, ids=BAD_IDS)
def test_bad_fixture_iter_profiles(fixture, error, kwargs, rows, valid):
    path = INPUTS / fixture
    if rows is None:
        with pytest.raises(error, match=expected_pattern(fixture)):
            list(iter_profiles(path, **kwargs))
        return
    batches = list(iter_profiles(path, **kwargs))  # lenient: problems are reported, not raised
    seen = sum(len(b) + len(b.structural) for b in batches)
    rejected = sum(int(b.bad.sum()) + len(b.structural) for b in batches)
    assert (seen, seen - rejected) == (rows, valid)


# --- good.csv: every contract column --------------------------------------------------------

GOOD_ROWS = [
    {
        "name": "华为", "ticker": None, "sector": "telecom_equipment", "overseas_revenue_share": 0.35,
        "government_revenue_share": 0.2, "little_giant": False, "ownership": "private",
        "listing_venue": "unlisted", "hq_province": "Guangdong", "rd_intensity": 0.23,
        "sm_intensity": 0.1, "consumer_mau_m": None, "personal_data_intensive": True,
        "us_restricted": True, "state_project": True, "founded_year": 1987,
        "revenue_cny_bn": 704.2, "employees": 207000,
    },
    {
        "name": "中芯国际", "ticker": "688981.SH", "sector": "semiconductors",
        "overseas_revenue_share": 0.13, "government_revenue_share": None, "little_giant": True,
        "ownership": "state_invested", "listing_venue": "star", "hq_province": "Shanghai",
        "rd_intensity": 0.1, "sm_intensity": None, "consumer_mau_m": None,
        "personal_data_intensive": False, "us_restricted": True, "state_project": True,
        "founded_year": 2000, "revenue_cny_bn": 45.2, "employees": 20000,
    },
    {
        "name": "拼多多", "ticker": "PDD", "sector": "e_commerce", "overseas_revenue_share": 0.35,
        "government_revenue_share": 0.0, "little_giant": False, "ownership": "private",
        "listing_venue": "us", "hq_province": "Shanghai", "rd_intensity": 0.0,
        "sm_intensity": 0.5, "consumer_mau_m": 900.0, "personal_data_intensive": True,
        "us_restricted": False, "state_project": True, "founded_year": 2015,
        "revenue_cny_bn": 247.6, "employees": 17403,
    },
    {"name": "空白公司", **{n: None for n in PROFILE_NAMES if n != "name"}},
]  # fmt: skip
GOOD_EXTRAS = {
    "备注": ["深圳总部, 龙岗", "上海", " 跨境电商 ", ""],
    "website": ["huawei.com", "", "pinduoduo.com", ""],
}
DTYPES = {
    Kind.TEXT: "string", Kind.CATEGORY: "category", Kind.FRACTION: "Float64",
    Kind.NUMBER: "Float64", Kind.INTEGER: "Int64", Kind.BOOLEAN: "boolean",
}  # fmt: skip


@pytest.fixture(scope="module")
def good() -> pd.DataFrame:
    return read_firms(INPUTS / "good.csv")


def test_good_csv_columns_in_file_order(good):
    assert list(good.columns) == [*PROFILE_NAMES, "备注", "website"]
    assert len(good) == 4


@pytest.mark.parametrize("col", PROFILE_COLUMNS, ids=PROFILE_NAMES)
def test_good_csv_dtype_per_kind(good, col):
    assert str(good[col.name].dtype) == DTYPES[col.kind]
    if col.kind is Kind.CATEGORY:
        assert list(good[col.name].cat.categories) == list(col.vocabulary)


@pytest.mark.parametrize("row", range(len(GOOD_ROWS)), ids=[r["name"] for r in GOOD_ROWS])
def test_good_csv_values(good, row):
    got = {name: cell(good.loc[row, name]) for name in GOOD_ROWS[row]}
    assert got == GOOD_ROWS[row]


def test_good_csv_blank_means_unknown_never_zero_or_false(good):
    blank = good.loc[3]
    for name in PROFILE_NAMES[1:]:
        assert pd.isna(blank[name]), name
    assert blank["little_giant"] is pd.NA  # not False
    assert blank["employees"] is pd.NA  # not 0
    assert blank["ticker"] is pd.NA  # not ""
    assert good.loc[0, "ticker"] is pd.NA


def test_percent_sign_and_negative_zero(good):
    assert good.loc[0, "overseas_revenue_share"] == 0.35  # "35%"
    assert good.loc[2, "overseas_revenue_share"] == 0.35  # "35 %"
    assert good.loc[2, "government_revenue_share"] == 0.0  # "0%"
    zero = float(good.loc[2, "rd_intensity"])  # "-0"
    assert zero == 0.0
    assert math.copysign(1.0, zero) == 1.0


def test_extra_columns_carried_through_untouched(good):
    for name, values in GOOD_EXTRAS.items():
        assert good[name].tolist() == values


def test_validate_good_csv():
    report = validate_file(INPUTS / "good.csv")
    assert report.ok
    assert (report.rows, report.valid_rows, report.rejected_rows) == (4, 4, 0)
    assert (report.total_problems, report.problems) == (0, [])
    assert report.columns_recognised == PROFILE_NAMES
    assert report.columns_carried == ["备注", "website"]
    assert report.unknown_per_column == {
        "name": 0, "ticker": 2, "sector": 1, "overseas_revenue_share": 1, "government_revenue_share": 2,
        "little_giant": 1, "ownership": 1, "listing_venue": 1, "hq_province": 1,
        "rd_intensity": 1, "sm_intensity": 2, "consumer_mau_m": 3, "personal_data_intensive": 1,
        "us_restricted": 1, "state_project": 1, "founded_year": 1, "revenue_cny_bn": 1,
        "employees": 1,
    }  # fmt: skip


def test_iter_profiles_good_csv():
    (batch,) = list(iter_profiles(INPUTS / "good.csv"))
    assert batch.row_numbers.tolist() == [2, 3, 4, 5]
    assert batch.present == tuple(PROFILE_NAMES)
    assert batch.extras == ("备注", "website")
    assert not batch.bad.any()
    assert batch.structural == []


# --- encodings ------------------------------------------------------------------------------

SMALL = (
    "name,sector,hq_province,备注\n"
    "华为,telecom_equipment,Guangdong,深圳\n"
    "中芯国际,semiconductors,Shanghai,上海\n"
)


@pytest.fixture
def small_utf8(write_csv) -> pd.DataFrame:
    return read_firms(write_csv(SMALL))


def test_small_reference_frame(small_utf8):
    assert small_utf8["name"].tolist() == ["华为", "中芯国际"]
    assert small_utf8["hq_province"].tolist() == ["Guangdong", "Shanghai"]
    assert small_utf8["备注"].tolist() == ["深圳", "上海"]


def test_utf8_bom_is_not_part_of_the_first_column(small_utf8):
    assert (INPUTS / "good_bom.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    frame = read_firms(INPUTS / "good_bom.csv")
    assert frame.columns[0] == "name"
    pd.testing.assert_frame_equal(frame, small_utf8)
    assert validate_file(INPUTS / "good_bom.csv").columns_recognised == [
        "name",
        "sector",
        "hq_province",
    ]


def test_gb18030_file_with_its_encoding(small_utf8):
    frame = read_firms(INPUTS / "good_gbk.csv", encoding="gb18030")
    pd.testing.assert_frame_equal(frame, small_utf8)
    report = validate_file(INPUTS / "good_gbk.csv", encoding="gb18030")
    assert (report.rows, report.valid_rows, report.columns_carried) == (2, 2, ["备注"])


def test_gb18030_header_read_as_utf8_suggests_the_encoding():
    with pytest.raises(
        InputError, match=r"the header row is not valid utf-8.*\(try --encoding gb18030\)"
    ):
        read_firms(INPUTS / "good_gbk.csv")


def test_utf16_file_with_its_encoding(small_utf8):
    frame = read_firms(INPUTS / "utf16.csv", encoding="utf-16")
    pd.testing.assert_frame_equal(frame, small_utf8)


def test_gbk_rows_read_as_utf8_name_their_row():
    report = validate_file(INPUTS / "gbk_as_utf8.csv")
    assert [(p.row, p.column) for p in report.problems] == [(3, "*")]
    assert report.problems[0].expected == "text that decodes as utf-8 (try --encoding gb18030)"
    assert read_firms(INPUTS / "gbk_as_utf8.csv", encoding="gb18030")["name"].tolist()[1] == "华为"


# --- sources that cannot be read ------------------------------------------------------------


def test_directory_instead_of_a_file(tmp_path):
    with pytest.raises(InputError, match=r"is a directory, expected a CSV or Parquet file$"):
        read_firms(tmp_path)
    with pytest.raises(InputError, match="is a directory"):
        validate_file(tmp_path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: no such file$"):
        read_firms(tmp_path / "nope.csv")


def test_unknown_encoding():
    with pytest.raises(InputError, match=r"unknown encoding 'klingon'$"):
        read_firms(INPUTS / "good.csv", encoding="klingon")


def test_unknown_source_format():
    with pytest.raises(InputError, match=r"unknown source format 'bogus' \(profile or tushare\)"):
        adapter_for("bogus")


def test_first_line_blank(write_csv):
    with pytest.raises(InputError, match=r"has no header row \(the first line is blank\)$"):
        read_firms(write_csv("\nname\nA\n"))


# --- Parquet --------------------------------------------------------------------------------


def _string_table(path: Path) -> pa.Table:
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    convert = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
    )
    return pa_csv.read_csv(path, convert_options=convert)


def test_parquet_of_strings_reads_like_the_csv(tmp_path, good):
    path = tmp_path / "good.parquet"
    pq.write_table(_string_table(INPUTS / "good.csv"), path)
    pd.testing.assert_frame_equal(read_firms(path), good)
    report = validate_file(path)
    assert (report.rows, report.valid_rows, report.columns_carried) == (4, 4, ["备注", "website"])


def test_parquet_typed_round_trip(tmp_path, good):
    path = tmp_path / "typed.parquet"
    good.to_parquet(path)
    pd.testing.assert_frame_equal(read_firms(path), good)


def test_parquet_problems_carry_row_numbers_across_chunks(tmp_path):
    path = tmp_path / "bad_year.parquet"
    pq.write_table(_string_table(INPUTS / "bad_year.csv"), path)
    batches = list(iter_profiles(path, chunk_rows=2))
    assert [b.row_numbers.tolist() for b in batches] == [[2, 3], [4, 5]]
    report = validate_file(path, chunk_rows=2)
    assert [(p.row, p.value) for p in report.problems] == [(2, "1700"), (3, "2999"), (4, "2001.5")]
    assert (report.rows, report.valid_rows) == (4, 1)


def test_not_a_parquet_file(write_csv):
    path = write_csv(b"this is not parquet", name="broken.parquet")
    with pytest.raises(InputError, match=r"broken\.parquet: is not a readable Parquet file"):
        read_firms(path)


# --- DataFrames -----------------------------------------------------------------------------


def test_dataframe_of_raw_strings_reads_like_the_csv(good):
    raw = pd.read_csv(INPUTS / "good.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(read_firms(raw), good)
    report = validate_file(raw)
    assert (report.source, report.rows, report.valid_rows) == ("<DataFrame>", 4, 4)


def test_dataframe_of_typed_values_reads_like_the_csv(good):
    typed = pd.DataFrame(
        {
            "name": ["华为", "中芯国际", "拼多多", "空白公司"],
            "sector": pd.Categorical(["telecom_equipment", "semiconductors", "e_commerce", None]),
            "overseas_revenue_share": [0.35, 0.13, 0.35, np.nan],
            "government_revenue_share": [0.2, np.nan, 0.0, np.nan],
            "little_giant": pd.array([False, True, False, None], dtype="boolean"),
            "ownership": pd.Categorical(["private", "state_invested", "private", None]),
            "listing_venue": pd.Categorical(["unlisted", "star", "us", None]),
            "hq_province": pd.Categorical(["Guangdong", "Shanghai", "Shanghai", None]),
            "rd_intensity": [0.23, 0.1, -0.0, np.nan],
            "sm_intensity": [0.1, np.nan, 0.5, np.nan],
            "consumer_mau_m": [np.nan, np.nan, 900, np.nan],
            "personal_data_intensive": [True, False, True, None],
            "us_restricted": pd.array([True, True, False, None], dtype="boolean"),
            "state_project": [1.0, 1.0, 1.0, np.nan],
            "founded_year": pd.array([1987, 2000, 2015, None], dtype="Int64"),
            "revenue_cny_bn": [704.2, 45.2, 247.6, np.nan],
            "employees": [207000.0, 20000.0, 17403.0, np.nan],
        },
        index=["hw", "smic", "pdd", "blank"],
    )
    out = read_firms(typed)
    assert out.index.tolist() == ["hw", "smic", "pdd", "blank"]
    columns = list(typed.columns)
    pd.testing.assert_frame_equal(out[columns].reset_index(drop=True), good[columns])
    assert math.copysign(1.0, float(out.loc["pdd", "rd_intensity"])) == 1.0


def test_dataframe_problems_name_the_index_label():
    frame = pd.DataFrame(
        {
            "name": ["a", "b"],
            "sector": pd.Categorical(["ai", "semiconductr"]),
            "founded_year": [2001.5, 1990.0],
            "little_giant": [2, 1],
        },
        index=["x", "y"],
    )
    with pytest.raises(ProfileValidationError, match=re.escape(
        "<DataFrame>: 3 values break the firm-profile contract:\n"
        "  row x, column 'little_giant': '2' - expected true/false, yes/no or 1/0\n"
        "  row x, column 'founded_year': '2001.5' - expected a whole number from 1800 to "
    )) as info:  # fmt: skip
        read_firms(frame)
    assert [(p.row, p.column) for p in info.value.problems] == [
        ("x", "little_giant"), ("x", "founded_year"), ("y", "sector"),
    ]  # fmt: skip
    assert "did you mean 'semiconductors'" in info.value.problems[2].expected
    report = validate_file(frame)
    assert (report.rows, report.valid_rows, report.rejected_rows) == (2, 0, 2)


def test_dataframe_without_name_or_rows():
    with pytest.raises(InputError, match=r"^<DataFrame>: header column\(s\) .*'nme' is not a contract column; did you mean 'name'\?"):
        read_firms(pd.DataFrame({"nme": ["a"]}))
    with pytest.raises(InputError, match=r"^<DataFrame>: no 'name' column .*columns found: 'nme'"):
        read_firms(pd.DataFrame({"nme": ["a"]}), extra_columns="keep")
    with pytest.raises(InputError, match=r"^<DataFrame>: has a header but no rows$"):
        read_firms(pd.DataFrame({"name": []}))
    with pytest.raises(InputError, match=r"^<DataFrame>: duplicated column name\(s\): 'sector'$"):
        read_firms(pd.DataFrame([["a", "ai", "ai"]], columns=["name", "sector", "sector"]))


def test_dataframe_of_mixed_python_objects_reads_them_as_text():
    frame = pd.DataFrame({"name": ["a", "b"], "overseas_revenue_share": ["35%", 0.5]})
    assert read_firms(frame)["overseas_revenue_share"].tolist() == [0.35, 0.5]


# --- chunks and row numbers -----------------------------------------------------------------

SEVEN = "name,sector,revenue_cny_bn\nA,ai,1\nB,ai,2\nC,bogus,3\nD,ai,4\nE,ai,-5\nF,ai,6\nG,ai,7\n"
SEVEN_PROBLEMS = [(4, "sector", "bogus"), (6, "revenue_cny_bn", "-5")]


def _summary(report) -> tuple:
    return (
        report.rows, report.valid_rows, report.rejected_rows, report.total_problems,
        [(p.row, p.column, p.value) for p in report.problems], report.unknown_per_column,
    )  # fmt: skip


def test_chunk_rows_two_on_seven_rows_gives_the_same_result(write_csv):
    path = write_csv(SEVEN)
    whole = validate_file(path)
    assert _summary(whole)[:5] == (7, 5, 2, 2, SEVEN_PROBLEMS)
    assert validate_file(path, chunk_rows=2) == whole
    rows = np.concatenate([b.row_numbers for b in iter_profiles(path, chunk_rows=2)])
    assert rows.tolist() == [2, 3, 4, 5, 6, 7, 8]


def test_small_read_blocks_give_several_chunks_and_the_same_result(write_csv, monkeypatch):
    path = write_csv(SEVEN)
    whole = validate_file(path)
    monkeypatch.setattr(_read, "_BLOCK_SIZE", 64)  # a few rows per pyarrow block
    batches = list(iter_profiles(path, chunk_rows=2))
    assert len(batches) > 1
    assert np.concatenate([b.row_numbers for b in batches]).tolist() == [2, 3, 4, 5, 6, 7, 8]
    assert validate_file(path, chunk_rows=2) == whole


RAGGED = "name,sector\nA,ai\nB,ai,x\nC,ai\nD,ai\nE\nF,ai\nG,ai\nH,ai\n"


@pytest.mark.parametrize("block", [None, 16, 40, 64])
def test_ragged_rows_are_numbered_across_chunks(write_csv, monkeypatch, block):
    if block is not None:
        monkeypatch.setattr(_read, "_BLOCK_SIZE", block)
    report = validate_file(write_csv(RAGGED), chunk_rows=2)
    assert [(p.row, p.column, p.value, p.expected) for p in report.problems] == [
        (3, "*", "B,ai,x", "2 fields as in the header (got 3)"),
        (6, "*", "E", "2 fields as in the header (got 1)"),
    ]
    assert (report.rows, report.valid_rows, report.rejected_rows) == (8, 6, 2)


def test_a_ragged_row_names_its_row_in_strict_reading(write_csv):
    with pytest.raises(ProfileValidationError, match=re.escape(
        "2 values break the firm-profile contract:\n"
        "  row 3, column '*': 'B,ai,x' - expected 2 fields as in the header (got 3)\n"
        "  row 6, column '*': 'E' - expected 2 fields as in the header (got 1)"
    )):  # fmt: skip
        read_firms(write_csv(RAGGED))


@PROBLEMS_OUT_OF_ORDER
def test_problems_are_listed_in_row_order(write_csv):
    report = validate_file(write_csv(RAGGED.replace("H,ai", "H,bogus")))
    assert [p.row for p in report.problems] == [3, 6, 9]


def test_dataframe_chunks_keep_index_labels():
    frame = pd.DataFrame({"name": list("ABCDEFG")}, index=[f"r{i}" for i in range(7)])
    batches = list(iter_profiles(frame, chunk_rows=2))
    assert [len(b) for b in batches] == [2, 2, 2, 1]
    labels = np.concatenate([b.row_numbers for b in batches]).tolist()
    assert labels == [f"r{i}" for i in range(7)]


def test_parquet_chunks(tmp_path, write_csv):
    path = tmp_path / "seven.parquet"
    pq.write_table(_string_table(write_csv(SEVEN)), path)
    batches = list(iter_profiles(path, chunk_rows=2))
    assert [len(b) for b in batches] == [2, 2, 2, 1]
    assert _summary(validate_file(path, chunk_rows=2))[:5] == (7, 5, 2, 2, SEVEN_PROBLEMS)


# --- every row accounted for ----------------------------------------------------------------


def test_every_row_is_accounted_for_in_a_file_with_every_kind_of_problem(write_csv):
    data = (
        b"name,sector,revenue_cny_bn\n"
        b"A,ai,1\n"
        b"B,ai,1,extra\n"  # ragged
        b"C,bogus,1\n"  # bad category
        + "华为,ai,1\n".encode("gbk")  # undecodable
        + b",ai,1\n"  # blank name
        b"F,ai,-1\n"  # out of range
        b"G,ai,\n"
    )
    report = validate_file(write_csv(data))
    assert (report.rows, report.valid_rows, report.rejected_rows) == (7, 2, 5)
    assert report.total_problems == 5
    assert sorted(p.row for p in report.problems) == [3, 4, 5, 6, 7]


def test_only_the_first_twenty_problems_are_listed(write_csv):
    path = write_csv("name,employees\n" + "".join(f"F{i},-1\n" for i in range(25)))
    report = validate_file(path)
    assert (report.total_problems, len(report.problems)) == (25, 20)
    assert [p.row for p in report.problems] == list(range(2, 22))
    with pytest.raises(
        ProfileValidationError, match=r"(?s)25 values break .*\n  \.\.\. and 5 more problems$"
    ) as info:
        read_firms(path)
    assert (info.value.total, len(info.value.problems)) == (25, 20)


# --- very long cells ------------------------------------------------------------------------

TEN_MB = 10 * 2**20


@pytest.mark.slow
def test_ten_megabyte_field_is_too_long_for_its_row(write_csv):
    path = write_csv("name,sector\nA,ai\n" + "x" * TEN_MB + ",ai\nB,ai\n")
    report = validate_file(path)
    assert (report.rows, report.valid_rows, report.rejected_rows) == (3, 2, 1)
    (problem,) = report.problems
    assert (problem.row, problem.column) == (3, "name")
    assert problem.expected == "text of at most 1000 characters (got 10,485,760)"
    with pytest.raises(ProfileValidationError, match=re.escape(
        "row 3, column 'name': '" + "x" * 57 + "...' - expected text of at most 1000 characters "
        "(got 10,485,760)"
    )):  # fmt: skip
        read_firms(path)


def test_cell_larger_than_a_read_block_takes_the_exact_path(write_csv, monkeypatch):
    monkeypatch.setattr(_read, "_BLOCK_SIZE", 1024)
    text = (
        "name,sector\n"
        + "".join(f"F{i},ai\n" for i in range(3))
        + "y" * 5000
        + ",ai\nB,bogus\nC,ai,x\n"
    )
    report = validate_file(write_csv(text), chunk_rows=2)
    assert [(p.row, p.column, p.expected) for p in report.problems] == [
        (5, "name", "text of at most 1000 characters (got 5,000)"),
        (6, "sector", "one of the sector vocabulary"),
        (7, "*", "2 fields as in the header (got 3)"),
    ]
    assert (report.rows, report.valid_rows) == (6, 3)


# --- blank lines ----------------------------------------------------------------------------


@BLANK_LINE_NUMBERING
def test_blank_lines_number_rows_the_same_on_both_paths(write_csv):
    fast = validate_file(write_csv(b"name,sector\nA,ai\n\nB,bogus\n", name="fast.csv"))
    slow = validate_file(
        write_csv(b"name,sector\nA,ai\n\nB,bogus\n" + "华为,ai\n".encode("gbk"), name="slow.csv")
    )
    assert [p.value for p in fast.problems] == ["bogus"]
    assert [(p.row, p.value) for p in slow.problems][:1] == [
        (p.row, p.value) for p in fast.problems
    ]


@BLANK_LINE_NUMBERING
def test_no_row_is_read_twice_when_the_exact_path_resumes(write_csv, monkeypatch):
    data = (
        b"name,sector\nA0,ai\n\n"
        + b"".join(f"A{i},ai\n".encode() for i in range(1, 40))
        + b"Z,bogus\n" + "华为,ai\n".encode("gbk") + b"E,bogus\n"
    )  # fmt: skip
    path = write_csv(data)
    whole = validate_file(path)
    assert (whole.rows, whole.valid_rows) == (43, 40)
    monkeypatch.setattr(_read, "_BLOCK_SIZE", 64)
    chunked = validate_file(path, chunk_rows=5)
    assert (chunked.rows, chunked.valid_rows) == (43, 40)
