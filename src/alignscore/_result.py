"""What a score is made of, as data: :class:`ScoreResult` and its parts.

Explanations are pydantic objects; rendering them (Markdown, HTML, JSON) is done elsewhere by
pure functions (``_render.py``), and writing files is a separate, atomic step.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "BANDS",
    "Contribution",
    "EvidenceQuote",
    "Lever",
    "Methodology",
    "Reason",
    "RiskFlag",
    "RuleOutcome",
    "ScoreResult",
]

#: The five bands: name, lowest score (inclusive), highest score (exclusive; 100 inclusive).
BANDS: tuple[tuple[str, float, float], ...] = (
    ("Strong headwind", 0.0, 20.0),
    ("Headwind", 20.0, 40.0),
    ("Neutral", 40.0, 60.0),
    ("Tailwind", 60.0, 80.0),
    ("Strong tailwind", 80.0, 100.0),
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvidenceQuote(_Model):
    source: str
    quote: str


class Contribution(_Model):
    """One term of the log-odds: a rule that fired, or one of the model's inputs."""

    source: Literal["rule", "model"]
    id: str
    label: str
    value: float
    input_value: str | None = None
    signal: str | None = None
    rationale: str | None = None
    evidence: list[EvidenceQuote] = []
    #: For a model input (``None`` for a rule): ``value == coefficient * (model_input -
    #: reference_value)`` when ``known``, else 0. ``model_input`` is the input as the model
    #: reads it, after its ``transform`` (0/1 for an indicator or a yes/no column,
    #: ``log(1 + x)`` for ``log1p``); ``reference_value`` is its training mean.
    coefficient: float | None = None
    reference_value: float | None = None
    known: bool | None = None
    model_input: float | None = None
    transform: Literal["value", "log1p", "indicator"] | None = None


class RuleOutcome(_Model):
    """One rule's outcome for the firm, with the reason it did not fire."""

    id: str
    title: str
    signal: str
    kind: Literal["favour", "risk"]
    state: Literal["fired", "not fired", "not evaluable", "not in effect"]
    weight: float | None
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
    """The smallest change to one actionable input that moves the firm into another band."""

    input: str
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
    ``probability`` is the logistic of ``log_odds``; ``score`` is 100 x ``probability``.
    """

    name: str
    row: int | str
    score: float
    band: str
    probability: float
    log_odds: float
    coverage: float
    baseline: float
    rules_log_odds: float
    model_log_odds: float
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
    disagreement: str | None
    unknown_inputs: list[str]
    rules: list[RuleOutcome]
    profile: dict[str, str | float | bool | int | None]
    methodology: Methodology

    def to_json(self) -> str:
        """The result as JSON (what ``alignscore explain --format json`` prints)."""
        return self.model_dump_json(indent=2)

    def _repr_html_(self) -> str:
        from ._render import render_card

        return render_card(self)
