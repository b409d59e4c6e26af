"""The scoring core: the rules' units and the scorecard's weights, vectorised.

Each favour rule is one input of the scorecard (see ``_scorecard.py``); scoring a batch is the
rules' whole-array evaluation (``RuleSet.evaluate``), one product of weights and units, and
whole-array passes (``kernels.py``) for the sums, coverage and top drivers. The decomposition is
exact::

    log_odds = baseline + sum over favour rules r: weight_r * units_r

where ``units_r`` is 0 whenever the rule did not fire or could not be evaluated, so absence and
unknown contribute the same nothing.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from alignscore._core.vocabulary import (
    BAND_CODES,
    BAND_NAMES,
    BANDS,
    bounded_probability,
)
from alignscore._model.scorecard import Scorecard
from alignscore._rules.ruleset import FIRED, RuleSet
from alignscore.exceptions import RulesChangedWarning

from .kernels import decode_reasons, quadratic_form, score_rows

__all__ = ["BAND_CUTS", "Engine", "ScoreArrays", "band_index"]

BAND_CUTS = np.array([b[1] for b in BANDS[1:]])
TOP_REASONS = 3


def band_index(score: np.ndarray, coverage: np.ndarray | None = None, min_coverage: float = 0.0) -> np.ndarray:
    """The band code of each score (an index into ``BAND_CODES``); ``Not rated`` (5) where the
    coverage is below ``min_coverage``."""
    bands = np.searchsorted(BAND_CUTS, score, side="right").astype(np.int8)
    if coverage is not None:
        bands[coverage < min_coverage] = len(BAND_NAMES)
    return bands


@dataclass
class ScoreArrays:
    """Everything computed for a batch, row-aligned."""

    log_odds: np.ndarray
    probability: np.ndarray
    score: np.ndarray
    score_low: np.ndarray
    score_high: np.ndarray
    band: np.ndarray  # int8 index into BAND_CODES
    coverage: np.ndarray
    states: np.ndarray  # rows x rules, int8
    rule_contrib: np.ndarray  # rows x favour rules
    units: np.ndarray  # rows x favour rules
    ctx: dict[str, np.ndarray]
    reason_keys: np.ndarray  # int64 per row: the drivers ranked by the kernel (``Engine.drivers``)


class Engine:
    """A rule set and a scorecard, bound together for scoring."""

    def __init__(self, ruleset: RuleSet, scorecard: Scorecard, model_sha256: str = "unsaved") -> None:
        scorecard.check_against(ruleset, model_sha256)
        if scorecard.rules_sha256 != ruleset.sha256:
            warnings.warn(
                f"the model was trained with rules {scorecard.rules_sha256[:12]}, the rules in "
                f"use are {ruleset.sha256[:12]} ({ruleset.directory}); retrain with "
                "`alignscore train` so the two agree",
                RulesChangedWarning,
                stacklevel=3,
            )
        self.ruleset = ruleset
        self.scorecard = scorecard
        self.model_sha256 = model_sha256
        self.baseline = float(scorecard.baseline)
        self.weights = np.asarray(scorecard.weights, dtype=np.float64)
        self.covariance = np.asarray(scorecard.covariance, dtype=np.float64)
        self.favour_idx = ruleset.favour_index()
        self.risk_idx = ruleset.risk_index()
        #: each rule's weight in coverage: the analysts' prior at the rule's largest
        self.evidence = np.abs(ruleset.priors) * np.array([r.max_units for r in ruleset.favour])
        self.contribution_ids = list(ruleset.favour_ids)
        # the words of the reason codes; the last entry (no driver) is null
        self._up_words = pa.array([f"{c}+" for c in self.contribution_ids] + [None], pa.string())
        self._down_words = pa.array([f"{c}-" for c in self.contribution_ids] + [None], pa.string())

    # --- the vectorised path ---------------------------------------------------------------

    def _rows(self, states: np.ndarray, units: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """log-odds, coverage and reason keys of a batch (the kernel's per-row pass)."""
        return score_rows(
            np.ascontiguousarray(units), self.weights, np.ascontiguousarray(states), self.evidence,
            self.baseline, len(self.contribution_ids), TOP_REASONS,
        )  # fmt: skip

    def _core(self, values: dict, as_of: dt.date) -> tuple[Any, dict[str, np.ndarray], np.ndarray]:
        results = self.ruleset.evaluate(values, as_of)
        log_odds, coverage, keys = self._rows(results.by_rule[self.favour_idx], results.units)
        card = self.scorecard
        # per row over the fired rules only, in rule order: a firm's interval is bit-identical
        # alone, in a frame or on a cluster (a BLAS product's order depends on the batch)
        spread = card.z * np.sqrt(quadratic_form(np.ascontiguousarray(results.units), self.covariance).clip(0.0))
        out = {
            "log_odds": log_odds,
            "probability": bounded_probability(log_odds, card.floor),
            "score_low": 100.0 * bounded_probability(log_odds - spread, card.floor),
            "score_high": 100.0 * bounded_probability(log_odds + spread, card.floor),
            "coverage": coverage,
        }
        out["score"] = 100.0 * out["probability"]
        out["band"] = band_index(out["score"], coverage, card.min_coverage)
        return results, out, keys

    def score(self, values: dict, as_of: dt.date) -> ScoreArrays:
        """Everything about a batch, with the full contribution matrices (for explanations)."""
        results, out, keys = self._core(values, as_of)
        contrib = self.weights[:, None] * results.units  # favour rules x rows: what the kernel summed
        return ScoreArrays(
            out["log_odds"], out["probability"], out["score"], out["score_low"], out["score_high"],
            out["band"], out["coverage"], results.states, contrib.T, results.units.T, results.values, keys,
        )  # fmt: skip

    def columns(self, values: dict, as_of: dt.date) -> dict:
        """The result columns of a batch, lean: ``score``, ``score_low``, ``score_high``,
        ``band``, ``probability``, ``coverage``, ``reasons``, ``risk_flags``."""
        results, out, keys = self._core(values, as_of)
        return {
            "score": out["score"],
            "score_low": out["score_low"],
            "score_high": out["score_high"],
            "band": pd.Categorical.from_codes(out["band"].astype(np.int32), categories=pd.Index(BAND_CODES)),
            "probability": out["probability"],
            "coverage": out["coverage"],
            "reasons": self._reason_text(keys),
            "risk_flags": self._risks(results.by_rule[self.risk_idx]),
        }

    # --- text columns, built from the distinct combinations only ------------------------------

    def _reason_text(self, keys: np.ndarray) -> pa.DictionaryArray:
        """``id+;id+;id+;id-;id-;id-``: the top favourable then unfavourable drivers.

        Ties go to the earlier contribution (rules first), as in the explanation. The sign
        comes last so that no cell starts with ``+`` or ``-``, which a spreadsheet would read
        as a formula. Each distinct combination is turned into text once per batch; the column
        is an Arrow dictionary array, so no string is built per row.
        """
        codes, uniques = pd.factorize(keys)
        return _text(codes, self._labels(uniques))

    def _labels(self, keys: np.ndarray) -> pa.Array:
        """The text of each distinct reason key, built column-wise by Arrow (no Python loop)."""
        picks = decode_reasons(keys, len(self.contribution_ids), 2 * TOP_REASONS)
        slots = [
            (self._up_words if slot < TOP_REASONS else self._down_words).take(pa.array(picks[:, slot]))
            for slot in range(2 * TOP_REASONS)
        ]
        return _join(slots, len(keys))

    def _risks(self, risk_states: np.ndarray) -> pa.DictionaryArray:
        pattern, patterns = _patterns((risk_states == FIRED).astype(np.uint8), [1] * len(risk_states))
        ids = [self.ruleset.rules[i].id for i in self.risk_idx]
        parts = [
            pa.array(np.where(patterns[:, j] == 1, ids[j], None), type=pa.string())
            for j in range(len(ids))
        ]
        return _text(pattern, _join(parts, patterns.shape[0]))

    def drivers(self, arrays: ScoreArrays, i: int) -> tuple[list[int], list[int]]:
        """Row ``i``'s favourable then unfavourable drivers, strongest first, as indices of
        favour rules: the one ranking (``kernels.top_drivers``) that the ``reasons`` column
        also spells out."""
        none = len(self.contribution_ids)
        slots = decode_reasons(arrays.reason_keys[i : i + 1], none, 2 * TOP_REASONS)[0]
        return (
            [int(k) for k in slots[:TOP_REASONS] if k != none],
            [int(k) for k in slots[TOP_REASONS:] if k != none],
        )

    def reason_codes(self, arrays: ScoreArrays) -> pa.DictionaryArray:
        return self._reason_text(arrays.reason_keys)

    def risk_codes(self, arrays: ScoreArrays) -> pa.DictionaryArray:
        return self._risks(arrays.states.T[self.risk_idx])

    def band_names(self, arrays: ScoreArrays) -> pd.Categorical[str]:
        return pd.Categorical.from_codes(arrays.band.astype(np.int32), categories=pd.Index(BAND_CODES))


def _patterns(digits: np.ndarray, widths: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Rows' patterns of a small-integer (items x rows) matrix, item ``i`` taking
    ``widths[i]`` bits: a code per row and the distinct patterns (patterns x items), found by
    hashing, not by comparing rows."""
    k, n = digits.shape
    if k == 0:
        return np.zeros(n, dtype=np.int64), np.zeros((1, 0), dtype=np.uint8)
    if sum(widths) <= 63:  # the pattern fits one int64
        key = np.zeros(n, dtype=np.int64)
        for row, width in zip(digits, widths, strict=True):
            key = (key << width) | row
        codes, uniques = pd.factorize(key)
        count = len(uniques)
    else:  # compare each row's digits as one opaque value
        rows = np.ascontiguousarray(digits.T).view(f"V{k}").ravel()
        _, codes = np.unique(rows, return_inverse=True)
        count = int(codes.max()) + 1 if n else 0
    first = np.zeros(count, dtype=np.int64)
    first[codes[::-1]] = np.arange(n)[::-1]  # one row that has each pattern
    return codes, digits[:, first].T


def _join(parts: list[pa.Array], n: int) -> pa.Array:
    """Join text columns element-wise with ``;``, leaving out the nulls.

    A leading column of empty strings keeps every row non-null: pyarrow 26 drops rows whose
    inputs are all null when it skips nulls (so the output would be shorter than the input).
    """
    if not parts:
        return pa.array([""] * n, type=pa.string())
    lead = pa.array([""] * n, type=pa.string())
    joined = pc.binary_join_element_wise(lead, *parts, ";", null_handling="skip")
    return pc.utf8_ltrim(joined, ";")


def _text(codes: np.ndarray, labels: pa.Array) -> pa.DictionaryArray:
    """Row codes into distinct labels, as an Arrow dictionary array."""
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), labels)
