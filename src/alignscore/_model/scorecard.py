"""The scorecard that scores firms: one weight per favour rule, a neutral baseline, bounds.

A firm's log-odds is exactly ``baseline + sum_j weight_j * units_j`` over the favour rules
(``units`` is 1 for a yes/no rule that fired, the measured amount for a graded signal, 0 for a
rule that did not fire or could not be evaluated). Then:

- **Neutral baseline.** ``baseline`` is 0 log-odds (a score of 50): a firm known by name alone
  is neutral. The classifier's fitted intercept reflects the labelled set's base rate (which
  events happen to be documented), not the policy, and is kept only for the record.
- **Bounded probability.** ``probability = floor + (1 - 2 floor) * logistic(log_odds)`` with
  ``floor`` = 0.005, so no score is below 0.5 or above 99.5: a few hundred labelled firms
  cannot support more certainty than that. The map is strictly increasing, so each rule
  still moves the score only in its declared direction, and the log-odds stay an exact sum.
- **Interval.** The weights' covariance ``S`` (a Laplace approximation, from training) gives
  each firm's log-odds a standard error ``sqrt(u' S u)``; the ``interval`` (80%) bounds are
  the log-odds -/+ z times that, mapped the same way, so a score always lies inside its own
  interval.
- **Not rated.** When less than ``min_coverage`` of the evidence (the analysts' weights of
  the rules in effect, at their largest) could be evaluated, the band is "Not rated", as a
  rating agency's NR; the score and its explanation are still given.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alignscore._core.vocabulary import FLOOR, bounded_probability
from alignscore.exceptions import ModelError

from .persist import ScorecardFile, ScorecardWeight

if TYPE_CHECKING:
    from alignscore._rules.ruleset import RuleSet

    from .classifier import ScorecardClassifier

__all__ = [
    "BASELINE",
    "FLOOR",
    "INTERVAL",
    "MIN_COVERAGE",
    "Scorecard",
    "bounded_probability",
]

BASELINE = 0.0
INTERVAL = 0.8
#: Below this share of the evidence known, a firm is "Not rated". A profile with only a sector,
#: a listing venue and a province (the Tushare ``stock_basic`` list) sits above it; a name with
#: a sector alone, or a handful of yes/no fields, does not.
MIN_COVERAGE = 0.35


@dataclass(frozen=True)
class Scorecard:
    """The numbers scoring needs, validated (see ``_persist.ScorecardFile``)."""

    ids: tuple[str, ...]
    directions: tuple[str, ...]
    priors: np.ndarray
    weights: np.ndarray
    std_errors: np.ndarray
    covariance: np.ndarray
    baseline: float
    floor: float
    interval: float
    min_coverage: float
    shrinkage: float | None
    fitted_intercept: float | None
    rules_sha256: str

    def __post_init__(self) -> None:
        k = len(self.ids)
        arrays = {"priors": self.priors, "weights": self.weights, "std_errors": self.std_errors}
        for name, values in arrays.items():
            if np.shape(values) != (k,) or not np.isfinite(values).all():
                raise ModelError("scorecard", f"{name} must be {k} finite numbers")
        if np.shape(self.covariance) != (k, k) or not np.isfinite(self.covariance).all():
            raise ModelError("scorecard", f"covariance must be a {k} x {k} matrix of finite numbers")
        for name in ("baseline", "floor", "interval", "min_coverage"):
            if not np.isfinite(getattr(self, name)):
                raise ModelError("scorecard", f"{name} must be a finite number")

    @property
    def z(self) -> float:
        """The normal quantile of the interval's upper end (1.2816 for 80%)."""
        return statistics.NormalDist().inv_cdf(0.5 + self.interval / 2.0)

    @classmethod
    def from_file(cls, card: ScorecardFile) -> Scorecard:
        return cls(
            ids=tuple(w.rule for w in card.weights),
            directions=tuple(w.direction for w in card.weights),
            priors=np.array([w.prior for w in card.weights]),
            weights=np.array([w.weight for w in card.weights]),
            std_errors=np.array([w.std_error for w in card.weights]),
            covariance=np.array(card.covariance, dtype=np.float64).reshape(len(card.weights), -1),
            baseline=card.baseline,
            floor=card.floor,
            interval=card.interval,
            min_coverage=card.min_coverage,
            shrinkage=card.shrinkage,
            fitted_intercept=card.fitted_intercept,
            rules_sha256=card.rules_sha256,
        )

    @classmethod
    def prior(cls, ruleset: RuleSet) -> Scorecard:
        """The analysts' scorecard: every weight at its prior, no learned uncertainty."""
        k = len(ruleset.favour)
        return cls(
            ids=tuple(ruleset.favour_ids), directions=tuple(ruleset.directions),
            priors=ruleset.priors.copy(), weights=ruleset.priors.copy(), std_errors=np.zeros(k),
            covariance=np.zeros((k, k)), baseline=BASELINE, floor=FLOOR, interval=INTERVAL,
            min_coverage=MIN_COVERAGE, shrinkage=None, fitted_intercept=None,
            rules_sha256=ruleset.sha256,
        )  # fmt: skip

    @classmethod
    def from_classifier(cls, model: ScorecardClassifier, ruleset: RuleSet) -> Scorecard:
        """The shipped form of a fitted classifier: its weights and covariance, with the
        neutral baseline in place of the fitted intercept."""
        return cls(
            ids=tuple(ruleset.favour_ids), directions=tuple(ruleset.directions),
            priors=np.asarray(model.prior_, dtype=np.float64),
            weights=np.asarray(model.coef_, dtype=np.float64),
            std_errors=np.asarray(model.std_errors_, dtype=np.float64),
            covariance=np.asarray(model.covariance_, dtype=np.float64), baseline=BASELINE,
            floor=FLOOR, interval=INTERVAL, min_coverage=MIN_COVERAGE,
            shrinkage=float(model.shrinkage), fitted_intercept=float(model.intercept_),
            rules_sha256=ruleset.sha256,
        )  # fmt: skip

    def to_file(self) -> ScorecardFile:
        return ScorecardFile(
            format="alignscore-scorecard", format_version=2, baseline=self.baseline,
            floor=self.floor, interval=self.interval, min_coverage=self.min_coverage,
            shrinkage=self.shrinkage, fitted_intercept=self.fitted_intercept,
            rules_sha256=self.rules_sha256,
            weights=[
                # d is a str from the rule's declared direction, which the schema limits to the Literal
                ScorecardWeight(rule=i, direction=d, prior=float(p), weight=float(w), std_error=float(s))  # type: ignore[arg-type]
                for i, d, p, w, s in zip(
                    self.ids, self.directions, self.priors, self.weights, self.std_errors, strict=True
                )
            ],
            covariance=self.covariance.tolist(),
        )  # fmt: skip

    def check_against(self, ruleset: RuleSet, where: str) -> None:
        """Refuse a scorecard whose rules or directions are not the rule set's."""
        if list(self.ids) != ruleset.favour_ids:
            missing = sorted(set(ruleset.favour_ids) - set(self.ids))
            extra = sorted(set(self.ids) - set(ruleset.favour_ids))
            detail = (f"; missing {missing}" if missing else "") + (f"; unknown {extra}" if extra else "")
            raise ModelError(
                where, f"was trained on other rules than {ruleset.directory} holds{detail or ' (order differs)'}; "
                "retrain it with `alignscore train`",
            )  # fmt: skip
        for rule_id, mine, theirs in zip(self.ids, self.directions, ruleset.directions, strict=True):
            if mine != theirs:
                raise ModelError(
                    where, f"rule {rule_id!r} is {mine} in the model but {theirs} in the rules; "
                    "retrain it with `alignscore train`",
                )  # fmt: skip
