"""The scoring core: rules and classifier combined into one log-odds, vectorised.

The shipped model is a :class:`~alignscore._classifier.ConstrainedLogisticRegression` whose
first input is the rules' summed log-odds ``R = sum(weight_r * fired_r)`` and whose other inputs
are declared in ``rules/model_inputs.yaml``. Its fitted coefficients are read once; scoring is
then a few numpy operations per batch, and the decomposition is exact::

    log_odds = baseline
             + sum over favour rules r:  alpha * weight_r * fired_r     (rule contributions)
             + sum over inputs j:        beta_j * (x_j - mean_j)        (0 when x_j unknown)

with ``baseline = intercept - alpha * mean_R``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._features import RULES_FEATURE, input_matrix
from ._kernels import score_rows
from ._persist import Manifest
from ._result import BANDS
from ._rules import FIRED, RuleSet
from .exceptions import ModelError, RulesChangedWarning

if TYPE_CHECKING:
    from ._persist import Parameters

__all__ = ["BAND_CUTS", "Engine", "ScoreArrays", "band_index"]

BAND_CUTS = np.array([b[1] for b in BANDS[1:]])
BAND_NAMES = [b[0] for b in BANDS]
TOP_REASONS = 3


def expit(log_odds: np.ndarray) -> np.ndarray:
    """The logistic function, stable at any magnitude (``1 / (1 + e^-x)``)."""
    return np.exp(-np.logaddexp(0.0, -log_odds))


def band_index(score: np.ndarray) -> np.ndarray:
    return np.searchsorted(BAND_CUTS, score, side="right").astype(np.int8)


@dataclass
class ScoreArrays:
    """Everything computed for a batch, row-aligned."""

    log_odds: np.ndarray
    probability: np.ndarray
    score: np.ndarray
    band: np.ndarray  # int8 index into BANDS
    coverage: np.ndarray
    states: np.ndarray  # rows x rules, int8
    rule_contrib: np.ndarray  # rows x favour rules
    input_contrib: np.ndarray  # rows x model inputs
    inputs: np.ndarray  # rows x model inputs, the input values (NaN unknown)
    ctx: dict[str, np.ndarray]

    @property
    def rules_part(self) -> np.ndarray:
        return self.rule_contrib.sum(axis=1)

    @property
    def model_part(self) -> np.ndarray:
        return self.input_contrib.sum(axis=1)


class Engine:
    """A rule set and a fitted model, bound together for scoring."""

    def __init__(
        self,
        ruleset: RuleSet,
        model: Parameters | Any,
        manifest: Manifest | None = None,
        model_sha256: str = "unsaved",
    ) -> None:
        expected = [RULES_FEATURE] + [s.id for s in ruleset.inputs.inputs]
        if manifest is not None:
            if manifest.features != expected:
                raise ModelError(
                    "model",
                    f"was trained on inputs {manifest.features}, but the rules declare {expected}; "
                    "retrain it with `alignscore train`",
                )
            if manifest.rules_sha256 != ruleset.sha256:
                warnings.warn(
                    f"the model was trained with rules {manifest.rules_sha256[:12]}, the rules in "
                    f"use are {ruleset.sha256[:12]} ({ruleset.directory}); retrain with "
                    "`alignscore train` so the two agree",
                    RulesChangedWarning,
                    stacklevel=3,
                )
        self.ruleset = ruleset
        self.model = model
        self.manifest = manifest
        self.model_sha256 = model_sha256
        self.features = expected
        coef = np.asarray(model.coef_, dtype=np.float64)
        self.alpha = float(coef[0])
        self.beta = coef[1:]
        self.mean = np.asarray(model.mean_, dtype=np.float64)[1:]
        self.baseline = float(model.intercept_ - coef[0] * model.mean_[0])
        self.rule_scale = self.alpha * ruleset.weights
        self.favour_idx = ruleset.favour_index()
        self.risk_idx = ruleset.risk_index()
        scale = getattr(model, "scale_", np.ones_like(coef))[1:]
        self.input_weight = np.abs(self.beta) * scale
        self.contribution_ids = [r.id for r in ruleset.favour] + [
            f"model:{s.id}" for s in ruleset.inputs.inputs
        ]
        # strongest first; ties keep the rules' order, as the explanation's sort does
        scale = self.rule_scale
        self._ranked = (
            np.array([j for j in np.argsort(-scale, kind="stable") if scale[j] > 0], dtype=np.int64),
            np.array([j for j in np.argsort(scale, kind="stable") if scale[j] < 0], dtype=np.int64),
        )
        # the words of the reason codes; the last entry (no driver) is null
        self._up_words = pa.array([f"{c}+" for c in self.contribution_ids] + [None], pa.string())
        self._down_words = pa.array([f"{c}-" for c in self.contribution_ids] + [None], pa.string())
        self._input_ids = len(self.rule_scale) + np.arange(len(self.beta), dtype=np.int64)

    # --- the vectorised path ---------------------------------------------------------------

    def _parts(self, values: dict, as_of: dt.date):
        """Rule states (rules x rows), model inputs (inputs x rows) and their known masks."""
        results = self.ruleset.evaluate(values, as_of)
        x = input_matrix(self.ruleset.inputs.inputs, results.values).T  # inputs x rows view
        return results, x, ~np.isnan(x)

    def _rows(self, fav: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """log-odds, coverage and reason keys of a batch (the compiled per-row pass)."""
        return score_rows(
            np.ascontiguousarray(fav), self.rule_scale, np.ascontiguousarray(x), self.mean,
            self.beta, self.input_weight, self._input_ids, self.baseline,
            len(self.contribution_ids), TOP_REASONS,
        )  # fmt: skip

    def score(self, values: dict, as_of: dt.date) -> ScoreArrays:
        """Everything about a batch, with the full contribution matrices (for explanations)."""
        results, x, known = self._parts(values, as_of)
        fav = results.by_rule[self.favour_idx]
        log_odds, coverage, _ = self._rows(fav, x)
        rule_contrib = np.where(fav.T == FIRED, self.rule_scale, 0.0)
        input_contrib = np.where(known.T, (x.T - self.mean) * self.beta, 0.0)
        probability = expit(log_odds)
        score = probability * 100.0
        return ScoreArrays(
            log_odds, probability, score, band_index(score), coverage, results.states,
            rule_contrib, input_contrib, x.T, results.values,
        )  # fmt: skip

    def columns(self, values: dict, as_of: dt.date) -> dict:
        """The result columns of a batch, lean: no per-rule matrices are built.

        Returns ``score``, ``band``, ``probability``, ``coverage``, ``reasons``, ``risk_flags``.
        """
        results, x, _ = self._parts(values, as_of)
        log_odds, coverage, keys = self._rows(results.by_rule[self.favour_idx], x)
        probability = expit(log_odds)
        score = probability * 100.0
        return {
            "score": score,
            "band": pd.Categorical.from_codes(band_index(score).astype(np.int32), categories=BAND_NAMES),
            "probability": probability,
            "coverage": coverage,
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
        none = len(self.contribution_ids)
        rest = np.asarray(keys, dtype=np.int64)
        slots = []
        for slot in range(2 * TOP_REASONS - 1, -1, -1):
            pick = rest % (none + 1)
            rest = rest // (none + 1)
            words = self._up_words if slot < TOP_REASONS else self._down_words
            slots.append(words.take(pa.array(pick)))
        return _join(list(reversed(slots)), len(keys))

    def _risks(self, risk_states: np.ndarray) -> pa.DictionaryArray:
        pattern, patterns = _patterns((risk_states == FIRED).astype(np.uint8), [1] * len(risk_states))
        ids = [self.ruleset.rules[i].id for i in self.risk_idx]
        parts = [
            pa.array(np.where(patterns[:, j] == 1, ids[j], None), type=pa.string())
            for j in range(len(ids))
        ]
        return _text(pattern, _join(parts, patterns.shape[0]))

    def reason_codes(self, arrays: ScoreArrays) -> pa.DictionaryArray:
        _, _, keys = self._rows(arrays.states.T[self.favour_idx], arrays.inputs.T)
        return self._reason_text(keys)

    def risk_codes(self, arrays: ScoreArrays) -> pa.DictionaryArray:
        return self._risks(arrays.states.T[self.risk_idx])

    def band_names(self, arrays: ScoreArrays) -> pd.Categorical:
        return pd.Categorical.from_codes(arrays.band.astype(np.int32), categories=BAND_NAMES)


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
