"""Hostile rules files and model directories: refused fast, clearly, and before anything runs.

Rules: each case is the shipped ``rules/*.yaml`` copied into a temporary directory plus one bad
file; :meth:`RuleSet.load` must refuse it with :class:`RulesError` in well under two seconds.
Models: a valid scorecard directory is built once, copied, and damaged (many damages re-seal the
manifest's hash, so the content checks alone must refuse them); :func:`load_scorecard_file`,
``Scorer(model=dir)`` and ``alignscore score --model dir`` must refuse it with
:class:`ModelError` (exit code 2 on the CLI) before any number is used.

Private imports (allowed in ``tests/test_private_imports.py``): forges model folders file by file (_model.persist).
"""

from __future__ import annotations

import builtins
import hashlib
import json
import pickle  # noqa: TID251 - to plant a payload (never to load a model)
import re
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner  # noqa: TID251 - the brief: the CLI in-process

from alignscore import RuleSet, Scorer
from alignscore._model.persist import MANIFEST, SCORECARD, load_scorecard_file
from alignscore.cli import app
from alignscore.exceptions import ModelError, RulesError
from tests import strategies

REPO = Path(__file__).resolve().parents[1]
HOSTILE = Path(__file__).parent / "hostile"
RULE_HEAD = """schema_version: 1
rules:
  - id: hostile_rule
    title: A hostile rule
    signal: overseas_revenue
    kind: favour
    weight: 0.5
    rationale: Firms that earn abroad keep the state's support.
    evidence:
      - source: 002_0fc85509d937c681.txt
        quote: "Companies that have substantial overseas revenues are immune."
"""




# --- rules ------------------------------------------------------------------------------------


def _rules_with(tmp_path: Path, name: str, text: str) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir()
    for path in (REPO / "rules").glob("*.yaml"):
        shutil.copy(path, directory / path.name)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def _refused_fast(directory: Path, match: str) -> RulesError:
    start = time.perf_counter()
    with pytest.raises(RulesError, match=match) as info:
        RuleSet.load(directory)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
    assert "zz_hostile.yaml" in str(info.value)
    return info.value


def test_control_shipped_rules_load(tmp_path: Path) -> None:
    directory = _rules_with(
        tmp_path,
        "zz_extra.yaml",
        RULE_HEAD.replace("hostile_rule", "extra")
        + "    condition: {column: overseas_revenue_share, op: gte, value: 0.3}\n",
    )
    assert any(r.id == "extra" for r in RuleSet.load(directory).rules)


def test_yaml_bomb(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    bomb = "schema_version: 1\n" + "\n".join(lines) + "\nrules: *a9\n"
    directory = _rules_with(tmp_path, "zz_hostile.yaml", bomb)
    _refused_fast(directory, r"anchors \(&a0\) are not allowed")


def test_python_tag_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = 'schema_version: 1\nrules: !!python/object/apply:os.system ["touch PWNED"]\n'
    directory = _rules_with(tmp_path, "zz_hostile.yaml", text)
    _refused_fast(directory, "tags that construct objects are not allowed")
    assert not (tmp_path / "PWNED").exists()
    assert not (directory / "PWNED").exists()


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deeply_nested_condition(tmp_path: Path, style: str) -> None:
    depth = 10_000
    leaf = "{column: overseas_revenue_share, op: gte, value: 0.3}"
    if style == "flow":
        condition = "{not: " * depth + leaf + "}" * depth
        text = RULE_HEAD + f"    condition: {condition}\n"
    else:  # compact block sequences: 10,000 levels in linear size
        text = RULE_HEAD + "    condition:\n      " + "- " * depth + leaf + "\n"
    directory = _rules_with(tmp_path, "zz_hostile.yaml", text)
    _refused_fast(directory, r"nesting deeper than \d+ levels")


def test_unknown_operator(tmp_path: Path) -> None:
    text = (
        RULE_HEAD
        + "    condition: {column: overseas_revenue_share, op: greater_than, value: 0.3}\n"
    )
    directory = _rules_with(tmp_path, "zz_hostile.yaml", text)
    error = _refused_fast(directory, r"unknown operator 'greater_than' \(operators: equals")
    assert error.rule_id == "hostile_rule"


# --- models -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return strategies.build_model_dir(tmp_path_factory.mktemp("model") / "good")


def _copy(good: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(good, target)
    return target


def _manifest(directory: Path) -> dict:
    return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))


def _write_manifest(directory: Path, data: dict) -> None:
    (directory / MANIFEST).write_text(json.dumps(data, indent=2), encoding="utf-8")


