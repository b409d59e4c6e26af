"""Rendering a :class:`ScoreResult` as JSON, Markdown or HTML, and the notebook card and index.

Pure functions: a result goes in, text comes out; nothing here touches a file (writing is
``_reports.py``). Everything a template shows is prepared here as plain dicts of strings and
numbers (chart geometry included), so the HTML and Markdown templates only lay it out and the
two formats cannot drift apart.

HTML templates are autoescaped (firm names and profile values are untrusted text); the Markdown
environment escapes the same values with the ``md`` filter and puts identifiers in code spans.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import quote

import jinja2

from alignscore._core.text import neutralise_json, neutralise_markup
from alignscore._core.vocabulary import bounded_probability, logit, score_log_odds
from alignscore._scoring.result import (
    BANDS,
    NOT_RATED,
    Contribution,
    EvidenceQuote,
    RiskFlag,
    RuleOutcome,
    ScoreResult,
)

__all__ = [
    "FORMATS",
    "SECTIONS",
    "TINY_CONTRIBUTION",
    "md_code",
    "md_escape",
    "peer_chart_data",
    "render",
    "render_card",
    "render_index",
    "report_context",
    "score_text",
    "waterfall_data",
]

#: The formats :func:`render` knows.
FORMATS = ("json", "md", "html")

#: Contributions smaller than this (in log-odds, absolute) share one "other" bar in the chart.
TINY_CONTRIBUTION = 0.01

#: The report's sections, in order: (anchor, heading). Markdown and HTML carry the same ones.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("waterfall", "How the score is built"),
    ("drivers", "Strengths and concerns"),
    ("fired", "Rules that fired"),
    ("not-fired", "Rules that did not fire"),
    ("weights", "Learned and prior weights"),
    ("risks", "Risk flags"),
    ("levers", "Levers"),
    ("peers", "Peer comparison"),
    ("coverage", "Data coverage"),
    ("profile", "Firm profile"),
    ("methodology", "Methodology"),
)

_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
_CLASS_NAMES = {
    "hard_tech": "hard tech",
    "state_priority": "state priority",
    "soft_tech": "consumer internet",
    "other": "other sectors",
}


# --- environments and filters --------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")


def md_escape(value: object) -> str:
    """Text made inert in Markdown: one line, with nothing a renderer would read as markup.

    Emphasis, code, link, table and strike-through characters are backslash-escaped; ``<`` and
    ``>`` (and an ``&`` that would start an entity) become entities, which every Markdown
    renderer honours, so a firm named ``<script>`` never reaches a page built from the Markdown
    as a tag; a leading ``#``, ``-``, ``+``, ``=`` or ``1.`` cannot start a heading or a list.

    >>> md_escape("<b>*A_B* [x](y) | 1</b>")
    '&lt;b&gt;\\\\*A\\\\_B\\\\* \\\\[x\\\\](y) \\\\| 1&lt;/b&gt;'
    """
    text = _CONTROL.sub("", str(value))
    text = _LINE_BREAKS.sub(" ", text).strip()
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = re.sub(r"^(\d+)([.)])", r"\1\\\2", text)
    return re.sub(r"^([#+\-=])", r"\\\1", text)


def md_code(value: object) -> str:
    """A Markdown code span holding ``value`` literally (safe inside table cells too)."""
    text = _CONTROL.sub("", str(value))
    text = _LINE_BREAKS.sub(" ", text).strip().replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


@cache
def _html_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("alignscore", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _md_env() -> jinja2.Environment:
    # Markdown templates only (an .html template would still be escaped); values are made
    # inert by the ``md`` filter and identifiers go into code spans with ``code``.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("alignscore", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["code"] = md_code
    return env


# --- formatting ----------------------------------------------------------------------------


def _signed(value: float, digits: int = 2) -> str:
    text = f"{value:+.{digits}f}"
    zero = "0." + "0" * digits
    return "+" + zero if text == "-" + zero else text


def _pct(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{100.0 * value:.{digits}f}%"


def _ordinal(value: float) -> str:
    n = round(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _sentence(text: str | None) -> str:
    text = " ".join((text or "").split())
    if not text:
        return ""
    return text if text[-1] in ".!?" else text + "."


def _seed_path(source: str) -> str:
    return source if "/" in source or "\\" in source else f"seeds/{source}"


def _anchor(prefix: str, ident: str) -> str:
    return f"{prefix}-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", ident).strip("-") or "x")


def _driver_anchor(c: Contribution) -> str:
    return _anchor("rule", c.id)


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _band_index(band: str) -> int:
    """The band's place (0-4, for its colour); 5 for "Not rated"."""
    names = [b[0] for b in BANDS]
    if band == NOT_RATED:
        return len(names)
    return names.index(band) if band in names else -1


