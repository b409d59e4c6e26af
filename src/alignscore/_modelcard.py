"""Training and evaluating from a labelled file, and the model card that goes with the model.

``alignscore train DATA -o models/NAME`` and ``alignscore evaluate DATA`` call these.
Training is reproducible: the same data, rules and seed give a byte-identical artifact.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ._features import RULES_FEATURE
from ._persist import Manifest, save_model
from ._read import iter_profiles
from ._rules import RuleSet
from ._train import SCORERS, evaluate, file_sha256, fit_model, training_data
from .exceptions import InputError

__all__ = ["evaluate_model", "metrics_table", "train_model"]

#: Rules are evaluated at each labelled firm's own ``as_of``; this is only the fallback.
FALLBACK_AS_OF = dt.date(2022, 1, 1)


def _load(data: str | Path, rules: str | Path | None):
    ruleset = RuleSet.load(rules)
    batches = list(iter_profiles(data, chunk_rows=10_000_000))
    if len(batches) != 1:  # pragma: no cover - labelled sets are small
        raise InputError(data, "labelled data must fit in one chunk")
    td = training_data(batches[0], ruleset, FALLBACK_AS_OF)
    directions = ["increasing"] + [s.direction for s in ruleset.inputs.inputs]
    return ruleset, td, directions


def evaluate_model(
    data: str | Path, *, rules: str | Path | None = None, seed: int = 0, repeats: int = 10
) -> dict[str, Any]:
    """Repeated stratified 5-fold CV of the four scorers on labelled firms."""
    _, td, directions = _load(data, rules)
    return evaluate(td, directions, repeats=repeats, seed=seed)


def metrics_table(metrics: dict[str, Any]) -> str:
    """The metrics as a Markdown table (plus the reliability table of the combination)."""
    cv = metrics["cv"]
    lines = [
        f"{cv['repeats']} x {cv['folds']}-fold stratified group CV (firms labelled by one shared event "
        f"kept together), seed {cv['seed']}, "
        f"{cv['firms']} firms ({cv['favoured']} favoured); mean (sd) over folds",
        "",
        "| scorer | ROC AUC | Brier | log loss |",
        "|---|---|---|---|",
    ]
    for name in SCORERS:
        s = metrics["scorers"][name]
        cells = [f"{s[m]['mean']:.3f} ({s[m]['sd']:.3f})" for m in ("roc_auc", "brier", "log_loss")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Reliability of the combination (pooled out-of-fold probabilities):", "",
              "| predicted | firms | mean predicted | observed favoured |", "|---|---|---|---|"]
    for row in metrics["scorers"]["combined"]["reliability"]:
        mp = "-" if row["mean_predicted"] is None else f"{row['mean_predicted']:.2f}"
        ob = "-" if row["observed_rate"] is None else f"{row['observed_rate']:.2f}"
        lines.append(f"| {row['bin']} | {row['count']} | {mp} | {ob} |")
    return "\n".join(lines)


def train_model(
    data: str | Path,
    output: str | Path,
    *,
    rules: str | Path | None = None,
    seed: int = 0,
    repeats: int = 10,
) -> Manifest:
    """Train the shipped combination on ``data`` and write the model directory ``output``."""
    ruleset, td, directions = _load(data, rules)
    model = fit_model(td.combined, td.y, directions, seed)
    metrics = evaluate(td, directions, repeats=repeats, seed=seed)
    features = [RULES_FEATURE] + [s.id for s in ruleset.inputs.inputs]
    command = f"alignscore train {Path(data).as_posix()} -o {Path(output).as_posix()} --seed {seed} --repeats {repeats}"
    fields = {
        "features": features,
        "directions": directions,
        "rules_sha256": ruleset.sha256,
        "training_data": Path(data).name,
        "training_data_sha256": file_sha256(data),
        "training_rows": len(td.y),
        "parameters": {"C": model.C, "calibrate": model.calibrate, "seed": seed},
        "metrics": metrics,
        "command": command,
    }
    card = model_card(fields, model, metrics)
    return save_model(output, model, fields, card)


def model_card(fields: dict[str, Any], model: Any, metrics: dict[str, Any]) -> str:
    coefs = "\n".join(
        f"| {f} | {d} | {c:+.4f} |"
        for f, d, c in zip(fields["features"], fields["directions"], model.coef_, strict=True)
    )
    verdict = (
        "The shipped combination's mean ROC AUC is at least as high as each of the other three."
        if metrics["combined_at_least_as_good_auc"]
        else "The shipped combination's mean ROC AUC is NOT the highest of the four: see the "
        "table. It is shipped anyway because only it carries both the analysts' declared rules "
        "(with evidence) and what the labelled firms show, and because the differences are "
        "within one standard deviation of the folds on a sample this small."
    )
    return f"""# Model card: alignscore default model

## Intended use
Screening and explaining Chinese companies' policy alignment: how far a firm's profile matches
what Beijing's industrial policy favours, and so how likely it is to meet state support rather
than a crackdown. For researchers and investors, as one input among others, always read with
its explanation.

## Must not be used for
Decisions about individuals; any claim of certainty about a firm's regulatory fate; firms
outside mainland China's policy regime; legal, compliance or sanctions screening.

## Model
A sign-constrained, L2-penalised logistic regression (`ConstrainedLogisticRegression`) over
the rules' summed log-odds and {len(fields['features']) - 1} declared inputs, each constrained to the
direction the analysts declared in `rules/model_inputs.yaml`; the penalty C = {model.C} was chosen by
inner 3-fold CV on the training data; probabilities are Platt-calibrated on out-of-fold
predictions and the calibration is folded into the coefficients, so contributions stay exact.

| input | allowed direction | coefficient |
|---|---|---|
{coefs}

## Data
{fields['training_rows']} real firms from `data/{fields['training_data']}` (see `data/DATASHEET.md`),
SHA-256 `{fields['training_data_sha256']}`. Rules SHA-256 `{fields['rules_sha256']}`.
No synthetic firm was used.

## Metrics
Measured with: `{fields['command']}` (the same numbers: `alignscore evaluate data/{fields['training_data']} --seed {fields['parameters']['seed']} --repeats {metrics['cv']['repeats']}`).

{metrics_table(metrics)}

{verdict}

## Limitations
- The label is partly readable from the inputs: state ownership and a STAR/BSE listing are
  themselves forms of state support in the label's definition, and sector nearly decides it
  (see `data/DATASHEET.md`). The cross-validated metrics above are therefore optimistic about
  firms unlike those in the sample; read them as a check that the pieces fit, not as a
  forecast accuracy. Firms labelled by one shared event (the 2021 tutoring ban, the 2021
  crypto ban, the July 2021 cybersecurity reviews; the `label_event` column) are not
  independent, so cross-validation keeps each event's firms in one fold.
- A small, hand-assembled sample of firms; labels are judgements about documented events,
  and the sample over-represents famous firms (survivorship and English-language sources).
- Many numeric fields are unknown for many firms; unknown inputs contribute nothing, and the
  score's `coverage` says how much of the evidence was known.
- The policy regime changes: rules carry effective dates, the model does not.
"""