class _Planted:
    """Unpickling this would create ``path`` (a stand-in for running any code)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (builtins.open, (str(self.path), "w"))


def _reseal(directory: Path, data: bytes) -> None:
    """Write ``data`` as the scorecard and put its hash in the manifest: only the content checks
    are left to refuse it."""
    (directory / SCORECARD).write_bytes(data)
    manifest = _manifest(directory)
    manifest["scorecard_sha256"] = hashlib.sha256(data).hexdigest()
    _write_manifest(directory, manifest)


def _edited(directory: Path, edit) -> bytes:
    data = json.loads((directory / SCORECARD).read_text(encoding="utf-8"))
    edit(data)
    return json.dumps(data).encode()


def _damage(kind: str, directory: Path, marker: Path) -> str:
    """Damage ``directory`` in one way; return the message fragment the refusal must carry."""
    card = directory / SCORECARD
    if kind == "scorecard_one_byte":
        data = bytearray(card.read_bytes())
        data[len(data) // 2] ^= 0x01
        card.write_bytes(bytes(data))
        return "does not match the manifest's"
    if kind == "manifest_hash_changed":
        data = _manifest(directory)
        digest = data["scorecard_sha256"]
        data["scorecard_sha256"] = ("0" if digest[0] != "0" else "1") + digest[1:]
        _write_manifest(directory, data)
        return "does not match the manifest's"
    if kind == "manifest_broken_json":
        text = (directory / MANIFEST).read_text(encoding="utf-8")
        (directory / MANIFEST).write_text(text[: len(text) // 2], encoding="utf-8")
        return "manifest is not valid JSON"
    if kind == "manifest_extra_key":
        data = _manifest(directory)
        data["loader"] = "pickle"
        _write_manifest(directory, data)
        return "manifest is not valid: loader: Extra inputs are not permitted"
    if kind == "planted_pickle":
        _reseal(directory, pickle.dumps(_Planted(marker)))
        return "scorecard is not valid JSON"
    if kind == "inconsistent_lengths":
        _reseal(directory, _edited(directory, lambda d: d["covariance"].pop()))
        return "covariance must be"
    if kind == "weight_not_a_number":
        _reseal(directory, _edited(directory, lambda d: d["weights"][3].update(weight="heavy")))
        return "weights.3.weight: Input should be a valid number"
    if kind == "weight_against_direction":
        _reseal(directory, _edited(directory, lambda d: d["weights"][3].update(weight=2.0)))
        return "is against its direction (decreasing)"
    if kind == "nan_weight":
        _reseal(directory, card.read_bytes().replace(b'"baseline": 0.0', b'"baseline": NaN', 1))
        return "NaN is not a number a scorecard may hold"
    if kind == "deeply_nested":
        _reseal(directory, b'{"covariance": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
        return "nested too deeply to be genuine"
    if kind == "huge_scorecard":
        _reseal(directory, b'{"weights": [' + b"0.0, " * 400_000 + b"0.0]}")
        return "more than any genuine scorecard"
    if kind == "huge_manifest":
        (directory / MANIFEST).write_bytes(b'{"format_version": 2, "pad": "' + b"x" * (2 << 20) + b'"}')
        return "more than any genuine manifest"
    if kind == "old_format":
        data = _manifest(directory)
        data["format_version"] = 1
        _write_manifest(directory, data)
        return "format_version 1: this alignscore reads scorecards of format 2"
    raise AssertionError(kind)


DAMAGE = [
    "scorecard_one_byte",
    "manifest_hash_changed",
    "manifest_broken_json",
    "manifest_extra_key",
    "planted_pickle",
    "inconsistent_lengths",
    "weight_not_a_number",
    "weight_against_direction",
    "nan_weight",
    "deeply_nested",
    "huge_scorecard",
    "huge_manifest",
    "old_format",
]


def test_control_good_model_loads(good_model: Path) -> None:
    card, manifest = load_scorecard_file(good_model)
    assert len(card.weights) == len(card.covariance) == len(RuleSet.load().favour)
    assert manifest.rules_sha256 == card.rules_sha256


def test_planted_pickle_would_run(tmp_path: Path) -> None:
    """Control: the planted payload really does create its marker when unpickled."""
    marker = tmp_path / "unpickled"
    pickle.loads(pickle.dumps(_Planted(marker))).close()
    assert marker.exists()


@pytest.mark.parametrize("kind", DAMAGE)
def test_load_model_refuses(kind: str, good_model: Path, tmp_path: Path) -> None:
    directory = _copy(good_model, tmp_path)
    marker = tmp_path / "MARKER"
    fragment = _damage(kind, directory, marker)
    with pytest.raises(ModelError, match=re.escape(fragment)):
        load_scorecard_file(directory)
    assert not marker.exists()


@pytest.mark.parametrize("kind", DAMAGE)
def test_scorer_refuses(kind: str, good_model: Path, tmp_path: Path) -> None:
    directory = _copy(good_model, tmp_path)
    marker = tmp_path / "MARKER"
    _damage(kind, directory, marker)
    scorer = Scorer(model=directory, as_of="2023-06-30")
    with pytest.raises(ModelError):
        scorer.score_frame(_firms())
    assert not marker.exists()


@pytest.mark.parametrize("kind", DAMAGE)
def test_cli_refuses(kind: str, good_model: Path, tmp_path: Path) -> None:
    directory = _copy(good_model, tmp_path)
    marker = tmp_path / "MARKER"
    fragment = _damage(kind, directory, marker)
    out = tmp_path / "out.csv"
    source = HOSTILE / "utf8_bom.csv"
    result = CliRunner().invoke(
        app, ["score", str(source), "-o", str(out), "--quiet", "--model", str(directory)]
    )
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output
    assert fragment in result.output
    assert str(directory) in result.output
    assert not out.exists()
    assert not marker.exists()


def _firms():
    import pandas as pd

    return pd.DataFrame({"name": ["Example Chips"], "sector": ["semiconductors"]})
