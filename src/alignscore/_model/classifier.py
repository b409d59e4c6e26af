"""The learned part: each rule's weight, learned within its declared sign, shrunk to a prior.

:class:`ScorecardClassifier` is an ordinary scikit-learn estimator (parameters stored in
``__init__``, validation in ``fit``, learned state ending in ``_``). Its inputs are the rules'
*units* (1 when a yes/no rule fires, the measured amount of a graded signal, 0 when a rule
does not fire or cannot be evaluated), so absence and unknown weigh the same by construction.
It minimises

    sum of log losses + shrinkage / 2 * sum_j (scale_j * (coef_j - prior_j))^2

over the coefficients (each bounded to its declared sign: ``increasing`` >= 0, ``decreasing``
<= 0) and a free intercept. This is the maximum a posteriori fit under a normal prior centred
on the analysts' weights with precision ``shrinkage * scale_j^2``: a rule the data barely cover
keeps the analysts' weight, and one they contradict is pulled toward zero, never past it. The
scorecard passes each rule's largest number of units as its ``scale`` (10 for "per 10 points of
overseas revenue", 1 for a yes/no rule), so the prior bounds each rule's largest contribution
alike, not its weight per unit.

The intercept absorbs the labelled set's base rate (which events happen to be documented); the
scorecard that ships replaces it with a neutral baseline (see ``_scorecard.py``).

``covariance_`` is the Laplace approximation to the posterior covariance of the coefficients
(the inverse Hessian of the objective at the optimum, intercept marginalised), from which each
firm's score gets its interval.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import Tags
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

__all__ = ["DIRECTIONS", "ScorecardClassifier"]

#: A coefficient's (lower, upper) bound; None is unbounded on that side.
Bound = tuple[float | None, float | None]

#: Allowed sign of each coefficient (the shipped scorecard uses only the first two: every rule
#: declares its direction; ``free`` is for generic use of the estimator).
DIRECTIONS: dict[str, Bound] = {"increasing": (0.0, None), "decreasing": (None, 0.0), "free": (None, None)}


# scikit-learn ships no type information, so its base classes are Any to mypy.
class ScorecardClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Logistic regression on rule units, each weight within its sign, shrunk to a prior.

    Parameters
    ----------
    priors : array-like of shape (n_features,) or None, default=None
        The analysts' weights (log-odds per unit); ``None`` means 0 for every input.
    directions : list of {"increasing", "decreasing", "free"} or None, default=None
        Allowed sign of each weight; ``None`` takes the sign of each prior (``free`` where a
        prior is 0).
    shrinkage : float, default=1.0
        Precision of the prior: how many log-loss units one unit of squared departure from the
        prior costs. Larger keeps the weights nearer the analysts'.
    scales : array-like of shape (n_features,) or None, default=None
        Each input's largest value, so that the prior applies to the largest contribution
        ``scale * coef``; ``None`` means 1 for every input.
    max_iter : int, default=1000
    tol : float, default=1e-8

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 0.0], [1.0, 1.0]])
    >>> y = np.array([1, 1, 0, 0, 1, 0])
    >>> model = ScorecardClassifier(priors=[0.5, -0.5], shrinkage=1.0).fit(X, y)
    >>> bool(model.coef_[0] >= 0 and model.coef_[1] <= 0)
    True
    >>> bool(np.allclose(model.intercept_ + model.contributions(X).sum(axis=1),
    ...                  model.decision_function(X)))
    True
    """

    _parameter_constraints: dict[str, list[object]] = {  # noqa: RUF012 - scikit-learn's convention
        "priors": ["array-like", None],
        "directions": [list, tuple, None],
        "shrinkage": [Interval(numbers.Real, 0, None, closed="neither")],
        "scales": ["array-like", None],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        priors: np.ndarray | list[float] | None = None,
        directions: list[str] | None = None,
        shrinkage: float = 1.0,
        scales: np.ndarray | list[float] | None = None,
        max_iter: int = 1000,
        tol: float = 1e-8,
    ) -> None:
        self.priors = priors
        self.directions = directions
        self.shrinkage = shrinkage
        self.scales = scales
        self.max_iter = max_iter
        self.tol = tol

    def __sklearn_tags__(self) -> Tags:
        tags: Tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    # --- fitting ---------------------------------------------------------------------------

    def _prior_and_bounds(self, p: int) -> tuple[np.ndarray, list[Bound]]:
        name = type(self).__name__
        prior = np.zeros(p) if self.priors is None else np.asarray(self.priors, dtype=np.float64)
        if prior.shape != (p,) or not np.isfinite(prior).all():
            raise ValueError(
                f"The 'priors' parameter of {name} must hold one finite number per input ({p}). "
                f"Got shape {prior.shape} instead."
            )
        if self.directions is None:
            directions = ["increasing" if w > 0 else "decreasing" if w < 0 else "free" for w in prior]
        else:
            directions = list(self.directions)
        if len(directions) != p:
            raise ValueError(
                f"The 'directions' parameter of {name} must have one entry per input ({p}). "
                f"Got {len(directions)} instead."
            )
        bad = [d for d in directions if d not in DIRECTIONS]
        if bad:
            raise ValueError(
                f"The 'directions' parameter of {name} must contain only 'increasing', "
                f"'decreasing' or 'free'. Got {bad[0]!r} instead."
            )
        bounds = [DIRECTIONS[d] for d in directions]
        clipped = np.array([np.clip(w, lo if lo is not None else -np.inf, hi if hi is not None else np.inf)
                            for w, (lo, hi) in zip(prior, bounds, strict=True)])
        return clipped, bounds

    def _scales(self, p: int) -> np.ndarray:
        scales = np.ones(p) if self.scales is None else np.asarray(self.scales, dtype=np.float64)
        if scales.shape != (p,) or not (np.isfinite(scales) & (scales > 0)).all():
            raise ValueError(
                f"The 'scales' parameter of {type(self).__name__} must hold one positive number per "
                f"input ({p}). Got shape {scales.shape} instead."
            )
        return scales

    def fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> ScorecardClassifier:
        """Fit on rule units ``X`` (finite, 0 where a rule did not fire) and binary ``y``."""
        self._validate_params()
        units: np.ndarray
        units, labels = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(labels)
        self.classes_, y_enc = np.unique(labels, return_inverse=True)
        if len(self.classes_) != 2:
            raise ValueError(
                f"Only binary classification is supported. {type(self).__name__} got "
                f"{len(self.classes_)} class(es): {self.classes_.tolist()}."
            )
        w = _check_sample_weight(sample_weight, units)
        prior, bounds = self._prior_and_bounds(units.shape[1])
        precision = float(self.shrinkage) * self._scales(units.shape[1]) ** 2
        coef, intercept, self.n_iter_ = _fit(
            units, y_enc.astype(np.float64), w, prior, bounds, precision, self.max_iter, self.tol
        )
        self.coef_ = coef
        self.intercept_ = intercept
        self.prior_ = prior
        self.covariance_ = _laplace_covariance(units, w, coef, intercept, precision)
        self.std_errors_ = np.sqrt(np.clip(np.diag(self.covariance_), 0.0, None))
        return self

    # --- prediction ------------------------------------------------------------------------

    def contributions(self, X: ArrayLike) -> np.ndarray:
        """Per-rule log-odds terms (n x p): ``coef_ * units``."""
        check_is_fitted(self)
        units: np.ndarray = validate_data(self, X, reset=False, dtype=np.float64)
        terms: np.ndarray = units * self.coef_
        return terms

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Log-odds of the positive class: ``intercept_ + contributions(X).sum(axis=1)``."""
        check_is_fitted(self)
        units: np.ndarray = validate_data(self, X, reset=False, dtype=np.float64)
        log_odds: np.ndarray = self.intercept_ + units @ self.coef_
        return log_odds

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        p: np.ndarray = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: ArrayLike) -> np.ndarray:
        positive = self.decision_function(X) > 0
        labels: np.ndarray = self.classes_[positive.astype(int)]
        return labels


def _fit(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, prior: np.ndarray, bounds: list[Bound],
    precision: np.ndarray, max_iter: int, tol: float,
) -> tuple[np.ndarray, float, int]:
    """Minimise weighted log loss + 1/2 sum(precision * (coef - prior)^2) over (coef, intercept)."""
    p = X.shape[1]
    s = 2.0 * y - 1.0

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, b = theta[:p], theta[p]
        margin = s * (X @ coef + b)
        d = coef - prior
        loss = -(w * log_expit(margin)).sum() + 0.5 * (precision * d) @ d
        g = -(w * s * expit(-margin))
        grad = np.empty(p + 1)
        grad[:p] = X.T @ g + precision * d
        grad[p] = g.sum()
        return loss, grad

    start = np.append(prior, 0.0)
    # One BLAS thread: on problems this small, thread start-up costs more than the maths.
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(
            objective, start, jac=True, method="L-BFGS-B",
            bounds=[*bounds, (None, None)], options={"maxiter": max_iter, "gtol": tol},
        )  # fmt: skip
    return result.x[:p], float(result.x[p]), int(result.nit)


def _laplace_covariance(
    X: np.ndarray, w: np.ndarray, coef: np.ndarray, intercept: float, precision: np.ndarray
) -> np.ndarray:
    """The coefficients' block of the inverse Hessian of the objective (intercept included in
    the Hessian, so its uncertainty is marginalised out)."""
    p = X.shape[1]
    prob = expit(X @ coef + intercept)
    h = w * prob * (1.0 - prob)
    Z = np.column_stack([X, np.ones(len(X))])
    H = (Z * h[:, None]).T @ Z
    H[np.arange(p), np.arange(p)] += precision
    H[p, p] += 1e-9  # an intercept with no curvature (all labels equal) stays invertible
    cov = np.linalg.inv(H)[:p, :p]
    return (cov + cov.T) / 2.0
