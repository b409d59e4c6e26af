"""The CLI in-process (CliRunner), and once as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner  # noqa: TID251 - testing the CLI

from alignscore.cli import app
from tests.labelled_frame import labelled_frame

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model_and_firms(tmp_path_factory):
    from alignscore import train_model

    root = tmp_path_factory.mktemp("cli")
    frame, y = labelled_frame(60, seed=7)
    firms = root / "firms.csv"
    frame.assign(name_zh=["华为"] + ["中芯国际"] * (len(frame) - 1)).to_csv(firms, index=False)
    data = root / "labelled.csv"
    frame.assign(favoured=y).to_csv(data, index=False)
    model = root / "model"
    train_model(data, model, repeats=1)
    return model, firms


def test_validate_summarises(model_and_firms):
    _, firms = model_and_firms
    result = runner.invoke(app, ["validate", str(firms)])
    assert result.exit_code == 0, result.output
    assert "60 rows, 60 valid, 0 rejected" in result.output
    assert "columns carried through (1): name_zh" in result.output


def test_validate_bad_file_exit_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,sector\nA,semiconductr\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "row 2, column 'sector': 'semiconductr'" in result.output
    assert "did you mean 'semiconductors'" in result.output
    assert "Traceback" not in result.output


def test_score_writes_every_row_and_result_columns(tmp_path, model_and_firms):
    model, firms = model_and_firms
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, ["score", str(firms), "-o", str(out), "--model", str(model), "--as-of", "2022-06-30", "--quiet"])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    assert len(scored) == 60
    for column in ("score", "band", "probability", "coverage", "reasons", "risk_flags", "name_zh"):
        assert column in scored.columns
    assert scored["name_zh"].iloc[0] == "华为"


def test_score_to_stdout_and_parquet(tmp_path, model_and_firms):
    model, firms = model_and_firms
    result = runner.invoke(app, ["score", str(firms), "--model", str(model), "--as-of", "2022-06-30"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith('"name"')
    out = tmp_path / "scores.parquet"
    assert runner.invoke(app, ["score", str(firms), "-o", str(out), "--model", str(model), "-q"]).exit_code == 0
    assert len(pd.read_parquet(out)) == 60


def test_explain_json_has_the_documented_keys(model_and_firms):
    model, firms = model_and_firms
    result = runner.invoke(app, ["explain", str(firms), "--firm", "Test Firm 3", "--model", str(model), "--as-of", "2022-06-30"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    for key in ("name", "score", "band", "probability", "coverage", "baseline", "contributions",
                "reasons", "risk_flags", "levers", "peer_percentile"):
        assert key in doc
    first = doc["contributions"][0]
    assert {"source", "id", "label", "value"} <= set(first)
    rules = [c for c in doc["contributions"] if c["source"] == "rule"]
    assert all(c["evidence"] for c in rules)


def test_explain_unknown_firm(model_and_firms):
    model, firms = model_and_firms
    result = runner.invoke(app, ["explain", str(firms), "--firm", "Test Firm 99", "--model", str(model)])
    assert result.exit_code == 2
    assert "no firm named 'Test Firm 99'; closest names:" in result.output


def test_rules_list_json_and_check():
    result = runner.invoke(app, ["rules", "list", "--format", "json"])
    assert result.exit_code == 0
    rules = json.loads(result.stdout)
    assert {"id", "signal", "weight", "evidence"} <= set(rules[0])
    assert {"source", "quote"} == set(rules[0]["evidence"][0])
    check = runner.invoke(app, ["rules", "check"])
    assert check.exit_code == 0, check.output
    assert "clean" in check.output


def test_console_script_as_a_real_subprocess(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,overseas_revenue_share\nA,150%\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "alignscore", "validate", str(bad)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)  # fmt: skip
    assert proc.returncode == 2
    assert "row 2, column 'overseas_revenue_share': '150%'" in proc.stderr
    assert "Traceback" not in proc.stderr
