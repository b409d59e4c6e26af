"""ConstrainedLogisticRegression: the scikit-learn contract, sign constraints, exact sums."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from alignscore import ConstrainedLogisticRegression


@parametrize_with_checks([ConstrainedLogisticRegression(), ConstrainedLogisticRegression(calibrate=True)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 3))
    logit = 1.5 * X[:, 0] - 2.0 * X[:, 1] + 0.0 * X[:, 2]
    y = (rng.random(300) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_directions_constrain_signs():
    X, y = _data()
    # The data say input 0 raises favour; the analysts insist it may only lower it.
    model = ConstrainedLogisticRegression(directions=["decreasing", "free", "free"]).fit(X, y)
    assert model.coef_[0] <= 0.0
    free = ConstrainedLogisticRegression().fit(X, y)
    assert free.coef_[0] > 0.5
    assert free.coef_[1] < -0.5


def test_contributions_are_exact_and_unknown_is_zero():
    X, y = _data(1)
    X[::7, 1] = np.nan
    model = ConstrainedLogisticRegression(calibrate=True).fit(X, y)
    contrib = model.contributions(X)
    assert np.all(contrib[::7, 1] == 0.0)
    np.testing.assert_allclose(model.baseline_ + contrib.sum(axis=1), model.decision_function(X), atol=1e-12)
    p = model.predict_proba(X)[:, 1]
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-model.decision_function(X))), atol=1e-12)


def test_bad_directions_message():
    X, y = _data()
    with pytest.raises(ValueError, match="The 'directions' parameter of ConstrainedLogisticRegression must have one entry per input"):
        ConstrainedLogisticRegression(directions=["free"]).fit(X, y)
    with pytest.raises(ValueError, match=r"must contain only 'increasing', 'decreasing' or 'free'. Got 'up' instead"):
        ConstrainedLogisticRegression(directions=["up", "free", "free"]).fit(X, y)


def test_multiclass_refused():
    X, _ = _data()
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        ConstrainedLogisticRegression().fit(X, np.arange(300) % 3)


def test_works_with_clone_and_cross_validation():
    X, y = _data(2)
    model = clone(ConstrainedLogisticRegression(C=0.5, directions=["increasing", "decreasing", "free"]))
    scores = cross_val_score(model, X, y, cv=3, scoring="roc_auc")
    assert scores.mean() > 0.75
