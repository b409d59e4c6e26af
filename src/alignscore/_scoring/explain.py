"""Turning one row of :class:`~alignscore._scoring.engine.ScoreArrays` into a :class:`ScoreResult`.

This is per firm (a report, ``explain``, a notebook), so plain Python is fine here; the batch
scoring path never comes through this module.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np

from alignscore._contract.columns import PROFILE_COLUMNS, Kind, column
from alignscore._contract.profiles import Profiles, python_value
from alignscore._core.vocabulary import (
    BAND_CODES,
    BAND_NAMES,
    NOT_RATED,
    SECTOR_CLASSES,
    score_log_odds,
)
from alignscore._core.vocabulary import BANDS as BANDS_TABLE
from alignscore._rules.ruleset import FIRED, STATE_NAMES
from alignscore._version import __version__

from .engine import Engine, ScoreArrays, band_index
from .result import (
    Contribution,
    EvidenceQuote,
    Lever,
    Methodology,
    Reason,
    RiskFlag,
    RuleOutcome,
    ScoreResult,
)

__all__ = ["Peers", "explain_rows", "fact_of"]


class Peers:
    """Scores of a reference universe, overall and by sector class, for percentiles.

    The deciles are taken from the sorted scores without interpolation (the "inverted CDF"
    definition): the ``k``-th is the lowest reference score at or above ``10 k`` % of the firms,
    i.e. the score of the ``ceil(k n / 10)``-th firm from the bottom (the lowest for ``k = 0``).
    So the 0th is the minimum, the 100th the maximum, and they agree with :meth:`percentile`:
    a score above the ``k``-th decile has a percentile of at least ``10 k``, one below it at
    most ``10 k``.
    """

    def __init__(self, name: str, scores: np.ndarray, classes: np.ndarray) -> None:
        self.name = name
        self.scores = np.sort(scores)
        self.by_class = {int(c): np.sort(scores[classes == c]) for c in np.unique(classes)}
        self.deciles = self._deciles(self.scores)
        self.deciles_by_class = {c: self._deciles(s) for c, s in self.by_class.items()}

    @staticmethod
    def _pct(sorted_scores: np.ndarray, score: float) -> float | None:
        if not len(sorted_scores):
            return None
        below = np.searchsorted(sorted_scores, score, side="left")
        equal = np.searchsorted(sorted_scores, score, side="right") - below
        return round(100.0 * (below + 0.5 * equal) / len(sorted_scores), 1)

    @staticmethod
    def _deciles(sorted_scores: np.ndarray) -> list[float]:
        n = len(sorted_scores)
        if not n:
            return []
        k = np.arange(11, dtype=np.int64)
        index = np.maximum(-(-k * n // 10) - 1, 0)  # ceil(k n / 10) - 1, in integers
        return [float(v) for v in sorted_scores[index]]

    def percentile(self, score: float, sector_class: int) -> tuple[float | None, float | None]:
        overall = self._pct(self.scores, score)
        within = self._pct(self.by_class.get(sector_class, np.array([])), score)
        return overall, within

    def distribution(self, sector_class: int) -> tuple[list[float], list[float], int, int]:
        """Deciles overall and within ``sector_class`` (empty when it has no peers), and the
        number of reference firms in each."""
        within = self.by_class.get(sector_class, np.array([]))
        return (
            list(self.deciles),
            list(self.deciles_by_class.get(sector_class, [])),
            len(self.scores),
            len(within),
        )


def _evidence(items) -> list[EvidenceQuote]:
    return [EvidenceQuote(source=e.source, quote=e.quote) for e in items]


def _profile_value(profiles: Profiles, name: str, i: int) -> str | float | bool | int | None:
    value = python_value(column(name), profiles.values[name], i)
    # python_value is typed object: it gives a date (shown as ISO text) or one of the types above
    return value.isoformat() if isinstance(value, dt.date) else value  # type: ignore[return-value]


def _shown(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def explain_rows(
    engine: Engine,
    profiles: Profiles,
    arrays: ScoreArrays,
    rows: list[int],
    as_of: dt.date,
    peers: Peers | None,
) -> list[ScoreResult]:
    return [_explain_one(engine, profiles, arrays, i, as_of, peers) for i in rows]


def fact_of(rule, ctx: dict[str, np.ndarray], i: int) -> str:
    """What a fired rule says the firm is or has: its title, or a graded signal's value."""
    graded = rule.graded
    if graded is None:
        return rule.spec.title
    return graded.fact.format(value=float(ctx[graded.column][i]))


