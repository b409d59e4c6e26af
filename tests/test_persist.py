"""Training writes a reproducible, checked model directory; loading checks before trusting."""

from __future__ import annotations

import json
import shutil
import warnings

import pytest

from alignscore import ModelIntegrityError, RulesChangedWarning, Scorer, train_model
from alignscore._persist import ARTIFACT, MANIFEST, load_model
from alignscore._resources import bundled
from tests.labelled_frame import labelled_frame


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


def test_training_is_byte_identical(tmp_path, data_csv, model_dir):
    again = tmp_path / "m2"
    train_model(data_csv, again, seed=0, repeats=1)
    assert (again / ARTIFACT).read_bytes() == (model_dir / ARTIFACT).read_bytes()
    first = json.loads((model_dir / MANIFEST).read_text())
    second = json.loads((again / MANIFEST).read_text())
    assert first["artifact_sha256"] == second["artifact_sha256"]


def test_manifest_records_what_it_promises(model_dir):
    manifest = json.loads((model_dir / MANIFEST).read_text())
    assert manifest["features"][0] == "rules_log_odds"
    assert manifest["directions"][0] == "increasing"
    assert set(manifest["library_versions"]) >= {"scikit-learn", "numpy", "skops", "alignscore"}
    assert len(manifest["rules_sha256"]) == 64
    assert len(manifest["training_data_sha256"]) == 64
    assert set(manifest["metrics"]["scorers"]) == {"baseline_hard_tech", "rules_only", "classifier_only", "combined"}
    card = (model_dir / "MODEL_CARD.md").read_text()
    assert "alignscore train" in card
    assert "Must not be used for" in card


def test_model_respects_declared_directions(model_dir):
    model, manifest = load_model(model_dir)
    for coef, direction in zip(model.coef_, manifest.directions, strict=True):
        if direction == "increasing":
            assert coef >= 0
        elif direction == "decreasing":
            assert coef <= 0


def test_one_altered_byte_is_refused(tmp_path, model_dir):
    copy = tmp_path / "m"
    shutil.copytree(model_dir, copy)
    data = bytearray((copy / ARTIFACT).read_bytes())
    data[len(data) // 2] ^= 0x01
    (copy / ARTIFACT).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"does not match the manifest's .*: the file was altered; refusing to load it"):
        load_model(copy)


def test_rules_changed_warns(tmp_path, model_dir):
    rules = tmp_path / "rules"
    shutil.copytree(bundled("rules"), rules)
    path = rules / "sector.yaml"
    path.write_text(path.read_text() + "\n# a comment changes the hash\n")
    with pytest.warns(RulesChangedWarning, match="the model was trained with rules"):
        Scorer(rules=rules, model=model_dir).score({"name": "X"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Scorer(model=model_dir).score({"name": "X"})


def test_scoring_reads_the_same_numbers_skops_loads(model_dir):
    from alignscore._persist import load_parameters

    params, _ = load_parameters(model_dir)
    model, _ = load_model(model_dir)
    for name in ("coef_", "mean_", "scale_"):
        assert (getattr(params, name) == getattr(model, name)).all(), name
    assert params.intercept_ == model.intercept_


def test_parameters_are_read_only_after_the_hash_check(tmp_path, model_dir):
    from alignscore._persist import load_parameters

    copy = tmp_path / "m"
    shutil.copytree(model_dir, copy)
    (copy / ARTIFACT).write_bytes(b"PK\x03\x04 not the artifact the manifest describes")
    with pytest.raises(ModelIntegrityError, match="the file was altered; refusing to load it"):
        load_parameters(copy)


def test_scoring_does_not_import_scikit_learn_or_skops():
    import subprocess
    import sys

    code = (
        "import sys, alignscore; "
        "alignscore.Scorer(as_of='2024-01-01').score({'name': 'X', 'sector': 'ai'}); "
        "print(sorted(m for m in ('sklearn', 'skops', 'scipy.optimize') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_firms_of_one_shared_event_stay_in_one_fold(tmp_path):
    from alignscore._modelcard import _load

    frame, y = labelled_frame(60, seed=5)
    frame["favoured"] = y
    frame["label_event"] = ""
    shared = frame.index[:12]
    frame.loc[shared, "label_event"] = "one event"
    path = tmp_path / "labelled.csv"
    frame.to_csv(path, index=False)
    _, data, _ = _load(path, None)
    assert len(set(data.groups[:12])) == 1
    assert len(set(data.groups[12:])) == 48  # every other firm is its own group
    assert data.groups[0] not in set(data.groups[12:])
