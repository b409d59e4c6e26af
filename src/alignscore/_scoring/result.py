"""What a score is made of, as data: :class:`ScoreResult` and its parts.

Explanations are pydantic objects; rendering them (Markdown, HTML, JSON) is done elsewhere by
pure functions (``alignscore._report.render``), and writing files is a separate, atomic step.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from alignscore._core.vocabulary import BAND_NAMES, BANDS, NOT_RATED

__all__ = [
    "BANDS",
    "BAND_NAMES",
    "NOT_RATED",
    "Contribution",
    "EvidenceQuote",
    "Lever",
    "Methodology",
    "Reason",
    "RiskFlag",
    "RuleOutcome",
    "ScoreResult",
]



class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvidenceQuote(_Model):
    source: str
    quote: str


class Contribution(_Model):
    """One term of the log-odds: a favour rule that fired, ``value = weight * units``.

    ``units`` is 1 for a yes/no rule and the measured amount of a graded signal (for example
    3.2 units of "per 10 points of overseas revenue"); ``fact`` words what the firm is or has
    ("Listed in the United States", "Overseas revenue 96%").
    """

    source: Literal["rule"] = "rule"
    id: str
    label: str
    fact: str
    value: float
    units: float
    weight: float
    prior: float
    std_error: float
    input_value: str | None = None
    signal: str | None = None
    rationale: str | None = None
    evidence: list[EvidenceQuote] = []


class RuleOutcome(_Model):
    """One rule's outcome for the firm, with the reason it did not fire."""

    id: str
    title: str
    signal: str
    kind: Literal["favour", "risk"]
    state: Literal["fired", "not fired", "not evaluable", "not in effect"]
    #: A favour rule's learned weight (log-odds per unit) and the analysts' prior for it;
    #: ``None`` for a risk rule.
    weight: float | None
    prior: float | None = None
    units: float = 0.0
    #: A risk rule's severity; ``None`` for a favour rule.
    severity: Literal["low", "medium", "high"] | None = None
    contribution: float
    condition: str
    why_not: list[str]
    rationale: str
    evidence: list[EvidenceQuote]


class Reason(_Model):
    code: str
    text: str
    value: float


class RiskFlag(_Model):
    id: str
    title: str
    severity: Literal["low", "medium", "high"]
    signal: str
    rationale: str
    evidence: list[EvidenceQuote]


class Lever(_Model):
    """The smallest change to one actionable input that moves the firm into another band.

    ``kind`` says what it would take: ``status`` (a designation, a listing, a contract: what
    the firm would have to obtain) or ``business_mix`` (where its revenue comes from and what
    it spends on)."""

    input: str
    kind: Literal["status", "business_mix"]
    label: str
    direction: Literal["up", "down"]
    current: str
    target: str
    from_band: str
    to_band: str
    new_score: float
    text: str


class Methodology(_Model):
    alignscore_version: str
    rules_directory: str
    rules_sha256: str
    model_sha256: str
    as_of: str


class ScoreResult(_Model):
    """A firm's score and its exact explanation.

    ``baseline`` plus every contribution's ``value`` equals ``log_odds`` (to float precision);
    ``probability`` is ``floor + (1 - 2 floor) * logistic(log_odds)``; ``score`` is 100 x
    ``probability`` and lies within [``score_low``, ``score_high``], its ``interval`` (80%)
    range from the weights' uncertainty. ``band`` is "Not rated" when ``coverage`` is below
    ``min_coverage``.
    """

    name: str
    row: int | str
    score: float
    score_low: float
    score_high: float
    interval: float
    band: str
    rated: bool
    probability: float
    log_odds: float
    coverage: float
    min_coverage: float
    baseline: float
    #: The log-odds the analysts' prior weights alone would give (the same rules, untrained).
    prior_log_odds: float
    contributions: list[Contribution]
    reasons: list[Reason]
    risk_flags: list[RiskFlag]
    levers: list[Lever]
    peer_percentile: float | None
    sector_class: str | None
    peer_percentile_in_class: float | None
    peer_reference: str
    #: The reference universe's scores at the 0th, 10th, ..., 100th percentiles (11 numbers,
    #: each a score some reference firm has: the lowest score at or above that share of the
    #: firms; the first is the lowest score, the last the highest); empty without a reference.
    peer_deciles: list[float] = []
    #: The same within the firm's sector class; empty when the class has no peers.
    peer_deciles_in_class: list[float] = []
    peer_count: int = 0
    peer_count_in_class: int = 0
    unknown_inputs: list[str]
    rules: list[RuleOutcome]
    profile: dict[str, str | float | bool | int | None]
    #: Where the profile's facts come from, when the input says so (a ``profile_source``
    #: column, as the Tushare Pro builder writes).
    profile_source: str | None = None
    methodology: Methodology

    def to_json(self) -> str:
        """The result as JSON (what ``alignscore explain --format json`` prints)."""
        return self.model_dump_json(indent=2)
