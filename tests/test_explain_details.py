"""The explanation's finer details: peer deciles, risk severities on rules, and each rule's
learned weight, prior and units, and how the report shows them.

The reference universe is recomputed here by scoring ``data/labelled_firms.csv`` with the same
:class:`~alignscore.Scorer` the explanations come from.

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests peer deciles (_scoring.explain) and the report's Markdown escaping and peer chart (_report.render).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape

from alignscore import RuleSet, Scorer, ScoreResult, render
from alignscore._report.render import md_escape, peer_chart_data
from alignscore._scoring.explain import Peers

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "data" / "labelled_firms.csv"
EXAMPLES = ROOT / "examples" / "firms.csv"
AS_OF = "2024-06-30"


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(as_of=AS_OF)


@pytest.fixture(scope="module")
def reference_results(scorer: Scorer) -> list[ScoreResult]:
    """The labelled firms (the reference universe itself), explained."""
    return scorer.explain(LABELLED)


@pytest.fixture(scope="module")
def reference(reference_results: list[ScoreResult]) -> pd.DataFrame:
    """Every reference firm's score and sector class."""
    return pd.DataFrame(
        {
            "score": [r.score for r in reference_results],
            "sector_class": [r.sector_class for r in reference_results],
        }
    )


@pytest.fixture(scope="module")
def examples(scorer: Scorer) -> list[ScoreResult]:
    return scorer.explain(EXAMPLES)


# --- peer deciles --------------------------------------------------------------------------


def test_reference_is_the_labelled_firms_scored_by_the_same_scorer(
    scorer: Scorer, reference: pd.DataFrame
) -> None:
    frame = scorer.score_frame(pd.read_csv(LABELLED), errors="flag")
    scores = frame["score"].dropna().to_numpy()
    assert len(scores) == len(reference) > 100
    np.testing.assert_array_equal(np.sort(scores), np.sort(reference["score"].to_numpy()))


def _check_deciles(deciles: list[float], scores: np.ndarray) -> None:
    assert len(deciles) == 11
    assert deciles == sorted(deciles)
    assert deciles[0] == scores.min()
    assert deciles[-1] == scores.max()
    assert set(deciles) <= set(scores.tolist())  # each is a score some reference firm has


def test_deciles_are_sorted_and_span_the_reference(
    examples: list[ScoreResult], reference: pd.DataFrame
) -> None:
    scores = reference["score"].to_numpy()
    for r in examples:
        _check_deciles(r.peer_deciles, scores)
        assert r.peer_count == len(scores)
        in_class = reference.loc[reference["sector_class"] == r.sector_class, "score"].to_numpy()
        assert r.peer_count_in_class == len(in_class)
        if len(in_class):
            _check_deciles(r.peer_deciles_in_class, in_class)
        else:
            assert r.peer_deciles_in_class == []
    # the examples include firms of more than one class, so the class deciles differ
    assert len({tuple(r.peer_deciles_in_class) for r in examples}) > 1


def _check_consistent(score: float, pct: float | None, deciles: list[float]) -> None:
    assert pct is not None
    for k, d in enumerate(deciles):
        if score > d:
            assert pct >= 10 * k, (score, pct, k, deciles)
        if score < d:
            assert pct <= 10 * k, (score, pct, k, deciles)


def test_percentile_agrees_with_the_deciles(
    examples: list[ScoreResult], reference_results: list[ScoreResult]
) -> None:
    results = [*examples, *reference_results]
    for r in results:
        _check_consistent(r.score, r.peer_percentile, r.peer_deciles)
        _check_consistent(r.score, r.peer_percentile_in_class, r.peer_deciles_in_class)
    # the check has teeth: some firms sit above the 90th-percentile score, some below the 10th
    assert any(r.score > r.peer_deciles[9] for r in results)
    assert any(r.score < r.peer_deciles[1] for r in results)
    top = max(results, key=lambda r: r.score)
    assert top.peer_percentile >= 90


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 11, 15, 19, 23, 40, 101])
def test_peers_deciles_agree_with_percentiles_for_any_size(n: int) -> None:
    rng = np.random.default_rng(n)
    scores = np.round(rng.uniform(0, 100, n), 0)  # rounded, so there are ties
    classes = rng.integers(0, 2, n)
    peers = Peers("test", scores, classes)
    deciles, within, count, count_in = peers.distribution(int(classes[0]))
    assert count == n
    assert count_in == int((classes == classes[0]).sum())
    _check_deciles(deciles, scores)
    _check_deciles(within, scores[classes == classes[0]])
    np.testing.assert_array_equal(
        deciles, np.percentile(scores, np.arange(0, 101, 10), method="inverted_cdf")
    )
    for probe in np.concatenate([scores, scores + 0.5, scores - 0.5, [-1.0, 101.0]]):
        overall, in_class = peers.percentile(float(probe), int(classes[0]))
        _check_consistent(float(probe), overall, deciles)
        _check_consistent(float(probe), in_class, within)