def _explain_one(
    engine: Engine, profiles: Profiles, a: ScoreArrays, i: int, as_of: dt.date, peers: Peers | None
) -> ScoreResult:
    rs = engine.ruleset
    card = engine.scorecard
    profile = {c.name: _profile_value(profiles, c.name, i) for c in PROFILE_COLUMNS}
    contributions: list[Contribution] = []
    fired_favour: list[int] = []  # the favour-rule index of each contribution
    outcomes: list[RuleOutcome] = []
    fav_pos = {int(j): k for k, j in enumerate(engine.favour_idx)}
    for j, rule in enumerate(rs.rules):
        state = int(a.states[i, j])
        spec = rule.spec
        k = fav_pos.get(j)
        value = float(a.rule_contrib[i, k]) if k is not None else 0.0
        units = float(a.units[i, k]) if k is not None else 0.0
        why = [] if state in (FIRED, -2) else rule.node.why_not(a.ctx, i)
        if state == -2:
            why = [f"in effect {spec.effective_from or '...'} to {spec.effective_to or '...'}"]
        outcomes.append(RuleOutcome(
            id=spec.id, title=spec.title, signal=spec.signal, kind=spec.kind,
            state=STATE_NAMES[state], weight=float(engine.weights[k]) if k is not None else None,
            prior=spec.weight, units=units,
            severity=spec.severity if spec.kind == "risk" else None, contribution=value,
            condition=rule.node.describe(), why_not=why, rationale=spec.rationale,
            evidence=_evidence(spec.evidence),
        ))  # fmt: skip
        if k is not None and state == FIRED and value != 0.0:
            graded = rule.graded
            fired_favour.append(k)
            contributions.append(Contribution(
                id=spec.id, label=spec.title, fact=fact_of(rule, a.ctx, i), value=value,
                units=units, weight=float(engine.weights[k]), prior=float(card.priors[k]),
                std_error=float(card.std_errors[k]),
                input_value=_shown(_input_shown(profiles, a, graded.column, i)) if graded else None,
                signal=spec.signal, rationale=spec.rationale, evidence=_evidence(spec.evidence),
            ))  # fmt: skip
    by_favour_rule = {k: c for k, c in zip(fired_favour, contributions, strict=True)}
    contributions.sort(key=lambda c: -abs(c.value))
    # the drivers as the engine ranked them, so the reasons here are the `reasons` column's
    favourable, unfavourable = engine.drivers(a, i)
    reasons = [
        Reason(code=c.id + ("+" if c.value > 0 else "-"), text=c.fact, value=c.value)
        for c in (by_favour_rule[k] for k in favourable + unfavourable)
    ]
    risk = [
        RiskFlag(id=r.spec.id, title=r.spec.title, severity=r.spec.severity or "low",
                 signal=r.spec.signal, rationale=r.spec.rationale, evidence=_evidence(r.spec.evidence))
        for j, r in enumerate(rs.rules) if r.spec.kind == "risk" and a.states[i, j] == FIRED
    ]  # fmt: skip
    unknown = sorted({
        c for j, r in enumerate(rs.rules) if int(a.states[i, j]) == -1
        for c in r.node.columns() if c in profiles.values and _is_unknown(profiles, c, i)
    })  # fmt: skip
    score = float(a.score[i])
    sector_class_code = int(a.ctx["sector_class"][i])
    classes = SECTOR_CLASSES
    overall = within = None
    deciles: list[float] = []
    deciles_in_class: list[float] = []
    count = count_in_class = 0
    if peers is not None:
        overall, within = peers.percentile(score, sector_class_code)
        deciles, deciles_in_class, count, count_in_class = peers.distribution(sector_class_code)
    band = BAND_CODES[int(a.band[i])]
    source = profiles.raw.column("profile_source")[i].as_py() if "profile_source" in profiles.raw.column_names else None
    return ScoreResult(
        name=str(profile["name"]), row=_row(profiles.row_numbers[i]), score=score,
        score_low=float(a.score_low[i]), score_high=float(a.score_high[i]), interval=card.interval,
        band=band, rated=band != NOT_RATED, probability=float(a.probability[i]),
        log_odds=float(a.log_odds[i]), coverage=float(a.coverage[i]), min_coverage=card.min_coverage,
        baseline=engine.baseline,
        prior_log_odds=float(card.baseline + card.priors @ a.units[i]),
        contributions=contributions, reasons=reasons, risk_flags=risk,
        levers=levers(engine, profiles, i, as_of, int(a.band[i])),
        peer_percentile=overall, sector_class=classes[sector_class_code] if sector_class_code >= 0 else None,
        peer_percentile_in_class=within, peer_reference=peers.name if peers else "none",
        peer_deciles=deciles, peer_deciles_in_class=deciles_in_class, peer_count=count,
        peer_count_in_class=count_in_class, unknown_inputs=unknown, rules=outcomes, profile=profile,
        profile_source=str(source) if source not in (None, "") else None,
        methodology=Methodology(
            alignscore_version=__version__, rules_directory=str(engine.ruleset.directory),
            rules_sha256=engine.ruleset.sha256, model_sha256=engine.model_sha256, as_of=as_of.isoformat(),
        ),
    )  # fmt: skip


