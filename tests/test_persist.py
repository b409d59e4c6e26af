"""Training writes a reproducible, checked scorecard directory; loading checks before trusting.

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests model files (_model.persist, _model.card, _model.scorecard).
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from alignscore import (
    ModelError,
    ModelIntegrityError,
    RulesChangedWarning,
    RuleSet,
    Scorer,
    train_model,
)
from alignscore._model.persist import MANIFEST, SCORECARD, load_scorecard_file
from tests.labelled_frame import labelled_frame

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory):
    frame, y = labelled_frame(70, seed=4)
    frame["favoured"] = y
    frame["label_evidence"] = "test label"
    path = tmp_path_factory.mktemp("data") / "labelled.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, data_csv):
    out = tmp_path_factory.mktemp("models") / "m1"
    train_model(data_csv, out, seed=0, repeats=1)
    return out


@pytest.mark.slow
def test_training_is_byte_identical(tmp_path, data_csv, model_dir):
    again = tmp_path / "m2"
    train_model(data_csv, again, seed=0, repeats=1)
    assert (again / SCORECARD).read_bytes() == (model_dir / SCORECARD).read_bytes()
    first = json.loads((model_dir / MANIFEST).read_text())
    second = json.loads((again / MANIFEST).read_text())
    assert first["scorecard_sha256"] == second["scorecard_sha256"]


def test_scorecard_is_one_readable_line_per_rule(model_dir):
    text = (model_dir / SCORECARD).read_text()
    ruleset = RuleSet.load()
    lines = [line for line in text.splitlines() if line.strip().startswith('{"rule"')]
    assert [json.loads(line.rstrip(","))["rule"] for line in lines] == ruleset.favour_ids
    first = json.loads(lines[0].rstrip(","))
    assert set(first) == {"rule", "direction", "prior", "weight", "std_error"}


def test_manifest_and_card_record_what_they_promise(model_dir):
    manifest = json.loads((model_dir / MANIFEST).read_text())
    assert set(manifest["library_versions"]) >= {"scikit-learn", "numpy", "alignscore"}
    assert len(manifest["rules_sha256"]) == 64
    assert len(manifest["training_data_sha256"]) == 64
    metrics = manifest["metrics"]
    assert set(metrics["grouped_cv"]["scorers"]) == {"hard_tech_only", "ownership_only", "prior_scorecard", "scorecard"}
    assert {row["held_out"] for row in metrics["leave_one_class_out"]} <= {"hard_tech", "state_priority", "soft_tech", "other"}
    assert metrics["temporal"]["cut"] == "2022-01-01"
    assert sum(row["firms"] for row in metrics["reliability"]) == metrics["data"]["firms"] == 70
    card = (model_dir / "MODEL_CARD.md").read_text()
    assert "alignscore train" in card
    assert "Must not be used for" in card
    assert "Leave one sector class out" in card
    assert "Temporal split" in card
    assert "prior_scorecard" in card


def test_scorecard_respects_declared_directions_and_neutral_baseline(model_dir):
    card, _ = load_scorecard_file(model_dir)
    assert card.baseline == 0.0
    assert card.floor == 0.005
    for w in card.weights:
        assert (w.weight >= 0) if w.direction == "increasing" else (w.weight <= 0)


def _tamper(tmp_path, model_dir, edit) -> None:
    """Apply ``edit`` to the scorecard's JSON and re-seal the manifest's hash, so that only the
    content checks stand between the file and the scorer."""
    import hashlib

    copy = tmp_path / "m"
    shutil.copytree(model_dir, copy)
    data = json.loads((copy / SCORECARD).read_text())
    edit(data)
    text = json.dumps(data)
    (copy / SCORECARD).write_text(text)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["scorecard_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    (copy / MANIFEST).write_text(json.dumps(manifest))
    return copy


def test_one_altered_byte_is_refused(tmp_path, model_dir):
    copy = tmp_path / "m"
    shutil.copytree(model_dir, copy)
    data = bytearray((copy / SCORECARD).read_bytes())
    data[len(data) // 2] ^= 0x01
    (copy / SCORECARD).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"does not match the manifest's .*: the file was altered; refusing to load it"):
        load_scorecard_file(copy)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["weights"][0].update(weight=-1.0), r"weights\.0: Value error, rule 'overseas_revenue': weight -1\.0 is against its direction|weight -1.0 is against its direction \(increasing\)"),
        (lambda d: d["weights"][0].update(weight=1e6), r"less than or equal to 20"),
        (lambda d: d["weights"].pop(), r"covariance must be 25 x 25"),
        (lambda d: d["covariance"][1].pop(), r"covariance must be 26 x 26 .*got 26 rows of lengths \[25, 26\]"),
        (lambda d: d["covariance"][0].__setitem__(1, 5.0), r"covariance is not symmetric at"),
        (lambda d: d["covariance"][2].__setitem__(2, -1.0), r"covariance diagonal of 'listing_a_share' is negative"),
        (lambda d: d.update(floor=0.5), r"floor: Input should be less than or equal to 0.05"),
        (lambda d: d.update(baseline="NaN"), r"baseline"),
        (lambda d: d["weights"][1].update(rule=d["weights"][0]["rule"]), r"rule 'overseas_revenue' has two weights"),
        (lambda d: d.update(extra=1), r"extra: Extra inputs are not permitted"),
    ],
)
def test_every_number_shape_and_sign_is_checked(tmp_path, model_dir, edit, message):
    copy = _tamper(tmp_path, model_dir, edit)
    with pytest.raises(ModelIntegrityError, match=message):
        load_scorecard_file(copy)


def test_nan_and_infinity_are_refused_even_when_sealed(tmp_path, model_dir):
    import hashlib

    copy = tmp_path / "m"
    shutil.copytree(model_dir, copy)
    text = (copy / SCORECARD).read_text().replace('"baseline": 0.0', '"baseline": NaN', 1)
    (copy / SCORECARD).write_text(text)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["scorecard_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match=r"scorecard is not valid JSON: NaN is not a number a scorecard may hold"):
        load_scorecard_file(copy)


def test_a_scorecard_for_other_rules_is_refused(tmp_path, model_dir):
    copy = _tamper(tmp_path, model_dir, lambda d: d["weights"][0].update(rule="not_a_rule"))
    with pytest.raises(ModelError, match=r"was trained on other rules .*missing \['overseas_revenue'\]; unknown \['not_a_rule'\]"):
        Scorer(model=copy).explain_one({"name": "X"})


def test_rules_changed_warns(tmp_path, model_dir):
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    path = rules / "sector.yaml"
    path.write_text(path.read_text() + "\n# a comment changes the hash\n")
    with pytest.warns(RulesChangedWarning, match="the model was trained with rules"):
        Scorer(rules=rules, model=model_dir).explain_one({"name": "X"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Scorer(model=model_dir).explain_one({"name": "X"})


def test_scoring_uses_the_file_s_numbers(model_dir):
    card, _ = load_scorecard_file(model_dir)
    scorer = Scorer(model=model_dir, as_of="2023-01-01")
    result = scorer.explain_one({"name": "X", "sector": "semiconductors", "little_giant": "yes"})
    by_id = {w.rule: w.weight for w in card.weights}
    assert result.log_odds == pytest.approx(by_id["sector_hard_tech"] + by_id["sector_chips"] + by_id["little_giant"])
    assert np.isclose(result.probability, 0.005 + 0.99 / (1 + np.exp(-result.log_odds)))


@pytest.mark.slow
def test_scoring_does_not_import_scikit_learn():
    import subprocess
    import sys

    code = (
        "import sys, alignscore; "
        "alignscore.Scorer(as_of='2024-01-01').explain_one({'name': 'X', 'sector': 'ai'}); "
        "print(sorted(m for m in ('sklearn', 'skops', 'scipy.optimize') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_firms_of_one_shared_event_stay_in_one_fold(tmp_path):
    from alignscore._model.card import _load

    frame, y = labelled_frame(60, seed=5)
    frame["favoured"] = y
    frame["label_event"] = ""
    shared = frame.index[:12]
    frame.loc[shared, "label_event"] = "one event"
    path = tmp_path / "labelled.csv"
    frame.to_csv(path, index=False)
    _, data = _load(path, None)
    assert len(set(data.groups[:12])) == 1
    assert len(set(data.groups[12:])) == 48  # every other firm is its own group
    assert data.groups[0] not in set(data.groups[12:])


def test_an_in_memory_scorecard_with_nan_is_refused():
    import dataclasses

    from alignscore._model.scorecard import Scorecard

    prior = Scorecard.prior(RuleSet.load())
    weights = prior.weights.copy()
    weights[2] = np.nan
    with pytest.raises(ModelError, match=r"weights must be \d+ finite numbers"):
        dataclasses.replace(prior, weights=weights)
    with pytest.raises(ModelError, match=r"covariance must be a (\d+) x \1 matrix of finite numbers"):
        dataclasses.replace(prior, covariance=np.full(prior.covariance.shape, np.inf))


@pytest.mark.slow
def test_training_reports_progress_up_to_its_total(tmp_path, data_csv):
    seen: list[tuple[int, int]] = []
    train_model(data_csv, tmp_path / "m", seed=0, repeats=1, progress=lambda done, total: seen.append((done, total)))
    totals = {total for _, total in seen}
    assert len(totals) == 1
    assert [done for done, _ in seen] == list(range(1, totals.pop() + 1))
