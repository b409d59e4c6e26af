"""ScorecardClassifier: the scikit-learn contract, sign constraints, shrinkage to the prior,
the Laplace covariance, exact sums."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from alignscore import ScorecardClassifier


@parametrize_with_checks([ScorecardClassifier(), ScorecardClassifier(shrinkage=10.0)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def _units(seed: int = 0, n: int = 400):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.random(n) < 0.5, rng.random(n) < 0.4, rng.uniform(0, 5, n) * (rng.random(n) < 0.5)])
    X = X.astype(float)
    logit = 1.5 * X[:, 0] - 1.0 * X[:, 1] + 0.0 * X[:, 2] - 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_signs_hold_even_against_the_data():
    X, y = _units()
    # The data say input 0 raises favour; the analysts insist it may only lower it.
    model = ScorecardClassifier(priors=[-0.5, -0.5, 0.2], shrinkage=0.1).fit(X, y)
    assert model.coef_[0] == 0.0
    assert model.coef_[1] < -0.5
    assert model.coef_[2] >= 0.0


def test_shrinkage_pulls_toward_the_prior_and_keeps_uncovered_inputs_at_it():
    X, y = _units()
    X = np.column_stack([X, np.zeros(len(X))])  # input 3: no firm has it
    priors = [0.3, -0.3, 0.4, 0.9]
    loose = ScorecardClassifier(priors=priors, shrinkage=0.01).fit(X, y)
    tight = ScorecardClassifier(priors=priors, shrinkage=1e5).fit(X, y)
    assert abs(loose.coef_[0] - 1.5) < 0.4  # the data's weight
    np.testing.assert_allclose(tight.coef_[:3], priors[:3], atol=0.05)
    assert loose.coef_[3] == pytest.approx(0.9)
    assert tight.coef_[3] == pytest.approx(0.9)
    # an input no firm has keeps the prior's uncertainty: 1 / sqrt(shrinkage)
    assert loose.std_errors_[3] == pytest.approx(1 / np.sqrt(0.01), rel=1e-6)
    assert tight.std_errors_[0] < loose.std_errors_[0]


def test_laplace_covariance_is_symmetric_and_positive():
    X, y = _units(3)
    model = ScorecardClassifier(priors=[0.5, -0.5, 0.1], shrinkage=1.0).fit(X, y)
    cov = model.covariance_
    np.testing.assert_allclose(cov, cov.T)
    assert (np.linalg.eigvalsh(cov) > 0).all()
    np.testing.assert_allclose(model.std_errors_, np.sqrt(np.diag(cov)))


def test_contributions_are_exact():
    X, y = _units(1)
    model = ScorecardClassifier(priors=[0.5, -0.5, 0.1]).fit(X, y)
    contrib = model.contributions(X)
    assert (contrib[X[:, 0] == 0, 0] == 0.0).all()
    np.testing.assert_allclose(model.intercept_ + contrib.sum(axis=1), model.decision_function(X), atol=1e-12)
    p = model.predict_proba(X)[:, 1]
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-model.decision_function(X))), atol=1e-12)


def test_bad_parameters_messages():
    X, y = _units()
    with pytest.raises(ValueError, match=r"The 'priors' parameter of ScorecardClassifier must hold one finite number per input \(3\)"):
        ScorecardClassifier(priors=[0.1]).fit(X, y)
    with pytest.raises(ValueError, match=r"must hold one finite number per input"):
        ScorecardClassifier(priors=[0.1, np.nan, 0.2]).fit(X, y)
    with pytest.raises(ValueError, match=r"must contain only 'increasing', 'decreasing' or 'free'. Got 'up' instead"):
        ScorecardClassifier(priors=[0.1, 0.1, 0.2], directions=["up", "increasing", "increasing"]).fit(X, y)
    with pytest.raises(ValueError, match="must have one entry per input"):
        ScorecardClassifier(priors=[0.1, 0.1, 0.2], directions=["increasing"]).fit(X, y)


def test_multiclass_refused():
    X, _ = _units()
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        ScorecardClassifier(priors=[0.1, 0.1, 0.1]).fit(X, np.arange(len(X)) % 3)


def test_works_with_clone_and_cross_validation():
    X, y = _units(2)
    model = clone(ScorecardClassifier(priors=[0.5, -0.5, 0.1], shrinkage=0.5))
    scores = cross_val_score(model, X, y, cv=3, scoring="roc_auc")
    assert scores.mean() > 0.6


def test_scales_put_the_prior_on_each_input_s_largest_contribution():
    X, y = _units(4)
    # input 2 ranges over 0-5 units: with scale 5 its departure from the prior costs 25 times more
    plain = ScorecardClassifier(priors=[0.5, -0.5, 0.05], shrinkage=1.0).fit(X, y)
    scaled = ScorecardClassifier(priors=[0.5, -0.5, 0.05], shrinkage=1.0, scales=[1.0, 1.0, 5.0]).fit(X, y)
    assert abs(scaled.coef_[2] - 0.05) < abs(plain.coef_[2] - 0.05)
    assert scaled.std_errors_[2] < plain.std_errors_[2]
    with pytest.raises(ValueError, match=r"The 'scales' parameter of ScorecardClassifier must hold one positive number per input \(3\)"):
        ScorecardClassifier(priors=[0.5, -0.5, 0.05], scales=[1.0, 0.0, 1.0]).fit(X, y)
