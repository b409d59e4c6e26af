"""Properties of scoring over generated firm profiles (Hypothesis; see ``strategies.py``).

Each property runs at most 50 examples with no deadline, so the suite stays fast. The scorer is
trained once in memory (``Scorer.fit`` on synthetic labelled firms): the default model may not
exist yet, and a fitted scorer needs no model directory.

Private imports (allowed in ``tests/test_private_imports.py``): property tests of the engine, scorecard, kernels and profile batches (_scoring, _model.scorecard, _contract.read, _rules.ruleset).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignscore import NOT_RATED, Scorer, read_firms
from alignscore._contract.read import iter_profiles
from alignscore._core.resources import bundled
from alignscore._model.scorecard import Scorecard
from alignscore._rules.ruleset import TAXONOMY_FILE, RuleSet
from alignscore._scoring.engine import Engine
from tests import strategies

S = strategies
PROPERTY = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
FEW = settings(PROPERTY, max_examples=20)


@functools.lru_cache(maxsize=1)
def _scorer():
    return S.fitted_scorer()


# --- the score ---------------------------------------------------------------------------------

ABSENT_WORDS = {
    "little_giant": ("false", "no", "0"), "personal_data_intensive": ("false", "N"),
    "us_restricted": ("false", "否"), "state_project": ("no", "0"),
    "overseas_revenue_share": ("0", "0%"), "government_revenue_share": ("0", "0.0"),
    "rd_intensity": ("0",), "sm_intensity": ("0",), "consumer_mau_m": ("0",),
    "revenue_cny_bn": ("0",), "employees": ("0",),
    "ownership": ("private",), "listing_venue": ("unlisted",),
}  # fmt: skip


@st.composite
def scorecards(draw: st.DrawFn) -> Scorecard:
    """Any valid scorecard for the bundled rules: weights of any size on their declared side,
    any positive semi-definite covariance. The properties must hold for every one of them."""
    ruleset = _ruleset()
    k = len(ruleset.favour)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.0, 0.1, 1.0, 6.0, 20.0]))
    sizes = rng.exponential(1.0, k) * scale * (rng.random(k) < 0.9)  # some weights exactly 0
    signs = np.where(ruleset.priors > 0, 1.0, -1.0)
    a = rng.normal(0.0, draw(st.sampled_from([0.0, 0.3, 2.0])), (k, 3))
    base = Scorecard.prior(ruleset)
    return dataclasses.replace(base, weights=signs * sizes, covariance=a @ a.T + np.diag(rng.random(k) * scale))


@functools.lru_cache(maxsize=1)
def _ruleset() -> RuleSet:
    return RuleSet.load()


def _scores(card: Scorecard, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    (batch,) = list(iter_profiles(frame))
    arrays = Engine(_ruleset(), card).score(batch.values, pd.Timestamp(S.AS_OF).date())
    return {"score": arrays.score, "low": arrays.score_low, "high": arrays.score_high,
            "log_odds": arrays.log_odds, "contrib": arrays.rule_contrib, "coverage": arrays.coverage}


@pytest.mark.slow
@PROPERTY
@given(S.profile_rows(), scorecards(), st.data())
def test_absence_and_unknown_give_identical_scores(row: dict, card: Scorecard, data) -> None:
    """Writing false, 0, private or unlisted where a field was blank never moves a score
    (it may raise coverage), whatever the weights."""
    column = data.draw(st.sampled_from(sorted(ABSENT_WORDS)))
    word = data.draw(st.sampled_from(ABSENT_WORDS[column]))
    blank, absent = dict(row), dict(row)
    blank[column], absent[column] = "", word
    got = _scores(card, pd.DataFrame([blank, absent], dtype=object))
    for key in ("score", "low", "high", "log_odds"):
        assert got[key][0] == got[key][1], (column, word, key)
    assert got["coverage"][1] >= got["coverage"][0]


@pytest.mark.slow
@PROPERTY
@given(S.profile_frames(max_size=6), scorecards())
def test_every_contribution_has_its_rules_declared_sign(frame: pd.DataFrame, card: Scorecard) -> None:
    got = _scores(card, frame)
    signs = np.where(_ruleset().priors > 0, 1.0, -1.0)
    assert ((got["contrib"] * signs) >= 0).all()
    np.testing.assert_allclose(got["contrib"].sum(axis=1) + card.baseline, got["log_odds"], rtol=0, atol=1e-9)


NUMERIC_SIGNALS = ("overseas_revenue_share", "government_revenue_share", "rd_intensity", "sm_intensity",
                   "consumer_mau_m", "revenue_cny_bn")  # fmt: skip


@PROPERTY
@given(S.profile_rows(), scorecards(), st.data())
def test_each_rule_moves_the_score_only_in_its_declared_direction(row: dict, card: Scorecard, data) -> None:
    """Raising a number, or turning a yes/no field true, moves the score only the way every
    rule on that column points (never against a declared direction)."""
    column = data.draw(st.sampled_from((*NUMERIC_SIGNALS, "little_giant", "personal_data_intensive", "us_restricted", "state_project")))
    if column in NUMERIC_SIGNALS:
        top = 1.0 if column.endswith("_share") else 3000.0
        a, b = sorted(data.draw(st.lists(st.floats(0.0, top, allow_nan=False), min_size=2, max_size=2)))
        low, high = repr(a), repr(b)
    else:
        low, high = data.draw(st.sampled_from(["", "false"])), "true"
    first, second = dict(row), dict(row)
    first[column], second[column] = low, high
    got = _scores(card, pd.DataFrame([first, second], dtype=object))
    directions = {r.direction for r in _ruleset().favour if column in r.node.columns()}
    delta = got["score"][1] - got["score"][0]
    if directions == {"increasing"}:
        assert delta >= 0
    elif directions == {"decreasing"}:
        assert delta <= 0
    else:  # a column no favour rule reads moves nothing
        assert directions or delta == 0


@pytest.mark.slow
@PROPERTY
@given(S.profile_frames(), scorecards())
def test_every_score_is_bounded_and_inside_its_interval(frame: pd.DataFrame, card: Scorecard) -> None:
    got = _scores(card, frame)
    assert ((got["score"] >= 0.5) & (got["score"] <= 99.5)).all()
    assert ((got["low"] >= 0.5) & (got["high"] <= 99.5)).all()
    assert ((got["low"] <= got["score"]) & (got["score"] <= got["high"])).all()


@pytest.mark.slow
@PROPERTY
@given(S.profile_frames())
def test_shipped_scores_are_bounded_with_intervals(frame: pd.DataFrame) -> None:
    scored = Scorer(as_of=S.AS_OF).score_frame(frame)
    assert scored["score"].between(0.5, 99.5).all()
    assert (scored["score_low"] <= scored["score"]).all()
    assert (scored["score"] <= scored["score_high"]).all()
    assert scored["probability"].between(0.005, 0.995).all()
    assert scored["coverage"].between(0.0, 1.0).all()


@pytest.mark.slow
@PROPERTY
@given(S.profile_frames(max_size=4))
def test_contributions_add_up_to_log_odds(frame: pd.DataFrame) -> None:
    for result in _scorer().explain(frame):
        total = result.baseline + sum(c.value for c in result.contributions)
        assert abs(total - result.log_odds) < 1e-9
        assert 0.5 <= result.score_low <= result.score <= result.score_high <= 99.5


def test_a_firm_known_by_name_alone_is_neutral_and_not_rated() -> None:
    for scorer in (Scorer(), _scorer()):
        result = scorer.explain_one({"name": "Known by name alone"})
        assert result.score == 50.0
        assert result.score_low == result.score_high == 50.0
        assert result.band == NOT_RATED
        assert result.coverage == 0.0
        assert result.contributions == []
        assert result.reasons == []


def test_learned_weights_keep_their_declared_signs() -> None:
    for engine in (Scorer()._engine(), _scorer().engine_):
        signs = np.where(engine.ruleset.priors > 0, 1.0, -1.0)
        assert (engine.weights * signs >= 0).all()


# --- order and repetition -----------------------------------------------------------------------


@pytest.mark.slow
@PROPERTY
@given(S.profile_frames(min_size=2, max_size=8), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(frame: pd.DataFrame, rnd) -> None:
    order = list(frame.index)
    rnd.shuffle(order)
    scorer = _scorer()
    straight = scorer.score_frame(frame)
    shuffled = scorer.score_frame(frame.loc[order]).loc[frame.index]
    pd.testing.assert_frame_equal(straight, shuffled, check_exact=False, rtol=0, atol=1e-12)


@pytest.mark.slow
@PROPERTY
@given(S.profile_frames())
def test_scoring_twice_gives_identical_output(frame: pd.DataFrame) -> None:
    scorer = _scorer()
    pd.testing.assert_frame_equal(scorer.score_frame(frame), scorer.score_frame(frame.copy()))


@pytest.fixture(scope="module")
def reordered_rules(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two copies of the rules whose rule files load in opposite orders.

    Module-scoped (Hypothesis refuses function-scoped fixtures under ``@given``), in pytest's
    own temporary directory, which pytest cleans up.
    """
    root = tmp_path_factory.mktemp("rules-order")
    source = bundled("rules")
    fixed = {TAXONOMY_FILE}
    rule_files = sorted(p for p in source.glob("*.yaml") if p.name not in fixed)
    out = []
    for label, files in (("forward", rule_files), ("backward", rule_files[::-1])):
        target = root / label
        target.mkdir()
        for name in fixed:
            shutil.copy(source / name, target / name)
        for i, path in enumerate(files):
            shutil.copy(path, target / f"{i:02d}_{path.name}")
        out.append(target)
    return out[0], out[1]


