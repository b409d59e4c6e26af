"""Training and evaluating from a labelled file, and the model card that goes with the model.

``alignscore train DATA -o models/NAME`` and ``alignscore evaluate DATA`` call these.
Training is reproducible: the same data, rules and seed give a byte-identical scorecard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alignscore._contract.read import iter_profiles
from alignscore._core.vocabulary import BAND_NAMES, NOT_RATED
from alignscore._rules.ruleset import RuleSet
from alignscore.exceptions import InputError

from .audit import audit_labelled, require_clean
from .persist import Manifest, save_scorecard
from .scorecard import Scorecard
from .train import (
    SCORERS,
    SHRINKAGE_GRID,
    TrainingData,
    evaluate,
    file_sha256,
    fit_scorecard,
    training_data,
)

__all__ = ["evaluate_model", "metrics_table", "train_model"]

#: Rules are evaluated at each labelled firm's own ``as_of``; this is only the fallback.
FALLBACK_AS_OF = dt.date(2022, 1, 1)

Progress = Callable[[int, int], None]


def _load(data: str | Path, rules: str | Path | None) -> tuple[RuleSet, TrainingData]:
    ruleset = RuleSet.load(rules)
    batches = list(iter_profiles(data, chunk_rows=10_000_000))
    if len(batches) != 1:  # pragma: no cover - labelled sets are small
        raise InputError(data, "labelled data must fit in one chunk")
    return ruleset, training_data(batches[0], ruleset, FALLBACK_AS_OF)


def evaluate_model(
    data: str | Path, *, rules: str | Path | None = None, seed: int = 0, repeats: int = 5,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Grouped CV, leave-one-sector-class-out and a temporal split of the four scorers."""
    ruleset, td = _load(data, rules)
    return evaluate(td, ruleset, repeats=repeats, seed=seed, progress=progress)


def _cell(m: dict[str, Any] | None, metric: str) -> str:
    if m is None or m.get(metric) is None:
        return "-"
    v = m[metric]
    return f"{v['mean']:.3f} ({v['sd']:.3f})" if isinstance(v, dict) else f"{v:.3f}"


def metrics_table(metrics: dict[str, Any]) -> str:
    """The metrics as Markdown tables: grouped CV, leave-one-class-out, temporal, reliability."""
    d, cv = metrics["data"], metrics["grouped_cv"]
    lines = [
        f"{d['firms']} firms ({d['favoured']} favoured), {d['events']} label events, "
        f"{d['hard_cases']} deliberate hard cases.",
        "",
        f"**Grouped cross-validation**: {cv['repeats']} x {cv['folds']}-fold stratified group CV "
        f"(firms labelled by one shared event kept in one fold), seed {cv['seed']}; mean (sd) over "
        "folds. *Hard cases right side*: share of the hard cases on the right side of 50 "
        "(first round, each firm once).",
        "",
        "| scorer | ROC AUC | Brier | log loss | hard cases right side |",
        "|---|---|---|---|---|",
    ]
    for name in SCORERS:
        s = cv["scorers"][name]
        hard = cv["hard_cases_right_side"][name]
        lines.append(
            f"| {name} | {_cell(s, 'roc_auc')} | {_cell(s, 'brier')} | {_cell(s, 'log_loss')} | "
            f"{'-' if hard is None else f'{hard:.3f}'} |"
        )
    lines += ["", "**Leave one sector class out** (trained without the class, tested on it; "
              "ROC AUC, '-' where the class has one label only):", "",
              "| held-out class | firms | favoured | " + " | ".join(SCORERS) + " |",
              "|---|---|---|" + "---|" * len(SCORERS)]  # fmt: skip
    for row in metrics["leave_one_class_out"]:
        cells = [_cell(row.get(k), "roc_auc") for k in SCORERS]
        lines.append(f"| {row['held_out']} | {row['firms']} | {row['favoured']} | " + " | ".join(cells) + " |")
    t = metrics["temporal"]
    lines += ["", f"**Temporal split**: trained on {t['train_firms']} firms with events before {t['cut']}, "
              f"tested on {t['test_firms']} firms ({t['test_favoured']} favoured) from {t['cut']} on.", "",
              "| scorer | ROC AUC | Brier | log loss |", "|---|---|---|---|"]  # fmt: skip
    for name in SCORERS:
        m = t.get(name)
        lines.append(f"| {name} | {_cell(m, 'roc_auc')} | {_cell(m, 'brier')} | {_cell(m, 'log_loss')} |")
    lines += ["", "**Reliability** of the scorecard's out-of-fold scores (one round: each firm counted "
              "once), by band:", "", "| band | firms | mean predicted | observed favoured |", "|---|---|---|---|"]  # fmt: skip
    for row in metrics["reliability"]:
        mp = "-" if row["mean_predicted"] is None else f"{row['mean_predicted']:.2f}"
        ob = "-" if row["observed_favoured"] is None else f"{row['observed_favoured']:.2f}"
        lines.append(f"| {row['band']} | {row['firms']} | {mp} | {ob} |")
    return "\n".join(lines)