def _is_unknown(profiles: Profiles, name: str, i: int) -> bool:
    return _profile_value(profiles, name, i) is None


def _input_shown(profiles: Profiles, a: ScoreArrays, column_name: str, i: int) -> object:
    if column_name in profiles.values:
        return _profile_value(profiles, column_name, i)
    v = a.ctx[column_name][i]
    if column_name == "sector_class":
        return SECTOR_CLASSES[v] if v >= 0 else None
    return None if np.isnan(v) else float(v)


def _row(r: object) -> int | str:
    return int(r) if isinstance(r, (int, np.integer)) else str(r)


# --- levers --------------------------------------------------------------------------------

LEVER_COLUMNS = [c for c in PROFILE_COLUMNS if c.actionable]

#: Status levers are things a firm would have to obtain (a designation, a listing, a state
#: contract); the rest change its business mix (where revenue comes from, what it spends on).
STATUS_LEVERS = frozenset({"little_giant", "listing_venue", "state_project"})

#: MIIT's size limits for a small or medium industrial firm (the Little Giant list is for SMEs):
#: fewer than 1,000 employees or revenue under 400 million yuan. A firm known to be ten times
#: past either, or past both, is not offered "become a Little Giant".
SME_EMPLOYEES, SME_REVENUE_BN = 1000, 0.4

#: Listing venues a lever may move a firm to (no lever suggests delisting).
LEVER_VENUES = frozenset({"star", "bse", "chinext", "sse_main", "szse_main", "hkex", "us"})


def _plausible(col, base: dict[str, np.ndarray]) -> bool:
    """Whether changing ``col`` is a plausible move for this firm at all."""
    if col.name == "little_giant":
        revenue = float(base["revenue_cny_bn"][0])
        staff = float(base["employees"][0])
        big_revenue = revenue >= SME_REVENUE_BN if revenue == revenue else False
        big_staff = staff >= SME_EMPLOYEES if staff == staff else False
        far = (revenue == revenue and revenue >= 10 * SME_REVENUE_BN) or (
            staff == staff and staff >= 10 * SME_EMPLOYEES
        )
        return not (far or (big_revenue and big_staff)) or base["little_giant"][0] == 1.0
    return True


def _candidates(engine: Engine, col, current: float) -> np.ndarray:
    """Values of a numeric input to try: every rule threshold on it (and just either side),
    the domain's ends, and a grid; between two neighbours no rule changes, so the score there
    is the model's straight line, which :func:`_crossing` solves exactly."""
    thresholds = [t for r in engine.ruleset.rules for t in r.node.thresholds(col.name)]
    high = col.upper_bound() if col.upper_bound() is not None else max(1.0, current * 2)
    grid = np.linspace(0.0, high, 201)
    eps = 1e-9
    points = np.concatenate([grid, thresholds, np.add(thresholds, eps), np.subtract(thresholds, eps), [current]])
    return np.unique(np.clip(points, 0.0, high))


def _crossing(a: float, b: float, la: float, lb: float, cut: float) -> float:
    """Where the straight line from (a, la) to (b, lb) reaches the log-odds of score ``cut``."""
    if lb == la:
        return b
    return a + (score_log_odds(cut) - la) * (b - a) / (lb - la)