def test_reordered_rules_really_load_in_another_order(reordered_rulesets) -> None:
    forward, backward = reordered_rulesets
    assert [r.id for r in forward.rules] != [r.id for r in backward.rules]
    assert sorted(r.id for r in forward.rules) == sorted(r.id for r in backward.rules)


@pytest.fixture(scope="module")
def reordered_rulesets(reordered_rules) -> tuple[RuleSet, RuleSet]:
    forward, backward = reordered_rules
    return RuleSet.load(forward), RuleSet.load(backward)


@pytest.fixture(scope="module")
def reordered_scorers(reordered_rules):
    return tuple(S.fitted_scorer(rules=d) for d in reordered_rules)


@PROPERTY
@given(S.profile_frames())
def test_rule_file_order_does_not_change_rule_states(reordered_rulesets, frame: pd.DataFrame) -> None:
    forward, backward = reordered_rulesets

    (batch,) = list(iter_profiles(frame))
    as_of = pd.Timestamp(S.AS_OF).date()
    a = forward.evaluate(batch.values, as_of).states
    b = backward.evaluate(batch.values, as_of).states
    for j, rule in enumerate(forward.rules):
        k = [r.id for r in backward.rules].index(rule.id)
        np.testing.assert_array_equal(a[:, j], b[:, k], err_msg=rule.id)