def train_model(
    data: str | Path,
    output: str | Path,
    *,
    rules: str | Path | None = None,
    seed: int = 0,
    repeats: int = 5,
    allow_leaks: bool = False,
    progress: Progress | None = None,
) -> Manifest:
    """Train the scorecard on ``data`` and write the model directory ``output``.

    The data are audited first (:func:`~alignscore.audit_labelled`): data that teach how the
    file was typed rather than the policy raise :class:`~alignscore.LeakageError`, unless
    ``allow_leaks`` (then the problems are recorded in the manifest and the model card).
    """
    leaks = require_clean(audit_labelled(data), allow_leaks=allow_leaks)
    ruleset, td = _load(data, rules)
    model = fit_scorecard(td.units, td.y, td.groups, ruleset, seed)
    metrics = evaluate(td, ruleset, repeats=repeats, seed=seed, progress=progress)
    scorecard = Scorecard.from_classifier(model, ruleset)
    command = (
        f"alignscore train {Path(data).as_posix()} -o {Path(output).as_posix()} --seed {seed} --repeats {repeats}"
        + (" --allow-leaks" if allow_leaks else "")
    )
    fields = {
        "rules_sha256": ruleset.sha256,
        "training_data": Path(data).name,
        "training_data_sha256": file_sha256(data),
        "training_rows": len(td.y),
        "parameters": {
            "shrinkage": float(model.shrinkage), "shrinkage_grid": list(SHRINKAGE_GRID),
            "fitted_intercept": round(float(model.intercept_), 6), "seed": seed,
        },
        "metrics": {**metrics, "audit_problems": leaks},
        "command": command,
    }
    card = model_card(fields, ruleset, scorecard, metrics, leaks)
    return save_scorecard(output, scorecard.to_file(), fields, card)


def _reliability_note(metrics: dict[str, Any], fitted_intercept: float) -> str:
    """What the reliability table means, from the numbers themselves."""
    rows = [r for r in metrics["reliability"] if r["firms"]]
    over = [r["band"] for r in rows if r["mean_predicted"] - r["observed_favoured"] > 0.1]
    under = [r["band"] for r in rows if r["observed_favoured"] - r["mean_predicted"] > 0.1]
    share = metrics["data"]["favoured"] / max(metrics["data"]["firms"], 1)
    parts = [
        f"The labelled set is {share:.0%} favoured, a mix that reflects which events are documented, "
        f"not the market. Fitted with a free intercept, the classifier puts a firm with no fired rule "
        f"at log-odds {fitted_intercept:+.2f}; the shipped scorecard puts it at 0 (neutral) by design."
    ]
    if over:
        parts.append(f"Out of fold, scores run above the observed favoured rate in: {', '.join(over)} (more than 10 points).")
    if under:
        parts.append(f"They run below it in: {', '.join(under)} (more than 10 points).")
    if not over and not under:
        parts.append("Out of fold, every band's mean score is within 10 points of its observed favoured rate.")
    return " ".join(parts)


def _weights_table(ruleset: RuleSet, scorecard: Scorecard) -> str:
    rows = []
    for rule, prior, weight, se in zip(ruleset.favour, scorecard.priors, scorecard.weights, scorecard.std_errors, strict=True):
        unit = rule.graded.describe() if rule.graded is not None else "1 when it fires"
        rows.append(f"| `{rule.id}` | {rule.spec.title} | {unit} | {prior:+.2f} | {weight:+.2f} | {se:.2f} |")
    return "\n".join(rows)


