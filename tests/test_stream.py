"""Streaming ``score_file``: chunked equals in-memory, input order, atomic outputs, strict and
lenient modes, the three output formats and CSV formula escaping."""

from __future__ import annotations

import csv
import gc
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from alignscore import RESULT_COLUMNS, Scorer, score_file, synthetic_firms, unescape_formula
from alignscore.exceptions import ProfileValidationError

AS_OF = "2023-06-30"


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    """The bundled default model."""
    return Scorer(as_of=AS_OF)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    pa_csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path


def _read_text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture
def firms() -> pd.DataFrame:
    return synthetic_firms(60, seed=3)


@pytest.fixture
def source(firms: pd.DataFrame, tmp_path: Path) -> Path:
    return _write(firms, tmp_path / "firms.csv")


@pytest.fixture
def pq_source(firms: pd.DataFrame, tmp_path: Path) -> Path:
    """Parquet input: its reader yields exactly ``chunk_rows`` rows per chunk.

    (The CSV reader gathers whole pyarrow read blocks of 16 MB before it cuts a chunk, so a
    small CSV arrives as one chunk whatever ``chunk_rows`` is.)
    """
    path = tmp_path / "firms.parquet"
    pq.write_table(pa.Table.from_pandas(firms, preserve_index=False), path)
    return path


class _Counting:
    def __init__(self, real):
        self.real, self.sizes = real, []

    def __call__(self, profiles):
        self.sizes.append(len(profiles))
        return self.real(profiles)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


def test_small_chunks_equal_score_frame(scorer: Scorer, firms, pq_source, tmp_path, monkeypatch):
    out = tmp_path / "scored.parquet"
    counting = _Counting(scorer._result_columns)
    monkeypatch.setattr(scorer, "_result_columns", counting)
    summary = score_file(scorer, pq_source, out, chunk_rows=7)
    assert sorted(counting.sizes) == [4] + [7] * 8  # batches may be scored on two threads
    assert (summary.rows, summary.scored, summary.rejected) == (60, 60, 0)
    got = pq.read_table(out).to_pandas()
    want = scorer.score_frame(firms)
    assert got["name"].tolist() == firms["name"].tolist()  # input order
    np.testing.assert_array_equal(got["score"].to_numpy(), want["score"].to_numpy())
    np.testing.assert_array_equal(got["probability"].to_numpy(), want["probability"].to_numpy())
    # coverage is a matrix product whose summation order may follow the batch size: 1 ulp
    np.testing.assert_allclose(got["coverage"].to_numpy(), want["coverage"], rtol=0, atol=1e-12)
    for name in ("band", "reasons", "risk_flags"):
        assert got[name].astype(str).tolist() == want[name].astype(str).tolist()


def test_small_chunks_csv_keeps_order_and_columns(scorer, firms, source, tmp_path):
    out = tmp_path / "scored.csv"
    score_file(scorer, source, out, chunk_rows=7)
    got = _read_text(out)
    assert list(got.columns) == list(firms.columns) + list(RESULT_COLUMNS)
    assert got["name"].tolist() == firms["name"].tolist()
    want = scorer.score_frame(firms)  # the CSV shows one decimal
    np.testing.assert_allclose(got["score"].astype(float), want["score"].round(1), rtol=0, atol=1e-9)
    for name in firms.columns:  # input columns pass through as read
        assert got[name].tolist() == firms[name].tolist(), name


class _Boom:
    """Wraps _result_columns; raises KeyboardInterrupt on the third chunk."""

    def __init__(self, real):
        self.real, self.calls = real, 0

    def __call__(self, profiles):
        self.calls += 1
        if self.calls == 3:
            raise KeyboardInterrupt
        return self.real(profiles)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_interrupt_leaves_old_output_and_no_partial(
    scorer, pq_source, tmp_path, monkeypatch, suffix
):
    out = tmp_path / f"scored{suffix}"
    out.write_bytes(b"older output\n")
    boom = _Boom(scorer._result_columns)
    monkeypatch.setattr(scorer, "_result_columns", boom)
    with pytest.raises(KeyboardInterrupt):
        score_file(scorer, pq_source, out, chunk_rows=7)
    assert boom.calls >= 3  # the 3rd batch raised; batches read ahead may have started too
    assert out.read_bytes() == b"older output\n"
    assert _leftovers(tmp_path) == []
    gc.collect()  # a writer left open would complain now, in this test, not in a later one


def test_interrupt_without_older_output_leaves_nothing(scorer, pq_source, tmp_path, monkeypatch):
    out = tmp_path / "scored.csv"
    rejects = tmp_path / "rejects.csv"
    monkeypatch.setattr(scorer, "_result_columns", _Boom(scorer._result_columns))
    with pytest.raises(KeyboardInterrupt):
        score_file(scorer, pq_source, out, rejects=rejects, chunk_rows=7)
    assert not out.exists()
    assert not rejects.exists()
    assert _leftovers(tmp_path) == []


@pytest.fixture
def bad_source(firms: pd.DataFrame, tmp_path: Path) -> Path:
    bad = firms.copy()
    bad.loc[4, "overseas_revenue_share"] = "lots"  # data row 5 = file row 6
    bad.loc[40, "founded_year"] = "long ago"  # file row 42
    return _write(bad, tmp_path / "bad.csv")


