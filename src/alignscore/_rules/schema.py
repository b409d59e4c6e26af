"""The file formats of a rules directory, as strict pydantic models.

A rules directory holds ``taxonomy.yaml`` (sector classes and talent clusters) and any number of
rule files. The rules are the scorecard: each favour rule is one input of the classifier, with
the analysts' prior weight, whose sign is the direction the data may not reverse. Every model forbids unknown keys; :func:`format_errors` turns pydantic's
errors into one line naming the place, with a "did you mean" for a misspelt key.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError
from pydantic import model_validator as _model_validator

from alignscore._core.suggest import best
from alignscore._core.vocabulary import SectorClassName
from alignscore.exceptions import RulesError

__all__ = [
    "OPERATORS",
    "Condition",
    "Evidence",
    "Graded",
    "Leaf",
    "Rule",
    "RuleFile",
    "SectorClass",
    "TaxonomyFile",
    "format_errors",
]

SCHEMA_VERSION = 1

Op = Literal[
    "equals", "not_equals", "in", "not_in", "lt", "lte", "gt", "gte", "between",
    "is_true", "is_false", "is_unknown", "is_known",
]  # fmt: skip
OPERATORS: tuple[str, ...] = get_args(Op)

Scalar = str | bool | int | float


class _Strict(BaseModel):
    # NaN and infinity (from a quoted 'nan' or '1e309') are refused like any other bad number
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Evidence(_Strict):
    """A verbatim quote and the seed file it stands in."""

    source: str = Field(min_length=1)
    quote: str = Field(min_length=10, max_length=600)


class Leaf(_Strict):
    """``{column, op, value}`` or ``{column, op, other_column}``."""

    column: str
    op: Op
    value: Scalar | list[Scalar] | None = None
    other_column: str | None = None


class AllOf(_Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(_Strict):
    any: list[Condition] = Field(min_length=1)


class NotOf(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)
    not_: Condition = Field(alias="not")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return key
    return "leaf"


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[Leaf, Tag("leaf")],
    Discriminator(_kind),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


class Graded(_Strict):
    """A numeric signal whose contribution grows with the value, from a stated reference.

    ``units = min(cap, max(0, (x - reference) / per))`` on the ``linear`` scale, and
    ``min(cap, max(0, log10(x / reference) / per))`` on the ``log10`` scale; the rule's weight
    is log-odds per unit. A value at or below the reference (0 included) gives 0 units, the
    same as an unknown value: absence never moves a score. ``fact`` words the firm's value for
    reasons, with ``{value}`` formatted by its spec (``{value:.0%}``).
    """

    column: str
    reference: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)
    per: float = Field(gt=0.0, allow_inf_nan=False)
    cap: float = Field(gt=0.0, allow_inf_nan=False)
    scale: Literal["linear", "log10"] = "linear"
    fact: str = Field(min_length=3, pattern=r"\{value(:[^{}]*)?\}")

    @_model_validator(mode="after")
    def _log_reference(self) -> Graded:
        if self.scale == "log10" and self.reference <= 0:
            raise ValueError("a log10 scale needs a reference above 0")
        return self


class Rule(_Strict):
    """One rule. Favour rules carry a ``weight`` in log-odds (the analysts' prior; per unit
    for a ``graded`` rule); risk rules a ``severity``. A favour rule fires on a fact the firm
    has: its ``condition`` (or, for a graded rule, its optional gate) must not hold for an
    absent value (``false``, ``0``, ``private``, ``unlisted``)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
    title: str = Field(min_length=3)
    signal: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    kind: Literal["favour", "risk"] = "favour"
    weight: float | None = Field(default=None, strict=True, allow_inf_nan=False)  # not true (1.0) nor '0.5'
    severity: Literal["low", "medium", "high"] | None = None
    condition: Condition | None = None
    graded: Graded | None = None
    rationale: str = Field(min_length=10)
    evidence: list[Evidence] = Field(min_length=1)
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None

    @_model_validator(mode="after")
    def _weight_or_severity(self) -> Rule:
        if self.kind == "favour":
            if self.weight is None or self.weight == 0:
                raise ValueError("a favour rule needs a non-zero 'weight' (log-odds points)")
            if self.severity is not None:
                raise ValueError("'severity' is for risk rules; a favour rule has a 'weight'")
        else:
            if self.weight is not None:
                raise ValueError("a risk rule has no 'weight' (it never moves the score)")
            if self.severity is None:
                raise ValueError("a risk rule needs a 'severity': low, medium or high")
        if self.condition is None and self.graded is None:
            raise ValueError("a rule needs a 'condition' (or, for a numeric signal, 'graded')")
        if self.graded is not None and self.kind != "favour":
            raise ValueError("'graded' is for favour rules; a risk rule has a 'condition'")
        if self.effective_from and self.effective_to and self.effective_from > self.effective_to:
            raise ValueError("'effective_from' is after 'effective_to'")
        return self


class RuleFile(_Strict):
    schema_version: Literal[1]
    rules: list[Rule] = Field(min_length=1)


class SectorClass(_Strict):
    class_: SectorClassName = Field(alias="class")
    title: str
    sectors: list[str] = Field(min_length=1)
    evidence: list[Evidence] = Field(default_factory=list)


class TalentClusters(_Strict):
    provinces: list[str] = Field(min_length=1)
    evidence: list[Evidence] = Field(min_length=1)


class TaxonomyFile(_Strict):
    schema_version: Literal[1]
    sector_classes: list[SectorClass] = Field(min_length=1)
    talent_clusters: TalentClusters


_MODELS: dict[str, type[BaseModel]] = {
    "all": AllOf, "any": AnyOf, "not": NotOf, "leaf": Leaf, "condition": Leaf,
    "rules": Rule, "evidence": Evidence, "sector_classes": SectorClass,
    "talent_clusters": TalentClusters, "graded": Graded,
}  # fmt: skip


def _allowed_keys(loc: tuple[Any, ...], top: type[BaseModel]) -> list[str]:
    """The keys allowed where an unknown key was found (for a suggestion)."""
    model: type[BaseModel] = top
    for part in loc[:-1]:
        if isinstance(part, str) and part in _MODELS:
            model = _MODELS[part]
    return [f.alias or name for name, f in model.model_fields.items()]


def format_errors(exc: ValidationError, top: type[BaseModel], data: Any, file: Any) -> list[RulesError]:
    """Turn pydantic's errors about ``file`` into one :class:`RulesError` each, naming the rule
    id and the key (a dotted path within the rule, or within the file outside a rule)."""
    out: list[RulesError] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        rule_id = None
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            try:
                rule_id = data["rules"][loc[1]].get("id")
            except (KeyError, IndexError, TypeError, AttributeError):
                rule_id = None
        where = ".".join(str(p) for p in loc if p not in ("leaf",))
        where = re.sub(r"^rules\.\d+\.?", "", where) if rule_id else where
        suggestion = None
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            suggestion = best(key, _allowed_keys(loc, top))
            problem = f"unknown key {key!r}" + (f" in {where.rsplit('.', 1)[0]}" if "." in where else "")
        elif err["type"] == "literal_error" and loc and loc[-1] == "op":
            got = err.get("input")
            suggestion = best(str(got), OPERATORS)
            problem = f"{where}: unknown operator {got!r} (operators: {', '.join(OPERATORS)})"
        else:
            message = err["msg"].removeprefix("Value error, ")
            problem = f"{where}: {message}" if where else message
        out.append(RulesError(file, problem, rule_id=rule_id, suggestion=suggestion, key=where or None))
    return out