def model_card(
    fields: dict[str, Any], ruleset: RuleSet, scorecard: Scorecard, metrics: dict[str, Any], leaks: list[str]
) -> str:
    p = fields["parameters"]
    audit = (
        "The data pass the leakage audit (`alignscore data audit data/" + fields["training_data"] + "`)."
        if not leaks else
        "**Trained with `--allow-leaks` on data that FAIL the leakage audit:**\n\n" + "\n".join(f"- {x}" for x in leaks)
    )
    return f"""# Model card: alignscore default scorecard

## Intended use
Screening and explaining Chinese companies' policy alignment: how far a firm's profile matches
what Beijing's industrial policy favours, and so how likely it is to meet state support rather
than a crackdown. For researchers and investors, as one input among others, always read with
its explanation.

## Must not be used for
Decisions about individuals; any claim of certainty about a firm's regulatory fate; firms
outside mainland China's policy regime; legal, compliance or sanctions screening.

## Model
One scorecard: every input is a favour rule of `rules/` (with its quoted evidence), worth its
*units* (1 when a yes/no rule fires; for a numeric signal, the amount above a stated reference,
e.g. one unit per 10 points of overseas revenue). A rule that does not fire and a rule that
cannot be evaluated both give 0 units, so absence and unknown weigh the same.

The weights are learned by `ScorecardClassifier`: logistic regression with each weight bounded
to its declared sign and shrunk toward the analysts' prior: a normal prior on each rule's
largest contribution (weight x its most units) of precision {p['shrinkage']:g}, chosen by grouped
cross-validation on log loss from {p['shrinkage_grid']}. The grid's lowest precision, a prior
standard deviation of {min(p['shrinkage_grid']) ** -0.5:.1f} log-odds on a rule's largest contribution, bounds how far the data
may move it. A signal the data barely cover keeps the analysts' weight. Standard errors and the covariance
behind each score's {scorecard.interval:.0%} interval are a Laplace approximation at the fit.

Scores: `log_odds = {scorecard.baseline:g} + sum(weight x units)`; `score = 100 x ({scorecard.floor}
+ {1 - 2 * scorecard.floor:g} x logistic(log_odds))`, so no score is below {100 * scorecard.floor:g} or above
{100 - 100 * scorecard.floor:g}. The baseline is neutral (a firm known by name alone scores 50), not the
labelled set's base rate: the fitted intercept ({p['fitted_intercept']:+.3f}) reflects which events are
documented and is not used. Below {scorecard.min_coverage:.0%} coverage (the share of the analysts'
evidence weight that could be evaluated) the band is "Not rated"; the score is still given.

| rule | fact | units | prior | learned | std. error |
|---|---|---|---|---|---|
{_weights_table(ruleset, scorecard)}

## Data
{fields['training_rows']} real firms from `data/{fields['training_data']}` (see `data/DATASHEET.md`
and the filling protocol in `data/PROTOCOL.md`), SHA-256 `{fields['training_data_sha256']}`.
Rules SHA-256 `{fields['rules_sha256']}`. No synthetic firm was used.

{audit}

## Validation
Measured with: `{fields['command']}` (the same numbers: `alignscore evaluate data/{fields['training_data']}
--seed {p['seed']} --repeats {metrics['grouped_cv']['repeats']}`). The scorecard rows are its shipped form (neutral
baseline, bounded probability), refitted (shrinkage search included) inside every training fold;
`prior_scorecard` is the analysts' weights with no training; `hard_tech_only` and
`ownership_only` are one-input logistic regressions.

{metrics_table(metrics)}

{_reliability_note(metrics, p['fitted_intercept'])}

## Properties checked by the test suite (not by these data)
- A firm known by name alone scores exactly 50 ({NOT_RATED!r}: coverage 0).
- Writing `false`, `0`, `private` or `unlisted` where a field was blank never moves a score
  (Hypothesis property test; the rules loader refuses any favour rule that could fire on an
  absent value).
- Each rule moves the score only in its declared direction; contributions plus baseline equal
  the log-odds exactly; every score lies in [{100 * scorecard.floor:g}, {100 - 100 * scorecard.floor:g}] and inside its own interval.
- Scored from the bundled A-share list alone, the market spreads over at least three of the
  bands {', '.join(BAND_NAMES)}, with the median property developer below the market median and the
  median semiconductor firm above it.

## Limitations
- A few hundred hand-assembled firms; labels are judgements about documented events, and the
  sample over-represents famous firms (survivorship and English-language sources). Hard cases
  are included on purpose, but the held-out sets are small: read every metric with its sd.
- Many numeric fields are unknown for some firms; unknown inputs contribute nothing, and the
  score's `coverage` says how much of the evidence was known.
- The policy regime changes: rules carry effective dates, the weights do not.
"""
