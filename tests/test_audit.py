"""The leakage audit of labelled data (``alignscore data audit``), rule by rule, edge by edge."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner  # noqa: TID251 - testing the CLI

from alignscore import (
    AuditReport,
    InputError,
    LeakageError,
    ProfileValidationError,
    audit_labelled,
    read_firms,
    require_clean,
)
from alignscore.cli import app

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
LEAKY = FIXTURES / "leaky_labelled.csv"  # the first, leaky data/labelled_firms.csv, as it was
HONEST = FIXTURES / "honest_labelled.csv"  # fictitious firms, every column filled the same way
runner = CliRunner()


def about(report: AuditReport, column: str) -> list[str]:
    """The problems that name ``column`` (``column:`` or ``column = value:``)."""
    return [p for p in report.problems if re.match(rf"{column}( = [^:]+)?:", p)]


def frame(fav: list[object], dis: list[object], column: str, **fill: list[object]) -> pd.DataFrame:
    """Labelled firms whose ``column`` holds ``fav`` for favoured and ``dis`` for disfavoured
    firms (``None`` = blank); other columns given by ``fill`` (one value per firm)."""
    n = len(fav) + len(dis)
    data = {
        "name": [f"Firm {i}" for i in range(n)],
        "favoured": [1] * len(fav) + [0] * len(dis),
        column: fav + dis,
    }
    data.update(fill)
    return pd.DataFrame(data)


# --- the leaky data fail, with the exact problems ------------------------------------------


@pytest.fixture(scope="module")
def leaky() -> AuditReport:
    return audit_labelled(LEAKY)


def test_leaky_data_fail(leaky):
    assert not leaky.ok
    assert (leaky.firms, leaky.favoured, leaky.disfavoured) == (166, 108, 58)
    assert len(leaky.problems) == 5


def test_leaky_us_restricted_and_little_giant_blank_gaps(leaky):
    assert about(leaky, "us_restricted")[0] == (
        "us_restricted: blank for 74.1% of favoured firms (80 of 108) but 0% of disfavoured firms "
        "(0 of 58), a gap of 74.1 points (more than 25)."
    )
    assert about(leaky, "little_giant") == [
        "little_giant: blank for 27.8% of favoured firms (30 of 108) but 0% of disfavoured firms "
        "(0 of 58), a gap of 27.8 points (more than 25)."
    ]


def test_leaky_ownership_lopsided_blanks(leaky):
    assert about(leaky, "ownership") == [
        "ownership: blank for 28.7% of favoured firms (31 of 108) but 5.2% of disfavoured firms "
        "(3 of 58), a gap of 23.5 points, 5.5 times as often: blankness predicts the label "
        "(more than 15 points with one class at least 4 times as often blank)."
    ]


def test_leaky_state_project_one_class_and_class_pure(leaky):
    assert about(leaky, "state_project")[:2] == [
        "state_project = true: 55 favoured firms and no disfavoured firm, while 55.2% of "
        "disfavoured firms (32 of 58) are blank in this column (a value in at least 5 firms of "
        "one class only, the other class at least 50% blank).",
        "state_project: every known value occurs in one class only (false: 26 disfavoured; "
        "true: 55 favoured), so wherever it is filled it gives the label away.",
    ]
    pattern = next(p for p in leaky.one_class if p.column == "state_project")
    assert (pattern.value, pattern.occurs_in, pattern.count) == ("true", "favoured", 55)
    assert pattern.other_blank_share == pytest.approx(32 / 58)


def test_leaky_seed_signals_fill(leaky):
    fill = {s.column: (s.filled, s.required) for s in leaky.seed_fill}
    assert fill == {
        "overseas_revenue_share": (2, True), "government_revenue_share": (1, False),
        "little_giant": (136, True), "ownership": (132, True), "rd_intensity": (5, True),
        "us_restricted": (86, True), "state_project": (81, True),
    }  # fmt: skip
    assert not [p for p in leaky.problems if "filled for" in p]  # low fill warns, it does not fail
    assert leaky.warnings == [
        "overseas_revenue_share: filled for 1.2% of firms (2 of 166); the protocol asks for at least 70% (a sparse signal's learned weight is uncertain: see its standard error in the model card).",
        "rd_intensity: filled for 3% of firms (5 of 166); the protocol asks for at least 70% (a sparse signal's learned weight is uncertain: see its standard error in the model card).",
        "us_restricted: filled for 51.8% of firms (86 of 166); the protocol asks for at least 70% (a sparse signal's learned weight is uncertain: see its standard error in the model card).",
        "state_project: filled for 48.8% of firms (81 of 166); the protocol asks for at least 70% (a sparse signal's learned weight is uncertain: see its standard error in the model card).",
    ]
    assert not about(leaky, "government_revenue_share")  # 0.6% filled, reported only


def test_leaky_columns_table(leaky):
    rows = {c.column: c for c in leaky.columns}
    assert "name" not in rows
    assert "ticker" not in rows
    assert list(rows)[:3] == ["sector", "overseas_revenue_share", "government_revenue_share"]
    own = rows["ownership"]
    assert (own.blank_favoured, own.blank_disfavoured) == (31, 3)
    assert own.gap_points == pytest.approx(100 * (31 / 108 - 3 / 58))
    assert own.fill_rate == pytest.approx(132 / 166)


# --- an honest file passes, though its signals correlate with the label -------------------


def test_honest_data_pass():
    report = audit_labelled(HONEST)
    assert report.ok, report.problems
    assert report.problems == []
    # correlated but honestly filled: central_soe and us_restricted = true among favoured only
    firms = read_firms(HONEST)
    soe = firms.loc[firms["ownership"] == "central_soe", "favoured"]
    restricted = firms.loc[firms["us_restricted"].fillna(False).astype(bool), "favoured"]
    assert len(soe) >= 5
    assert soe.all()
    assert len(restricted) >= 5
    assert restricted.all()
    assert report.one_class == []


def test_extra_and_label_columns_are_ignored():
    base = pd.read_csv(HONEST, dtype=str, keep_default_na=False)
    leaky_extra = base.assign(
        profile_source=["Annual report"] * 24 + [""] * 16, hard_case=[""] * 24 + ["x"] * 16
    )
    assert audit_labelled(leaky_extra).ok


def test_values_are_read_as_the_scorer_reads_them():
    spelt = frame(
        ["yes", "1", "true", "TRUE", "y", "no"],
        ["0", "no", "false", "n", "f", "yes"],
        "state_project",
    )
    canonical = frame(["true"] * 5 + ["false"], ["false"] * 5 + ["true"], "state_project")
    assert audit_labelled(spelt).columns == audit_labelled(canonical).columns
    assert audit_labelled(read_firms(spelt)).problems == audit_labelled(spelt).problems


# --- blank-share gap: 25 points pass, 26 fail ----------------------------------------------


def test_gap_of_exactly_25_points_passes():
    # 45% vs 20% blank: 25 points, not lopsided (2.25 times)
    report = audit_labelled(
        frame([None] * 45 + [2000] * 55, [None] * 20 + [2000] * 80, "founded_year")
    )
    assert about(report, "founded_year") == []
    assert report.columns[-3].column == "founded_year"
    assert report.columns[-3].gap_points == 25.0


def test_gap_of_26_points_fails():
    report = audit_labelled(
        frame([None] * 46 + [2000] * 54, [None] * 20 + [2000] * 80, "founded_year")
    )
    assert about(report, "founded_year") == [
        "founded_year: blank for 46% of favoured firms (46 of 100) but 20% of disfavoured firms "
        "(20 of 100), a gap of 26 points (more than 25)."
    ]


def test_gap_is_symmetric_in_the_classes():
    report = audit_labelled(
        frame([None] * 20 + [2000] * 80, [None] * 46 + [2000] * 54, "founded_year")
    )
    assert about(report, "founded_year") == [
        "founded_year: blank for 46% of disfavoured firms (46 of 100) but 20% of favoured firms "
        "(20 of 100), a gap of 26 points (more than 25)."
    ]


# --- lopsided blanks: more than 15 points and at least 4 times ------------------------------


@pytest.mark.parametrize(
    ("blank_fav", "blank_dis", "fails"),
    [
        (20, 5, False),  # 15 points, 4 times: not more than 15 points
        (21, 5, True),  # 16 points, 4.2 times
        (24, 6, True),  # 18 points, exactly 4 times
        (23, 6, False),  # 17 points, 3.8 times
        (16, 0, True),  # 16 points, never blank in the other class
        (15, 0, False),  # 15 points
    ],
)
def test_lopsided_blanks_edges(blank_fav, blank_dis, fails):
    data = frame(
        [None] * blank_fav + [0.1] * (100 - blank_fav),
        [None] * blank_dis + [0.1] * (100 - blank_dis),
        "revenue_cny_bn",
    )
    found = about(audit_labelled(data), "revenue_cny_bn")
    assert bool(found) is fails, found
    if fails:
        assert (
            "blankness predicts the label (more than 15 points with one class at least 4 times"
            in found[0]
        )


def test_lopsided_blanks_that_chance_explains_pass():
    # 25% vs 4.8% blank (20 points, 5.2 times) on 28 and 42 firms: Fisher p = 0.025, not < 0.01
    data = frame([None] * 7 + [0.1] * 21, [None] * 2 + [0.1] * 40, "revenue_cny_bn")
    assert about(audit_labelled(data), "revenue_cny_bn") == []
    # the same shares on ten times the firms are no accident
    data = frame([None] * 70 + [0.1] * 210, [None] * 20 + [0.1] * 400, "revenue_cny_bn")
    assert len(about(audit_labelled(data), "revenue_cny_bn")) == 1


def test_lopsided_message_when_the_other_class_is_never_blank():
    data = frame([None] * 16 + [0.1] * 84, [0.1] * 100, "revenue_cny_bn")
    assert about(audit_labelled(data), "revenue_cny_bn") == [
        "revenue_cny_bn: blank for 16% of favoured firms (16 of 100) but 0% of disfavoured firms "
        "(0 of 100), a gap of 16 points, never blank in the other class: blankness predicts the "
        "label (more than 15 points with one class at least 4 times as often blank)."
    ]


# --- one-class value: at least 5 firms, the other class at least 50% blank -----------------


def test_one_class_value_in_5_firms_fails():
    # true only among favoured (5), disfavoured 50% blank; equal blank shares, false in both
    data = frame(
        [True] * 5 + [False] + [None] * 6, [False] * 5 + [None] * 5, "personal_data_intensive"
    )
    assert about(audit_labelled(data), "personal_data_intensive") == [
        "personal_data_intensive = true: 5 favoured firms and no disfavoured firm, while 50% of "
        "disfavoured firms (5 of 10) are blank in this column (a value in at least 5 firms of one "
        "class only, the other class at least 50% blank)."
    ]


def test_one_class_value_in_4_firms_is_reported_not_failed():
    data = frame(
        [True] * 4 + [False] * 2 + [None] * 6, [False] * 5 + [None] * 5, "personal_data_intensive"
    )
    report = audit_labelled(data)
    assert about(report, "personal_data_intensive") == []
    [pattern] = [p for p in report.one_class if p.column == "personal_data_intensive"]
    assert (pattern.value, pattern.occurs_in, pattern.count, pattern.other_blank_share) == (
        "true",
        "favoured",
        4,
        0.5,
    )


def test_one_class_value_with_other_class_49_percent_blank_passes():
    # disfavoured 49 of 100 blank; favoured 55 of 100 blank (6 points)
    data = frame(
        [True] * 40 + [False] * 5 + [None] * 55,
        [False] * 51 + [None] * 49,
        "personal_data_intensive",
    )
    report = audit_labelled(data)
    assert about(report, "personal_data_intensive") == []
    assert report.one_class == []


def test_number_known_in_one_class_only_fails():
    data = frame([0.2] * 5 + [None] * 5, [None] * 10, "sm_intensity")
    found = about(audit_labelled(data), "sm_intensity")
    assert found[1] == (
        "sm_intensity = known: 5 favoured firms and no disfavoured firm, while 100% of disfavoured "
        "firms (10 of 10) are blank in this column (a value in at least 5 firms of one class only, "
        "the other class at least 50% blank)."
    )
    assert found[0].startswith(
        "sm_intensity: blank for 100% of disfavoured firms (10 of 10) but 50%"
    )


def test_correlated_category_with_the_other_class_filled_passes():
    data = frame(["central_soe"] * 10 + ["private"] * 2, ["private"] * 10, "ownership")
    report = audit_labelled(data)
    assert about(report, "ownership") == []
    assert report.one_class == []


# --- class-pure column: at least 5 known firms on each side --------------------------------


def test_class_pure_column_with_5_firms_each_side_fails():
    report = audit_labelled(frame(["yes"] * 5, ["no"] * 5, "us_restricted"))
    assert about(report, "us_restricted") == [
        "us_restricted: every known value occurs in one class only (false: 5 disfavoured; "
        "true: 5 favoured), so wherever it is filled it gives the label away."
    ]


def test_class_pure_column_with_4_firms_on_one_side_passes():
    report = audit_labelled(frame(["yes"] * 5, ["no"] * 4, "us_restricted"))
    assert about(report, "us_restricted") == []


def test_class_pure_rule_is_for_booleans_and_categories_only():
    report = audit_labelled(frame([2001] * 5, [1999] * 5, "founded_year"))
    assert about(report, "founded_year") == []


# --- seed-signal fill: 70% passes, less fails ----------------------------------------------


def test_seed_fill_of_70_percent_is_quiet_and_69_warns():
    ok = frame([0.1] * 35 + [None] * 15, [0.1] * 35 + [None] * 15, "rd_intensity")
    low = frame([0.1] * 35 + [None] * 15, [0.1] * 34 + [None] * 16, "rd_intensity")
    assert [w for w in audit_labelled(ok).warnings if w.startswith("rd_intensity")] == []
    report = audit_labelled(low)
    assert report.ok
    assert [w for w in report.warnings if w.startswith("rd_intensity")] == [
        "rd_intensity: filled for 69% of firms (69 of 100); the protocol asks for at least 70% (a sparse signal's learned weight is uncertain: see its standard error in the model card)."
    ]


def test_government_revenue_share_is_reported_only():
    report = audit_labelled(
        frame([0.3] * 2 + [None] * 8, [0.2] * 2 + [None] * 8, "government_revenue_share")
    )
    [seed] = [s for s in report.seed_fill if s.column == "government_revenue_share"]
    assert (seed.filled, seed.fill_rate, seed.required) == (4, 0.2, False)
    assert about(report, "government_revenue_share") == []


def test_absent_seed_column_counts_as_unfilled():
    report = audit_labelled(frame(["star"] * 5, ["us"] * 5, "listing_venue"))
    assert (
        "ownership: filled for 0% of firms (0 of 10); the protocol asks for at least 70% (a sparse signal's learned weight is uncertain: see its standard error in the model card)."
        in report.warnings
    )


# --- bad input ----------------------------------------------------------------------------


def test_no_favoured_column(write_csv):
    path = write_csv("name,sector\nA,ai\n")
    with pytest.raises(
        InputError, match=r"firms\.csv: labelled data needs a 'favoured' column \(1 or 0\)"
    ):
        audit_labelled(path)


def test_blank_label_names_the_row(write_csv):
    path = write_csv("name,favoured\nA,1\nB,\nC,0\n")
    with pytest.raises(
        InputError, match=r"firms\.csv: row 3: 'favoured' is blank; every firm needs a label"
    ):
        audit_labelled(path)


def test_one_class_only(write_csv):
    path = write_csv("name,favoured\nA,1\nB,1\n")
    with pytest.raises(
        InputError, match=r"needs firms of both labels; there is no disfavoured \(0\) firm"
    ):
        audit_labelled(path)


def test_bad_value_is_the_usual_contract_error(write_csv):
    path = write_csv("name,favoured,state_project\nA,1,maybe\nB,0,no\n")
    with pytest.raises(
        ProfileValidationError,
        match=r"row 2, column 'state_project': 'maybe' - expected true/false",
    ):
        audit_labelled(path)


def test_missing_file():
    with pytest.raises(InputError, match=r"nope\.csv: no such file"):
        audit_labelled("nope.csv")


# --- require_clean (what train calls) ------------------------------------------------------


def test_require_clean_refuses_leaky_data(leaky):
    with pytest.raises(
        LeakageError,
        match=r"leaky_labelled\.csv: the labelled data fail the leakage audit \(5 problems\)",
    ) as info:
        require_clean(leaky)
    assert info.value.problems == leaky.problems
    assert "--allow-leaks" in str(info.value)
    assert "us_restricted: blank for 74.1% of favoured firms" in str(info.value)


def test_require_clean_with_allow_leaks_returns_the_problems(leaky):
    assert require_clean(leaky, allow_leaks=True) == leaky.problems


def test_require_clean_passes_clean_data():
    assert require_clean(audit_labelled(HONEST)) == []


# --- rendering ----------------------------------------------------------------------------


def test_json_round_trips(leaky):
    data = json.loads(leaky.to_json())
    assert data["ok"] is False
    assert data["problems"] == leaky.problems
    assert AuditReport.model_validate(data) == leaky


def test_text_table(leaky):
    text = leaky.to_text()
    assert text.splitlines()[0] == f"{LEAKY}: 166 firms (108 favoured, 58 disfavoured)"
    assert re.search(r"^us_restricted\s+74\.1%\s+0%\s+74\.1\s+51\.8%$", text, re.M)
    assert re.search(r"^  government_revenue_share\s+1\s+0\.6%  \(reported only\)$", text, re.M)
    assert "  state_project = true: 55 favoured firm(s); other class blank 55.2%" in text
    assert text.endswith(f"  - {leaky.problems[-1]}")
    assert "audit failed: 5 problem(s)" in text


# --- the CLI ------------------------------------------------------------------------------


def test_cli_audit_passes_honest_data():
    result = runner.invoke(app, ["data", "audit", str(HONEST)])
    assert result.exit_code == 0, result.output
    assert "40 firms (24 favoured, 16 disfavoured)" in result.output
    assert result.output.rstrip().endswith("audit passed: no leakage pattern found")


def test_cli_audit_fails_leaky_data_with_exit_2():
    result = runner.invoke(app, ["data", "audit", str(LEAKY)])
    assert result.exit_code == 2
    assert "the leakage audit failed (5 problem(s)):" in result.output
    assert (
        "  ownership: blank for 28.7% of favoured firms (31 of 108) but 5.2% of disfavoured firms"
        in result.output
    )


def test_cli_audit_json():
    result = runner.invoke(app, ["data", "audit", str(LEAKY), "--format", "json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["favoured"] == 108
    assert len(data["problems"]) == 5


def test_cli_audit_bad_file_exit_2(tmp_path):
    result = runner.invoke(app, ["data", "audit", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2
    assert "missing.csv: no such file" in result.output
    assert "Traceback" not in result.output


def test_cli_audit_bad_format():
    result = runner.invoke(app, ["data", "audit", str(HONEST), "--format", "xml"])
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.output
    assert "'xml' is not one of 'text'," in result.output


# --- the bundled data ---------------------------------------------------------------------


def test_bundled_data_passes_audit():
    """Fails until the re-filled data (data/PROTOCOL.md) replace the first, leaky file."""
    report = audit_labelled(REPO / "data" / "labelled_firms.csv")
    assert report.problems == []


# --- a gap the sector mix explains is a warning -------------------------------------------


#: 40 chipmakers and 10 platforms favoured, 10 chipmakers and 40 platforms disfavoured
SECTOR_MIX = ["semiconductors"] * 40 + ["e_commerce"] * 10 + ["semiconductors"] * 10 + ["e_commerce"] * 40
PLATFORMS_FAV = [None] * 8 + [5.0] * 2  # platforms rarely disclose users
PLATFORMS_DIS = [None] * 32 + [5.0] * 8


def test_a_gap_explained_by_the_sector_mix_warns_instead_of_failing():
    # Chipmakers have 0 users whatever their label: across the file the gap is 62 points, but
    # within each class both labels were filled alike.
    data = frame([0.0] * 40 + PLATFORMS_FAV, [0.0] * 10 + PLATFORMS_DIS, "consumer_mau_m", sector=SECTOR_MIX)
    report = audit_labelled(data)
    assert about(report, "consumer_mau_m") == []
    [warning] = [w for w in report.warnings if w.startswith("consumer_mau_m")]
    assert warning.endswith(
        "explained by the sector mix: within each sector class the gap is at most 25 points "
        "(hard_tech 0, soft_tech 0)."
    )


def test_a_gap_inside_a_sector_class_still_fails():
    # the disfavoured chipmakers are left blank: a gap within the class
    data = frame([0.0] * 40 + PLATFORMS_FAV, [None] * 10 + PLATFORMS_DIS, "consumer_mau_m", sector=SECTOR_MIX)
    assert len(about(audit_labelled(data), "consumer_mau_m")) == 1
