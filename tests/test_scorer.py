"""Scorer: one path for one firm and a frame, exact contributions, the scikit-learn face.

Private imports (allowed in ``tests/test_private_imports.py``): builds a prior-only engine (_scoring.engine, _model.scorecard) and checks notebook display registration (alignscore._show_results_in_notebooks).
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline

import alignscore
from alignscore import (
    NOT_RATED,
    RESULT_COLUMNS,
    FirmProfile,
    ProfileValidationError,
    RuleSet,
    Scorer,
    UnknownFirmError,
    synthetic_firms,
)
from alignscore._model.scorecard import MIN_COVERAGE, Scorecard
from alignscore._scoring.engine import Engine
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
    single = scorer.explain_one(row)
    batch = scorer.score_frame(frame)
    assert single.score == pytest.approx(batch["score"].iloc[5], abs=1e-9)
    assert single.band == batch["band"].iloc[5]
    profile = FirmProfile(**{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()})
    assert scorer.explain_one(profile).score == pytest.approx(single.score, abs=1e-9)


@pytest.fixture(scope="module")
def prior_scorer() -> Scorer:
    """A scorer with the analysts' prior scorecard (no learned weights)."""
    ruleset = RuleSet.load()
    scorer = Scorer(as_of="2023-06-30")
    scorer.engine_ = Engine(ruleset, Scorecard.prior(ruleset), "prior")
    return scorer


def test_contributions_add_up_exactly_for_many_firms(trained):
    scorer, frame, _ = trained
    for result in scorer.explain(frame):
        total = result.baseline + sum(c.value for c in result.contributions)
        assert result.baseline == 0.0  # neutral: a firm known by name alone scores 50
        assert abs(total - result.log_odds) < 1e-9
        bounded = 0.005 + 0.99 / (1 + np.exp(-result.log_odds))
        assert abs(100 * bounded - result.score) < 1e-9
        assert 0.5 <= result.score <= 99.5
        assert result.score_low <= result.score <= result.score_high
        assert result.interval == 0.8
        assert 0.0 <= result.coverage <= 1.0
        values = [abs(c.value) for c in result.contributions]
        assert values == sorted(values, reverse=True)
        fired = {r.id for r in result.rules if r.state == "fired" and r.kind == "favour"}
        for c in result.contributions:
            assert c.id in fired
            assert c.value == pytest.approx(c.weight * c.units, abs=1e-12)
            assert c.value != 0.0


def test_prior_log_odds_is_the_analysts_scorecard(trained):
    scorer, frame, _ = trained
    ruleset = RuleSet.load()
    priors = dict(zip(ruleset.favour_ids, ruleset.priors, strict=True))
    for result in scorer.explain(frame.head(20)):
        units = {r.id: r.units for r in result.rules if r.kind == "favour"}
        assert result.prior_log_odds == pytest.approx(sum(priors[k] * u for k, u in units.items()), abs=1e-12)
        for c in result.contributions:
            assert c.prior == priors[c.id]
            assert np.sign(c.weight) in (0, np.sign(c.prior))  # the data never reverse a sign


def test_the_interval_widens_with_the_evidence_it_rests_on(trained):
    scorer, _, _ = trained
    nothing = scorer.explain_one({"name": "Nobody"})
    assert nothing.score == nothing.score_low == nothing.score_high == 50.0
    some = scorer.explain_one({"name": "Some", "sector": "semiconductors", "listing_venue": "star"})
    assert some.score_low < some.score < some.score_high


def test_too_little_known_is_not_rated_but_still_scored(prior_scorer):
    result = prior_scorer.explain_one({"name": "Thin", "little_giant": "yes"})
    assert result.band == NOT_RATED
    assert not result.rated
    assert result.coverage < result.min_coverage == MIN_COVERAGE
    assert result.score == pytest.approx(100 * (0.005 + 0.99 / (1 + np.exp(-0.9))))
    assert [c.id for c in result.contributions] == ["little_giant"]
    assert result.levers == []  # no band to move from
    frame = prior_scorer.score_frame(pd.DataFrame([{"name": "Thin", "little_giant": "yes"}]))
    assert frame["band"].iloc[0] == NOT_RATED
    assert frame["score"].iloc[0] == pytest.approx(result.score, abs=1e-12)
    rated = prior_scorer.explain_one({"name": "Known", "little_giant": "yes", "sector": "ai"})
    assert rated.rated
    assert rated.band == "Strong tailwind"


@pytest.mark.slow
def test_reasons_are_facts_and_their_codes_match_score_frame(trained):
    scorer, frame, _ = trained
    firms = pd.concat([frame, synthetic_firms(300, seed=5)], ignore_index=True)
    batch = scorer.score_frame(firms)
    results = scorer.explain(firms)
    assert len(results) == len(firms) >= 380
    for row, result in zip(batch.itertuples(), results, strict=True):
        assert row.reasons == ";".join(r.code for r in result.reasons), result.name
        assert row.score_low == pytest.approx(result.score_low, abs=1e-9)
        assert row.score_high == pytest.approx(result.score_high, abs=1e-9)
        facts = {c.id: c.fact for c in result.contributions}
        for reason in result.reasons:
            assert reason.code[-1] in "+-"
            assert reason.text == facts[reason.code[:-1]]
            assert (reason.value > 0) == (reason.code[-1] == "+")


