"""Issue 13, input/output share: no silent misreads, no lost files.

Each class of the issue has its cases here with the exact message they must produce; the
file-shaped cases live in ``tests/hostile/`` (see ``test_hostile.py``). Every CLI case checks
that the input is untouched and that nothing partial is left beside an output.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import json
import lzma
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner  # noqa: TID251 - the CLI in-process

import alignscore
from alignscore import (
    InputError,
    InputWarning,
    OutputError,
    ProfileValidationError,
    Scorer,
    read_firms,
    score_file,
    validate_file,
)
from alignscore.cli import app
from tests import strategies

GOOD = "name,sector,overseas_revenue_share,little_giant,revenue_cny_bn\nGood One,semiconductors,0.4,yes,12\nGood Two,e_commerce,0.1,no,300\n"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return strategies.build_model_dir(tmp_path_factory.mktemp("model") / "m")


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(GOOD, encoding="utf-8")
    return path


def _cli(*args: str | Path):
    return CliRunner().invoke(app, [str(a) for a in args])


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


# --- data loss: an output that is an input, or another output ------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "{in}"], "{in}: the output is the same file as the input ({in})"),
        (["-o", "{dir}/out.csv", "--rejects", "{in}"], "{in}: the rejects file is the same file as the input ({in})"),
        (["-o", "{dir}/out.csv", "--rejects", "{dir}/out.csv"],
         "{dir}/out.csv: the rejects file is the same file as the output ({dir}/out.csv)"),
        (["-o", "{dir}/./in.csv"], "the output is the same file as the input"),
        (["-o", "{dir}/link.csv"], "{dir}/link.csv: the output is the same file as the input"),  # symlink
        (["-o", "{dir}/hard.csv"], "{dir}/hard.csv: the output is the same file as the input"),  # hard link
    ],
    ids=["o-is-input", "rejects-is-input", "rejects-is-output", "dot-path", "symlink", "hardlink"],
)
def test_score_refuses_output_that_is_an_input(extra, message, good: Path, model_dir: Path) -> None:
    folder = good.parent
    (folder / "link.csv").symlink_to(good)
    os.link(good, folder / "hard.csv")
    args = [a.format(**{"in": good, "dir": folder}) for a in extra]
    result = _cli("score", good, *args, "--quiet", "--model", model_dir)
    assert result.exit_code == 2, result.output
    assert message.format(**{"in": good, "dir": folder}) in result.output
    assert "refusing to overwrite it: choose another output name" in result.output
    assert good.read_text(encoding="utf-8") == GOOD
    assert not (folder / "out.csv").exists()
    assert _leftovers(folder) == []


def test_score_file_api_refuses_before_reading(good: Path, model_dir: Path) -> None:
    scorer = Scorer(model=model_dir)
    with pytest.raises(OutputError, match=r"the output is the same file as the input"):
        score_file(scorer, good, good)
    assert good.read_text(encoding="utf-8") == GOOD


def test_explain_refuses_output_that_is_the_input(good: Path, model_dir: Path) -> None:
    result = _cli("explain", good, "--firm", "Good One", "-o", good, "--model", model_dir)
    assert result.exit_code == 2, result.output
    assert f"{good}: the output is the same file as the input ({good})" in result.output
    assert good.read_text(encoding="utf-8") == GOOD


def test_report_refuses_a_directory_holding_the_input_as_a_report(tmp_path: Path, model_dir: Path) -> None:
    source = tmp_path / "good-one.md"  # the slug 'Good One' would get
    source.write_text(GOOD, encoding="utf-8")
    result = _cli("report", source, "-o", tmp_path, "--format", "md", "--model", model_dir)
    assert result.exit_code == 2, result.output
    assert f"holds the input {source.name}, which a .md report could overwrite" in result.output
    assert source.read_text(encoding="utf-8") == GOOD
    result = _cli("report", source, "-o", source, "--format", "md", "--model", model_dir)
    assert result.exit_code == 2, result.output
    assert "the report directory is the same file as the input" in result.output


def test_outputs_inside_the_model_or_rules_directory_are_refused(good: Path, model_dir: Path) -> None:
    result = _cli("score", good, "-o", model_dir / "scores.csv", "--quiet", "--model", model_dir)
    assert result.exit_code == 2, result.output
    assert f"{model_dir / 'scores.csv'}: the output is inside the model directory ({model_dir})" in result.output
    # a firm named 'manifest' would write manifest.json over the model's own manifest
    result = _cli("report", good, "-o", model_dir, "--format", "json", "--model", model_dir)
    assert result.exit_code == 2, result.output
    assert f"{model_dir}: the report directory is inside the model directory ({model_dir})" in result.output
    result = _cli("explain", good, "--firm", "Good One", "-o", model_dir / "manifest.json", "--model", model_dir)
    assert result.exit_code == 2, result.output
    assert "the output is inside the model directory" in result.output


def test_header_escape_sequences_do_not_reach_the_terminal(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("name,sector,\x1b]0;pwned\x07note\nA,ai,x\n", encoding="utf-8")
    result = _cli("validate", source)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "columns carried through (1): '\\x1b]0;pwned\\x07note'" in result.output


def test_empty_standard_input() -> None:
    result = CliRunner().invoke(app, ["validate", "-"], input="")
    assert result.exit_code == 2
    assert "alignscore: <stdin>: is empty (no header, no rows)" in result.output


def test_named_pipe_is_read_once_and_whole(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "firms.pipe"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("wb") as fh:
            fh.write(gzip.compress(GOOD.encode("utf-8")))

    writer = threading.Thread(target=feed)
    writer.start()
    frame = read_firms(fifo)
    writer.join(timeout=10)
    assert frame["name"].tolist() == ["Good One", "Good Two"]


def test_empty_gzip(tmp_path: Path) -> None:
    source = tmp_path / "empty.csv.gz"
    source.write_bytes(gzip.compress(b""))
    with pytest.raises(InputError, match=r"empty\.csv\.gz: is empty \(no header, no rows\)$"):
        read_firms(source)


# --- formula escaping by logical type --------------------------------------------------------


def _typed_parquet(path: Path) -> Path:
    table = pa.table({
        "name": pa.array(["=A", "+B", "C"]).dictionary_encode(),
        "ticker": pa.array(["@x", "000123", "-1"], pa.large_string()),
        "note": pa.array(["=cmd|calc", "ok", None], pa.string_view()),
        "=HYPERLINK": pa.array(["a", "b", "c"]),
        "blob": pa.array([b"=x", b"\xff", None]),
        "nest": pa.array([{"a": 1}, None, {"a": 2}]),
        "revenue_cny_bn": pa.array(["12", "3.5", None]),
    })  # fmt: skip
    pq.write_table(table, path)
    return path


def test_csv_escapes_every_text_type_and_the_header(tmp_path: Path, model_dir: Path) -> None:
    source = _typed_parquet(tmp_path / "typed.parquet")
    out = tmp_path / "out.csv"
    result = _cli("score", source, "-o", out, "--quiet", "--model", model_dir)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns[:6]) == ["name", "ticker", "note", "'=HYPERLINK", "blob", "nest"]
    assert frame["name"].tolist() == ["'=A", "'+B", "C"]
    assert frame["ticker"].tolist() == ["'@x", "000123", "'-1"]
    assert frame["note"].tolist() == ["'=cmd|calc", "ok", ""]
    assert frame["blob"].tolist() == ["'=x", "\\xff", ""]
    assert frame["nest"].tolist() == ['{"a": 1}', "", '{"a": 2}']


def test_rejects_escape_header_and_cells(tmp_path: Path, model_dir: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text('name,=cmd,little_giant\n"=SUM(A1)",x,maybe\nOk,y,yes\n', encoding="utf-8")
    out, rej = tmp_path / "out.csv", tmp_path / "rej.csv"
    result = _cli("score", source, "-o", out, "--rejects", rej, "--quiet", "--model", model_dir)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(rej, dtype=str)
    assert list(frame.columns) == ["row", "name", "'=cmd", "little_giant", "reason"]
    assert frame["name"].tolist() == ["'=SUM(A1)"]
    assert "'=cmd" in pd.read_csv(out, dtype=str).columns


def test_categorical_and_arrow_strings_from_pandas_are_escaped(tmp_path: Path, model_dir: Path) -> None:
    frame = pd.DataFrame({
        "name": pd.Categorical(["=A", "B"]),
        "sector": ["ai", "ai"],
        "city": pd.array(["@home", "-x"], dtype="string[pyarrow]"),
    })  # fmt: skip
    source = tmp_path / "frame.parquet"
    frame.to_parquet(source)
    out = tmp_path / "out.csv"
    score_file(Scorer(model=model_dir), source, out)
    written = pd.read_csv(out, dtype=str)
    assert written["name"].tolist() == ["'=A", "B"]
    assert written["city"].tolist() == ["'@home", "'-x"]


# --- columns that shadow outputs ----------------------------------------------------------------


@pytest.mark.parametrize("name", [*alignscore.RESULT_COLUMNS, "rejected"])
def test_every_output_name_is_refused_as_an_input_column(name: str, tmp_path: Path, model_dir: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(f"name,{name}\nA,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"input column\(s\) '{name}' have the name of a column alignscore writes"):
        score_file(Scorer(model=model_dir), source, tmp_path / "out.csv")
    with pytest.raises(InputError, match=rf"^<DataFrame>: input column\(s\) '{name}'"):
        Scorer(model=model_dir).score_frame(pd.DataFrame({"name": ["A"], name: [1]}))
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("name", ["row", "reason"])
def test_rejects_columns_are_refused_only_with_rejects(name: str, tmp_path: Path, model_dir: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(f"name,sector,{name}\nA,ai,1\n", encoding="utf-8")
    score_file(Scorer(model=model_dir), source, tmp_path / "out.csv")
    with pytest.raises(InputError, match=rf"input column\(s\) '{name}' have the name of a column alignscore writes"):
        score_file(Scorer(model=model_dir), source, tmp_path / "out2.csv", rejects=tmp_path / "rej.csv")


# --- nothing to score -------------------------------------------------------------------------------


def test_validate_warns_when_no_column_is_read_by_the_rules(tmp_path: Path) -> None:
    source = tmp_path / "names.csv"
    source.write_text("name,ticker\nA,1\nB,2\n", encoding="utf-8")
    with pytest.warns(InputWarning, match=r"no column the rules read \(only name, ticker\): every one of the 2 firm"):
        validate_file(source)


def test_score_file_warns_on_zero_coverage(tmp_path: Path, model_dir: Path) -> None:
    source = tmp_path / "names.csv"
    source.write_text("name\nA\nB\n", encoding="utf-8")
    with pytest.warns(InputWarning, match=r"coverage is 0 for all 2 scored rows"):
        score_file(Scorer(model=model_dir), source, tmp_path / "out.csv")


# --- one bad cell is one bad row -------------------------------------------------------------------


def _awkward_parquet(path: Path) -> Path:
    table = pa.table({
        "name": ["A", "B", "C", "D", "E"],
        "founded_year": pa.array([[1999], None, None, None, None]),
        "employees": pa.array([5, 2**60, None, None, 7], pa.int64()),
        "revenue_cny_bn": pa.array([1, 2, 2**64 - 1, None, 3], pa.uint64()),
        "ticker": pa.array([None, None, None, b"\xff\xfe", b"600000"]),
        "sector": ["ai"] * 5,  # a fact the rules read: the scored rows are not all at the baseline
    })  # fmt: skip
    pq.write_table(table, path)
    return path


def test_uncastable_cells_are_row_problems(tmp_path: Path, model_dir: Path) -> None:
    source = _awkward_parquet(tmp_path / "awkward.parquet")
    with pytest.raises(ProfileValidationError) as info:
        read_firms(source)
    shown = [str(p) for p in info.value.problems]
    assert shown == [
        "row 2, column 'founded_year': '[1999]' - expected a whole number from 1800 to "
        f"{dt.date.today().year} (got a list of values, not one value)",
        "row 3, column 'employees': '1152921504606846976' - expected a whole number from 0 or more "
        "(at most 2**53 = 9,007,199,254,740,992 in size, to be exact)",
        "row 4, column 'revenue_cny_bn': '18446744073709551615' - expected a number from 0 or more "
        "(at most 2**53 = 9,007,199,254,740,992 in size, to be exact)",
        "row 5, column 'ticker': \"b'\\\\xff\\\\xfe'\" - expected text (got bytes that are not UTF-8 text)",
    ]
    out, rej = tmp_path / "out.csv", tmp_path / "rej.csv"
    summary = score_file(Scorer(model=model_dir), source, out, rejects=rej)
    assert (summary.rows, summary.scored, summary.rejected) == (5, 1, 4)
    assert pd.read_csv(out)["name"].tolist() == ["E"]
    flagged = Scorer(model=model_dir).score_frame(pd.read_parquet(source), errors="flag")
    # pandas reads the uint64 column with a null as float64: 1.8e19 is then a finite number
    assert (flagged["rejected"] != "").tolist() == [True, True, False, True, False]


def test_struct_in_a_category_column_is_a_row_problem() -> None:
    frame = pd.DataFrame({"name": ["A", "B"], "sector": pd.Series([{"x": 1}, "ai"], dtype=object)})
    with pytest.raises(ProfileValidationError, match=r"row 0, column 'sector': \"\{'x': 1\}\""):
        read_firms(frame)


def test_complex_numbers_are_a_row_problem() -> None:
    frame = pd.DataFrame({"name": ["A", "B"], "revenue_cny_bn": [1 + 2j, 3 + 0j]})
    with pytest.raises(ProfileValidationError, match=r"row 0, column 'revenue_cny_bn': '\(1\+2j\)' - expected a number"):
        read_firms(frame)


def test_corrupt_parquet_row_group_is_rows_of_problems(tmp_path: Path, model_dir: Path) -> None:
    source = tmp_path / "damaged.parquet"
    table = pa.table({
        "name": [f"firm {i:03d}" for i in range(300)], "revenue_cny_bn": np.arange(300.0),
        "sector": ["ai"] * 300,  # a fact the rules read: the scored rows are not all at the baseline
    })  # fmt: skip
    pq.write_table(table, source, row_group_size=100, compression="none", use_dictionary=False)
    meta = pq.ParquetFile(source).metadata.row_group(1).column(1)
    data = bytearray(source.read_bytes())
    start = meta.data_page_offset
    data[start : start + 40] = b"\xff" * 40  # the page header of group 1's second column
    source.write_bytes(bytes(data))
    out, rej = tmp_path / "out.csv", tmp_path / "rej.csv"
    summary = score_file(Scorer(model=model_dir), source, out, rejects=rej)
    assert (summary.rows, summary.scored, summary.rejected) == (300, 200, 100)
    rejected = pd.read_csv(rej)
    assert rejected["row"].tolist() == list(range(102, 202))
    assert rejected["reason"].str.contains("row group 1 of the Parquet file cannot be decoded").all()


# --- operating-system errors ------------------------------------------------------------------------


def _run(*args: str | Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alignscore", *map(str, args)],
        capture_output=True, text=True, timeout=120, check=False, **kw,
    )  # fmt: skip


@pytest.mark.slow
def test_disk_full_is_one_line_and_exit_1(good: Path, model_dir: Path) -> None:
    proc = _run("score", good, "-o", "/dev/full", "--quiet", "--model", model_dir)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == "alignscore: /dev/full: no space left on device"


@pytest.mark.slow
def test_file_too_large_is_one_line_and_exit_1(tmp_path: Path, model_dir: Path) -> None:
    import resource

    source = tmp_path / "big.csv"
    source.write_text("name,revenue_cny_bn\n" + "".join(f"firm {i},{i}\n" for i in range(20_000)), encoding="utf-8")
    out = tmp_path / "out.csv"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    proc = subprocess.run(
        [sys.executable, "-m", "alignscore", "score", str(source), "-o", str(out), "--quiet", "--model", str(model_dir)],
        capture_output=True, text=True, timeout=120, check=False, preexec_fn=limit,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == f"alignscore: {out}: file too large"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes anything")
def test_permission_denied_is_one_line_and_exit_1(good: Path, tmp_path: Path, model_dir: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    result = _cli("score", good, "-o", locked / "out.csv", "--quiet", "--model", model_dir)
    assert result.exit_code == 1
    assert "permission denied" in result.output


def test_existing_output_keeps_its_permissions(good: Path, tmp_path: Path, model_dir: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o640)
    result = _cli("score", good, "-o", out, "--quiet", "--model", model_dir)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert out.read_text(encoding="utf-8").startswith('"name"')


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_terminating_signals_leave_no_partial_file(signum: int, tmp_path: Path, model_dir: Path) -> None:
    source = tmp_path / "many.csv"
    import pyarrow.csv as pa_csv

    pa_csv.write_csv(pa.Table.from_pandas(alignscore.synthetic_firms(150_000, seed=1), preserve_index=False), source)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "alignscore", "score", str(source), "-o", str(out_dir / "scores.csv"),
         "--quiet", "--model", str(model_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not _leftovers(out_dir) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    assert _leftovers(out_dir), "the run ended before it wrote anything"
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, stderr
    assert f"stopped by {signal.Signals(signum).name}; no partial output was left behind" in stderr
    assert list(out_dir.iterdir()) == []


# --- encodings and compressed input ---------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["hex", "rot13", "idna", "base64", "zlib", "undefined", "punycode"])
def test_non_text_encodings_are_refused(encoding: str, good: Path) -> None:
    result = _cli("validate", good, "--encoding", encoding)
    assert result.exit_code == 2
    assert f"{good}: {encoding!r} is not a text encoding a CSV file can use (try utf-8 or gb18030)" in result.output


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".csv.gz", gzip.compress), (".csv.bz2", bz2.compress), (".csv.xz", lzma.compress)],
    ids=["gzip", "bzip2", "xz"],
)
def test_compressed_csv_is_read(suffix: str, compress, tmp_path: Path) -> None:
    source = tmp_path / f"firms{suffix}"
    source.write_bytes(compress(GOOD.encode("utf-8")))
    frame = read_firms(source)
    assert frame["name"].tolist() == ["Good One", "Good Two"]
    assert frame["revenue_cny_bn"].tolist() == [12.0, 300.0]


def test_gzip_with_a_bad_row_falls_back_exactly(tmp_path: Path) -> None:
    source = tmp_path / "firms.csv.gz"
    source.write_bytes(gzip.compress((GOOD + "Ragged,ai,0.2,no,5,extra\n").encode("utf-8")))
    with pytest.raises(ProfileValidationError, match=r"row 4, column '\*': .* expected 5 fields as in the header \(got 6\)"):
        read_firms(source)


# --- CLI conventions ----------------------------------------------------------------------------------


def test_version() -> None:
    result = _cli("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"alignscore {alignscore.__version__}"


@pytest.mark.slow
def test_stdin_and_stdout(model_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "alignscore", "score", "-", "-o", "-", "--quiet", "--model", str(model_dir)],
        input=GOOD, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith('"name","sector"')
    assert len(lines) == 3
    proc = subprocess.run(
        [sys.executable, "-m", "alignscore", "validate", "-"],
        input="name,sector\nA,semiconductr\n", capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "row 2, column 'sector': 'semiconductr'" in proc.stderr
    assert "<stdin>: 1 rows, 0 valid, 1 rejected" in proc.stdout


def test_unknown_firm_names_the_real_file(good: Path, model_dir: Path) -> None:
    result = _cli("explain", good, "--firm", "Nobody", "--model", model_dir)
    assert result.exit_code == 2
    assert f"alignscore: {good}: no firm named 'Nobody'" in result.output
    assert "<input>" not in result.output


def test_tushare_adapter_errors_name_the_file(tmp_path: Path) -> None:
    source = tmp_path / "not_tushare.csv"
    source.write_text("name,sector\nA,ai\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{source}: --source tushare needs the stock_basic columns"):
        read_firms(source, source_format="tushare")


def test_parquet_and_jsonl_keep_numbers_and_dates(tmp_path: Path, model_dir: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "name,revenue_cny_bn,overseas_revenue_share,employees,little_giant,as_of,sector\n"
        "A,12.5,35%,100,yes,2024-01-31,Semiconductors\nB,,0.1,,no,,\n",
        encoding="utf-8",
    )
    scorer = Scorer(model=model_dir)
    score_file(scorer, source, tmp_path / "out.parquet")
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.schema.field("revenue_cny_bn").type == pa.float64()
    assert table.schema.field("employees").type == pa.int64()
    assert table.schema.field("little_giant").type == pa.bool_()
    assert table.schema.field("as_of").type == pa.date32()
    assert table.column("overseas_revenue_share").to_pylist() == [0.35, 0.1]
    assert table.column("as_of").to_pylist() == [dt.date(2024, 1, 31), None]
    score_file(scorer, source, tmp_path / "out.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["revenue_cny_bn"] == 12.5
    assert rows[0]["employees"] == 100
    assert rows[0]["as_of"] == "2024-01-31"
    assert rows[1]["as_of"] is None
    assert rows[0]["little_giant"] is True
    assert rows[0]["sector"] == "semiconductors"


def test_score_frame_on_zero_rows(model_dir: Path) -> None:
    empty = pd.DataFrame({"name": pd.Series([], dtype=object), "extra": pd.Series([], dtype=float)})
    out = Scorer(model=model_dir).score_frame(empty)
    assert list(out.columns) == ["name", "extra", *alignscore.RESULT_COLUMNS]
    assert len(out) == 0
    assert out["score"].dtype == np.float64


def test_duplicate_index_labels_keep_their_own_problems(model_dir: Path) -> None:
    frame = pd.DataFrame(
        {"name": ["A", "B", "C"], "sector": ["ai", "xx", "ai"], "little_giant": ["maybe", "yes", "no"]},
        index=[7, 7, 8],
    )
    out = Scorer(model=model_dir).score_frame(frame, errors="flag")
    assert out["rejected"].tolist() == [
        "column 'little_giant': 'maybe' - expected true/false, yes/no or 1/0",
        "column 'sector': 'xx' - expected one of the sector vocabulary",
        "",
    ]


def test_make_demo_does_not_install_spark() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    demo = makefile.split("demo: ", 1)[1].split("\n", 1)[0]
    target = makefile.split(f"{demo}:", 1)[1].split("touch", 1)[0]
    assert "pip install -q -e ." in target
    assert "spark" not in target
