"""Golden Markdown reports for three example firms, scored by the bundled default scorer.

A change to the rules, the model, the peers or the renderer that changes what an analyst reads
shows up here as a diff. When the change is intended, rewrite the files and review the diff:

    ALIGNSCORE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_reports.py

Hashes and the version are masked before comparing, so retraining with identical results or a
version bump does not fail the test; the rules directory (a machine-specific path) too.

Private imports (allowed in ``tests/test_private_imports.py``): names golden files as the report writer does (_report.write).
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

from alignscore import Scorer, render
from alignscore._report.write import safe_slug

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ALIGNSCORE_UPDATE_GOLDEN") == "1"

FIRMS = [
    {  # hard tech, listed on STAR, a Little Giant on the US Entity List
        "name": "Wuhan Xinxin Semiconductor",
        "ticker": "688001",
        "sector": "semiconductors",
        "overseas_revenue_share": 0.12,
        "government_revenue_share": 0.18,
        "little_giant": True,
        "ownership": "state_invested",
        "listing_venue": "star",
        "hq_province": "Hubei",
        "rd_intensity": 0.21,
        "sm_intensity": 0.03,
        "us_restricted": True,
        "state_project": True,
        "founded_year": 2016,
        "revenue_cny_bn": 8.4,
        "employees": 5200,
    },
    {  # consumer platform listed in New York
        "name": "Panda Live Shopping",
        "ticker": "PNDA",
        "sector": "e_commerce",
        "overseas_revenue_share": 0.04,
        "government_revenue_share": 0.0,
        "little_giant": False,
        "ownership": "private",
        "listing_venue": "us",
        "hq_province": "Zhejiang",
        "rd_intensity": 0.06,
        "sm_intensity": 0.31,
        "consumer_mau_m": 640.0,
        "personal_data_intensive": True,
        "us_restricted": False,
        "state_project": False,
        "founded_year": 2012,
        "revenue_cny_bn": 96.5,
        "employees": 41000,
    },
    {  # state-owned industrial software
        "name": "Sinoind Industrial Software",
        "ticker": "600999",
        "sector": "industrial_software",
        "overseas_revenue_share": 0.02,
        "government_revenue_share": 0.55,
        "ownership": "central_soe",
        "listing_venue": "sse_main",
        "hq_province": "Beijing",
        "rd_intensity": 0.17,
        "sm_intensity": 0.08,
        "us_restricted": False,
        "state_project": True,
        "founded_year": 2003,
        "revenue_cny_bn": 4.2,
        "employees": 3100,
    },
]

_MASKS = [
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"^(Policy-alignment report · as of \S+ · alignscore ).*$", re.M), r"\1<version>"),
    (re.compile(r"^(- alignscore: ).*$", re.M), r"\1<version>"),
    (re.compile(r"^(- Rules directory: ).*$", re.M), r"\1<rules directory>"),
]


def mask(text: str) -> str:
    """The report with the parts that change without its content changing replaced."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


@pytest.fixture(scope="module")
def reports() -> dict[str, str]:
    results = Scorer(as_of="2023-06-30").explain(FIRMS)
    return {safe_slug(r.name): render(r, "md") for r in results}


def test_mask_hides_only_volatile_parts() -> None:
    text = (
        "Policy-alignment report · as of 2023-06-30 · alignscore 9.9.9\n"
        "- Rules SHA-256: `" + "ab" * 32 + "`\n- alignscore: 9.9.9\n"
        "- Rules directory: `/home/me/rules`\n- As of: 2023-06-30\n"
    )
    assert mask(text) == (
        "Policy-alignment report · as of 2023-06-30 · alignscore <version>\n"
        "- Rules SHA-256: `<sha256>`\n- alignscore: <version>\n"
        "- Rules directory: <rules directory>\n- As of: 2023-06-30\n"
    )


@pytest.mark.parametrize("slug", [safe_slug(f["name"]) for f in FIRMS])
def test_golden_markdown(slug: str, reports: dict[str, str]) -> None:
    path = GOLDEN / f"{slug}.md"
    actual = mask(reports[slug])
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} is missing: run with ALIGNSCORE_UPDATE_GOLDEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=f"golden/{path.name}", tofile="rendered now", n=2,
        ))  # fmt: skip
        pytest.fail(
            f"{path.name} differs from the rendered report (if intended, rerun with "
            f"ALIGNSCORE_UPDATE_GOLDEN=1 and review the diff):\n{diff}"
        )


def test_golden_files_are_all_expected() -> None:
    expected = {f"{safe_slug(f['name'])}.md" for f in FIRMS}
    present = {p.name for p in GOLDEN.glob("*.md")}
    assert present == expected, "stale or missing golden files"