@pytest.mark.slow
@FEW
@given(S.profile_frames())
def test_rule_file_order_does_not_change_scores(reordered_scorers, frame: pd.DataFrame) -> None:
    forward, backward = reordered_scorers
    a, b = forward.score_frame(frame), backward.score_frame(frame)
    np.testing.assert_allclose(a["score"], b["score"], rtol=0, atol=1e-9)
    assert a["band"].astype(str).tolist() == b["band"].astype(str).tolist()
    assert a["risk_flags"].astype(str).map(lambda s: sorted(s.split(";"))).tolist() == (
        b["risk_flags"].astype(str).map(lambda s: sorted(s.split(";"))).tolist()
    )


# --- round trips ---------------------------------------------------------------------------------


def _via_csv(typed: pd.DataFrame, directory: Path) -> pd.DataFrame:
    path = directory / "firms.csv"
    typed.to_csv(path, index=False)
    return read_firms(path)


def _via_parquet(typed: pd.DataFrame, directory: Path) -> pd.DataFrame:
    path = directory / "firms.parquet"
    pq.write_table(pa.Table.from_pandas(typed, preserve_index=False), path)
    return read_firms(path)


def _via_json(typed: pd.DataFrame, directory: Path) -> pd.DataFrame:
    text = typed.to_json(orient="records", force_ascii=False)
    (directory / "firms.json").write_text(text, encoding="utf-8")
    records = json.load(io.StringIO((directory / "firms.json").read_text(encoding="utf-8")))
    return read_firms(pd.DataFrame(records, columns=list(typed.columns)))


@pytest.mark.slow
@PROPERTY
@given(S.profile_frames(), st.sampled_from(["csv", "parquet", "json"]))
def test_profile_round_trip(frame: pd.DataFrame, fmt: str) -> None:
    typed = read_firms(frame)
    with tempfile.TemporaryDirectory() as tmp:
        back = {"csv": _via_csv, "parquet": _via_parquet, "json": _via_json}[fmt](typed, Path(tmp))
    pd.testing.assert_frame_equal(typed, back, check_exact=True)


@pytest.mark.slow
@PROPERTY
@given(S.profile_frames(max_size=6), scorecards())
def test_the_interval_s_variance_is_the_quadratic_form_of_the_fired_units(frame: pd.DataFrame, card: Scorecard) -> None:
    from alignscore._scoring.kernels import quadratic_form

    (batch,) = list(iter_profiles(frame))
    units = _ruleset().evaluate(batch.values, pd.Timestamp(S.AS_OF).date()).units
    want = np.einsum("jn,jn->n", card.covariance @ units, units)
    np.testing.assert_allclose(quadratic_form(np.ascontiguousarray(units), card.covariance), want, rtol=1e-9, atol=1e-9)
