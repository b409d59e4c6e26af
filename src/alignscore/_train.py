"""Training and honest evaluation of the classifier on labelled firms.

- :func:`fit_model` fits the shipped combination: a sign-constrained logistic regression on the
  rules' log-odds plus the declared inputs, its penalty ``C`` chosen by an inner stratified
  cross-validation on the training data only, and Platt-calibrated on out-of-fold predictions.
- :func:`evaluate` runs repeated stratified group cross-validation (firms labelled by one
  shared event, the `label_event` column, stay in one fold) and scores four models side by
  side on the held-out folds: a naive baseline (hard-tech sector or not), the rules alone
  (Platt-scaled), the classifier alone, and the combination. Every model is refitted inside
  each training fold, tuning included, so nothing is tuned on a test fold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, StratifiedKFold

from ._classifier import ConstrainedLogisticRegression
from ._features import input_matrix
from ._profiles import Profiles
from ._rules import FIRED, RuleSet
from ._validate import raise_on_problems
from .exceptions import InputError

__all__ = ["C_GRID", "TrainingData", "evaluate", "fit_model", "training_data"]

C_GRID = (0.03, 0.3, 3.0)
SCORERS = ("baseline_hard_tech", "rules_only", "classifier_only", "combined")


@dataclass
class TrainingData:
    rules: np.ndarray  # summed rule log-odds per firm
    inputs: np.ndarray  # firms x declared inputs
    hard_tech: np.ndarray  # 1.0 where the sector class is hard tech
    y: np.ndarray
    names: list[str]
    groups: np.ndarray  # firms labelled by one shared event share a group

    @property
    def combined(self) -> np.ndarray:
        return np.column_stack([self.rules, self.inputs])


def training_data(profiles: Profiles, ruleset: RuleSet, as_of: dt.date) -> TrainingData:
    """Features and labels from labelled firms (``favoured`` must be known for every row)."""
    raise_on_problems(profiles)
    if "favoured" not in profiles.present:
        raise InputError(profiles.source, "labelled data needs a 'favoured' column (1 or 0)")
    y = profiles.values["favoured"]
    if np.isnan(y).any():
        row = profiles.row_numbers[np.flatnonzero(np.isnan(y))[0]]
        raise InputError(profiles.source, f"row {row}: 'favoured' is blank; every firm needs a label")
    results = ruleset.evaluate(profiles.values, as_of)
    fired = results.states[:, ruleset.favour_index()] == FIRED
    hard = (results.values["sector_class"] == 0).astype(float)
    return TrainingData(
        rules=fired @ ruleset.weights,
        inputs=input_matrix(ruleset.inputs.inputs, results.values),
        hard_tech=hard,
        y=y.astype(int),
        names=profiles.values["name"].to_pylist(),
        groups=_groups(profiles),
    )


#: Extra column of labelled data naming an event that labelled several firms at once (the 2021
#: tutoring ban, say): such firms are not independent, so cross-validation keeps them together.
EVENT_COLUMN = "label_event"


def _groups(profiles: Profiles) -> np.ndarray:
    """A group per firm: its shared label event where there is one, else the firm itself."""
    names = np.asarray(profiles.values["name"].to_pylist(), dtype=object)
    if EVENT_COLUMN not in profiles.raw.column_names:
        return np.arange(len(names))
    events = np.asarray(profiles.raw.column(EVENT_COLUMN).to_pylist(), dtype=object)
    shared = np.array([bool(e and str(e).strip()) for e in events])
    keys = np.where(shared, "event:" + events.astype(str), "firm:" + names.astype(str))
    return np.unique(keys, return_inverse=True)[1]


def fit_model(
    X: np.ndarray, y: np.ndarray, directions: list[str], seed: int = 0
) -> ConstrainedLogisticRegression:
    """Choose ``C`` by inner stratified CV (log loss), then fit and calibrate on all of X."""
    inner = StratifiedKFold(n_splits=min(3, int(np.bincount(y).min())), shuffle=True, random_state=seed)
    search = GridSearchCV(
        ConstrainedLogisticRegression(directions=directions, random_state=seed),
        {"C": list(C_GRID)},
        scoring="neg_log_loss",
        cv=inner,
    )
    search.fit(X, y)
    model = ConstrainedLogisticRegression(
        C=search.best_params_["C"], directions=directions, calibrate=True, random_state=seed
    )
    return model.fit(X, y)


def _fold_models(data: TrainingData, directions: list[str], seed: int):
    return {
        "baseline_hard_tech": (data.hard_tech[:, None], lambda X, y: ConstrainedLogisticRegression(
            C=100.0, directions=["free"]).fit(X, y)),
        "rules_only": (data.rules[:, None], lambda X, y: ConstrainedLogisticRegression(
            C=100.0, directions=["increasing"]).fit(X, y)),
        "classifier_only": (data.inputs, lambda X, y: fit_model(X, y, directions[1:], seed)),
        "combined": (data.combined, lambda X, y: fit_model(X, y, directions, seed)),
    }  # fmt: skip


def reliability_table(p: np.ndarray, y: np.ndarray, bins: int = 5) -> list[dict]:
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        rows.append({
            "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
            "count": int(m.sum()),
            "mean_predicted": float(p[m].mean()) if m.any() else None,
            "observed_rate": float(y[m].mean()) if m.any() else None,
        })  # fmt: skip
    return rows


def evaluate(
    data: TrainingData, directions: list[str], *, folds: int = 5, repeats: int = 10, seed: int = 0
) -> dict:
    """Repeated stratified group CV of the four scorers (firms labelled by one shared event
    are kept in one fold); returns metrics (mean and sd over folds), and reliability tables from
    the pooled out-of-fold probabilities."""
    splits = [
        split
        for r in range(repeats)  # repeated stratified group k-fold: a shared event stays in one fold
        for split in StratifiedGroupKFold(folds, shuffle=True, random_state=seed + r).split(
            data.combined, data.y, data.groups
        )
    ]
    models = _fold_models(data, directions, seed)
    per_fold: dict[str, dict[str, list[float]]] = {
        k: {"roc_auc": [], "brier": [], "log_loss": []} for k in SCORERS
    }
    pooled: dict[str, list[np.ndarray]] = {k: [] for k in SCORERS}
    pooled_y: list[np.ndarray] = []
    for train, test in splits:
        y_train, y_test = data.y[train], data.y[test]
        pooled_y.append(y_test)
        for name, (X, fit) in models.items():
            p = fit(X[train], y_train).predict_proba(X[test])[:, 1]
            pooled[name].append(p)
            per_fold[name]["roc_auc"].append(roc_auc_score(y_test, p))
            per_fold[name]["brier"].append(brier_score_loss(y_test, p))
            per_fold[name]["log_loss"].append(log_loss(y_test, p, labels=[0, 1]))
    y_all = np.concatenate(pooled_y)
    out: dict = {
        "cv": {"folds": folds, "repeats": repeats, "seed": seed, "firms": len(data.y),
               "favoured": int(data.y.sum())},
        "scorers": {},
    }  # fmt: skip
    for name in SCORERS:
        p_all = np.concatenate(pooled[name])
        out["scorers"][name] = {
            **{
                metric: {"mean": round(float(np.mean(v)), 4), "sd": round(float(np.std(v)), 4)}
                for metric, v in per_fold[name].items()
            },
            "reliability": reliability_table(p_all, y_all),
        }
    best_other = max(out["scorers"][k]["roc_auc"]["mean"] for k in SCORERS[:-1])
    out["combined_at_least_as_good_auc"] = out["scorers"]["combined"]["roc_auc"]["mean"] >= best_other
    return out


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
