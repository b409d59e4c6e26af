"""Scorer as scikit-learn sees it: classes_, score(X, y), scorers by name, check_estimator;
and explain_one, alignscore's own one-firm method, which score() no longer stands in for."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import get_scorer
from sklearn.utils.estimator_checks import parametrize_with_checks

from alignscore import AmbiguousFirmError, InputError, ModelError, Scorer
from tests.labelled_frame import labelled_frame

REPO = Path(__file__).resolve().parents[1]
AS_OF = "2024-01-01"

#: The checks scikit-learn's suite runs that a Scorer cannot pass, each with why. Every one of
#: them fits or predicts on a numpy array (random floats, or a sparse, complex, memory-mapped
#: or 1-D variant) with no column names; a Scorer reads firm profiles, whose columns the
#: contract names (name, sector, listing_venue, ...), and refuses anything else with
#: alignscore's InputError (not scikit-learn's ValueError/TypeError, which some checks want).
_NUMPY_X = "feeds an unnamed numpy array as X, refused with InputError: a Scorer reads firm profiles"
EXPECTED_FAILED_CHECKS = {
    "check_fit_score_takes_y": _NUMPY_X,
    "check_estimators_overwrite_params": _NUMPY_X,
    "check_dont_overwrite_parameters": _NUMPY_X,
    "check_estimators_fit_returns_self": _NUMPY_X,
    "check_readonly_memmap_input": _NUMPY_X + " (a read-only memmap)",
    "check_n_features_in_after_fitting": _NUMPY_X,
    "check_positive_only_tag_during_fit": _NUMPY_X + " (negative floats)",
    "check_estimators_dtypes": _NUMPY_X + " (float32, int64, int32)",
    "check_complex_data": _NUMPY_X + " (complex)",
    "check_dtype_object": _NUMPY_X + " (object dtype)",
    "check_estimators_empty_data_messages": _NUMPY_X + " (empty); the check wants a ValueError",
    "check_pipeline_consistency": _NUMPY_X,
    "check_estimator_sparse_tag": "feeds a sparse matrix; refused with InputError, the check wants a message about sparsity",
    "check_estimator_sparse_array": "feeds a sparse array; refused with InputError, the check wants a message about sparsity",
    "check_estimator_sparse_matrix": "feeds a sparse matrix; refused with InputError, the check wants a message about sparsity",
    "check_estimators_pickle": _NUMPY_X,
    "check_f_contiguous_array_estimator": _NUMPY_X + " (Fortran order)",
    "check_classifier_data_not_an_array": _NUMPY_X + " (an array-like wrapper)",
    "check_classifiers_one_label": _NUMPY_X,
    "check_classifiers_classes": _NUMPY_X,
    "check_classifiers_train": _NUMPY_X,
    "check_classifiers_regression_target": _NUMPY_X + "; the check wants a ValueError about the labels",
    "check_supervised_y_no_nan": _NUMPY_X + "; the check wants a ValueError about y",
    "check_supervised_y_2d": _NUMPY_X,
    "check_decision_proba_consistency": _NUMPY_X,
    "check_classifier_not_supporting_multiclass": _NUMPY_X + "; the check wants a ValueError about the labels",
    "check_methods_sample_order_invariance": _NUMPY_X,
    "check_methods_subset_invariance": _NUMPY_X,
    "check_fit2d_1sample": _NUMPY_X,
    "check_fit2d_1feature": _NUMPY_X,
    "check_dict_unchanged": _NUMPY_X,
    "check_fit_idempotent": _NUMPY_X,
    "check_fit_check_is_fitted": _NUMPY_X,
    "check_n_features_in": _NUMPY_X,
    "check_fit1d": _NUMPY_X + " (1-D)",
    "check_fit2d_predict1d": _NUMPY_X,
}

# scikit-learn warns that Scorer does not inherit from BaseEstimator: it implements the
# protocol itself (get_params, set_params, tags, repr) because importing sklearn.base would
# cost `import alignscore` more than a second of start-up. The API checks below pass anyway.
_NOT_BASE_ESTIMATOR = "Estimator Scorer does not inherit from `sklearn.base.BaseEstimator`"
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=_NOT_BASE_ESTIMATOR, category=UserWarning)
    _CHECKS = parametrize_with_checks(
        [Scorer(as_of=AS_OF)],
        expected_failed_checks=lambda _: EXPECTED_FAILED_CHECKS,
        xfail_strict=True,  # a check that starts passing must leave the list
    )


@_CHECKS
@pytest.mark.filterwarnings(f"ignore:{_NOT_BASE_ESTIMATOR}:UserWarning")
def test_scikit_learn_checks(estimator, check):
    check(estimator)


def test_the_api_checks_are_not_in_the_expected_failures():
    for name in (
        "check_estimator_cloneable", "check_estimator_repr", "check_no_attributes_set_in_init",
        "check_get_params_invariance", "check_set_params", "check_parameters_default_constructible",
        "check_valid_tag_types", "check_estimator_tags_renamed", "check_mixin_order",
        "check_do_not_raise_errors_in_init_or_set_params",
    ):  # fmt: skip
        assert name not in EXPECTED_FAILED_CHECKS


def test_tags_say_what_a_scorer_reads():
    from sklearn.utils import get_tags

    tags = get_tags(Scorer())
    assert tags.estimator_type == "classifier"
    assert not tags.requires_fit  # the bundled model is pre-trained
    inputs = tags.input_tags
    assert (inputs.two_d_array, inputs.string, inputs.categorical, inputs.dict, inputs.allow_nan) == (True,) * 5
    assert not inputs.sparse
    assert not tags.classifier_tags.multi_class


# --- classes_, predict, score(X, y), scorers by name, on the bundled labelled firms ---------


@pytest.fixture(scope="module")
def labelled():
    frame = pd.read_csv(REPO / "data" / "labelled_firms.csv", dtype=str, keep_default_na=False)
    y = frame.pop("favoured").astype(int).to_numpy()
    return frame, y


def _rank_auc(y: np.ndarray, s: np.ndarray) -> float:
    """The probability that a favoured firm outranks an unfavoured one (ties count half)."""
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def test_classes_are_zero_one_for_bundled_loaded_and_fitted_models(tmp_path):
    np.testing.assert_array_equal(Scorer().classes_, [0, 1])
    np.testing.assert_array_equal(Scorer.load(REPO / "models" / "default").classes_, [0, 1])
    frame, y = labelled_frame(60)
    fitted = Scorer(as_of="2022-06-30").fit(frame, y)
    np.testing.assert_array_equal(fitted.classes_, [0, 1])
    assert "classes_" not in vars(fitted)  # one definition, not an attribute fit may forget


def test_roc_auc_by_name_on_the_labelled_firms(labelled):
    X, y = labelled
    scorer = Scorer.load()
    auc = get_scorer("roc_auc")(scorer, X, y)
    log_odds = scorer.decision_function(X)
    assert auc == pytest.approx(_rank_auc(y, log_odds), abs=1e-12)
    assert auc == pytest.approx(_rank_auc(y, scorer.predict_proba(X)[:, 1]), abs=1e-12)
    assert 0.85 < auc < 1.0  # in-sample on the firms the bundled model learned from: 0.909
    assert get_scorer("neg_log_loss")(scorer, X, y) < -0.1


def test_predict_proba_decision_function_and_predict_agree(labelled):
    X, y = labelled
    scorer = Scorer()
    proba = scorer.predict_proba(X)
    log_odds = scorer.decision_function(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    frame = scorer.score_frame(X)
    np.testing.assert_allclose(proba[:, 1], frame["probability"].to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(100 * proba[:, 1], frame["score"].to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(scorer.predict(X), (log_odds >= 0).astype(int))
    one = scorer.explain_one(X.iloc[[7]])
    assert one.log_odds == pytest.approx(log_odds[7], abs=1e-12)


def test_score_is_scikit_learns_mean_accuracy_with_weights(labelled):
    X, y = labelled
    scorer = Scorer()
    right = scorer.predict(X) == y
    assert scorer.score(X, y) == pytest.approx(right.mean(), abs=1e-12)
    assert 0.6 < scorer.score(X, y) < 1.0  # 0.749 for the bundled model
    weights = np.where(y == 1, 2.0, 1.0)
    assert scorer.score(X, y, sample_weight=weights) == pytest.approx(
        (weights * right).sum() / weights.sum(), abs=1e-12
    )
    assert get_scorer("accuracy")(scorer, X, y) == pytest.approx(right.mean(), abs=1e-12)


def test_score_without_labels_points_to_explain_one():
    with pytest.raises(TypeError, match=r"needs the labels y; for one firm's full result use Scorer\.explain_one"):
        Scorer().score({"name": "Example"})


def test_fit_refuses_labels_of_another_length_and_arrays():
    frame, y = labelled_frame(30)
    with pytest.raises(ValueError, match=r"fit got 30 firms and labels y of shape \(29,\)"):
        Scorer().fit(frame, y[:-1])
    with pytest.raises(InputError, match=r"<ndarray>: expected firm profiles: a DataFrame with the contract's column names"):
        Scorer().fit(np.zeros((30, 3)), y)
    with pytest.raises(InputError, match=r"<ndarray>: expected firm profiles"):
        Scorer().predict_proba(np.zeros((3, 3)))


# --- explain_one: one firm, never the first of many ---------------------------------------


def test_explain_one_refuses_a_frame_of_many_firms():
    frame, _ = labelled_frame(200)
    with pytest.raises(InputError, match=r"<DataFrame>: holds 200 firms, and explain_one explains one: use explain\(X\)"):
        Scorer(as_of=AS_OF).explain_one(frame)


def test_explain_one_refuses_a_file_of_many_firms(tmp_path):
    path = tmp_path / "firms.csv"
    path.write_text("name,sector\nA,ai\nB,ai\nC,ai\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{path}: holds 3 firms, and explain_one explains one"):
        Scorer(as_of=AS_OF).explain_one(path)
    one = tmp_path / "one.csv"
    one.write_text("name,sector\nSolo,ai\n", encoding="utf-8")
    result = Scorer(as_of=AS_OF).explain_one(one)
    assert (result.name, result.row) == ("Solo", 2)


def test_explain_one_finds_a_firm_by_name_and_refuses_a_repeated_one():
    frame, _ = labelled_frame(20)
    scorer = Scorer(as_of=AS_OF)
    picked = scorer.explain_one(frame, firm="test firm 7")
    assert picked.name == "Test Firm 7"
    assert picked.score == pytest.approx(scorer.score_frame(frame)["score"].iloc[7], abs=1e-9)
    twice = pd.concat([frame, frame.iloc[[7]]], ignore_index=True)
    with pytest.raises(AmbiguousFirmError, match=r"Test Firm 7.*index 7.*index 20"):
        scorer.explain_one(twice, firm="Test Firm 7")


# --- Scorer.load ----------------------------------------------------------------------------


def test_load_checks_the_model_now_not_at_the_first_firm(tmp_path):
    with pytest.raises(ModelError, match=str(tmp_path / "nothing")):
        Scorer.load(tmp_path / "nothing")
    with pytest.raises(InputError, match=r"as_of: 'soon' is not a date as YYYY-MM-DD"):
        Scorer.load(as_of="soon")
    scorer = Scorer.load(REPO / "models" / "default", as_of=AS_OF)
    assert scorer.get_params()["model"] == REPO / "models" / "default"
    firm = {"name": "Example Chips", "sector": "semiconductors", "listing_venue": "star"}
    assert scorer.explain_one(firm).score == pytest.approx(Scorer(as_of=AS_OF).explain_one(firm).score, abs=1e-12)


def test_importing_alignscore_does_not_import_scikit_learn():
    code = "import sys, alignscore; alignscore.Scorer(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
