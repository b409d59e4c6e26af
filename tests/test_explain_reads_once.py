"""`alignscore explain` and `alignscore report` parse a file once, straight into the batch they
explain (before: parsed, turned into a pandas frame, back into Arrow, and parsed again)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner  # noqa: TID251 - testing the CLI

import alignscore._contract.read as read
from alignscore.cli import app

runner = CliRunner()
FIRMS = "name,sector,listing_venue\nAlpha Chips,semiconductors,star\nBeta Shop,e_commerce,us\nGamma AI,ai,star\n"


@pytest.fixture
def parses(monkeypatch):
    """Per source parsed, the rows each call of the contract's parser is given (the peers'
    reference file is parsed too, once, under its own name)."""
    calls: dict[str, list[int]] = {}
    real = read.parse_table

    def counting(table, source, *args, **kwargs):
        calls.setdefault(source, []).append(table.num_rows)
        return real(table, source, *args, **kwargs)

    monkeypatch.setattr(read, "parse_table", counting)
    return calls


def test_explain_parses_the_file_once_and_names_its_row(tmp_path, parses):
    firms = tmp_path / "firms.csv"
    firms.write_text(FIRMS, encoding="utf-8")
    result = runner.invoke(app, ["explain", str(firms), "--firm", "beta shop", "--as-of", "2024-01-01"])
    assert result.exit_code == 0, result.output
    assert parses[str(firms)] == [3]  # the three rows, once
    assert "<DataFrame>" not in parses  # no frame built from it and parsed again
    doc = json.loads(result.stdout)
    assert doc["name"] == "Beta Shop"
    assert doc["row"] == 3  # as the user counts rows in the file: header is row 1


def test_explain_of_a_repeated_name_gives_file_rows(tmp_path, parses):
    firms = tmp_path / "firms.csv"
    firms.write_text(FIRMS + "Beta Shop,e_commerce,hkex\n", encoding="utf-8")
    result = runner.invoke(app, ["explain", str(firms), "--firm", "Beta Shop", "--as-of", "2024-01-01"])
    assert result.exit_code == 2
    assert f"{firms}: 'Beta Shop' names 2 firms: 'Beta Shop' (row 3), 'Beta Shop' (row 5)" in result.output
    assert parses[str(firms)] == [4]
    assert "<DataFrame>" not in parses


def test_report_parses_the_file_once(tmp_path, parses):
    firms = tmp_path / "firms.csv"
    firms.write_text(FIRMS, encoding="utf-8")
    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", str(firms), "-o", str(out), "--format", "json", "-q", "--as-of", "2024-01-01"])
    assert result.exit_code == 0, result.output
    assert parses[str(firms)] == [3]
    assert "<DataFrame>" not in parses
    rows = sorted(json.loads(p.read_text(encoding="utf-8"))["row"] for p in out.glob("*.json") if p.name != "alignscore-reports.json")
    assert rows == [2, 3, 4]