def _interval_text(result: ScoreResult) -> str:
    return f"{score_text(result.score_low)}–{score_text(result.score_high)}"


def _not_rated_text(result: ScoreResult) -> str | None:
    if result.rated:
        return None
    return (
        f"Not rated: only {_pct(result.coverage)} of the evidence is known, below the "
        f"{_pct(result.min_coverage)} a rating needs. The score and its explanation are still given."
    )


def _shown(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _by_severity(flags: list[RiskFlag]) -> list[RiskFlag]:
    return sorted(flags, key=lambda f: _SEVERITY_ORDER.get(f.severity, 3))


# --- charts --------------------------------------------------------------------------------

#: Waterfall geometry, in SVG pixels: label column, plot area, value column, rows.
_WF = {
    "width": 780,
    "label_x": 250,
    "x0": 262,
    "x1": 690,
    "value_x": 772,
    "top": 30,
    "row": 22,
    "bar": 14,
    "bottom": 56,
}


#: Characters of a bar's label that fit left of the plot.
_LABEL_CHARS = 40

#: Scores the score axis may mark, most wanted first (kept when far enough from the others);
#: every score lies between 0.5 and 99.5.
_SCORE_TICKS = (50, 20, 80, 1, 99, 5, 95, 40, 60, 10, 90, 30, 70, 2, 98)


def _score_ticks(
    lo: float, hi: float, px: Callable[[float], float], min_gap: float = 30.0,
    candidates: tuple[float, ...] = _SCORE_TICKS, to_x: Callable[[float], float] = score_log_odds,
) -> list[dict[str, Any]]:
    kept: list[tuple[float, float]] = []
    for score in candidates:
        x = to_x(score)
        if not lo <= x <= hi:
            continue
        if all(abs(px(x) - px(other)) >= min_gap for _, other in kept):
            kept.append((score, x))
    return [{"x": px(x), "label": f"{s:g}"} for s, x in sorted(kept, key=lambda t: t[1])]


def _tick_step(span: float) -> float:
    for step in (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0):
        if span / step <= 8:
            return step
    return 100.0


def _working(c: Contribution) -> str:
    """A contribution's arithmetic: learned weight times units (``"0.189 × 1.2 = +0.23"``)."""
    return f"{_num(c.weight)} × {_num(c.units)} = {_signed(c.value)}"


def _raw_bars(result: ScoreResult) -> list[dict[str, Any]]:
    raw: list[dict[str, Any]] = []
    tiny = []
    for c in result.contributions:
        if abs(c.value) < TINY_CONTRIBUTION:
            tiny.append(c)
            continue
        raw.append(
            {
                "label": c.fact,
                "short_label": _truncate(c.fact, _LABEL_CHARS),
                "value": c.value,
                "working": _working(c),
                "kind": c.source,
                "href": "#" + _driver_anchor(c),
            }
        )
    if tiny:
        n = len(tiny)
        raw.append(
            {
                "label": f"other ({n} rule{'s' if n != 1 else ''})",
                "short_label": f"other ({n} rule{'s' if n != 1 else ''})",
                "value": math.fsum(c.value for c in tiny),
                "working": "rules under " + f"{TINY_CONTRIBUTION:g} log-odds each, together",
                "kind": "other",
                "href": "#weights",
            }
        )
    return raw


def waterfall_data(result: ScoreResult) -> dict[str, Any]:
    """The waterfall chart as numbers: baseline, one bar per rule that fired, final log-odds
    with its 80% interval.

    Bars follow ``result.contributions`` in order; every contribution smaller than
    :data:`TINY_CONTRIBUTION` is folded into one "other (N rules)" bar at the end, so the bars'
    values still add up to ``log_odds - baseline``. The interval is drawn on the final row, from
    the log-odds of ``score_low`` to that of ``score_high``. Coordinates are SVG pixels.
    """
    g = _WF
    raw = _raw_bars(result)
    cum = result.baseline
    iv_low = min(score_log_odds(result.score_low), result.log_odds)
    iv_high = max(score_log_odds(result.score_high), result.log_odds)
    # the chart always spans the three middle bands, so the band shading gives a sense of scale
    points = [result.baseline, result.log_odds, iv_low, iv_high, score_log_odds(20) - 0.1,
              score_log_odds(80) + 0.1]  # fmt: skip
    for bar in raw:
        bar["start"] = cum
        cum += bar["value"]
        bar["end"] = cum
        points.append(cum)
    lo, hi = min(points), max(points)
    pad = 0.06 * (hi - lo)
    step = _tick_step(hi - lo + 2 * pad)
    lo = math.floor((lo - pad) / step) * step
    hi = math.ceil((hi + pad) / step) * step

    def px(v: float) -> float:
        return round(g["x0"] + (v - lo) / (hi - lo) * (g["x1"] - g["x0"]), 2)

    n_rows = len(raw) + 2
    plot_bottom = g["top"] + n_rows * g["row"]
    bars = []
    for k, bar in enumerate(raw, start=1):
        y = g["top"] + k * g["row"] + (g["row"] - g["bar"]) / 2
        a, b = px(min(bar["start"], bar["end"])), px(max(bar["start"], bar["end"]))
        tone = "other" if bar["kind"] == "other" else ("pos" if bar["value"] >= 0 else "neg")
        bars.append(
            {
                "label": bar["label"],
                "short_label": _truncate(bar["short_label"], _LABEL_CHARS + 12),
                "value": bar["value"],
                "value_text": _signed(bar["value"]),
                "working": bar["working"],
                "start": bar["start"],
                "end": bar["end"],
                "kind": bar["kind"],
                "tone": tone,
                "href": bar["href"],
                "x": a,
                "width": round(max(b - a, 1.5), 2),
                "y": round(y, 2),
                "height": g["bar"],
                "text_y": round(y + g["bar"] - 3, 2),
                "link_x": px(bar["end"]),
                "link_y1": round(y + g["bar"], 2),
                "link_y2": round(y + g["row"], 2),
            }
        )

    bands = []
    cuts = [-math.inf] + [score_log_odds(b[1]) for b in BANDS[1:]] + [math.inf]
    for k, (name, low, high) in enumerate(BANDS):
        a, b = max(cuts[k], lo), min(cuts[k + 1], hi)
        if b <= a:
            continue
        x, w = px(a), round(px(b) - px(a), 2)
        bands.append(
            {
                "name": name,
                "x": x,
                "width": w,
                "tone": k,
                "range": f"score {low:.0f}-{high:.0f}",
                "show_label": w >= 6.2 * len(name) + 6,
                "label_x": round(x + w / 2, 2),
            }
        )

    ticks = []
    t = lo
    while t <= hi + 1e-9:
        ticks.append({"x": px(t), "log_odds": f"{t:g}" if abs(t) > 1e-12 else "0"})
        t = round(t + step, 10)

    base_y = g["top"] + g["row"] / 2
    final_y = g["top"] + (n_rows - 1) * g["row"] + g["row"] / 2
    return {
        "width": g["width"],
        "height": plot_bottom + g["bottom"],
        "label_x": g["label_x"],
        "value_x": g["value_x"],
        "x0": g["x0"],
        "x1": g["x1"],
        "top": g["top"],
        "plot_bottom": plot_bottom,
        "axis_y": plot_bottom + 14,
        "score_y": plot_bottom + 28,
        "axis_label_y": plot_bottom + 46,
        "lo": lo,
        "hi": hi,
        "zero_x": px(0.0) if lo <= 0 <= hi else None,
        "baseline": {
            "value": result.baseline,
            "x": px(result.baseline),
            "y": base_y,
            "text_y": base_y + 4,
            "value_text": _signed(result.baseline),
            "score": score_text(100.0 * float(bounded_probability(result.baseline))),
            "link_y2": g["top"] + g["row"] + (g["row"] - g["bar"]) / 2,
        },
        "final": {
            "value": result.log_odds,
            "x": px(result.log_odds),
            "y": final_y,
            "text_y": final_y + 4,
            "value_text": _signed(result.log_odds),
            "score": score_text(result.score),
        },
        "interval": {
            "x": px(iv_low),
            "width": round(max(px(iv_high) - px(iv_low), 1.0), 2),
            "y": final_y - 5,
            "height": 10,
            "low": score_text(result.score_low),
            "high": score_text(result.score_high),
            "level": f"{100 * result.interval:.0f}%",
        },
        "bars": bars,
        "bands": bands,
        "ticks": ticks,
        "score_ticks": _score_ticks(lo, hi, px),
        "total": math.fsum(b["value"] for b in bars),
    }


#: Scores the peer chart's axis may mark, most wanted first (its axis reaches further out).
_PEER_TICKS = (50, 10, 90, 1, 99, 0.1, 99.9, 0.01, 99.99, 99.999, 0.001, 99.9999, 20, 80, 5, 95)

#: The peer chart's boxes: (lower decile, upper decile, share of firms), outermost first.
_PEER_BOXES = ((1, 9, "80%"), (2, 8, "60%"), (3, 7, "40%"), (4, 6, "20%"))

_SCORE_EPS = 1e-7  # scores are shown on a log-odds axis; this keeps 0 and 100 finite


def _score_logit(score: float) -> float:
    p = min(max(score / 100.0, _SCORE_EPS), 1.0 - _SCORE_EPS)
    return logit(p)


def score_text(score: float) -> str:
    """A score as reports show it: one decimal (every score lies between 0.5 and 99.5, so one
    decimal never reads as 0 or 100; the JSON keeps full precision).

    >>> score_text(42.04), score_text(99.46), score_text(0.5)
    ('42.0', '99.5', '0.5')
    """
    return f"{score:.1f}"


def _decile_name(k: int) -> str:
    return {0: "0th (lowest)", 5: "50th (median)", 10: "100th (highest)"}.get(k, _ordinal(10 * k))


def _position(score: float, deciles: list[float], whom: str) -> str:
    """Where ``score`` sits on the decile ladder, in words."""
    if not deciles:
        return ""
    if score < deciles[0]:
        return f"below the lowest score of {whom} ({score_text(deciles[0])})"
    if score > deciles[-1]:
        return f"above the highest score of {whom} ({score_text(deciles[-1])})"
    k = max(j for j, d in enumerate(deciles) if d <= score)
    if k == len(deciles) - 1:
        return f"level with the highest score of {whom} ({score_text(deciles[-1])})"
    return (
        f"between the {_ordinal(10 * k)} ({score_text(deciles[k])}) and "
        f"{_ordinal(10 * (k + 1))} ({score_text(deciles[k + 1])}) percentile scores of {whom}"
    )


def peer_chart_data(result: ScoreResult) -> dict[str, Any]:
    """The reference universe's score distribution, overall and within the firm's sector class,
    with the firm's score on it.

    Each row is a decile strip on a log-odds axis labelled in score (the scale the model adds
    up on, which spreads out scores bunched near 0 or 100): a whisker from the lowest to the
    highest reference score, nested boxes holding the middle 80%, 60%, 40% and 20% of the firms,
    a line at the median and a marker at the firm's score. Coordinates are SVG pixels.
    """
    x0, x1, row, top = 220.0, 700.0, 46.0, 46.0
    cls = _CLASS_NAMES.get(result.sector_class or "", result.sector_class or "its class")
    series = (
        ("All firms", "all reference firms", result.peer_percentile, result.peer_deciles,
         result.peer_count),
        (f"Peers in {cls}", f"peers in {cls}", result.peer_percentile_in_class,
         result.peer_deciles_in_class, result.peer_count_in_class),
    )  # fmt: skip
    points = [_score_logit(result.score), logit(0.2) - 0.1, logit(0.8) + 0.1]
    for *_, deciles, _count in series:
        points += [_score_logit(d) for d in deciles]
    lo, hi = min(points), max(points)
    pad = 0.04 * (hi - lo)
    lo, hi = lo - pad, hi + pad

    def px(score: float) -> float:
        return round(x0 + (_score_logit(score) - lo) / (hi - lo) * (x1 - x0), 2)

    marker = px(result.score)
    rows = []
    for k, (label, whom, pct, deciles, count) in enumerate(series):
        y = top + k * row  # the strip's centre line
        has = bool(deciles)
        ladder = [
            {"x": px(d), "name": _decile_name(j), "score": score_text(d)}
            for j, d in enumerate(deciles)
        ]
        boxes = []
        if has:
            for a, b, share in _PEER_BOXES:
                boxes.append(
                    {
                        "x": px(deciles[a]),
                        "width": round(max(px(deciles[b]) - px(deciles[a]), 1.0), 2),
                        "share": share,
                        "range": f"{score_text(deciles[a])} to {score_text(deciles[b])}",
                        "from": _ordinal(10 * a),
                        "to": _ordinal(10 * b),
                    }
                )
        rows.append(
            {
                "label": label,
                "count": count,
                "count_text": f"{count} firm{'s' if count != 1 else ''}" if has else "no firms",
                "pct": pct,
                "has": has,
                "y": y,
                "text_y": round(y + 4, 2),
                "count_y": round(y + 17, 2),
                "box_y": y - 8,
                "box_h": 16,
                "whisker": {"x1": ladder[0]["x"], "x2": ladder[-1]["x"]} if has else None,
                "median": ladder[5] if has else None,
                "boxes": boxes,
                "ladder": ladder,
                "deciles": [score_text(d) for d in deciles],
                "text": "no reference data" if pct is None else f"{_ordinal(pct)} percentile",
                "position": _position(result.score, deciles, whom),
            }
        )
    plot_bottom = top + (len(series) - 1) * row + 16
    ticks = [
        {"x": t["x"], "label": t["label"]}
        for t in _score_ticks(lo, hi, lambda v: round(x0 + (v - lo) / (hi - lo) * (x1 - x0), 2),
                              min_gap=50.0, candidates=_PEER_TICKS, to_x=_score_logit)
    ]  # fmt: skip
    bands = []
    for k, (name, low, high) in enumerate(BANDS):
        left, right = max(px(low), x0), min(px(high), x1)
        if right > left:
            bands.append({"x": left, "width": round(right - left, 2), "tone": k, "name": name})
    return {
        "width": 860,
        "height": plot_bottom + 40,
        "x0": x0,
        "x1": x1,
        "track": x1 - x0,
        "top": top,
        "plot_top": top - 18,
        "plot_bottom": plot_bottom,
        "rows": rows,
        "bands": bands,
        "ticks": ticks,
        "axis_y": plot_bottom + 4,
        "tick_text_y": plot_bottom + 17,
        "axis_label_y": plot_bottom + 33,
        "text_x": x1 + 12,
        "marker": {
            "x": marker,
            "score": score_text(result.score),
            "label_y": top - 26,
        },
        "decile_header": [_decile_name(j).split(" ")[0] for j in range(11)],
        "decile_names": [_decile_name(j) for j in range(11)],
        "score": score_text(result.score),
    }


# --- the report's content ------------------------------------------------------------------


class _Quotes:
    """Numbers every quoted passage E1, E2, ... in the order the report shows them."""

    def __init__(self) -> None:
        self.by_owner: dict[str, list[dict[str, str]]] = {}
        self.count = 0

    def add(self, owner: str, evidence: list[EvidenceQuote]) -> list[dict[str, str]]:
        if owner in self.by_owner:
            return self.by_owner[owner]
        out = []
        for e in evidence:
            self.count += 1
            out.append(
                {
                    "n": f"E{self.count}",
                    "id": f"ev-{self.count}",
                    "quote": " ".join(e.quote.split()),
                    "source": _seed_path(e.source),
                }
            )
        self.by_owner[owner] = out
        return out


def _refs(quotes: list[dict[str, str]]) -> str:
    return f" ({', '.join(q['n'] for q in quotes)})" if quotes else ""


def _outcome_view(r: RuleOutcome, quotes: _Quotes | None) -> dict[str, Any]:
    why = list(dict.fromkeys(r.why_not))
    return {
        "id": r.id,
        "anchor": _anchor("rule", r.id),
        "title": r.title,
        "signal": r.signal,
        "kind": r.kind,
        "severity": r.severity,
        "kind_text": f"{r.kind} ({r.severity} severity)" if r.severity else r.kind,
        "state": r.state,
        "weight": "risk flag" if r.weight is None else _signed(r.weight),
        "prior": "" if r.prior is None else _signed(r.prior),
        "contribution": _signed(r.contribution, 3),
        "tone": "pos" if r.contribution > 0 else ("neg" if r.contribution < 0 else ""),
        "condition": r.condition,
        "why_not": "; ".join(why) if why else r.state,
        "rationale": _sentence(r.rationale),
        "quotes": quotes.add("rule:" + r.id, r.evidence) if quotes is not None else [],
    }


def _num(value: float) -> str:
    """A model number in three significant figures, never in exponent notation."""
    if value == 0:
        return "0"
    text = f"{value:.3g}"
    if "e" in text:
        digits = max(0, 2 - math.floor(math.log10(abs(value))))
        text = f"{value:.{digits}f}"
    return text


def _weight_text(c: Contribution) -> str:
    """The learned weight beside the analysts' prior and its standard error."""
    return f"learned weight {_num(c.weight)} vs analysts' prior {_num(c.prior)} (std. error {_num(c.std_error)})"


def _fired_view(c: Contribution, outcome: RuleOutcome | None, quotes: _Quotes) -> dict[str, Any]:
    """A rule that fired, worded as the fact it found, with its arithmetic."""
    graded = c.input_value is not None
    return {
        "id": c.id,
        "anchor": _driver_anchor(c),
        "title": c.label,
        "fact": c.fact,
        "signal": c.signal or "",
        "units": _num(c.units),
        "unit_text": (outcome.condition if outcome is not None else "") if graded else "1 when it fires",
        "condition": outcome.condition if outcome is not None else "",
        "weight": _num(c.weight),
        "prior": _num(c.prior),
        "std_error": _num(c.std_error),
        "weight_text": _weight_text(c),
        "working": _working(c),
        "contribution": _signed(c.value, 3),
        "prior_contribution": _signed(c.prior * c.units, 3),
        "tone": "pos" if c.value > 0 else ("neg" if c.value < 0 else ""),
        "rationale": _sentence(c.rationale),
        "quotes": quotes.add("rule:" + c.id, c.evidence),
    }


def _drivers(
    result: ScoreResult, quotes: _Quotes
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    strengths: list[dict[str, Any]] = []
    concerns: list[dict[str, Any]] = []
    small = []
    for c in result.contributions:
        if abs(c.value) < TINY_CONTRIBUTION:
            small.append(c.value)
            continue
        if c.value > 0:
            effect = f"adds {_signed(c.value)} log-odds"
        else:
            effect = f"subtracts {abs(c.value):.2f} log-odds"
        effect += f" ({_num(c.weight)} × {_num(c.units)})"
        refs = quotes.by_owner.get("rule:" + c.id) or quotes.add("rule:" + c.id, c.evidence)
        rationale = _sentence(c.rationale)
        item = {
            "subject": c.fact,
            "effect": effect,
            "rationale": rationale,
            "tail": f": {rationale}" if rationale else ".",
            "anchor": _driver_anchor(c),
            "source": c.source,
            "quotes": refs,
            "refs": _refs(refs),
            "text": f"{c.fact} {effect}" + (f": {rationale}" if rationale else "."),
        }
        (strengths if c.value > 0 else concerns).append(item)
    small_text = None
    if small:
        n = len(small)
        small_text = (
            f"{n} further rule{'s' if n != 1 else ''} moved the log-odds by less than "
            f"{TINY_CONTRIBUTION:g} each (together {_signed(math.fsum(small), 3)})."
        )
    return strengths, concerns, small_text


#: How levers are grouped in a report, in order: (kind, heading).
LEVER_GROUPS = (
    ("status", "Status: what the firm would have to obtain"),
    ("business_mix", "Business mix: where its revenue comes from and what it spends on"),
)


def _lever_groups(result: ScoreResult) -> list[dict[str, Any]]:
    groups = []
    for kind, title in LEVER_GROUPS:
        items = [
            {
                "text": _sentence(lv.text[:1].upper() + lv.text[1:]),
                "direction": lv.direction,
                "new_score": score_text(lv.new_score),
                "to_band": lv.to_band,
            }
            for lv in result.levers
            if lv.kind == kind
        ]
        if items:
            groups.append({"kind": kind, "title": title, "levers": items})
    return groups


def report_context(result: ScoreResult) -> dict[str, Any]:
    """Everything the report templates show, as plain strings, numbers, lists and dicts."""
    quotes = _Quotes()
    outcomes = {r.id: r for r in result.rules}
    fired_view = [_fired_view(c, outcomes.get(c.id), quotes) for c in result.contributions]
    moved = {c.id for c in result.contributions}
    zero_weight = [
        {"id": r.id, "title": r.title, "anchor": _anchor("rule", r.id)}
        for r in result.rules
        if r.kind == "favour" and r.state == "fired" and r.id not in moved
    ]
    not_fired = [_outcome_view(r, None) for r in result.rules if r.state != "fired"]

    risk_view = [
        {
            "id": f.id,
            "anchor": _anchor("risk", f.id),
            "title": f.title,
            "severity": f.severity,
            "signal": f.signal,
            "rationale": _sentence(f.rationale),
            "quotes": quotes.add("risk:" + f.id, f.evidence),
        }
        for f in _by_severity(result.risk_flags)
    ]
    strengths, concerns, small_text = _drivers(result, quotes)

    wf = waterfall_data(result)
    m = result.methodology
    high = sum(1 for f in result.risk_flags if f.severity == "high")
    risk_summary = "none"
    if result.risk_flags:
        risk_summary = f"{len(result.risk_flags)}" + (f" ({high} high)" if high else "")
    cls = _CLASS_NAMES.get(result.sector_class or "", result.sector_class) or "unknown"
    base = _signed(result.baseline)
    steps = [{"label": "Baseline (score 50, neutral)", "working": "", "value": base, "cumulative": base}]
    steps += [
        {"label": b["label"], "working": b["working"], "value": b["value_text"],
         "cumulative": _signed(b["end"])}
        for b in wf["bars"]
    ]  # fmt: skip
    pct = result.peer_percentile
    peers = peer_chart_data(result)
    decile_rows = [
        {"name": name, "cells": [r["deciles"][j] if r["has"] else "n/a" for r in peers["rows"]]}
        for j, name in enumerate(peers["decile_names"])
    ]
    prior_score = 100.0 * float(bounded_probability(result.prior_log_odds))
    n_fired = len(result.contributions)
    return {
        "name": result.name,
        "sections": [{"id": a, "title": t} for a, t in SECTIONS],
        "headline": {
            "score": score_text(result.score),
            "interval": _interval_text(result),
            "interval_level": f"{100 * result.interval:.0f}%",
            "band": result.band,
            "band_index": _band_index(result.band),
            "rated": result.rated,
            "not_rated": _not_rated_text(result),
            "probability": f"{result.probability:.3f}",
            "coverage": _pct(result.coverage),
            "min_coverage": _pct(result.min_coverage),
            "log_odds": _signed(result.log_odds),
            "baseline": base,
            "fired_count": f"{n_fired} rule{'s' if n_fired != 1 else ''} that fired",
            "risk_summary": risk_summary,
            "percentile": "n/a" if pct is None else _ordinal(pct),
            "sector_class": cls,
            "prior_score": score_text(prior_score),
            "prior_log_odds": _signed(result.prior_log_odds),
        },
        "profile_source": result.profile_source,
        "waterfall": wf,
        "steps": steps,
        "strengths": strengths,
        "concerns": concerns,
        "small_text": small_text,
        "fired": fired_view,
        "zero_weight": zero_weight,
        "not_fired": not_fired,
        "weights_total": {
            "learned": _signed(result.log_odds - result.baseline, 3),
            "prior": _signed(result.prior_log_odds - result.baseline, 3),
        },
        "risks": risk_view,
        "lever_groups": _lever_groups(result),
        "peers": peers,
        "decile_rows": decile_rows,
        "any_deciles": any(r["has"] for r in peers["rows"]),
        "peer_reference": result.peer_reference,
        "peer_class": cls,
        "coverage": {
            "percent": _pct(result.coverage),
            "min": _pct(result.min_coverage),
            "width": round(max(0.0, min(1.0, result.coverage)) * 100, 2),
            "min_width": round(max(0.0, min(1.0, result.min_coverage)) * 100, 2),
            "unknown": list(result.unknown_inputs),
        },
        "profile": [{"field": k, "value": _shown(v)} for k, v in result.profile.items()],
        "methodology": {
            "rules_directory": m.rules_directory,
            "rules_sha256": m.rules_sha256,
            "model_sha256": m.model_sha256,
            "as_of": m.as_of,
            "version": m.alignscore_version,
            "row": str(result.row),
            "peer_reference": result.peer_reference,
        },
        "quote_count": quotes.count,
        "tiny": f"{TINY_CONTRIBUTION:g}",
    }



# --- public functions ----------------------------------------------------------------------


def render(result: ScoreResult, fmt: str) -> str:
    """``result`` as text: ``"json"`` (the result itself), ``"md"`` or ``"html"`` (a report)."""
    if fmt not in FORMATS:
        raise ValueError(
            "The 'fmt' parameter of render must be one of 'json', 'md', 'html'. "
            f"Got {fmt!r} instead."
        )
    if fmt == "json":
        return neutralise_json(result.to_json())
    env = _md_env() if fmt == "md" else _html_env()
    return neutralise_markup(env.get_template(f"report.{fmt}.j2").render(**report_context(result)))


def _top_reasons(result: ScoreResult) -> list[dict[str, str]]:
    return [
        {"text": r.text, "value": _signed(r.value), "tone": "pos" if r.value > 0 else "neg"}
        for r in result.reasons
    ]


def _interval_bar(result: ScoreResult, width: float = 120.0) -> dict[str, Any]:
    """A small 0-100 strip with the score's interval drawn on it (SVG pixels)."""

    def px(score: float) -> float:
        return round(2.0 + max(0.0, min(100.0, score)) / 100.0 * (width - 4.0), 2)

    lo, hi = px(result.score_low), px(result.score_high)
    return {
        "width": width,
        "x0": px(0.0),
        "x1": px(100.0),
        "mid": px(50.0),
        "x": lo,
        "w": round(max(hi - lo, 1.0), 2),
        "score_x": px(result.score),
        "title": f"{score_text(result.score)} ({100 * result.interval:.0f}% interval {_interval_text(result)})",
    }


def render_card(result: ScoreResult) -> str:
    """A compact HTML card for notebooks: name, score and interval, band, probability, reasons,
    flags."""
    return neutralise_markup(
        _html_env()
        .get_template("card.html.j2")
        .render(
            name=result.name,
            score=score_text(result.score),
            interval=_interval_text(result),
            interval_level=f"{100 * result.interval:.0f}%",
            not_rated=_not_rated_text(result),
            band=result.band,
            band_index=_band_index(result.band),
            probability=f"{result.probability:.3f}",
            coverage=_pct(result.coverage),
            reasons=_top_reasons(result),
            risks=_by_severity(result.risk_flags),
            as_of=result.methodology.as_of,
        )
    )


def render_index(results: list[ScoreResult], links: list[str]) -> str:
    """The HTML index of a run: one sortable row per firm, each name linking to its report.

    ``links`` are the reports' URLs relative to the index; they are percent-encoded here, so a
    link can never turn into a ``javascript:`` URL or break out of its attribute.
    """
    results, links = list(results), list(links)
    if len(results) != len(links):
        raise ValueError(
            f"render_index needs one link per result: got {len(results)} results "
            f"and {len(links)} links."
        )
    rows = []
    for r, link in zip(results, links, strict=True):
        rows.append(
            {
                "name": r.name,
                "href": quote(link, safe="/"),
                "score": score_text(r.score),
                "score_value": f"{r.score:.6f}",
                "interval": _interval_text(r),
                "interval_value": f"{r.score_high - r.score_low:.6f}",
                "bar": _interval_bar(r),
                "band": r.band,
                "rated": r.rated,
                "coverage": _pct(r.coverage),
                "band_index": _band_index(r.band),
                "band_sort": _band_index(r.band) if r.rated else -1,  # not rated sorts lowest
                "reasons": _top_reasons(r),
                "risks": _by_severity(r.risk_flags),
                "risk_value": sum(3 - _SEVERITY_ORDER.get(f.severity, 3) for f in r.risk_flags),
            }
        )
    as_of = sorted({r.methodology.as_of for r in results})
    versions = sorted({r.methodology.alignscore_version for r in results})
    return neutralise_markup(
        _html_env()
        .get_template("index.html.j2")
        .render(
            rows=rows,
            count=len(rows),
            as_of=", ".join(as_of) or "n/a",
            version=", ".join(versions) or "n/a",
        )
    )
