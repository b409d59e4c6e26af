"""How fast the ``alignscore`` command starts, against plain Python and ``import pandas``.

    python benchmarks/bench_startup.py [--runs N]

Measures in the same run, each as a fresh subprocess of this interpreter, the median wall time
of ``N`` runs (default 7), after one untimed warm-up run each (so that bytecode caches exist):

1. ``python -c pass``: the floor any Python command pays;
2. ``python -c "import pandas"``: the reference a command importing pandas pays;
3. ``alignscore --help`` and ``alignscore --version``;
4. ``alignscore score examples/firms.csv -o OUT`` (35 firms, to a file in a temporary folder).

Each is printed with its ratio to both references, and the targets (help and version within
0.3 s, 35 firms scored within 0.8 s) as PASS or FAIL. ``alignscore`` is run as
``python -m alignscore``, so the measurement is of this interpreter and the ``alignscore`` it
imports (set ``PYTHONPATH`` to measure a source tree).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRMS = ROOT / "examples" / "firms.csv"
#: the issue's targets, in seconds
HELP_TARGET = 0.3
SCORE_TARGET = 0.8


def timed(argv: list[str], runs: int) -> float:
    """The median wall time of ``runs`` runs of ``argv`` (after one untimed run), which must
    succeed."""
    times = []
    for attempt in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"bench_startup: {' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        if attempt:
            times.append(elapsed)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (the median is reported)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "scores.csv")
        commands = [
            ("python -c pass", [py, "-c", "pass"]),
            ('python -c "import pandas"', [py, "-c", "import pandas"]),
            ("alignscore --help", [py, "-m", "alignscore", "--help"]),
            ("alignscore --version", [py, "-m", "alignscore", "--version"]),
            (
                "alignscore score examples/firms.csv",
                [py, "-m", "alignscore", "score", str(FIRMS), "-o", out, "--as-of", "2024-06-30", "--quiet"],
            ),
        ]
        seconds = {name: timed(cmd, args.runs) for name, cmd in commands}
    floor, pandas = seconds["python -c pass"], seconds['python -c "import pandas"']
    print(f"alignscore start-up: median of {args.runs} run(s) each, {py}")
    print()
    print(f"{'command':<40} {'seconds':>8} {'vs python':>10} {'vs pandas':>10}")
    print("-" * 71)
    for name, value in seconds.items():
        print(f"{name:<40} {value:>8.3f} {value / floor:>9.1f}x {value / pandas:>9.2f}x")
    print()
    print("targets")
    checks = [
        ("alignscore --help", HELP_TARGET),
        ("alignscore --version", HELP_TARGET),
        ("alignscore score examples/firms.csv", SCORE_TARGET),
    ]
    for name, target in checks:
        verdict = "PASS" if seconds[name] <= target else "FAIL"
        print(f"  {verdict}  {f'{name} within {target} s':<52} {seconds[name]:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
