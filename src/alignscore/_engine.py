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

import numpy as np
import pandas as pd
from scipy.special import expit

from ._classifier import ConstrainedLogisticRegression
from ._features import RULES_FEATURE, input_matrix
from ._persist import Manifest
from ._result import BANDS
from ._rules import FIRED, NOT_EVALUABLE, NOT_FIRED, RuleSet
from .exceptions import ModelError, RulesChangedWarning

__all__ = ["BAND_CUTS", "Engine", "ScoreArrays", "band_index"]

BAND_CUTS = np.array([b[1] for b in BANDS[1:]])
BAND_NAMES = [b[0] for b in BANDS]
TOP_REASONS = 3


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
        model: ConstrainedLogisticRegression,
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

    # --- the vectorised path ---------------------------------------------------------------

    def score(self, values: dict, as_of: dt.date) -> ScoreArrays:
        results = self.ruleset.evaluate(values, as_of)
        states = results.states
        fired = states[:, self.favour_idx] == FIRED
        rule_contrib = fired * self.rule_scale
        x = input_matrix(self.ruleset.inputs.inputs, results.values)
        known = ~np.isnan(x)
        input_contrib = np.where(known, (x - self.mean) * self.beta, 0.0)
        log_odds = self.baseline + rule_contrib.sum(axis=1) + input_contrib.sum(axis=1)
        probability = expit(log_odds)
        score = probability * 100.0
        fav_states = states[:, self.favour_idx]
        evaluable = (fav_states == FIRED) | (fav_states == NOT_FIRED)
        in_effect = evaluable | (fav_states == NOT_EVALUABLE)
        rule_w = np.abs(self.rule_scale)
        num = evaluable @ rule_w + known @ self.input_weight
        den = in_effect @ rule_w + self.input_weight.sum()
        coverage = np.divide(num, den, out=np.ones_like(num), where=den > 0)
        return ScoreArrays(
            log_odds, probability, score, band_index(score), coverage, states,
            rule_contrib, input_contrib, x, results.values,
        )  # fmt: skip

    # --- text columns, built from the distinct combinations only ------------------------------

    def reason_codes(self, arrays: ScoreArrays) -> pd.Categorical:
        """``id+;id+;id+;id-;id-;id-``: the top favourable then unfavourable drivers.

        The sign comes last so that no cell starts with ``+`` or ``-``, which a spreadsheet
        would read as a formula."""
        contrib = np.hstack([arrays.rule_contrib, arrays.input_contrib])
        n, k = contrib.shape
        picks = []
        for sign in (1.0, -1.0):
            work = contrib * sign
            for _ in range(TOP_REASONS):
                j = np.argmax(work, axis=1) if k else np.zeros(n, dtype=np.intp)
                has = work[np.arange(n), j] > 1e-12 if k else np.zeros(n, dtype=bool)
                picks.append(np.where(has, j, k))
                if k:
                    work[np.arange(n), j] = -np.inf
        key = np.zeros(n, dtype=np.int64)
        for p in picks:
            key = key * (k + 1) + p
        uniques, inverse = np.unique(key, return_inverse=True)
        labels = []
        for u in uniques.tolist():
            parts = []
            for slot in range(len(picks) - 1, -1, -1):
                j = u % (k + 1)
                u //= k + 1
                if j < k:
                    parts.append(self.contribution_ids[j] + ("+" if slot < TOP_REASONS else "-"))
            labels.append(";".join(reversed(parts)))
        return pd.Categorical.from_codes(inverse.astype(np.int32), categories=labels)

    def risk_codes(self, arrays: ScoreArrays) -> pd.Categorical:
        risk = arrays.states[:, self.risk_idx] == FIRED
        n, k = risk.shape
        key = (risk * (1 << np.arange(k, dtype=np.int64))).sum(axis=1) if k else np.zeros(n, np.int64)
        uniques, inverse = np.unique(key, return_inverse=True)
        ids = [self.ruleset.rules[i].id for i in self.risk_idx]
        labels = [";".join(ids[j] for j in range(k) if (u >> j) & 1) for u in uniques.tolist()]
        return pd.Categorical.from_codes(inverse.astype(np.int32), categories=labels)

    def band_names(self, arrays: ScoreArrays) -> pd.Categorical:
        return pd.Categorical.from_codes(arrays.band.astype(np.int32), categories=BAND_NAMES)
