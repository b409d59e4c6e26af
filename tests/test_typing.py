"""alignscore is a typed package: it ships the PEP 561 marker, and a type checker sees every
public name with its real type (the lazily imported ones too, not ``object`` or ``Any``).

``make test`` runs mypy over the package itself; this checks what a *user's* type checker sees.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

import alignscore

ROOT = Path(__file__).resolve().parents[1]


def test_the_py_typed_marker_ships_inside_the_package():
    marker = resources.files("alignscore").joinpath("py.typed")
    assert marker.is_file()
    assert marker.read_bytes() == b""  # a marker only: the package is fully (not partially) typed


@pytest.mark.slow
def test_a_type_checker_sees_every_public_name_with_its_real_type(tmp_path):
    pytest.importorskip("mypy")
    names = [n for n in alignscore.__all__ if n != "__version__"]
    (tmp_path / "use.py").write_text(
        "import alignscore\n" + "".join(f"reveal_type(alignscore.{n})\n" for n in names),
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(tmp_path / "use.py")],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
        env={**os.environ, "MYPYPATH": str(Path(alignscore.__file__).parents[1])},
    )  # fmt: skip
    revealed = re.findall(r'use\.py:(\d+): note: Revealed type is "(.*)"', run.stdout)
    assert len(revealed) == len(names), run.stdout + run.stderr
    untyped = {names[int(line) - 2]: t for line, t in revealed if t in ("Any", "object", "builtins.object")}
    assert not untyped, untyped
    shown = {names[int(line) - 2]: t for line, t in revealed}
    assert shown["train_model"].endswith("-> alignscore._model.persist.Manifest")
    assert shown["ScorecardClassifier"].endswith("-> alignscore._model.classifier.ScorecardClassifier")
