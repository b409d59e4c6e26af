"""Properties of reading and scoring any input (issue 13): random bytes, random headers and random
Arrow types go through ``alignscore validate`` and ``alignscore score --rejects`` in-process.

Whatever the input: the exit code is 0 or 2 (1 only for an operating-system error), nothing
escapes as a traceback, and every row read is either scored or rejected, never dropped.

Private imports (allowed in ``tests/test_private_imports.py``): generates files from the contract's columns (_contract.columns).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner  # noqa: TID251 - the CLI in-process

from alignscore._contract.columns import COLUMNS
from alignscore.cli import app
from tests import strategies

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
CONTRACT = [c.name for c in COLUMNS]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return strategies.build_model_dir(tmp_path_factory.mktemp("model") / "m")


def _rows(path: Path) -> int:
    if not path.exists() or path.stat().st_size == 0:
        return 0
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


def _check(source: Path, model_dir: Path, expected_rows: int | None = None) -> None:
    """The properties, for one input file."""
    runner = CliRunner()
    validated = runner.invoke(app, ["validate", str(source)])
    assert validated.exit_code in (0, 2), validated.output
    assert validated.exception is None or isinstance(validated.exception, SystemExit), validated.exception
    assert "Traceback" not in validated.output
    out, rej = source.with_name("out.csv"), source.with_name("rej.csv")
    scored = runner.invoke(
        app, ["score", str(source), "-o", str(out), "--rejects", str(rej), "--quiet", "--model", str(model_dir)]
    )
    assert scored.exit_code in (0, 2), scored.output
    assert scored.exception is None or isinstance(scored.exception, SystemExit), scored.exception
    assert "Traceback" not in scored.output
    assert sorted(p.name for p in source.parent.iterdir() if p.name.endswith(".partial")) == []
    if scored.exit_code == 2:  # the file as a whole was refused: nothing written
        assert not out.exists()
        assert not rej.exists()
        return
    match = re.search(r": ([\d,]+) rows, ([\d,]+) valid, ([\d,]+) rejected", validated.output)
    assert match, validated.output
    rows, valid, rejected = (int(g.replace(",", "")) for g in match.groups())
    assert _rows(out) == valid
    assert _rows(rej) == rejected
    assert rows == valid + rejected
    if expected_rows is not None:
        assert rows == expected_rows


# --- random bytes ------------------------------------------------------------------------------

_PIECES = st.sampled_from([
    b"name", b"sector", b",", b"\n", b"\r\n", b'"', b"ai", b"semiconductors", b"0.5", b"35%", b"yes",
    b"\x00", b"\xff", b"\xef\xbb\xbf", b"\xe2\x80\x8b", b"=", b"1e309", b"NaN", b"-0", b"\xe5\xb9\xbf\xe4\xb8\x9c",
    b"overseas_revenue_share", b"little_giant", b"revenue_cny_bn", b" ", b"Name", b"score",
])  # fmt: skip


@pytest.mark.slow
@SETTINGS
@given(data=st.one_of(st.binary(max_size=300), st.lists(_PIECES, max_size=60).map(b"".join)))
def test_random_bytes(data: bytes, model_dir: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.csv"
        source.write_bytes(b"name,sector\n" + data if data[:1] != b"\x1f" else data)
        _check(source, model_dir)


# --- random headers and cells --------------------------------------------------------------------

_HEADER = st.one_of(
    st.sampled_from(CONTRACT),
    st.sampled_from(CONTRACT).map(str.upper),
    st.sampled_from(CONTRACT).map(lambda n: f" {n} "),
    st.sampled_from(CONTRACT).map(lambda n: n[:-1]),
    st.sampled_from(CONTRACT).map(lambda n: n[:2] + "\u200b" + n[2:]),
    st.sampled_from(["score", "band", "=cmd", "+x", "@y", "notes", "a\nb", "x" * 70]),
    st.text(min_size=1, max_size=12),
)
_CELL = st.one_of(
    st.sampled_from(["", "ai", "semiconductors", "0.4", "35%", "yes", "no", "1e309", "=SUM(A1)", "000123", "广东", "2024-01-31"]),
    st.text(max_size=15),
)


@pytest.mark.slow
@SETTINGS
@given(
    header=st.lists(_HEADER, min_size=1, max_size=6),
    cells=st.lists(st.lists(_CELL, min_size=6, max_size=6), min_size=1, max_size=8),
)
def test_random_headers_and_cells(header: list[str], cells: list[list[str]], model_dir: Path) -> None:
    header = ["name", *header]
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    for row in cells:
        writer.writerow(["firm", *row[: len(header) - 1]])
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.csv"
        source.write_text(text.getvalue(), encoding="utf-8")
        _check(source, model_dir, expected_rows=len(cells))


# --- random Arrow types ----------------------------------------------------------------------------

_ARRAYS = [
    lambda n: pa.array([{"x": i} for i in range(n)]),
    lambda n: pa.array([[i] for i in range(n)]),
    lambda n: pa.array([b"\xff" * (i % 3) for i in range(n)]),
    lambda n: pa.array(["=a" if i % 2 else "ai" for i in range(n)], pa.large_string()),
    lambda n: pa.array(["+b" if i % 2 else "semiconductors" for i in range(n)], pa.string_view()),
    lambda n: pa.array(["@c" if i % 2 else "yes" for i in range(n)]).dictionary_encode(),
    lambda n: pa.array([2**63 - 1 if i % 2 else i for i in range(n)], pa.int64()),
    lambda n: pa.array([2**64 - 1 if i % 2 else i for i in range(n)], pa.uint64()),
    lambda n: pa.array([float("nan") if i % 2 else float("inf") for i in range(n)]),
    lambda n: pa.array([decimal.Decimal("1.5")] * n),
    lambda n: pa.array([dt.date(2024, 1, 1)] * n),
    lambda n: pa.array([dt.datetime(2024, 1, 1, 12)] * n),
    lambda n: pa.array([i % 2 == 0 for i in range(n)]),
    lambda n: pa.nulls(n),
    lambda n: pa.array([None] * n, pa.string()),
]


@pytest.mark.slow
@SETTINGS
@given(
    columns=st.lists(
        st.tuples(st.sampled_from([*CONTRACT[1:], "extra", "=formula"]), st.integers(0, len(_ARRAYS) - 1)),
        min_size=1, max_size=5, unique_by=lambda t: t[0],
    ),
    n=st.integers(1, 6),
)
def test_random_arrow_types(columns: list[tuple[str, int]], n: int, model_dir: Path) -> None:
    table = pa.table({"name": [f"firm {i}" for i in range(n)], **{name: _ARRAYS[k](n) for name, k in columns}})
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.parquet"
        pq.write_table(table, source)
        _check(source, model_dir, expected_rows=n)
