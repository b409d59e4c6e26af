"""Reports and the messages around them, hostile cases: nothing lost, nothing misleading.

- ``report`` writes only into a folder it owns (new, empty, or marked by its manifest) and
  never replaces a file it did not write (a firm named README next to a README.md);
- Ctrl-C (SIGINT to a real subprocess) leaves what the message says it left;
- control and bidirectional-override characters in names are made visible in HTML, Markdown
  and the index, escaped in JSON, and escaped in ``validate``'s messages, which also cut a
  long value with a marker;
- ``explain --firm`` matches ignoring case, refuses an ambiguous name listing the candidates,
  lists each suggestion once, and names the real file.

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests terminal/markup neutralising (_core.text), the index page (_report.render) and the manifest (_report.write).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner  # noqa: TID251 - the CLI in-process

from alignscore import (
    AmbiguousFirmError,
    Scorer,
    ScoreResult,
    UnknownFirmError,
    render,
    synthetic_firms,
    write_reports,
)
from alignscore._core.text import for_terminal, neutralise_json, neutralise_markup
from alignscore._report.render import render_index
from alignscore._report.write import MANIFEST, ReportSummary
from alignscore.cli import app
from alignscore.exceptions import OutputError

AS_OF = "2023-06-30"
REPO = Path(__file__).resolve().parents[1]
RLO = "\u202e"


@pytest.fixture(scope="module")
def result() -> ScoreResult:
    return Scorer(as_of=AS_OF).explain_one({"name": "Example Chips", "sector": "semiconductors"})


def _named(result: ScoreResult, *names: str) -> list[ScoreResult]:
    return [result.model_copy(update={"name": n, "profile": {**result.profile, "name": n}}) for n in names]


def _csv(path: Path, names: list[str]) -> Path:
    lines = ["name,sector"] + [f"{n},semiconductors" for n in names]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the folder ---------------------------------------------------------------------------


def test_refuses_a_folder_it_does_not_own(tmp_path: Path, result: ScoreResult) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "README.md").write_text("mine", encoding="utf-8")
    with pytest.raises(
        OutputError,
        match=r"docs: is not empty and is not an alignscore report folder \(no "
        r"alignscore-reports\.json\); refusing to write among files alignscore does not own",
    ):
        write_reports(_named(result, "README"), out, "md")
    assert sorted(p.name for p in out.iterdir()) == ["README.md"]
    assert (out / "README.md").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_a_firm_named_like_a_foreign_file_never_replaces_it(tmp_path: Path, result: ScoreResult, fmt: str) -> None:
    out = tmp_path / "run"
    write_reports(_named(result, "A"), out, fmt)
    (out / f"README.{fmt}").write_text("mine", encoding="utf-8")  # the user's, added later
    (out / "notes.txt").write_text("also mine", encoding="utf-8")
    paths = write_reports(_named(result, "README", "notes", "B"), out, fmt)
    names = [p.name for p in paths]
    assert names[:3] == [f"README-2.{fmt}", f"notes-2.{fmt}", f"B.{fmt}"]
    assert (out / f"README.{fmt}").read_text(encoding="utf-8") == "mine"
    assert (out / "notes.txt").read_text(encoding="utf-8") == "also mine"
    assert not (out / f"A.{fmt}").exists()  # the previous run's report, listed in its manifest
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["files"] == names
    assert manifest["status"] == "complete"


def test_firm_named_like_the_manifest(tmp_path: Path, result: ScoreResult) -> None:
    paths = write_reports(_named(result, "alignscore-reports"), tmp_path / "o", "json")
    assert [p.name for p in paths] == ["alignscore-reports-2.json"]
    assert json.loads((tmp_path / "o" / MANIFEST).read_text(encoding="utf-8"))["tool"] == "alignscore report"


def test_refuses_a_forged_manifest(tmp_path: Path, result: ScoreResult) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / MANIFEST).write_text('{"files": ["../../etc/passwd"]}', encoding="utf-8")
    with pytest.raises(OutputError, match=r"alignscore-reports\.json: is not a manifest alignscore wrote"):
        write_reports(_named(result, "A"), out, "md")


def test_manifest_entries_cannot_delete_outside(tmp_path: Path, result: ScoreResult) -> None:
    out = tmp_path / "o"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    forged = {"tool": "alignscore report", "files": ["../victim.txt", "/etc/hostname", ".."]}
    (out / MANIFEST).write_text(json.dumps(forged), encoding="utf-8")
    write_reports(_named(result, "A"), out, "md")
    assert victim.read_text(encoding="utf-8") == "keep"


def test_bad_input_fails_before_the_folder_is_touched(tmp_path: Path, result: ScoreResult) -> None:
    out = tmp_path / "o"
    write_reports(_named(result, "A"), out, "md")

    def failing():
        raise UnknownFirmError("x", "in.csv", [])
        yield  # pragma: no cover

    with pytest.raises(UnknownFirmError):
        write_reports(failing(), out, "md")
    assert (out / "A.md").exists()


def test_index_is_built_from_small_summaries(result: ScoreResult) -> None:
    full = render_index(_named(result, "A"), ["A.html"])
    small = render_index([ReportSummary.of(r) for r in _named(result, "A")], ["A.html"])  # type: ignore[list-item]
    assert small == full


def test_reports_are_streamed(tmp_path: Path, result: ScoreResult) -> None:
    """Each report is on disk before the next firm is even produced."""
    out = tmp_path / "o"

    def firms():
        for i, r in enumerate(_named(result, "A", "B", "C")):
            if i:
                assert sorted(p.name for p in out.glob("*.md")) == ["A.md", "B.md"][:i]
            yield r

    write_reports(firms(), out, "md")


# --- Ctrl-C -------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigint_message_is_true_about_what_was_left(tmp_path: Path) -> None:
    source = tmp_path / "firms.csv"
    synthetic_firms(3000, seed=3).to_csv(source, index=False)
    out = tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "alignscore", "report", str(source), "-o", str(out), "--quiet",
         "--as-of", AS_OF],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(list(out.glob("*.html"))) < 20:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    m = re.search(
        r"interrupted: ([\d,]+) complete firm reports left in (.+) \(listed in "
        r"alignscore-reports\.json, marked 'interrupted'\); the index was not written; no "
        r"partial file was left",
        err,
    )
    assert m, err
    assert Path(m.group(2)) == out.resolve()
    reports = sorted(p.name for p in out.glob("*.html"))
    assert int(m.group(1).replace(",", "")) == len(reports) >= 20
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["status"] == "interrupted"
    assert sorted(manifest["files"]) == reports
    assert sorted(p.name for p in out.iterdir()) == sorted([*reports, MANIFEST])  # no .partial
    assert not (out / "index.html").exists()


# --- control and bidi characters ------------------------------------------------------------

NASTY = f"Evil{RLO}gpj.exe\x1b[2J\x00Ltd\u2066x\u2069"


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_report_neutralises_name(result: ScoreResult, fmt: str) -> None:
    (r,) = _named(result, NASTY)
    text = render(r, fmt)
    assert not re.search("[\u202e\u2066\u2069\x1b\x00]", text)
    # HTML shows every character; Markdown's escaping already drops C0 controls
    shown = "[U+001B][2J[U+0000]Ltd" if fmt == "html" else "\\[2JLtd"
    assert f"Evil[U+202E]gpj.exe{shown}[U+2066]x[U+2069]" in text


def test_json_report_escapes_but_keeps_the_data(result: ScoreResult) -> None:
    (r,) = _named(result, NASTY)
    text = render(r, "json")
    assert not re.search("[\u202e\u2066\u2069\x1b\x00]", text)
    assert "Evil\\u202egpj.exe" in text
    assert ScoreResult.model_validate_json(text).name == NASTY


def test_index_neutralises_names(tmp_path: Path, result: ScoreResult) -> None:
    paths = write_reports(_named(result, NASTY), tmp_path / "o", "html")
    index = paths[-1].read_text(encoding="utf-8")
    assert "Evil[U+202E]gpj.exe" in index
    assert RLO not in index
    assert paths[0].name == "Evil-gpj-exe-2J-Ltd-x.html"


def test_neutral_helpers() -> None:
    assert neutralise_markup(f"a{RLO}b\tc\n") == "a[U+202E]b\tc\n"
    assert json.loads(neutralise_json(json.dumps({"n": f"a{RLO}\x85"}, ensure_ascii=False))) == {"n": f"a{RLO}\x85"}
    assert for_terminal("\x1b[31mred\u202e\n") == "\\x1b[31mred\\u202e\\x0a"
    assert for_terminal("x" * 10_000_000, limit=20) == "x" * 20 + "… (10,000,000 characters)"


@pytest.mark.slow
def test_validate_escapes_and_cuts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    cell = "\x1b[2J" + RLO + "x" * 10_000_000
    bad.write_text(f"name,sector,\x1b[31mextra{RLO}\nA,{cell},z\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "\x1b" not in result.output
    assert RLO not in result.output
    assert len(result.output) < 5000
    assert "columns carried through (1): '\\x1b[31mextra\\u202e'" in result.output
    assert re.search(r"row 2, column 'sector': '\\x1b\[2J\\u202ex{50}x*\.\.\.' - expected", result.output)


def test_validate_escapes_a_header_in_problems(tmp_path: Path) -> None:
    from alignscore.exceptions import Problem

    assert str(Problem(2, f"a{RLO}\x1b", "v", "x")) == "row 2, column 'a\\u202e\\x1b': 'v' - expected x"


# --- explain --firm -----------------------------------------------------------------------


def _explain(path: Path, firm: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["explain", str(path), "--firm", firm, "--as-of", AS_OF])
    return r.exit_code, r.output


def test_explain_matches_ignoring_case(tmp_path: Path) -> None:
    path = _csv(tmp_path / "f.csv", ["Acme Chips", "Other"])
    code, out = _explain(path, "ACME  chips")
    assert code == 0, out
    assert json.loads(out)["name"] == "Acme Chips"


def test_explain_exact_name_wins(tmp_path: Path) -> None:
    path = _csv(tmp_path / "f.csv", ["Acme", "ACME"])
    code, out = _explain(path, "ACME")
    assert code == 0, out
    assert json.loads(out)["name"] == "ACME"


def test_explain_refuses_ambiguous(tmp_path: Path) -> None:
    path = _csv(tmp_path / "f.csv", ["Acme", "ACME", "Other"])
    code, out = _explain(path, "acme")
    assert code == 2
    assert f"{path}: 'acme' names 2 firms: 'Acme' (row 2), 'ACME' (row 3); give the exact name" in out
    with pytest.raises(AmbiguousFirmError, match=r"'acme' names 2 firms: 'Acme' \(row 2\), 'ACME' \(row 3\)"):
        Scorer(as_of=AS_OF).explain(path, firm="acme")
    import pandas as pd

    frame = pd.DataFrame({"name": ["Acme", "ACME"], "sector": ["ai", "ai"]}, index=["a", "b"])
    with pytest.raises(AmbiguousFirmError, match=r"^<DataFrame>: 'acme' names 2 firms: 'Acme' \(index 'a'\), 'ACME' \(index 'b'\)"):
        Scorer(as_of=AS_OF).explain(frame, firm="acme")


def test_explain_refuses_a_name_on_two_rows(tmp_path: Path) -> None:
    path = _csv(tmp_path / "f.csv", ["Acme", "Other", "Acme"])
    code, out = _explain(path, "Acme")
    assert code == 2
    assert "'Acme' names 2 firms: 'Acme' (row 2), 'Acme' (row 4)" in out


def test_explain_unknown_names_the_file_and_suggests_once(tmp_path: Path) -> None:
    path = _csv(tmp_path / "f.csv", ["Acme Chips", "Acme Chips", "Zeta"])
    code, out = _explain(path, "Acme Chip")
    assert code == 2
    assert "<input>" not in out
    assert f"{path}: no firm named 'Acme Chip'; closest names: 'Acme Chips'\n" in out


def test_explain_on_a_dataframe_names_it(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame({"name": ["Acme"], "sector": ["semiconductors"]})
    with pytest.raises(UnknownFirmError, match=r"^<DataFrame>: no firm named 'Zeta'"):
        Scorer(as_of=AS_OF).explain(frame, firm="Zeta")
    with pytest.raises(UnknownFirmError, match=r"^firms\.csv: no firm named 'Zeta'"):
        Scorer(as_of=AS_OF).explain(frame, firm="Zeta", source="firms.csv")
