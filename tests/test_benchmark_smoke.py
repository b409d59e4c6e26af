"""The benchmark script runs end to end on a small input and prints its whole table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_score.py"
MEASUREMENTS = [
    "I/O floor",
    "alignscore score (CLI, end to end)",
    "Scorer.score_frame, typed frame",
    "Scorer.score_frame, raw text frame",
    "rules, rule-engine per row",
    "rules, RuleSet.evaluate",
]


@pytest.mark.slow
def test_benchmark_prints_every_measurement(tmp_path: Path):
    pytest.importorskip("rule_engine")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--rows", "5000", "--out", str(tmp_path),
         "--rule-engine-budget", "5"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for name in MEASUREMENTS:
        line = next((x for x in out.splitlines() if x.startswith(name)), None)
        assert line is not None, f"{name!r} missing from:\n{out}"
        assert re.search(r"[\d,]+\s+[\d.]+x", line), line  # rows/s and the ratio to the floor
    assert re.search(r"vectorised is [\d,]+x the per-row rule-engine", out)
    assert "results agree: yes" in out
    for target in ("2x of the I/O floor", "1,000,000 rows/s", "1,000x", "1 GB at 10M"):
        assert re.search(rf"(PASS|FAIL)\s+.*{re.escape(target)}", out), target


REPORT_SCRIPT = SCRIPT.with_name("bench_report.py")


@pytest.mark.slow
def test_report_benchmark_prints_time_memory_and_files(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, str(REPORT_SCRIPT), "--rows", "30", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "alignscore report, 30 firms, --format html" in proc.stdout
    assert re.search(r"wall time\s+[\d.]+ s", proc.stdout)
    assert re.search(r"peak memory\s+\d+ MiB", proc.stdout)
    assert re.search(r"files\s+32\n", proc.stdout)  # 30 reports, the index, the manifest


STARTUP_SCRIPT = SCRIPT.with_name("bench_startup.py")


@pytest.mark.slow
def test_startup_benchmark_prints_every_command_and_target():
    proc = subprocess.run(
        [sys.executable, str(STARTUP_SCRIPT), "--runs", "1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "median of 1 run(s) each" in out
    for name in ("python -c pass", 'python -c "import pandas"', "alignscore --help", "alignscore --version",
                 "alignscore score examples/firms.csv"):  # fmt: skip
        line = next((x for x in out.splitlines() if x.startswith(name)), None)
        assert line is not None, f"{name!r} missing from:\n{out}"
        assert re.fullmatch(rf"{re.escape(name)}\s+[\d.]+\s+[\d.]+x\s+[\d.]+x", line), line
    for target in ("alignscore --help within 0.3 s", "alignscore --version within 0.3 s",
                   "alignscore score examples/firms.csv within 0.8 s"):  # fmt: skip
        assert re.search(rf"(PASS|FAIL)  {re.escape(target)}\s+[\d.]+ s", out), target