def test_a_class_without_peers_has_no_deciles(scorer: Scorer) -> None:
    labelled = pd.read_csv(LABELLED)
    hard_tech = labelled[labelled["sector"].isin(["semiconductors", "semiconductor_equipment"])]
    s = Scorer(as_of=AS_OF, reference=hard_tech)
    result = s.explain_one({"name": "Example Shop", "sector": "e_commerce", "listing_venue": "us"})
    assert result.sector_class == "soft_tech"
    assert result.peer_deciles_in_class == []
    assert result.peer_count_in_class == 0
    assert result.peer_percentile_in_class is None
    assert len(result.peer_deciles) == 11
    assert result.peer_count == len(hard_tech)
    html = render(result, "html")
    assert html.count('class="peer-dist"') == 1  # only the overall distribution is drawn
    assert "no peers to compare with" in html
    md = render(result, "md")
    assert "| 50th (median) |" in md
    assert "| n/a |" in md


# --- severity on rules ---------------------------------------------------------------------


def test_severity_is_set_for_risk_rules_only(examples: list[ScoreResult]) -> None:
    specs = {r.id: r.spec for r in RuleSet.load(ROOT / "rules").rules}
    for result in examples:
        kinds = {o.kind for o in result.rules}
        assert kinds == {"favour", "risk"}
        for o in result.rules:
            if o.kind == "risk":
                assert o.severity in ("low", "medium", "high")
                assert o.severity == specs[o.id].severity
            else:
                assert o.severity is None
        fired = {f.id: f.severity for f in result.risk_flags}
        assert fired == {
            o.id: o.severity for o in result.rules if o.kind == "risk" and o.state == "fired"
        }


def test_report_shows_the_severity_of_risk_rules_that_did_not_fire(
    examples: list[ScoreResult],
) -> None:
    result = next(
        r for r in examples if any(o.kind == "risk" and o.state != "fired" for o in r.rules)
    )
    html = render(result, "html")
    md = render(result, "md")
    for o in result.rules:
        if o.kind == "risk" and o.state != "fired":
            row = re.search(rf'<tr id="rule-{re.escape(o.id)}">.*?</tr>', html, re.S)
            assert row is not None
            assert f'<span class="sev sev-{o.severity}"' in row.group(0)
            assert f"| risk ({o.severity} severity) | {o.state} |" in md


# --- the scorecard's arithmetic ------------------------------------------------------------


def test_weight_times_units_is_the_contribution(
    examples: list[ScoreResult], reference_results: list[ScoreResult]
) -> None:
    ruleset = RuleSet.load(ROOT / "rules")
    rules = {r.id: r for r in ruleset.favour}
    learned: dict[str, tuple[float, float]] = {}
    graded_seen = yes_no_seen = 0
    for r in [*examples, *reference_results]:
        total = r.baseline + math.fsum(c.value for c in r.contributions)
        assert abs(total - r.log_odds) < 1e-9
        for c in r.contributions:
            rule = rules[c.id]
            assert c.source == "rule"
            assert c.value == pytest.approx(c.weight * c.units, abs=1e-12)
            assert c.prior == rule.spec.weight
            # one learned weight per rule, the same for every firm
            assert learned.setdefault(c.id, (c.weight, c.std_error)) == (c.weight, c.std_error)
            graded = rule.graded
            if graded is None:
                yes_no_seen += 1
                assert c.units == 1.0
                assert c.fact == rule.spec.title
                assert c.input_value is None
            else:
                graded_seen += 1
                x = float(r.profile[graded.column])
                expected = graded.units({graded.column: np.array([x])})[0]
                assert c.units == pytest.approx(expected, abs=1e-12)
                assert 0 < c.units <= graded.cap
                assert c.fact == graded.fact.format(value=x)
    assert graded_seen
    assert yes_no_seen


