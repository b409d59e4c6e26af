"""Scorer: one path for one firm and a frame, exact contributions, the scikit-learn face."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline

from alignscore import RESULT_COLUMNS, FirmProfile, ProfileValidationError, Scorer, UnknownFirmError
from tests.labelled_frame import labelled_frame


@pytest.fixture(scope="module")
def trained():
    frame, y = labelled_frame(80)
    return Scorer(as_of="2022-06-30").fit(frame, y), frame, y


def test_score_frame_keeps_rows_order_and_index(trained):
    scorer, frame, _ = trained
    shuffled = frame.sample(frac=1.0, random_state=3)
    shuffled.index = [f"id{i}" for i in range(len(shuffled))]
    out = scorer.score_frame(shuffled)
    assert list(out.index) == list(shuffled.index)
    assert list(out["name"]) == list(shuffled["name"])
    assert list(out.columns) == [*shuffled.columns, *RESULT_COLUMNS]
    assert out["score"].between(0, 100).all()
    again = scorer.score_frame(frame).set_index("name").loc[out["name"], "score"].to_numpy()
    np.testing.assert_array_equal(out["score"].to_numpy(), again)


def test_one_firm_is_a_frame_of_one_row(trained):
    scorer, frame, _ = trained
    row = frame.iloc[5].to_dict()
    single = scorer.score(row)
    batch = scorer.score_frame(frame)
    assert single.score == pytest.approx(batch["score"].iloc[5], abs=1e-9)
    assert single.band == batch["band"].iloc[5]
    profile = FirmProfile(**{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()})
    assert scorer.score(profile).score == pytest.approx(single.score, abs=1e-9)


def test_contributions_add_up_exactly_for_many_firms(trained):
    scorer, frame, _ = trained
    for result in scorer.explain(frame):
        total = result.baseline + sum(c.value for c in result.contributions)
        assert abs(total - result.log_odds) < 1e-9
        assert abs(100 / (1 + np.exp(-result.log_odds)) - result.score) < 1e-6
        assert 0.0 <= result.coverage <= 1.0
        values = [abs(c.value) for c in result.contributions]
        assert values == sorted(values, reverse=True)


def test_rule_contributions_carry_evidence(trained):
    scorer, frame, _ = trained
    result = scorer.explain(frame)[0]
    rules = [c for c in result.contributions if c.source == "rule"]
    assert rules, "some rule fires for every test firm (sector class)"
    assert all(c.evidence and c.evidence[0].source.endswith(".txt") for c in rules)
    not_fired = [r for r in result.rules if r.state == "not fired"]
    assert all(r.why_not for r in not_fired)


def test_why_not_gives_the_margin(trained):
    scorer, _, _ = trained
    result = scorer.score({"name": "X", "sector": "semiconductors", "overseas_revenue_share": 0.12})
    outcome = next(r for r in result.rules if r.id == "overseas_revenue_substantial")
    assert outcome.state == "not fired"
    assert outcome.why_not == ["overseas_revenue_share 0.12 is below the 0.30 threshold"]


def test_levers_are_computed_and_true(trained):
    scorer, _, _ = trained
    firm = {"name": "Lever Co", "sector": "semiconductors", "overseas_revenue_share": 0.05,
            "government_revenue_share": 0.05, "rd_intensity": 0.1, "little_giant": "no"}
    result = scorer.score(firm)
    assert result.levers, "an actionable input moves a mid-score firm across a band"
    for lever in result.levers:
        changed = dict(firm)
        value = lever.target
        changed[lever.input] = {"true": "yes", "false": "no"}.get(value, value)
        after = scorer.score(changed)
        assert after.band == lever.to_band, lever.text
        assert lever.text.startswith(lever.label + " from ")


def test_unknown_firm_suggests_names(trained):
    scorer, frame, _ = trained
    with pytest.raises(UnknownFirmError, match=r"no firm named 'Test Firm 1x'; closest names: 'Test Firm 1'"):
        scorer.explain(frame, firm="Test Firm 1x")


def test_bad_values_raise_or_flag_without_dropping(trained):
    scorer, frame, _ = trained
    bad = frame.head(4).copy()
    bad.loc[bad.index[2], "overseas_revenue_share"] = 1.5
    with pytest.raises(ProfileValidationError, match=r"row 2, column 'overseas_revenue_share': '1\.5' - expected a fraction"):
        scorer.score_frame(bad)
    flagged = scorer.score_frame(bad, errors="flag")
    assert len(flagged) == 4
    assert np.isnan(flagged["score"].iloc[2])
    assert "overseas_revenue_share" in flagged["rejected"].iloc[2]
    assert flagged["rejected"].iloc[0] == ""


def test_pipeline_and_cross_validation(trained):
    _, frame, y = trained
    pipe = Pipeline([("scorer", Scorer(as_of="2022-06-30"))])
    scores = cross_val_score(pipe, frame, y, cv=3, scoring="roc_auc")
    assert scores.mean() > 0.7
    fitted = Scorer(as_of="2022-06-30").fit(frame, y)
    proba = fitted.predict_proba(frame)
    assert proba.shape == (len(frame), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(np.unique(fitted.predict(frame))) <= {0, 1}
    assert 0.0 <= fitted.score(frame, y) <= 1.0


def test_effective_dates_follow_as_of(trained):
    scorer, _, _ = trained
    firm = {"name": "US-listed platform", "sector": "e_commerce", "listing_venue": "us"}
    before = Scorer(as_of="2019-06-30")
    before.engine_ = scorer.engine_
    after = Scorer(as_of="2022-06-30")
    after.engine_ = scorer.engine_
    state = {r.id: r.state for r in before.score(firm).rules}
    assert state["listing_us"] == "not in effect"
    assert {r.id: r.state for r in after.score(firm).rules}["listing_us"] == "fired"


def test_result_displays_in_a_notebook(trained):
    scorer, frame, _ = trained
    html = scorer.explain(frame)[0]._repr_html_()
    assert "Test Firm 0" in html
    assert isinstance(scorer.score_frame(frame), pd.DataFrame)