def levers(engine: Engine, profiles: Profiles, i: int, as_of: dt.date, band: int) -> list[Lever]:
    """For each actionable input, the smallest change that moves the firm up or down a band.

    Candidates are scored in one batch through the same engine; for a number, the crossing
    point between two candidates is solved on the model's straight line and then shown rounded
    *towards* the change (three decimals) and checked again, so every lever is what the scorer
    really gives for the value shown."""
    base = {k: v[i : i + 1] for k, v in profiles.values.items() if isinstance(v, np.ndarray)}
    now = float(engine.score(base, as_of).score[0])
    if band >= len(BAND_NAMES):  # not rated: no band to move from
        return []

    def score_at(name: str, values: np.ndarray) -> np.ndarray:
        batch = {k: np.repeat(v, len(values)) for k, v in base.items()}
        batch[name] = values.astype(base[name].dtype)
        return engine.score(batch, as_of).score

    out: list[Lever] = []
    for col in LEVER_COLUMNS:
        if not _plausible(col, base):
            continue
        current = base[col.name][0]
        numeric = col.kind not in (Kind.CATEGORY, Kind.BOOLEAN)
        if col.kind is Kind.CATEGORY:
            cands = np.arange(len(col.vocabulary), dtype=np.int16)
            allowed = [k for k, v in enumerate(col.vocabulary) if col.name != "listing_venue" or v in LEVER_VENUES]
            cands = cands[(cands != current) & np.isin(cands, allowed)]
            shown_now = col.vocabulary[current] if current >= 0 else "unknown"
        elif col.kind is Kind.BOOLEAN:
            cands = np.array([0.0, 1.0])
            cands = cands[cands != current]
            shown_now = _shown(None if np.isnan(current) else bool(current))
        else:
            if np.isnan(current):
                continue
            cands = _candidates(engine, col, float(current))
            shown_now = _shown(float(current))
        if not len(cands):
            continue
        scores = score_at(col.name, cands)
        bands = band_index(scores)  # the band by score alone: a lever changes evidence, not coverage
        direction: Literal["up", "down"]
        for direction, target in (("up", band + 1), ("down", band - 1)):
            if not 0 <= target < len(BAND_NAMES):
                continue
            ok = bands >= target if direction == "up" else bands <= target
            if not ok.any():
                continue
            if numeric:
                found = _numeric_lever(col, cands, scores, ok, float(current), direction, target, score_at)
                if found is None:
                    continue
                value, new_score = found
                new = f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:g}"
            else:
                # of the alternatives that cross, the one that changes the score least
                k = int(np.flatnonzero(ok)[np.argmin(np.abs(scores[ok] - now))])
                new = col.vocabulary[cands[k]] if col.kind is Kind.CATEGORY else _shown(bool(cands[k]))
                new_score = float(scores[k])
            to_band = BAND_NAMES[int(band_index(np.array([new_score]))[0])]
            label = col.name.replace("_", " ")
            out.append(Lever(
                input=col.name, kind="status" if col.name in STATUS_LEVERS else "business_mix",
                label=label, direction=direction, current=shown_now, target=new,
                from_band=BAND_NAMES[band], to_band=to_band, new_score=round(new_score, 2),
                text=f"{label} from {shown_now} to {new} would move it from "
                     f"{BAND_NAMES[band]} to {to_band}",
            ))  # fmt: skip
    return out


def _numeric_lever(col, cands, scores, ok, current, direction, target, score_at):
    """The value nearest ``current`` that reaches band ``target``, shown to three decimals."""
    dist = np.where(ok, np.abs(cands - current), np.inf)
    k = int(np.argmin(dist))
    value = float(cands[k])
    # the neighbour on the side of the current value does not cross; solve in between
    j = k - 1 if cands[k] > current else k + 1
    if 0 <= j < len(cands) and not ok[j]:
        la, lb = score_log_odds(float(scores[j])), score_log_odds(float(scores[k]))
        cut = _band_cut(direction, target)
        exact = _crossing(float(cands[j]), value, la, lb, cut)
        lo, hi = sorted((float(cands[j]), value))
        if lo <= exact <= hi:
            towards = np.ceil if value > current else np.floor
            rounded = float(towards(exact * 1000.0) / 1000.0)
            for candidate in (rounded, value):
                got = float(score_at(col.name, np.array([candidate]))[0])
                band = int(band_index(np.array([got]))[0])
                if (band >= target) if direction == "up" else (band <= target):
                    return candidate, got
            return None
    got = float(score_at(col.name, np.array([value]))[0])
    return value, got


def _band_cut(direction: str, target: int) -> float:
    """The score at the edge of band ``target`` that a move in ``direction`` must pass."""
    lows = [b[1] for b in BANDS_TABLE]
    if direction == "up":
        return lows[target]
    return lows[target + 1]
