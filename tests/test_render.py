"""Rendering a ScoreResult: HTML escaping, the waterfall's arithmetic, Markdown parity, JSON.

The results come from the real :class:`~alignscore.Scorer` with its bundled rules and model.

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests rendering (_report.render), on a prior-only engine (_scoring.engine, _model.scorecard).
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape

from alignscore import Scorer, ScoreResult
from alignscore._report.render import (
    SECTIONS,
    TINY_CONTRIBUTION,
    md_code,
    md_escape,
    render,
    render_card,
    render_index,
    waterfall_data,
)

AS_OF = "2023-06-30"
SCRIPT_NAME = "<script>alert(1)</script>"
IMG_NAME = '"><img src=x onerror=alert(1)>'

#: What a reader must find in every report, in this order (kept here, not imported, so that
#: dropping a section from the renderer fails the suite).
EXPECTED_SECTIONS = [
    "Summary",
    "How the score is built",
    "Strengths and concerns",
    "Rules that fired",
    "Rules that did not fire",
    "Learned and prior weights",
    "Risk flags",
    "Levers",
    "Peer comparison",
    "Data coverage",
    "Firm profile",
    "Methodology",
]

CHIPMAKER = {
    "name": "Example Chips",
    "sector": "semiconductors",
    "listing_venue": "star",
    "little_giant": True,
    "ownership": "private",
    "overseas_revenue_share": 0.12,
    "government_revenue_share": 0.45,
    "rd_intensity": 0.22,
    "us_restricted": True,
    "hq_province": "Hubei",
}
PLATFORM = {
    "name": "Example Live Shopping",
    "sector": "e_commerce",
    "listing_venue": "us",
    "ownership": "private",
    "overseas_revenue_share": 0.05,
    "sm_intensity": 0.3,
    "consumer_mau_m": 620.0,
    "personal_data_intensive": True,
    "revenue_cny_bn": 95.0,
}


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(as_of=AS_OF)


@pytest.fixture(scope="module")
def chip(scorer: Scorer) -> ScoreResult:
    return scorer.explain_one(CHIPMAKER)


@pytest.fixture(scope="module")
def platform(scorer: Scorer) -> ScoreResult:
    return scorer.explain_one(PLATFORM)


@pytest.fixture(scope="module")
def evil(scorer: Scorer) -> list[ScoreResult]:
    names = [SCRIPT_NAME, IMG_NAME]
    return scorer.explain(pd.DataFrame([{**CHIPMAKER, "name": n, "ticker": n} for n in names]))


# --- escaping ------------------------------------------------------------------------------


def test_html_report_shows_hostile_names_as_text(evil: list[ScoreResult]) -> None:
    script, img = evil
    html = render(script, "html")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = render(img, "html")
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&#34;&gt;&lt;img" in html  # the quote cannot close an attribute either


def test_report_has_no_script_and_fetches_nothing(chip: ScoreResult) -> None:
    html = render(chip, "html")
    assert "<script" not in html
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}
    for fetch in ("src=", "@import", "url(", "<link", "@font-face"):
        assert fetch not in html
    assert "@media print" in html


def test_card_and_index_escape_names(evil: list[ScoreResult]) -> None:
    for result in evil:
        card = render_card(result)
        assert "<script>alert" not in card
        assert "<img" not in card
        assert "&lt;" in card
    index = render_index(evil, ["a.html", "b.html"])
    assert "<script>alert" not in index
    assert "<img" not in index
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert index.count("<script") == 1  # the page's own sorting script, nothing from the data


def test_notebook_card_shows_the_result(chip: ScoreResult) -> None:
    card = render_card(chip)
    assert escape(chip.name) in card
    assert f"{chip.score:.1f}" in card
    assert chip.band in card
    assert f"{chip.probability:.3f}" in card
    for flag in chip.risk_flags:
        assert escape(flag.title) in card
    for reason in chip.reasons:
        assert escape(reason.text) in card


def test_markdown_escapes_hostile_names(evil: list[ScoreResult]) -> None:
    for result in evil:
        md = render(result, "md")
        assert "<script" not in md
        assert "<img" not in md
    assert render(evil[0], "md").startswith("# &lt;script&gt;alert(1)&lt;/script&gt;\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a|b", "a\\|b"),
        ("*bold* _it_ `code`", "\\*bold\\* \\_it\\_ \\`code\\`"),
        ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
        ("<b>R&D</b>", "&lt;b&gt;R&D&lt;/b&gt;"),
        ("&amp; &#60;", "&amp;amp; &amp;#60;"),
        ("line one\nline two\r\n", "line one line two"),
        ("# not a heading", "\\# not a heading"),
        ("1. not a list", "1\\. not a list"),
        ("- not a list", "\\- not a list"),
        ("华为技术", "华为技术"),
    ],
)
def test_md_escape(text: str, expected: str) -> None:
    assert md_escape(text) == expected


def test_md_code_holds_backticks_and_pipes() -> None:
    assert md_code("a_b") == "`a_b`"
    assert md_code("a`b") == "``a`b``"
    assert md_code("x|y") == "`x\\|y`"


# --- the waterfall -------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["chip", "platform"])
def test_waterfall_bars_add_up(which: str, request: pytest.FixtureRequest) -> None:
    result: ScoreResult = request.getfixturevalue(which)
    chart = waterfall_data(result)
    bars = chart["bars"]
    assert math.isclose(
        sum(b["value"] for b in bars), result.log_odds - result.baseline, abs_tol=1e-9
    )
    assert abs(chart["total"] - (result.log_odds - result.baseline)) < 1e-9
    # consecutive: each bar starts where the last one ended, from the baseline to the final log-odds
    assert bars[0]["start"] == result.baseline
    for before, after in itertools.pairwise(bars):
        assert after["start"] == before["end"]
    assert abs(bars[-1]["end"] - result.log_odds) < 1e-9

    big = [c for c in result.contributions if abs(c.value) >= TINY_CONTRIBUTION]
    tiny = [c for c in result.contributions if abs(c.value) < TINY_CONTRIBUTION]
    assert [b["value"] for b in bars[: len(big)]] == [c.value for c in big]
    assert len(bars) == len(big) + (1 if tiny else 0)
    if tiny:
        assert bars[-1]["label"] == f"other ({len(tiny)} rule{'s' if len(tiny) != 1 else ''})"
    # one bar per rule that fired, labelled with the fact it found
    assert [b["label"] for b in bars[: len(big)]] == [c.fact for c in big]
    fired = {r.id for r in result.rules if r.state == "fired" and r.kind == "favour"}
    assert {c.id for c in result.contributions} <= fired

    html = render(result, "html")
    svg = re.search(r'<svg class="chart waterfall".*?</svg>', html, re.S)
    assert svg is not None
    rects = re.findall(r'<rect class="wf-bar wf-(pos|neg|other)"[^>]*data-value="([^"]+)"', svg[0])
    assert len(rects) == len(bars)
    assert [float(v) for _, v in rects] == [b["value"] for b in bars]
    assert "score (0-100)" in svg[0]
    assert "log-odds" in svg[0]


def test_waterfall_folds_tiny_contributions(chip: ScoreResult) -> None:
    # a result where every contribution is tiny except one
    n = len(chip.contributions)
    contributions = [
        c.model_copy(update={"value": (-1) ** k * 0.009 * (k + 1) / n})
        for k, c in enumerate(chip.contributions)
    ]
    contributions[0] = contributions[0].model_copy(update={"value": 1.5})
    total = sum(c.value for c in contributions)
    result = chip.model_copy(
        update={"contributions": contributions, "log_odds": chip.baseline + total}
    )
    bars = waterfall_data(result)["bars"]
    assert len(bars) == 2
    assert bars[1]["kind"] == "other"
    assert bars[1]["label"] == f"other ({len(contributions) - 1} rules)"
    assert math.isclose(bars[0]["value"] + bars[1]["value"], total, abs_tol=1e-12)


def test_every_link_lands_on_an_element(chip: ScoreResult, platform: ScoreResult) -> None:
    for result in (chip, platform):
        html = render(result, "html")
        ids = set(re.findall(r'\sid="([^"]+)"', html))
        targets = set(re.findall(r'href="#([^"]+)"', html))
        assert targets, "the report links nothing"
        assert targets <= ids, f"links to nowhere: {sorted(targets - ids)}"
        assert len(ids) == len(re.findall(r'\sid="', html)), "duplicate element ids"


def test_drivers_link_to_their_quoted_passages(chip: ScoreResult) -> None:
    html = render(chip, "html")
    # a rule whose learned weight is 0 adds nothing and is only named in a list, not drawn
    fired = [r for r in chip.rules if r.state == "fired" and r.kind == "favour" and r.contribution != 0]
    assert fired, "the chipmaker should fire at least one favour rule"
    for rule in fired:
        block = re.search(rf'<div class="rule" id="rule-{rule.id}">(.*?)</div>', html, re.S)
        assert block is not None, rule.id
        assert escape(rule.title) in block[1]
        for ev in rule.evidence:
            assert f"seeds/{ev.source}" in block[1]
        assert len(re.findall(r'<blockquote id="ev-\d+">', block[1])) == len(rule.evidence)
    drivers = re.search(r'<section id="drivers">(.*?)</section>', html, re.S)
    assert drivers is not None
    strong = [c for c in chip.contributions if abs(c.value) >= TINY_CONTRIBUTION]
    assert len(re.findall(r"<li>", drivers[1])) == len(strong)
    quoted = [c for c in strong if c.evidence]
    assert len(re.findall(r'href="#ev-\d+"', drivers[1])) == sum(len(c.evidence) for c in quoted)


def test_strengths_and_concerns_are_sentences(chip: ScoreResult, platform: ScoreResult) -> None:
    for result in (chip, platform):
        md = render(result, "md")
        for c in result.contributions:
            if abs(c.value) < TINY_CONTRIBUTION:
                continue
            effect = (
                f"adds {c.value:+.2f} log-odds"
                if c.value > 0
                else f"subtracts {abs(c.value):.2f} log-odds"
            )
            effect += f" ({c.weight:.3g} × {c.units:.3g})"
            subject = md_escape(c.fact)
            assert f"- **{subject}** {effect}: {md_escape(c.rationale or '')}" in md
        assert "typical" not in md
        assert "typical" not in render(result, "html")


def test_not_fired_rules_say_why(platform: ScoreResult) -> None:
    html = render(platform, "html")
    md = render(platform, "md")
    not_fired = [r for r in platform.rules if r.state != "fired"]
    assert not_fired
    section = re.search(r'<section id="not-fired">(.*?)</section>', html, re.S)
    assert section is not None
    assert section[1].count("<tr id=") == len(not_fired)
    for rule in not_fired:
        assert escape(rule.title) in section[1]
        for why in rule.why_not:
            assert escape(why) in section[1]
            assert md_escape(why) in md


def test_risk_flags_levers_coverage_and_methodology(
    chip: ScoreResult, platform: ScoreResult
) -> None:
    for result in (chip, platform):
        html = render(result, "html")
        md = render(result, "md")
        for flag in result.risk_flags:
            assert (
                f'<span class="sev sev-{flag.severity}">{flag.severity}</span> {escape(flag.title)}'
                in html
            )
            assert f"### {flag.severity.upper()}: {md_escape(flag.title)}" in md
        for lever in result.levers:
            assert f"New score {lever.new_score:.1f}." in html
        for column in result.unknown_inputs:
            assert f"<code>{column}</code>" in html
            assert f"`{column}`" in md
        m = result.methodology
        for value in (m.rules_sha256, m.model_sha256, m.as_of, m.alignscore_version):
            assert value in html
            assert value in md


# --- Markdown parity, formats, JSON --------------------------------------------------------


def test_markdown_carries_the_same_sections(chip: ScoreResult) -> None:
    assert [title for _, title in SECTIONS] == EXPECTED_SECTIONS
    html = render(chip, "html")
    md = render(chip, "md")
    html_headings = re.findall(r"<h2>(.*?)</h2>", html)
    md_headings = re.findall(r"^## (.*)$", md, re.M)
    assert html_headings == EXPECTED_SECTIONS
    assert md_headings == EXPECTED_SECTIONS
    assert "<svg" not in md


def test_markdown_tables_have_even_columns(platform: ScoreResult) -> None:
    md = render(platform, "md")
    for table in re.findall(r"(?:^\|.*\|\n)+", md, re.M):
        lines = table.strip().split("\n")
        counts = {len(re.findall(r"(?<!\\)\|", line)) for line in lines}
        assert len(counts) == 1, table


def test_markdown_survives_a_hostile_name(platform: ScoreResult) -> None:
    name = "A | B\n# C *D* [x](y) <b>"
    result = platform.model_copy(
        update={"name": name, "profile": {**platform.profile, "name": name}}
    )
    md = render(result, "md")
    assert md.startswith("# A \\| B # C \\*D\\* \\[x\\](y) &lt;b&gt;\n")
    assert "\n# C" not in md
    assert "| `name` | A \\| B # C \\*D\\*" in md
    for table in re.findall(r"(?:^\|.*\|\n)+", md, re.M):
        counts = {len(re.findall(r"(?<!\\)\|", line)) for line in table.strip().split("\n")}
        assert len(counts) == 1, table


def test_missing_peers_are_stated(chip: ScoreResult) -> None:
    result = chip.model_copy(
        update={
            "peer_percentile": None, "peer_percentile_in_class": None,
            "peer_deciles": [], "peer_deciles_in_class": [], "peer_count": 0,
            "peer_count_in_class": 0,
        }
    )  # fmt: skip
    html = render(result, "html")
    md = render(result, "md")
    assert html.count("no reference data") == 2
    assert md.count("no reference data") == 2
    assert html.count("no peers to compare with") == 2  # no distribution drawn
    assert 'class="peer-dist"' not in html
    assert "| 50th (median) |" not in md  # no decile table


def test_render_refuses_unknown_format(chip: ScoreResult) -> None:
    with pytest.raises(
        ValueError,
        match=r"The 'fmt' parameter of render must be one of 'json', 'md', 'html'\. "
        r"Got 'pdf' instead\.",
    ):
        render(chip, "pdf")


def test_json_round_trips(chip: ScoreResult, evil: list[ScoreResult]) -> None:
    for result in (chip, *evil):
        text = render(result, "json")
        assert text == result.to_json()
        assert ScoreResult.model_validate_json(text) == result


def test_index_links_every_report_and_cannot_be_hijacked(
    chip: ScoreResult, platform: ScoreResult
) -> None:
    index = render_index([chip, platform], ["Example-Chips.html", "javascript:alert(1)"])
    assert 'href="Example-Chips.html"' in index
    assert 'href="javascript%3Aalert%281%29"' in index
    assert "javascript:" not in index
    with pytest.raises(ValueError, match=r"one link per result: got 2 results and 1 links"):
        render_index([chip, platform], ["a.html"])


def test_templates_ship_with_the_package() -> None:
    templates = Path(__file__).resolve().parents[1] / "src" / "alignscore" / "templates"
    names = {p.name for p in templates.iterdir()}
    assert {"report.html.j2", "report.md.j2", "card.html.j2", "index.html.j2"} <= names


# --- the scorecard's face: one decimal, the interval, Not rated, facts, levers, sources -------


def _prior_scorer() -> Scorer:
    from alignscore import RuleSet
    from alignscore._model.scorecard import Scorecard
    from alignscore._scoring.engine import Engine

    ruleset = RuleSet.load()
    scorer = Scorer(as_of=AS_OF)
    scorer.engine_ = Engine(ruleset, Scorecard.prior(ruleset), "prior")
    return scorer


def test_score_is_shown_to_one_decimal_with_its_interval(chip: ScoreResult) -> None:
    html = render(chip, "html")
    md = render(chip, "md")
    interval = f"{chip.score_low:.1f}–{chip.score_high:.1f}"
    assert f'<div class="score">{chip.score:.1f}</div>' in html
    assert f'<div class="interval">80% interval {interval}</div>' in html
    assert f"| **{chip.score:.1f}** / 100 ({interval}) |" in md
    assert f"{chip.score:.2f}" not in md.split("## Peer comparison")[0]
    # drawn on the waterfall: a box from the interval's low to its high end around the final mark
    chart = waterfall_data(chip)
    box = chart["interval"]
    assert box["x"] <= chart["final"]["x"] <= box["x"] + box["width"]
    svg = re.search(r'<svg class="chart waterfall".*?</svg>', html, re.S)
    assert svg is not None
    assert f'<rect class="wf-interval" x="{box["x"]}"' in svg[0]
    assert f"80% interval: score {chip.score_low:.1f} to {chip.score_high:.1f}" in svg[0]


def test_the_interval_box_spans_the_scores_it_names(chip: ScoreResult) -> None:
    wide = chip.model_copy(update={"score": 50.0, "log_odds": 0.0, "score_low": 20.0, "score_high": 80.0})
    chart = waterfall_data(wide)
    box, cuts = chart["interval"], {b["name"]: b for b in chart["bands"]}
    # 20 and 80 are band edges: the box starts where Headwind starts and ends where Tailwind ends
    assert box["x"] == pytest.approx(cuts["Headwind"]["x"], abs=0.02)
    assert box["x"] + box["width"] == pytest.approx(cuts["Tailwind"]["x"] + cuts["Tailwind"]["width"], abs=0.02)


def test_not_rated_is_stated_with_its_coverage_and_threshold() -> None:
    thin = _prior_scorer().explain_one({"name": "Thin Co", "little_giant": "yes"})
    assert thin.band == "Not rated"
    html = render(thin, "html")
    md = render(thin, "md")
    words = (f"Not rated: only {100 * thin.coverage:.0f}% of the evidence is known, below the "
             f"{100 * thin.min_coverage:.0f}% "
             "a rating needs. The score and its explanation are still given.")  # fmt: skip
    assert f'<p class="note not-rated">{escape(words)}</p>' in html
    assert f"> **{words}**" in md
    assert f'<div class="score">{thin.score:.1f}</div>' in html  # the score is still given
    assert '<div class="band band-5">Not rated</div>' in html
    assert "no band to move from; no lever is given" in md
    assert "no band to move from; no lever is given" in html
    card = render_card(thin)
    assert "Not rated: only" in card
    index = render_index([thin], ["Thin-Co.html"])
    assert '<td data-value="-1"><span class="band band-5">Not rated</span><span class="cov">coverage' in index


def test_rated_reports_carry_no_not_rated_note(chip: ScoreResult) -> None:
    assert chip.rated
    assert "Not rated" not in render(chip, "html")
    assert "Not rated" not in render(chip, "md")


def test_prior_scorecard_replaces_the_disagreement_note(chip: ScoreResult) -> None:
    prior = 100 * (0.005 + 0.99 / (1 + math.exp(-chip.prior_log_odds)))
    md = render(chip, "md")
    html = render(chip, "html")
    sentence = "The analysts' prior scorecard (the same rules at the analysts' weights, untrained) would give"
    assert f"{sentence} {prior:.1f} (log-odds {chip.prior_log_odds:+.2f})" in md
    assert f"{sentence} {prior:.1f}" in html
    assert "disagree" not in md
    assert "disagree" not in html
    # the weights table adds up to both log-odds
    assert f"| **Total** | | | | | **{chip.log_odds - chip.baseline:+.3f}** | **{chip.prior_log_odds - chip.baseline:+.3f}** |" in md


def test_levers_are_grouped_by_kind() -> None:
    maker = {"name": "Maker", "sector": "traditional_manufacturing", "hq_province": "Jiangsu",
             "listing_venue": "hkex", "ownership": "private", "little_giant": "no",
             "state_project": "no", "overseas_revenue_share": 0.0, "government_revenue_share": 0.0,
             "rd_intensity": 0.02, "sm_intensity": 0.05, "revenue_cny_bn": 0.2, "employees": 300}  # fmt: skip
    result = _prior_scorer().explain_one(maker)
    kinds = {lv.kind for lv in result.levers}
    assert kinds == {"status", "business_mix"}
    md = render(result, "md")
    html = render(result, "html")
    status = md.index("### Status: what the firm would have to obtain")
    mix = md.index("### Business mix: where its revenue comes from and what it spends on")
    end = md.index("## Peer comparison")
    assert status < mix < end
    for lever in result.levers:
        line = md.index(md_escape(lever.text[:1].upper() + lever.text[1:]))
        assert (status < line < mix) if lever.kind == "status" else (mix < line < end), lever.text
    assert html.index('<h3 class="levers-status">') < html.index('<h3 class="levers-business_mix">')


def test_where_the_facts_come_from_is_shown_when_known(scorer: Scorer) -> None:
    source = "Tushare Pro stock_basic <2024-05-01>"
    result = scorer.explain_one({**CHIPMAKER, "profile_source": source})
    assert result.profile_source == source
    md = render(result, "md")
    html = render(result, "html")
    assert md.count(f"Where the facts come from: {md_escape(source)}") == 2  # summary and profile
    assert html.count(f"Where the facts come from: {escape(source)}") == 2
    plain = scorer.explain_one(CHIPMAKER)
    assert "Where the facts come from" not in render(plain, "md")
    assert "Where the facts come from" not in render(plain, "html")


def test_index_lists_score_interval_band_and_facts(chip: ScoreResult, platform: ScoreResult) -> None:
    index = render_index([chip, platform], ["a.html", "b.html"])
    for r in (chip, platform):
        assert f'<td class="num" data-value="{r.score:.6f}">{r.score:.1f}</td>' in index
        assert f">{r.score_low:.1f}–{r.score_high:.1f}<svg" in index
        assert f'<span class="band band-{["Strong headwind", "Headwind", "Neutral", "Tailwind", "Strong tailwind"].index(r.band)}">{r.band}</span>' in index
        for reason in r.reasons:
            assert f"</span> {escape(reason.text)}</li>" in index
    assert index.count('<svg class="interval-bar"') == 2
    # each drawn interval holds its score
    for x, w, score_x in re.findall(r'<rect class="iv-range" x="([\d.]+)" y="2" width="([\d.]+)"[^>]*/><line class="iv-score" x1="([\d.]+)"', index):
        assert float(x) <= float(score_x) <= float(x) + float(w)


def test_reasons_are_facts_in_every_output(platform: ScoreResult) -> None:
    facts = {c.id: c.fact for c in platform.contributions}
    assert platform.reasons
    card = render_card(platform)
    for reason in platform.reasons:
        assert reason.text == facts[reason.code[:-1]]
        assert escape(reason.text) in card
    assert any(r.text.endswith("million monthly consumer users") for r in platform.reasons)
