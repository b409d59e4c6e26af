"""The scoring kernel (``_scoring/kernels.py``): whole-array numpy, bit for bit what the compiled
(numba) kernel it replaced computed, the same for a row whatever batch it is in; and one ranker
of drivers for both the ``reasons`` column and the explanations.

``fixtures/kernel/numba_kernel_golden.npz`` holds the numba kernel's inputs and outputs, captured
before it was removed: random inputs (13 rules x 4,200 rows, crossing its 4,096-row block; ties,
contributions at and around 1e-12, every rule state) and the bundled engine's units and states
for 2,000 synthetic firms.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignscore import RuleSet, Scorer
from alignscore._model.scorecard import Scorecard
from alignscore._scoring.engine import Engine
from alignscore._scoring.kernels import TINY, decode_reasons, quadratic_form, reason_key, score_rows
from tests import strategies as S
from tests.test_properties import scorecards

GOLDEN = Path(__file__).parent / "fixtures" / "kernel" / "numba_kernel_golden.npz"
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
TOP = 3


def _bits(a: np.ndarray) -> np.ndarray:
    return a.view(np.int64) if a.dtype == np.float64 else a


@pytest.mark.parametrize("case", ["random", "engine"])
def test_the_kernel_gives_the_numba_kernel_s_results_bit_for_bit(case: str) -> None:
    g = np.load(GOLDEN)
    units, weights, states, evidence, cov = (g[f"{case}_{k}"] for k in ("units", "weights", "states", "evidence", "cov"))
    log_odds, coverage, keys = score_rows(units, weights, states, evidence, float(g[f"{case}_baseline"]), len(weights), TOP)
    np.testing.assert_array_equal(_bits(log_odds), _bits(g[f"{case}_log_odds"]))
    np.testing.assert_array_equal(_bits(coverage), _bits(g[f"{case}_coverage"]))
    np.testing.assert_array_equal(keys, g[f"{case}_keys"])
    np.testing.assert_array_equal(_bits(quadratic_form(units, cov)), _bits(g[f"{case}_variance"]))


# --- a straightforward per-row reference: the numba kernel's loops, in Python -------------------


def _reference_row(units, weights, states, evidence, baseline, none):
    log_odds, num, den = baseline, 0.0, 0.0
    up: list[tuple[float, int]] = []
    down: list[tuple[float, int]] = []
    for j in range(len(weights)):
        state = states[j]
        if state >= -1:
            den += evidence[j]
            if state >= 0:
                num += evidence[j]
                if state == 1:
                    c = weights[j] * units[j]
                    log_odds += c
                    if c > TINY:
                        up.append((c, j))
                    elif -c > TINY:
                        down.append((-c, j))
    def ranked(side):  # strongest first, the earlier rule first among equals
        ids = [j for _, j in sorted(side, key=lambda vj: (-vj[0], vj[1]))][:TOP]
        return ids + [none] * (TOP - len(ids))

    key = 0
    for j in ranked(up) + ranked(down):
        key = key * (none + 1) + j
    return log_odds, (num / den if den > 0 else 0.0), key


def _reference_variance(u, cov):
    fired = [j for j in range(len(u)) if u[j] != 0.0]
    total = 0.0
    for a in fired:
        row = 0.0
        for b in fired:
            row += cov[a, b] * u[b]
        total += u[a] * row
    return total


@st.composite
def kernel_inputs(draw: st.DrawFn):
    """Rules x rows inputs with many ties: units and weights from small sets of values."""
    r = draw(st.integers(0, 9))
    n = draw(st.integers(0, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pool = np.array([0.0, 1.0, 0.5, 2.0, 1e-13, 1e-12, 2e-12, 3.0, 0.1, 0.3])
    units = rng.choice(pool, (r, n)) * np.where(rng.random((r, n)) < 0.2, rng.random((r, n)), 1.0)
    states = rng.choice(np.array([1, 0, -1, -2], dtype=np.int8), (r, n), p=[0.55, 0.2, 0.15, 0.1])
    units[states != 1] = 0.0
    weights = rng.choice([1.0, -1.0, 0.5, -0.5, 0.0, 0.1, 1e-12], r)
    evidence = rng.choice([0.0, 1.0, 0.7, 2.5], r)
    a = rng.normal(0.0, 1.0, (r, r))
    return units, weights, states, evidence, float(draw(st.sampled_from([0.0, -0.0, -0.3, 1.7]))), a @ a.T


@PROPERTY
@given(kernel_inputs())
def test_the_kernel_is_the_per_row_loop_bit_for_bit(inputs) -> None:
    units, weights, states, evidence, baseline, cov = inputs
    r, n = units.shape
    log_odds, coverage, keys = score_rows(units, weights, states, evidence, baseline, r, TOP)
    variance = quadratic_form(units, cov)
    for i in range(n):
        want = _reference_row(units[:, i], weights, states[:, i], evidence, baseline, r)
        assert (log_odds[i], coverage[i], keys[i]) == want, i
        assert math.copysign(1.0, log_odds[i]) == math.copysign(1.0, want[0])
        assert variance[i] == _reference_variance(units[:, i], cov), i


@PROPERTY
@given(kernel_inputs(), st.data())
def test_a_row_scores_the_same_alone_as_in_its_batch(inputs, data) -> None:
    units, weights, states, evidence, baseline, cov = inputs
    r, n = units.shape
    if n == 0:
        return
    i = data.draw(st.integers(0, n - 1))
    whole = score_rows(units, weights, states, evidence, baseline, r, TOP)
    alone = score_rows(units[:, i : i + 1], weights, states[:, i : i + 1], evidence, baseline, r, TOP)
    for all_rows, one in zip(whole, alone, strict=True):
        assert _bits(all_rows[i : i + 1]).tolist() == _bits(one).tolist()
    assert quadratic_form(units, cov)[i] == quadratic_form(units[:, i : i + 1], cov)[0]


def test_a_reason_key_decodes_to_its_drivers() -> None:
    drivers = np.array([[0, 4, 7, 7, 7, 7], [7, 7, 7, 3, 1, 2], [6, 5, 4, 3, 2, 1]])
    np.testing.assert_array_equal(decode_reasons(reason_key(drivers, 7), 7, 6), drivers)


def test_a_large_batch_is_scored_in_blocks_with_the_same_results() -> None:
    g = np.load(GOLDEN)
    units, weights, states, evidence = (g[f"engine_{k}"] for k in ("units", "weights", "states", "evidence"))
    big_units, big_states = np.tile(units, 10), np.tile(states, 10)  # 20,000 rows: several blocks
    small = score_rows(units, weights, states, evidence, float(g["engine_baseline"]), len(weights), TOP)
    big = score_rows(big_units, weights, big_states, evidence, float(g["engine_baseline"]), len(weights), TOP)
    for a, b in zip(small, big, strict=True):
        np.testing.assert_array_equal(_bits(np.tile(a, 10)), _bits(b))


# --- one ranker: the reasons column and the explanations ------------------------------------


@functools.lru_cache(maxsize=1)
def _ruleset() -> RuleSet:
    return RuleSet.load()


@st.composite
def tied_scorecards(draw: st.DrawFn) -> Scorecard:
    """Any valid scorecard; half of them with weights of a few sizes only, so that firms'
    contributions tie and the ranking's tie-break is tested."""
    card = draw(scorecards())
    if draw(st.booleans()):
        sizes = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=len(card.weights), max_size=len(card.weights))))
        card = dataclasses.replace(card, weights=np.sign(_ruleset().priors) * sizes)
    return card


@settings(PROPERTY, max_examples=30)
@given(S.profile_frames(max_size=8), tied_scorecards())
def test_the_reasons_column_is_the_explanations_reasons(frame: pd.DataFrame, card: Scorecard) -> None:
    scorer = Scorer(as_of=S.AS_OF)
    scorer.engine_ = Engine(_ruleset(), card)
    column = scorer.score_frame(frame)["reasons"].tolist()
    explained = [";".join(r.code for r in result.reasons) for result in scorer.explain(frame)]
    assert column == explained
