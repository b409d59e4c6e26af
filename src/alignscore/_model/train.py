"""Training the scorecard on labelled firms, and judging it honestly.

- :func:`fit_scorecard` learns each rule's weight within its sign, shrunk toward the analysts'
  prior, with the shrinkage chosen by grouped cross-validation (firms labelled by one shared
  event, the ``label_event`` column, stay in one fold) on log loss.
- :func:`evaluate` measures the shipped form (neutral baseline, bounded probability) of the
  learned scorecard against three comparisons, each refitted inside every training fold:
  a hard-tech-only and an ownership-only logistic regression (the simple models the hard cases
  are there to beat), and the analysts' prior scorecard with no training at all. Three
  protocols: repeated grouped CV; leave-one-sector-class-out (train without a class, test on
  it); and a temporal split (train on events before 2022, test on 2022 onward). The
  reliability table comes from one round of grouped CV, so it counts each firm once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

from alignscore._contract.profiles import Profiles
from alignscore._contract.validate import raise_on_problems
from alignscore._core.vocabulary import BANDS, FLOOR, SECTOR_CLASSES, bounded_probability
from alignscore._rules.ruleset import RuleSet
from alignscore.exceptions import InputError

from .classifier import ScorecardClassifier
from .scorecard import BASELINE, Scorecard

__all__ = [
    "SCORERS",
    "SHRINKAGE_GRID",
    "TEMPORAL_CUT",
    "TrainingData",
    "evaluate",
    "file_sha256",
    "fit_scorecard",
    "training_data",
]

#: Prior precisions tried by the grouped cross-validation (log-loss units per squared log-odds).
SHRINKAGE_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
#: Events before this date train the temporal split's model; events on or after it test it.
TEMPORAL_CUT = dt.date(2022, 1, 1)
SCORERS = ("hard_tech_only", "ownership_only", "prior_scorecard", "scorecard")
#: Extra column of labelled data naming an event that labelled several firms at once (the 2021
#: tutoring ban, say): such firms are not independent, so cross-validation keeps them together.
EVENT_COLUMN = "label_event"


@dataclass
class TrainingData:
    units: np.ndarray  # firms x favour rules: the scorecard's inputs
    y: np.ndarray
    names: list[str]
    groups: np.ndarray  # firms labelled by one shared event share a group
    sector_class: np.ndarray  # code into SECTOR_CLASSES (-1 unknown)
    state_owned: np.ndarray  # 1.0 for central/local SOE or state-invested
    event_dates: np.ndarray  # datetime64[D]
    hard_case: np.ndarray  # bool: the row is one of the deliberate hard cases


def training_data(profiles: Profiles, ruleset: RuleSet, as_of: dt.date) -> TrainingData:
    """Rule units and labels from labelled firms (``favoured`` must be known for every row)."""
    raise_on_problems(profiles)
    if "favoured" not in profiles.present:
        raise InputError(profiles.source, "labelled data needs a 'favoured' column (1 or 0)")
    y = profiles.values["favoured"]
    if np.isnan(y).any():
        row = profiles.row_numbers[np.flatnonzero(np.isnan(y))[0]]
        raise InputError(profiles.source, f"row {row}: 'favoured' is blank; every firm needs a label")
    results = ruleset.evaluate(profiles.values, as_of)
    ownership = profiles.values["ownership"]
    dates = profiles.values.get("as_of")
    if dates is None:
        dates = np.full(len(y), np.datetime64(as_of, "D"))
    dates = np.where(np.isnat(dates), np.datetime64(as_of, "D"), dates)
    raw = profiles.raw
    hard = (
        np.array([bool(v and str(v).strip()) for v in raw.column("hard_case").to_pylist()])
        if "hard_case" in raw.column_names else np.zeros(len(y), dtype=bool)
    )  # fmt: skip
    return TrainingData(
        units=np.ascontiguousarray(results.units.T),
        y=y.astype(int),
        names=[str(n) for n in profiles.texts("name")],
        groups=_groups(profiles),
        sector_class=results.values["sector_class"].astype(int),
        state_owned=np.isin(ownership, [0, 1, 2]).astype(float),  # central, local, state_invested
        event_dates=dates.astype("datetime64[D]"),
        hard_case=hard,
    )


def _groups(profiles: Profiles) -> np.ndarray:
    """A group per firm: its shared label event where there is one, else the firm itself."""
    names = np.asarray(profiles.texts("name"), dtype=object)
    if EVENT_COLUMN not in profiles.raw.column_names:
        return np.arange(len(names))
    events = np.asarray(profiles.raw.column(EVENT_COLUMN).to_pylist(), dtype=object)
    shared = np.array([bool(e and str(e).strip()) for e in events])
    keys = np.where(shared, "event:" + events.astype(str), "firm:" + names.astype(str))
    return np.unique(keys, return_inverse=True)[1]


def _splitter(y: np.ndarray, groups: np.ndarray, seed: int, folds: int = 5) -> StratifiedGroupKFold:
    n_groups_min = min(len(np.unique(groups[y == c])) for c in (0, 1))
    return StratifiedGroupKFold(n_splits=max(2, min(folds, n_groups_min)), shuffle=True, random_state=seed)


def fit_scorecard(
    units: np.ndarray, y: np.ndarray, groups: np.ndarray, ruleset: RuleSet, seed: int = 0
) -> ScorecardClassifier:
    """Choose the shrinkage by grouped CV (log loss), then fit on all the firms."""
    scales = [rule.max_units for rule in ruleset.favour]  # the prior bounds each rule's largest contribution
    model = ScorecardClassifier(priors=ruleset.priors, directions=ruleset.directions, scales=scales)
    search = GridSearchCV(
        model, {"shrinkage": list(SHRINKAGE_GRID)}, scoring="neg_log_loss",
        cv=_splitter(y, groups, seed),
    )  # fmt: skip
    search.fit(units, y, groups=groups)
    return model.set_params(shrinkage=search.best_params_["shrinkage"]).fit(units, y)


# --- evaluation ----------------------------------------------------------------------------

Predictor = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (train idx, test idx) -> p(test)


def _predictors(data: TrainingData, ruleset: RuleSet, seed: int) -> dict[str, Predictor]:
    hard = (data.sector_class == 0).astype(float)[:, None]
    owned = data.state_owned[:, None]
    prior = Scorecard.prior(ruleset)

    def simple(x: np.ndarray) -> Predictor:
        def run(train: np.ndarray, test: np.ndarray) -> np.ndarray:
            model = LogisticRegression().fit(x[train], data.y[train])
            return model.predict_proba(x[test])[:, 1]
        return run

    def prior_card(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        return bounded_probability(prior.baseline + data.units[test] @ prior.weights, FLOOR)

    def learned(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        model = fit_scorecard(data.units[train], data.y[train], data.groups[train], ruleset, seed)
        return bounded_probability(BASELINE + data.units[test] @ model.coef_, FLOOR)

    return {
        "hard_tech_only": simple(hard), "ownership_only": simple(owned),
        "prior_scorecard": prior_card, "scorecard": learned,
    }  # fmt: skip


def _metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float | None]:
    both = len(np.unique(y)) == 2
    return {
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else None,
        "brier": round(float(brier_score_loss(y, p)), 4),
        "log_loss": round(float(log_loss(y, p, labels=[0, 1])), 4),
    }


def _summary(values: list[dict[str, float | None]]) -> dict[str, dict[str, float] | None]:
    out: dict[str, dict[str, float] | None] = {}
    for metric in ("roc_auc", "brier", "log_loss"):
        got = [value for v in values if (value := v[metric]) is not None]
        out[metric] = {"mean": round(float(np.mean(got)), 4), "sd": round(float(np.std(got)), 4)} if got else None
    return out


def reliability_by_band(p: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    """Firms per score band: how many, their mean predicted and observed favoured rate."""
    score = 100.0 * p
    rows = []
    for name, low, high in BANDS:
        m = (score >= low) & ((score < high) if high < 100 else (score <= high))
        rows.append({
            "band": name, "firms": int(m.sum()),
            "mean_predicted": round(float(p[m].mean()), 3) if m.any() else None,
            "observed_favoured": round(float(y[m].mean()), 3) if m.any() else None,
        })  # fmt: skip
    return rows


def evaluate(
    data: TrainingData, ruleset: RuleSet, *, folds: int = 5, repeats: int = 5, seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """All three protocols for the four scorers; see the module documentation."""
    predictors = _predictors(data, ruleset, seed)
    y = data.y
    splits = [
        (r, split) for r in range(repeats)
        for split in _splitter(y, data.groups, seed + r, folds).split(data.units, y, data.groups)
    ]  # fmt: skip
    loco = [c for c in range(len(SECTOR_CLASSES)) if (data.sector_class == c).any()]
    cut = np.datetime64(TEMPORAL_CUT, "D")
    total = len(splits) + len(loco) + 1
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    per_fold: dict[str, list[dict[str, float | None]]] = {k: [] for k in SCORERS}
    first_round: dict[str, np.ndarray] = {k: np.full(len(y), np.nan) for k in SCORERS}
    for r, (train, test) in splits:
        for name, predict in predictors.items():
            p = predict(train, test)
            per_fold[name].append(_metrics(y[test], p))
            if r == 0:
                first_round[name][test] = p
        tick()
    out: dict[str, Any] = {
        "data": {"firms": len(y), "favoured": int(y.sum()), "events": len(np.unique(data.groups)),
                 "hard_cases": int(data.hard_case.sum())},
        "grouped_cv": {"folds": folds, "repeats": repeats, "seed": seed,
                       "scorers": {k: _summary(v) for k, v in per_fold.items()}},
    }  # fmt: skip
    hard = data.hard_case
    out["grouped_cv"]["hard_cases_right_side"] = {
        k: round(float(((first_round[k][hard] >= 0.5) == (y[hard] == 1)).mean()), 3) if hard.any() else None
        for k in SCORERS
    }
    out["reliability"] = reliability_by_band(first_round["scorecard"], y)
    rows = []
    for c in loco:
        test = np.flatnonzero(data.sector_class == c)
        train = np.flatnonzero(data.sector_class != c)
        row: dict[str, Any] = {"held_out": SECTOR_CLASSES[c], "firms": len(test), "favoured": int(y[test].sum())}
        if len(np.unique(y[train])) == 2:
            row.update({k: _metrics(y[test], predict(train, test)) for k, predict in predictors.items()})
        rows.append(row)
        tick()
    out["leave_one_class_out"] = rows
    train = np.flatnonzero(data.event_dates < cut)
    test = np.flatnonzero(data.event_dates >= cut)
    temporal: dict[str, Any] = {"cut": TEMPORAL_CUT.isoformat(), "train_firms": len(train), "test_firms": len(test),
                                "test_favoured": int(y[test].sum())}
    if len(test) and len(np.unique(y[train])) == 2:
        temporal.update({k: _metrics(y[test], predict(train, test)) for k, predict in predictors.items()})
    out["temporal"] = temporal
    tick()
    return out


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
