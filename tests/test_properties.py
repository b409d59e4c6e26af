"""Properties of scoring over generated firm profiles (Hypothesis; see ``strategies.py``).

Each property runs at most 50 examples with no deadline, so the suite stays fast. The scorer is
trained once in memory (``Scorer.fit`` on synthetic labelled firms): the default model may not
exist yet, and a fitted scorer needs no model directory.
"""

from __future__ import annotations

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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignscore._read import iter_profiles
from alignscore._resources import bundled
from alignscore._rules import TAXONOMY_FILE, RuleSet
from alignscore._validate import read_firms
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


@PROPERTY
@given(S.profile_frames())
def test_score_within_0_100(frame: pd.DataFrame) -> None:
    scored = _scorer().score_frame(frame)
    assert scored["score"].between(0.0, 100.0).all()
    assert scored["probability"].between(0.0, 1.0).all()
    assert scored["coverage"].between(0.0, 1.0).all()


@PROPERTY
@given(S.profile_frames(max_size=4))
def test_contributions_add_up_to_log_odds(frame: pd.DataFrame) -> None:
    for result in _scorer().explain(frame):
        total = result.baseline + sum(c.value for c in result.contributions)
        assert abs(total - result.log_odds) < 1e-9
        assert 0.0 <= result.score <= 100.0


def test_model_input_overseas_share_is_constrained_increasing() -> None:
    engine = _scorer().engine_
    j = engine.features.index("overseas_revenue_share") - 1  # features[0] is the rules' sum
    assert engine.beta[j] >= 0.0
    assert engine.alpha >= 0.0


@PROPERTY
@given(
    S.profile_rows(),
    st.floats(0.0, 1.0, allow_nan=False),
    st.floats(0.0, 1.0, allow_nan=False),
)
def test_raising_overseas_share_never_lowers_the_score(row: dict, a: float, b: float) -> None:
    low, high = sorted((a, b))
    frame = pd.DataFrame([row, row], dtype=object)
    frame["overseas_revenue_share"] = [repr(low), repr(high)]
    scores = _scorer().score_frame(frame)["score"].to_numpy(dtype=float)
    assert scores[1] >= scores[0] - 1e-12


# --- order and repetition -----------------------------------------------------------------------


@PROPERTY
@given(S.profile_frames(min_size=2, max_size=8), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(frame: pd.DataFrame, rnd) -> None:
    order = list(frame.index)
    rnd.shuffle(order)
    scorer = _scorer()
    straight = scorer.score_frame(frame)
    shuffled = scorer.score_frame(frame.loc[order]).loc[frame.index]
    pd.testing.assert_frame_equal(straight, shuffled, check_exact=False, rtol=0, atol=1e-12)


@PROPERTY
@given(S.profile_frames())
def test_scoring_twice_gives_identical_output(frame: pd.DataFrame) -> None:
    scorer = _scorer()
    pd.testing.assert_frame_equal(scorer.score_frame(frame), scorer.score_frame(frame.copy()))


@functools.lru_cache(maxsize=1)
def _reordered_rules() -> tuple[Path, Path]:
    """Two copies of the rules whose rule files load in opposite orders."""
    root = Path(tempfile.mkdtemp(prefix="alignscore-rules-order-"))
    source = bundled("rules")
    fixed = {TAXONOMY_FILE, "model_inputs.yaml"}
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


def test_reordered_rules_really_load_in_another_order() -> None:
    forward, backward = _reordered_rulesets()
    assert [r.id for r in forward.rules] != [r.id for r in backward.rules]
    assert sorted(r.id for r in forward.rules) == sorted(r.id for r in backward.rules)


@functools.lru_cache(maxsize=1)
def _reordered_rulesets() -> tuple[RuleSet, RuleSet]:
    forward, backward = _reordered_rules()
    return RuleSet.load(forward), RuleSet.load(backward)


@functools.lru_cache(maxsize=1)
def _reordered_scorers():
    return tuple(S.fitted_scorer(rules=d) for d in _reordered_rules())


@PROPERTY
@given(S.profile_frames())
def test_rule_file_order_does_not_change_rule_states(frame: pd.DataFrame) -> None:
    forward, backward = _reordered_rulesets()

    (batch,) = list(iter_profiles(frame))
    as_of = pd.Timestamp(S.AS_OF).date()
    a = forward.evaluate(batch.values, as_of).states
    b = backward.evaluate(batch.values, as_of).states
    for j, rule in enumerate(forward.rules):
        k = [r.id for r in backward.rules].index(rule.id)
        np.testing.assert_array_equal(a[:, j], b[:, k], err_msg=rule.id)


@FEW
@given(S.profile_frames())
def test_rule_file_order_does_not_change_scores(frame: pd.DataFrame) -> None:
    forward, backward = _reordered_scorers()
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


@PROPERTY
@given(S.profile_frames(), st.sampled_from(["csv", "parquet", "json"]))
def test_profile_round_trip(frame: pd.DataFrame, fmt: str) -> None:
    typed = read_firms(frame)
    with tempfile.TemporaryDirectory() as tmp:
        back = {"csv": _via_csv, "parquet": _via_parquet, "json": _via_json}[fmt](typed, Path(tmp))
    pd.testing.assert_frame_equal(typed, back, check_exact=True)