def test_rules_show_the_arithmetic_in_words(examples: list[ScoreResult]) -> None:
    result = next(r for r in examples if any(c.input_value is not None for c in r.contributions))
    md = render(result, "md")
    html = render(result, "html")
    for c in result.contributions:
        working = f"{c.weight:.3g} × {c.units:.3g} = {c.value:+.2f}"
        weights = f"learned weight {c.weight:.3g} vs analysts' prior {c.prior:.3g} (std. error {c.std_error:.3g})"
        assert working in md
        assert working in html
        assert weights in md
        assert str(escape(weights)) in html
        assert f"### {md_escape(c.fact)}\n" in md
        assert f"<h3>{escape(c.fact)}</h3>" in html
    for text in (md, html):
        assert "typical" not in text
        assert "Model drivers" not in text


def test_json_carries_the_new_fields(examples: list[ScoreResult]) -> None:
    result = examples[0]
    data = json.loads(result.to_json())
    assert len(data["peer_deciles"]) == 11
    assert {"fact", "units", "weight", "prior", "std_error"} <= set(data["contributions"][0])
    assert {"score_low", "score_high", "interval", "rated", "min_coverage", "prior_log_odds",
            "profile_source"} <= set(data)  # fmt: skip
    assert not {"rules_log_odds", "model_log_odds", "disagreement"} & set(data)
    assert "severity" in data["rules"][0]
    assert {"units", "prior"} <= set(data["rules"][0])
    # the JSON is the API's dump: full precision, not the report's one decimal
    assert data["score"] == result.score
    assert data["score_low"] == result.score_low
    assert data["contributions"][0]["value"] == result.contributions[0].value
    assert ScoreResult.model_validate(data) == result


# --- the chart -----------------------------------------------------------------------------


def _xs(svg: str, cls: str) -> list[float]:
    return [float(x) for x in re.findall(rf'class="{cls}" x1="([-0-9.]+)"', svg)]


def test_html_report_draws_the_distribution(examples: list[ScoreResult]) -> None:
    for result in examples[:4]:
        html = render(result, "html")
        svg = re.search(r'<svg class="chart peers".*?</svg>', html, re.S)
        assert svg is not None, "the peer section has no distribution chart"
        svg = svg.group(0)
        assert "<script" not in svg
        assert svg.count('class="peer-dist"') == 2  # overall and in class
        assert len(re.findall(r'<rect class="peer-box peer-box-\d"', svg)) == 8
        ticks = _xs(svg, "peer-decile")
        assert len(ticks) == 22
        marker = _xs(svg, "peer-marker")
        assert len(marker) == 1
        # the marker sits on the same side of every decile tick as the score of that decile
        for deciles, row_ticks in ((result.peer_deciles, ticks[:11]),
                                   (result.peer_deciles_in_class, ticks[11:])):  # fmt: skip
            assert row_ticks == sorted(row_ticks)
            for d, x in zip(deciles, row_ticks, strict=True):
                if result.score > d:
                    assert marker[0] >= x
                elif result.score < d:
                    assert marker[0] <= x
        chart = peer_chart_data(result)
        assert all(chart["x0"] <= x <= chart["x1"] for x in ticks + marker)
        for row in chart["rows"]:
            assert f"{row['label']}</td>" in html


def test_markdown_gives_the_deciles_and_the_percentile(examples: list[ScoreResult]) -> None:
    result = examples[0]
    md = render(result, "md")
    names = ["0th (lowest)", *[f"{10 * k}th" for k in range(1, 5)], "50th (median)",
             *[f"{10 * k}th" for k in range(6, 10)], "100th (highest)"]  # fmt: skip
    rows = re.findall(r"^\| (\d+th(?: \(\w+\))?) \| ([^|]+) \| ([^|]+) \|$", md, re.M)
    assert [r[0] for r in rows] == names
    assert (
        f"| All firms | {result.peer_count} | {round(result.peer_percentile)}th percentile |" in md
    )