def test_strict_mode_names_row_and_column_and_writes_nothing(scorer, bad_source, tmp_path):
    out = tmp_path / "scored.csv"
    with pytest.raises(ProfileValidationError) as info:
        score_file(scorer, bad_source, out, chunk_rows=7)
    err = info.value
    assert err.total == 2
    first = err.problems[0]
    assert (first.row, first.column, first.value) == (6, "overseas_revenue_share", "lots")
    assert "row 6" in str(err)
    assert "overseas_revenue_share" in str(err)
    assert "row 42" in str(err)
    assert not out.exists()
    assert _leftovers(tmp_path) == []


def test_lenient_mode_counts_and_rejects_file(scorer, firms, bad_source, tmp_path):
    out = tmp_path / "scored.csv"
    rejects = tmp_path / "rejects.csv"
    summary = score_file(scorer, bad_source, out, rejects=rejects, chunk_rows=7)
    assert summary.rows == 60
    assert (summary.scored, summary.rejected) == (58, 2)
    assert summary.rows == summary.scored + summary.rejected
    scored = _read_text(out)
    assert len(scored) == 58
    assert firms["name"][4] not in set(scored["name"])
    rej = _read_text(rejects)
    assert {"row", "reason"} <= set(rej.columns)
    assert rej["row"].tolist() == ["6", "42"]
    assert "overseas_revenue_share" in rej["reason"][0]
    assert "founded_year" in rej["reason"][1]
    assert rej["overseas_revenue_share"][0] == "lots"  # as read
    # the good rows score as they do alone
    good = firms.drop(index=[4, 40]).reset_index(drop=True)
    want = scorer.score_frame(good)
    np.testing.assert_allclose(scored["score"].astype(float), want["score"].round(1), rtol=0, atol=1e-9)


def test_lenient_mode_without_bad_rows_writes_empty_rejects(scorer, source, tmp_path):
    rejects = tmp_path / "rejects.csv"
    summary = score_file(scorer, source, tmp_path / "scored.csv", rejects=rejects, chunk_rows=7)
    assert summary.rejected == 0
    assert rejects.exists()
    header = rejects.read_text().splitlines()[0]
    assert '"row"' in header
    assert '"reason"' in header


def test_jsonl_output(scorer, firms, source, tmp_path):
    out = tmp_path / "scored.jsonl"
    score_file(scorer, source, out, chunk_rows=7)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 60
    records = [json.loads(line) for line in lines]
    want = scorer.score_frame(firms)
    assert [r["name"] for r in records] == firms["name"].tolist()
    np.testing.assert_allclose([r["score"] for r in records], want["score"], rtol=1e-12, atol=0)
    assert [r["band"] for r in records] == want["band"].astype(str).tolist()
    assert set(records[0]) == set(firms.columns) | set(RESULT_COLUMNS)


def test_parquet_output_types(scorer, source, tmp_path):
    out = tmp_path / "scored.pq"
    score_file(scorer, source, out, chunk_rows=7)
    schema = pq.read_schema(out)
    assert schema.field("score").type == pa.float64()
    assert schema.field("coverage").type == pa.float64()
    assert pa.types.is_string(schema.field("reasons").type)
    assert pq.read_metadata(out).num_rows == 60


DANGEROUS = ["=SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "'quoted already"]


def test_csv_formula_escaping_round_trips(scorer, firms, tmp_path):
    risky = firms.head(len(DANGEROUS) + 1).copy()
    risky["name"] = [*DANGEROUS, "Plain Firm"]
    src = _write(risky, tmp_path / "risky.csv")
    out = tmp_path / "scored.csv"
    score_file(scorer, src, out)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = [r["name"] for r in rows]
    assert names[:-1] == ["'" + n for n in DANGEROUS]
    assert names[-1] == "Plain Firm"
    assert [unescape_formula(n) for n in names] == risky["name"].tolist()
    for row in rows:  # no cell written by alignscore starts a formula
        for value in row.values():
            assert value[:1] not in ("=", "+", "@") or value.startswith("'"), value


def test_formula_escaping_can_be_turned_off(scorer, firms, tmp_path):
    risky = firms.head(2).copy()
    risky["name"] = ["=1+1", "ok"]
    src = _write(risky, tmp_path / "risky.csv")
    out = tmp_path / "scored.csv"
    score_file(scorer, src, out, escape_formulas=False)
    assert _read_text(out)["name"].tolist() == ["=1+1", "ok"]


def test_unescape_formula_only_drops_one_quote():
    assert unescape_formula("''x") == "'x"
    assert unescape_formula("=x") == "=x"
    assert unescape_formula("") == ""


def test_csv_shows_one_decimal_and_parquet_keeps_full_precision(scorer, firms, source, tmp_path):
    csv_out, pq_out = tmp_path / "scored.csv", tmp_path / "scored.parquet"
    score_file(scorer, source, csv_out)
    score_file(scorer, source, pq_out)
    text = _read_text(csv_out)
    for name, digits in (("score", 1), ("score_low", 1), ("score_high", 1), ("probability", 3), ("coverage", 3)):
        decimals = text[name].str.partition(".")[2].str.len()
        assert (decimals <= digits).all(), (name, text[name].head().tolist())
    full = pq.read_table(pq_out).to_pandas()
    np.testing.assert_allclose(text["score"].astype(float), full["score"].round(1), rtol=0, atol=1e-9)
    assert (full["score"] != full["score"].round(1)).any()  # Parquet is not rounded
