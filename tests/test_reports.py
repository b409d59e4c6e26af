"""Writing reports: safe file names, nothing outside the directory, an index, atomic writes.

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests report writing (_report.write).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from markupsafe import escape

from alignscore import Scorer, ScoreResult
from alignscore._report.write import (
    MANIFEST,
    MAX_SLUG_LENGTH,
    safe_slug,
    unique_slugs,
    write_reports,
    write_text,
)
from alignscore.exceptions import OutputError

AS_OF = "2023-06-30"
FIRM = {
    "name": "Example Chips",
    "sector": "semiconductors",
    "listing_venue": "star",
    "little_giant": True,
    "rd_intensity": 0.2,
}


@pytest.fixture(scope="module")
def result() -> ScoreResult:
    return Scorer(as_of=AS_OF).explain_one(FIRM)


def _named(result: ScoreResult, *names: str) -> list[ScoreResult]:
    return [
        result.model_copy(update={"name": n, "profile": {**result.profile, "name": n}})
        for n in names
    ]


# --- safe_slug -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("../../etc/passwd", "etc-passwd"),
        ("..\\..\\Windows\\system32", "Windows-system32"),
        ("/absolute/path", "absolute-path"),
        ("..", "firm"),
        (".", "firm"),
        ("", "firm"),
        ("   ", "firm"),
        ("\x00\x01\x1f", "firm"),
        ("---", "firm"),
        (".hidden", "hidden"),
        ("...dots...", "dots"),
        ("华为", "华为"),
        ("华为技术有限公司", "华为技术有限公司"),
        ("中芯国际 SMIC", "中芯国际-SMIC"),
        ("ＡＢＣ１２３", "ABC123"),  # full-width forms, NFKC-normalised
        ("Ｃ＆Ｄ Ｔｅｃｈ", "C-D-Tech"),
        ('a<b>c:d"e|f?g*h', "a-b-c-d-e-f-g-h"),
        ("tab\tnew\nline", "tab-new-line"),
        ("Example Chips Co., Ltd.", "Example-Chips-Co-Ltd"),
        ("CON", "CON-firm"),
        ("nul", "nul-firm"),
        ("LPT1", "LPT1-firm"),
        ("Café Müller", "Café-Müller"),
        ("Ⅻ", "XII"),
    ],
)
def test_safe_slug(name: str, slug: str) -> None:
    assert safe_slug(name) == slug


@pytest.mark.parametrize("name", ["x" * 500, "华" * 300, "a b " * 200, "\U00020000" * 100])
def test_safe_slug_is_capped(name: str) -> None:
    slug = safe_slug(name)
    assert 0 < len(slug) <= MAX_SLUG_LENGTH
    assert len(f"{slug}-99.html".encode()) <= 255  # a file name most file systems accept
    assert not slug.endswith("-")


@pytest.mark.parametrize(
    "name", ["../x", "..", ".a", "a/../../b", "\\\\server\\share", "~/x", "C:\\x", "a\x00b", "<>"]
)
def test_safe_slug_never_escapes(name: str) -> None:
    slug = safe_slug(name)
    assert slug
    assert not slug.startswith(".")
    assert re.search(r"[/\\:<>\"|?*\x00-\x1f]", slug) is None
    assert ".." not in slug


def test_unique_slugs_ignore_case_and_reserve_names() -> None:
    assert unique_slugs(["Acme", "ACME", "acme"]) == ["Acme", "ACME-2", "acme-3"]
    assert unique_slugs(["a/b", "a b", "a-b"]) == ["a-b", "a-b-2", "a-b-3"]
    assert unique_slugs(["A", "A", "A-2"]) == ["A", "A-2", "A-2-2"]
    assert unique_slugs(["index", "Index"], reserved=["index"]) == ["index-2", "Index-3"]
    long = unique_slugs(["y" * 200, "y" * 300])
    assert long[0] == "y" * MAX_SLUG_LENGTH
    assert long[1] == "y" * (MAX_SLUG_LENGTH - 2) + "-2"
    assert len({s.casefold() for s in unique_slugs(["华为"] * 12)}) == 12


# --- write_text ----------------------------------------------------------------------------


def test_write_text_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old", encoding="utf-8")
    write_text(target, "新的 report\n")
    assert target.read_text(encoding="utf-8") == "新的 report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_write_text_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"is a directory, expected a file name"):
        write_text(tmp_path, "x")


# --- write_reports -------------------------------------------------------------------------

HOSTILE = [
    "Example Chips",
    "../../etc/passwd",
    "..",
    "/tmp/abs",
    "index",
    "华为",
    "EXAMPLE CHIPS",
    "<script>alert(1)</script>",
    "CON",
]


def test_write_reports_html_stays_inside_and_indexes_everything(
    tmp_path: Path, result: ScoreResult
) -> None:
    out = tmp_path / "reports" / "run-1"
    calls: list[int] = []
    paths = write_reports(_named(result, *HOSTILE), out, "html", progress=calls.append)

    root = out.resolve()
    assert len(paths) == len(HOSTILE) + 1
    assert all(p.resolve().parent == root for p in paths)
    assert paths[-1].name == "index.html"
    assert calls == [1] * len(paths)
    # nothing anywhere else under tmp_path, no temporary files left behind
    everything = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert everything == sorted(p.relative_to(tmp_path) for p in [*paths, out / MANIFEST])
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"
    assert manifest["files"] == [p.name for p in paths]
    assert not [p for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".partial"]

    names = [p.name for p in paths[:-1]]
    assert names[:6] == ["Example-Chips.html", "etc-passwd.html", "firm.html", "tmp-abs.html",
                         "index-2.html", "华为.html"]  # fmt: skip
    assert names[6] == "EXAMPLE-CHIPS-2.html"
    assert len({n.casefold() for n in names}) == len(names)

    index = paths[-1].read_text(encoding="utf-8")
    hrefs = [unquote(h) for h in re.findall(r'<a href="([^"#]+)">', index)]
    assert sorted(hrefs) == sorted(names)
    for name in names:
        assert f'href="{quote(name)}"' in index
    for path, firm in zip(paths, HOSTILE, strict=False):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>")
        assert "<script>alert" not in text
        assert f"<h1>{escape(firm)}</h1>" in text


@pytest.mark.parametrize(("fmt", "ext"), [("md", ".md"), ("json", ".json")])
def test_write_reports_md_and_json(tmp_path: Path, result: ScoreResult, fmt: str, ext: str) -> None:
    paths = write_reports(_named(result, "A", "a", "index"), tmp_path, fmt)
    assert [p.name for p in paths] == [f"A{ext}", f"a-2{ext}", f"index{ext}"]
    assert not (tmp_path / "index.html").exists()
    if fmt == "json":
        back = ScoreResult.model_validate_json(paths[1].read_text(encoding="utf-8"))
        assert back.name == "a"
    else:
        assert paths[0].read_text(encoding="utf-8").startswith("# A\n")


def test_write_reports_never_writes_through_a_planted_symlink(
    tmp_path: Path, result: ScoreResult
) -> None:
    out = tmp_path / "out"
    write_reports(_named(result, "A"), out, "html")  # one of our folders
    outside = tmp_path / "outside.html"
    outside.write_text("keep me", encoding="utf-8")
    os.symlink(outside, out / "evil.html")
    paths = write_reports(_named(result, "evil"), out, "html")
    assert [p.name for p in paths] == ["evil-2.html", "index.html"]
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert (out / "evil.html").is_symlink()


def test_write_reports_refuses_bad_format_before_touching_disk(
    tmp_path: Path, result: ScoreResult
) -> None:
    with pytest.raises(
        ValueError,
        match=r"The 'fmt' parameter of write_reports must be one of 'json', 'md', 'html'\. "
        r"Got 'pdf'",
    ):
        write_reports([result], tmp_path / "new", "pdf")
    assert not (tmp_path / "new").exists()


def test_write_reports_refuses_a_file_as_directory(tmp_path: Path, result: ScoreResult) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match=r"exists and is not a directory"):
        write_reports([result], target, "md")


def test_write_reports_rewrites_a_run_in_place(tmp_path: Path, result: ScoreResult) -> None:
    first = write_reports(_named(result, "A"), tmp_path, "html")
    second = write_reports(_named(result, "A"), tmp_path, "html")
    assert first == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["A.html", MANIFEST, "index.html"]
