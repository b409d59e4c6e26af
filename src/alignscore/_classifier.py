"""The learned part: a sign-constrained, L2-penalised logistic regression.

:class:`ConstrainedLogisticRegression` is an ordinary scikit-learn estimator (parameters stored
in ``__init__``, validation in ``fit``, learned state ending in ``_``) with two additions that
the explanation needs:

- ``directions`` constrains each coefficient's sign (``"increasing"`` >= 0, ``"decreasing"``
  <= 0, ``"free"``), so the model can never contradict a direction the analysts declared;
- an unknown input (NaN) sits at the training mean, so it contributes exactly 0, and
  :meth:`contributions` returns per-input terms that add up, with ``baseline_``, to
  :meth:`decision_function` exactly.

With ``calibrate=True`` the fitted log-odds are Platt-scaled on out-of-fold predictions
(``cv`` folds inside the training data only) and the scaling is folded into the coefficients,
so the model stays linear and its contributions stay exact.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

__all__ = ["ConstrainedLogisticRegression"]

_BOUNDS = {"increasing": (0.0, None), "decreasing": (None, 0.0), "free": (None, None)}


def _fit_logistic(
    Z: np.ndarray, y: np.ndarray, w: np.ndarray, bounds: list, alpha: float, max_iter: int, tol: float
) -> tuple[np.ndarray, float, int]:
    """Minimise weighted log loss + alpha/2 ||coef||^2 over (coef, intercept) with bounds."""
    p = Z.shape[1]
    s = 2.0 * y - 1.0
    total = w.sum()

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, b = theta[:p], theta[p]
        margin = s * (Z @ coef + b)
        loss = -(w * log_expit(margin)).sum() / total + 0.5 * alpha * coef @ coef
        g = -(w * s * expit(-margin)) / total
        grad = np.empty(p + 1)
        grad[:p] = Z.T @ g + alpha * coef
        grad[p] = g.sum()
        return loss, grad

    # One BLAS thread: on problems this small, thread start-up costs more than the maths.
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(
            objective, np.zeros(p + 1), jac=True, method="L-BFGS-B",
            bounds=[*bounds, (None, None)], options={"maxiter": max_iter, "gtol": tol},
        )  # fmt: skip
    return result.x[:p], float(result.x[p]), int(result.nit)


class ConstrainedLogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary logistic regression with per-input sign constraints and exact contributions.

    Parameters
    ----------
    C : float, default=1.0
        Inverse strength of the L2 penalty on standardised inputs.
    directions : list of {"increasing", "decreasing", "free"} or None, default=None
        Allowed sign of each input's effect; ``None`` leaves every input free.
    calibrate : bool, default=False
        Platt-scale the log-odds on out-of-fold predictions and fold it into the coefficients.
    cv : int or cross-validation splitter, default=3
        Folds for the calibration (stratified when an int).
    max_iter : int, default=1000
    tol : float, default=1e-8
    random_state : int, default=0
        Seeds the calibration folds.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.2], [0.5], [0.9], [np.nan]])
    >>> y = np.array([0, 0, 1, 1, 1])
    >>> model = ConstrainedLogisticRegression(directions=["increasing"]).fit(X, y)
    >>> bool(model.coef_[0] >= 0)
    True
    >>> total = model.baseline_ + model.contributions(X).sum(axis=1)
    >>> bool(np.allclose(total, model.decision_function(X)))
    True
    """

    _parameter_constraints: dict = {  # noqa: RUF012 - scikit-learn's convention
        "C": [Interval(numbers.Real, 0, None, closed="neither")],
        "directions": [list, tuple, None],
        "calibrate": ["boolean"],
        "cv": ["cv_object"],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        C: float = 1.0,
        directions: list[str] | None = None,
        calibrate: bool = False,
        cv: int = 3,
        max_iter: int = 1000,
        tol: float = 1e-8,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.directions = directions
        self.calibrate = calibrate
        self.cv = cv
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    # --- fitting ---------------------------------------------------------------------------

    def _bounds(self, p: int) -> list:
        directions = self.directions if self.directions is not None else ["free"] * p
        if len(directions) != p:
            raise ValueError(
                f"The 'directions' parameter of {type(self).__name__} must have one entry per "
                f"input ({p}). Got {len(directions)} instead."
            )
        bad = [d for d in directions if d not in _BOUNDS]
        if bad:
            raise ValueError(
                f"The 'directions' parameter of {type(self).__name__} must contain only "
                f"'increasing', 'decreasing' or 'free'. Got {bad[0]!r} instead."
            )
        return [_BOUNDS[d] for d in directions]

    def fit(self, X, y, sample_weight=None) -> ConstrainedLogisticRegression:
        """Fit on inputs ``X`` (NaN = unknown) and binary labels ``y``."""
        self._validate_params()
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        if len(self.classes_) != 2:
            raise ValueError(
                f"Only binary classification is supported. {type(self).__name__} got "
                f"{len(self.classes_)} class(es): {self.classes_.tolist()}."
            )
        w = _check_sample_weight(sample_weight, X)
        bounds = self._bounds(X.shape[1])
        coef, intercept, mean, scale = self._fit_core(X, y_enc.astype(float), w, bounds)
        if self.calibrate:
            a, b = self._platt(X, y_enc.astype(float), w, bounds)
            coef, intercept = coef * a, intercept * a + b
        self.coef_ = coef
        self.intercept_ = intercept  # log-odds at the training means
        self.mean_ = mean
        self.scale_ = scale  # spread of each input (its weight in ``coverage``)
        self.baseline_ = intercept
        return self

    def _fit_core(self, X, y, w, bounds):
        known = ~np.isnan(X)
        weights = known * w[:, None]
        counts = weights.sum(axis=0)
        mean = np.where(counts > 0, (np.where(known, X, 0.0) * w[:, None]).sum(axis=0), 0.0)
        mean = np.where(counts > 0, mean / np.where(counts > 0, counts, 1.0), 0.0)
        centred = np.where(known, X - mean, 0.0)
        # spread over the KNOWN values: counting unknowns as zeros would shrink it and let a
        # sparsely known input escape the penalty
        spread = (centred**2 * w[:, None]).sum(axis=0) / np.where(counts > 0, counts, 1.0)
        scale = np.sqrt(spread)
        scale = np.where(scale > 1e-12, scale, 1.0)
        coef_z, intercept, self.n_iter_ = _fit_logistic(
            centred / scale, y, w, bounds, 1.0 / (self.C * w.sum()), self.max_iter, self.tol
        )
        return coef_z / scale, intercept, mean, scale

    def _platt(self, X, y, w, bounds) -> tuple[float, float]:
        """Out-of-fold log-odds within the training data -> 1-D logistic fit (a, b)."""
        if isinstance(self.cv, numbers.Integral):
            folds = min(int(self.cv), int(np.bincount(y.astype(int)).min()))
            if folds < 2:
                return 1.0, 0.0
            splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        else:
            splitter = check_cv(self.cv, y, classifier=True)
        oof = np.empty(len(y))
        n_iter = self.n_iter_
        for train, test in splitter.split(X, y):
            coef, intercept, mean, _ = self._fit_core(X[train], y[train], w[train], bounds)
            oof[test] = intercept + np.where(np.isnan(X[test]), 0.0, X[test] - mean) @ coef
        (a,), b, _ = _fit_logistic(oof[:, None], y, w, [(0.0, None)], 1e-6, self.max_iter, self.tol)
        self.n_iter_ = n_iter
        return float(a), float(b)

    # --- prediction ------------------------------------------------------------------------

    def contributions(self, X) -> np.ndarray:
        """Per-input log-odds terms (n x p); unknown inputs contribute exactly 0."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return np.where(np.isnan(X), 0.0, (X - self.mean_) * self.coef_)

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of the positive class: ``baseline_ + contributions(X).sum(axis=1)``."""
        check_is_fitted(self)
        return self.baseline_ + self.contributions(X).sum(axis=1)

    def predict_proba(self, X) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]
