"""The HTML report and index in a real browser: headless Chromium, driven from the command line.

``--dump-dom`` prints the DOM after the page's scripts ran; ``--screenshot`` saves a PNG. Locally
the tests are skipped when Chromium is missing (``apt-get install chromium``); in CI (the ``CI``
environment variable is set) a missing Chromium fails them, because CI must run them.

Run only these: ``python -m pytest -m browser tests/test_browser.py``.

Private imports (allowed in ``tests/test_private_imports.py``): checks the page against the report's sections and waterfall data (_report.render).
"""

from __future__ import annotations

import html as html_lib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from alignscore import Scorer, ScoreResult, render, write_reports
from alignscore._report.render import SECTIONS, waterfall_data

pytestmark = pytest.mark.browser

TIMEOUT = 60
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
FIRMS = [
    {"name": "Example Chips", "sector": "semiconductors", "listing_venue": "star",
     "little_giant": True, "rd_intensity": 0.2, "us_restricted": True},
    {"name": "Example Live Shopping", "sector": "e_commerce", "listing_venue": "us",
     "ownership": "private", "consumer_mau_m": 620.0, "personal_data_intensive": True},
    {"name": "Example Industrial Software", "sector": "industrial_software",
     "listing_venue": "sse_main", "ownership": "central_soe", "government_revenue_share": 0.5},
    {"name": "Example Property", "sector": "real_estate", "listing_venue": "hkex"},
]  # fmt: skip
HOSTILE = [
    "<img src=x onerror=\"document.title='pwned'\">",
    "<script>document.title='pwned'</script>",
]


def _find_chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                "Chromium not installed; CI must run the browser tests (apt-get install chromium)"
            )
        pytest.skip("Chromium not installed: apt-get install chromium (CI installs it)")
    return path


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}"
    return proc


def dump_dom(chromium: str, page: Path, profile: Path) -> str:
    """The page's DOM after its scripts ran (and after load, so failed images fired onerror)."""
    return _run(chromium, profile, "--virtual-time-budget=3000", "--dump-dom", page.as_uri()).stdout


def _title(dom: str) -> str:
    head = re.search(r"<head>.*?</head>", dom, re.S)
    assert head is not None, dom[:500]
    title = re.search(r"<title>(.*?)</title>", head[0], re.S)
    assert title is not None
    return html_lib.unescape(title[1])


@pytest.fixture(scope="module")
def results() -> list[ScoreResult]:
    return Scorer(as_of="2023-06-30").explain(FIRMS)


@pytest.fixture(scope="module")
def hostile() -> list[ScoreResult]:
    rows = [{**FIRMS[0], "name": name} for name in HOSTILE]
    return Scorer(as_of="2023-06-30").explain(rows)


def test_report_renders_with_chart_and_sections(
    chromium: str, results: list[ScoreResult], tmp_path: Path
) -> None:
    result = results[0]
    page = tmp_path / "report.html"
    page.write_text(render(result, "html"), encoding="utf-8")
    dom = dump_dom(chromium, page, tmp_path / "profile")

    svg = re.search(r'<svg class="chart waterfall".*?</svg>', dom, re.S)
    assert svg is not None, "no waterfall chart in the rendered page"
    bars = re.findall(r'<rect class="wf-bar wf-\w+"', svg[0])
    assert len(bars) == len(waterfall_data(result)["bars"])
    for _, heading in SECTIONS:
        assert f"<h2>{heading}</h2>" in dom, heading
    assert _title(dom).startswith(result.name)

    shot = tmp_path / "report.png"
    _run(
        chromium,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1200,2400",
        page.as_uri(),
    )
    assert shot.is_file()
    assert shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("ALIGNSCORE_KEEP_SCREENSHOT"):  # to look at it: a path to copy it to
        shutil.copy(shot, os.environ["ALIGNSCORE_KEEP_SCREENSHOT"])


def test_index_sorts_by_score_when_the_header_is_clicked(
    chromium: str, results: list[ScoreResult], tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    write_reports(results, out, "html")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("<script") == 1
    harness = """<script>
(function () {
  var th = document.querySelector('th[data-key="score"]');
  function order() {
    return Array.prototype.map.call(document.querySelectorAll("#firms tbody tr"),
      function (tr) { return tr.cells[0].textContent.trim(); }).join("|");
  }
  var before = order();
  th.click();
  var first = order() + " " + th.getAttribute("aria-sort");
  th.click();
  var second = order() + " " + th.getAttribute("aria-sort");
  document.title = [before, first, second].join(" // ");
}());
</script>
</body>"""
    test_page = out / "index-test.html"
    test_page.write_text(index.replace("</body>", harness), encoding="utf-8")
    dom = dump_dom(chromium, test_page, tmp_path / "profile")

    before, first, second = _title(dom).split(" // ")
    by_score = [r.name for r in sorted(results, key=lambda r: -r.score)]
    assert len({r.score for r in results}) == len(results), "the example firms need distinct scores"
    assert before == "|".join(r.name for r in results)
    assert first == "|".join(by_score) + " descending"
    assert second == "|".join(reversed(by_score)) + " ascending"


def test_index_links_open_the_reports(
    chromium: str, results: list[ScoreResult], tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    paths = write_reports(results, out, "html")
    dom = dump_dom(chromium, out / "index.html", tmp_path / "profile")
    links = re.findall(r'<td class="name"[^>]*><a href="([^"]+)">', dom)
    assert len(links) == len(results)
    for link in links:
        target = (out / link).resolve()
        assert target in [p.resolve() for p in paths[:-1]]


def test_no_script_from_the_data_runs(
    chromium: str, hostile: list[ScoreResult], tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    paths = write_reports(hostile, out, "html")
    for path, result in zip(paths, hostile, strict=False):
        dom = dump_dom(chromium, path, tmp_path / "profile")
        title = _title(dom)
        assert title != "pwned"
        assert title == f"{result.name} · policy alignment {result.score:.1f} ({result.band})"
        body = dom[dom.index("<body") :]
        assert "<img" not in body
        assert "<script" not in body
    dom = dump_dom(chromium, paths[-1], tmp_path / "profile")
    assert "pwned" not in _title(dom)
    assert _title(dom) == f"Policy-alignment scores · {len(hostile)} firms"
    body = dom[dom.index("<body") :]
    assert "<img" not in body
    assert body.count("<script") == 1  # the index's own sorting script
