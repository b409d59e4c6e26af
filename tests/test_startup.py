"""Start-up: ``import alignscore``, ``alignscore --help`` and ``--version`` import none of the
heavy libraries (each public name is imported on first use), and every public name is there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import alignscore

HEAVY = ("pandas", "numpy", "pyarrow", "pydantic", "numba", "sklearn", "scipy")

#: Runs the CLI in-process (as the console script does) and prints which heavy modules it loaded.
PROBE = """
import json, sys
from alignscore.cli import main
sys.argv = ["alignscore", *ARGS]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
sys.stderr.write("PROBE" + json.dumps({"code": code, "heavy": heavy}))
"""


def _probe(*args: str, watch: tuple[str, ...] = HEAVY) -> tuple[dict, str]:
    code = PROBE.replace("ARGS", repr(list(args))).replace("HEAVY", repr(watch))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    errors, report = proc.stderr.rsplit("PROBE", 1)
    return json.loads(report), proc.stdout + errors  # no arguments: the help goes to stderr


@pytest.mark.parametrize("args", [("--help",), ("--version",), ()])
def test_the_cli_s_help_and_version_import_nothing_heavy(args: tuple[str, ...]) -> None:
    report, out = _probe(*args)
    assert report["heavy"] == []
    assert report["code"] in (0, 2, None)  # no arguments: help, with click's usage exit code
    assert ("alignscore " + alignscore.__version__ if args == ("--version",) else "Usage") in out


def test_a_command_s_help_imports_nothing_of_scoring() -> None:
    report, out = _probe("score", "--help")
    assert report["heavy"] in ([], ["pydantic"])  # typer itself converts options with pydantic
    assert "Score every firm in INPUT" in out


def test_scoring_without_a_terminal_does_not_load_the_progress_bar(tmp_path) -> None:
    firms = Path(__file__).resolve().parents[1] / "examples" / "firms.csv"
    report, _ = _probe("score", str(firms), "-o", str(tmp_path / "out.csv"), "--as-of", "2024-06-30",
                       watch=("rich", "pandas"))  # fmt: skip
    assert report["code"] == 0
    assert report["heavy"] == ["pandas"]  # pyarrow's first array imports pandas (apache/arrow#34994)
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").count("\n") == 36  # the header and 35 firms


def test_importing_the_package_imports_nothing_heavy() -> None:
    code = f"import sys, alignscore; print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout.strip() == "[]"


def test_the_probe_sees_heavy_imports_when_there_are_some() -> None:
    report, _ = _probe("rules", "check")
    assert report["code"] == 0
    assert "numpy" in report["heavy"]


def test_every_public_name_is_listed_and_imported_on_first_use() -> None:
    assert set(alignscore.__all__) <= set(dir(alignscore))
    for name in alignscore.__all__:
        assert getattr(alignscore, name) is not None, name
    assert alignscore.Scorer.__module__ == "alignscore._scoring.scorer"
    assert alignscore.exceptions.AlignScoreError is alignscore.AlignScoreError
    with pytest.raises(AttributeError, match="module 'alignscore' has no attribute 'NoSuchName'"):
        alignscore.NoSuchName  # noqa: B018


def test_the_lazy_table_names_each_public_name_once_and_only_those() -> None:
    assert sorted(alignscore._LAZY) == sorted(set(alignscore.__all__) - {"__version__"})