def test_rule_contributions_carry_evidence(trained):
    scorer, frame, _ = trained
    result = scorer.explain(frame)[0]
    rules = [c for c in result.contributions if c.source == "rule"]
    assert rules, "some rule fires for every test firm (sector class)"
    assert rules == result.contributions
    assert all(c.evidence and c.evidence[0].source.endswith(".txt") for c in rules)
    not_fired = [r for r in result.rules if r.state == "not fired"]
    assert all(r.why_not for r in not_fired)


def test_why_not_gives_the_margin(trained):
    scorer, _, _ = trained
    result = scorer.explain_one({"name": "X", "sector": "semiconductors", "rd_intensity": 0.02, "sm_intensity": 0.25})
    outcome = next(r for r in result.rules if r.id == "rd_intensity")
    assert outcome.state == "not fired"
    assert outcome.units == 0.0
    assert outcome.why_not == ["rd_intensity 0.02 is not above the 0.03 reference"]
    fired = next(r for r in result.rules if r.id == "sm_intensity")
    assert fired.state == "fired"
    assert fired.units == pytest.approx(1.5)
    assert fired.contribution == pytest.approx(fired.weight * 1.5)
    contribution = next(c for c in result.contributions if c.id == "sm_intensity")
    assert contribution.fact == "Selling and marketing 25.0% of revenue"
    assert contribution.input_value == "0.25"


def test_levers_are_computed_and_true(trained):
    scorer, _, _ = trained
    firm = {"name": "Lever Co", "sector": "traditional_manufacturing", "overseas_revenue_share": 0.05,
            "government_revenue_share": 0.05, "rd_intensity": 0.1, "little_giant": "no"}
    result = scorer.explain_one(firm)
    assert result.levers, "an actionable input moves a mid-score firm across a band"
    for lever in result.levers:
        changed = dict(firm)
        value = lever.target
        changed[lever.input] = {"true": "yes", "false": "no"}.get(value, value)
        after = scorer.explain_one(changed)
        assert after.band == lever.to_band, lever.text
        assert lever.text.startswith(lever.label + " from ")
        assert lever.kind == ("status" if lever.input in ("little_giant", "listing_venue", "state_project") else "business_mix")


MAKER = {
    "name": "Maker", "sector": "traditional_manufacturing", "hq_province": "Jiangsu",
    "listing_venue": "hkex", "ownership": "private", "little_giant": "no", "state_project": "no",
    "overseas_revenue_share": 0.0, "government_revenue_share": 0.0, "rd_intensity": 0.02,
    "sm_intensity": 0.05, "personal_data_intensive": "no", "us_restricted": "no",
}  # fmt: skip


@pytest.mark.parametrize(
    ("revenue", "employees", "offered"),
    [
        (0.2, 300, True),  # an SME
        (2.0, 500, True),  # past the revenue limit only, and not ten times
        (0.3, 5000, True),  # past the staff limit only, and not ten times
        (2.0, 5000, False),  # past both limits
        (100.0, 500, False),  # ten times past the revenue limit
        (0.3, 50_000, False),  # ten times past the staff limit
    ],
)
def test_little_giant_lever_only_for_firms_that_could_be_one(prior_scorer, revenue, employees, offered):
    result = prior_scorer.explain_one(dict(MAKER, revenue_cny_bn=revenue, employees=employees))
    assert result.band == "Neutral"
    inputs = {lever.input for lever in result.levers}
    assert ("little_giant" in inputs) is offered
    assert {"state_project", "listing_venue", "overseas_revenue_share"} <= inputs


def test_levers_are_grouped_by_kind_and_never_delist(prior_scorer):
    result = prior_scorer.explain_one(dict(MAKER, revenue_cny_bn=0.2, employees=300))
    kinds = {lever.input: lever.kind for lever in result.levers}
    assert kinds["little_giant"] == kinds["state_project"] == kinds["listing_venue"] == "status"
    assert kinds["overseas_revenue_share"] == kinds["government_revenue_share"] == "business_mix"
    assert all(lever.target != "unlisted" for lever in result.levers)
    star = prior_scorer.explain_one(dict(MAKER, listing_venue="star", revenue_cny_bn=0.2, employees=300))
    assert all(lever.target != "unlisted" for lever in star.levers)
    # a listed firm is offered other boards, never "unlisted" (no lever suggests delisting)
    assert any(lever.input == "listing_venue" for lever in star.levers)


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
    state = {r.id: r.state for r in before.explain_one(firm).rules}
    assert state["listing_us"] == "not in effect"
    assert {r.id: r.state for r in after.explain_one(firm).rules}["listing_us"] == "fired"


def test_result_displays_in_a_notebook(trained, monkeypatch):
    """In Jupyter, IPython's HTML formatter is given the result type and renders its card."""
    registered = {}

    class Formatter:
        def for_type_by_name(self, module, name, func):
            registered[(module, name)] = func

    shell = types.SimpleNamespace(display_formatter=types.SimpleNamespace(formatters={"text/html": Formatter()}))
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    alignscore._show_results_in_notebooks()
    result = trained[0].explain(trained[1])[0]
    card = registered[(type(result).__module__, type(result).__name__)]
    assert "Test Firm 0" in card(result)
    scorer, frame, _ = trained
    assert isinstance(scorer.score_frame(frame), pd.DataFrame)
