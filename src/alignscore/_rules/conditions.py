"""Rule conditions, compiled once into vectorised column operations.

A condition is compiled against the column types of the contract (plus three derived columns)
through a closed table of operators; nothing in a rules file is ever evaluated as code.
Evaluation is three-valued (Kleene logic): every node returns two boolean masks over the rows,
``true`` and ``false``; a row in neither is *unknown* because an input it needs is blank.

- ``all``: true where every child is true; false where any child is false.
- ``any``: true where any child is true; false where every child is false.
- ``not``: swaps the masks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from alignscore._contract.cells import category_key
from alignscore._contract.columns import COLUMNS, Kind
from alignscore._core.suggest import best
from alignscore._core.vocabulary import SECTOR_CLASSES
from alignscore.exceptions import RulesError

from .schema import AllOf, AnyOf, Graded, Leaf, NotOf

__all__ = [
    "ABSENT",
    "DERIVED",
    "ColumnType",
    "GradedNode",
    "Node",
    "absence_problems",
    "compile_condition",
    "compile_graded",
    "rule_columns",
]

Masks = tuple[np.ndarray, np.ndarray]
Values = Mapping[str, np.ndarray]



@dataclass(frozen=True)
class ColumnType:
    """What a rule may do with a column: its kind and, for categories, the vocabulary."""

    kind: Kind
    vocabulary: tuple[str, ...] = ()
    fraction: bool = False


#: Columns computed from the profile for the rules (see ``_context.py``).
DERIVED: dict[str, ColumnType] = {
    "sector_class": ColumnType(Kind.CATEGORY, SECTOR_CLASSES),
    "in_talent_cluster": ColumnType(Kind.BOOLEAN),
    "firm_age": ColumnType(Kind.NUMBER),
}


def rule_columns() -> dict[str, ColumnType]:
    """Every column a condition may name."""
    out = {
        c.name: ColumnType(c.kind, c.vocabulary, c.kind is Kind.FRACTION)
        for c in COLUMNS
        if c.kind in (Kind.CATEGORY, Kind.BOOLEAN, Kind.FRACTION, Kind.NUMBER, Kind.INTEGER)
        and c.name != "favoured"
    }
    out.update(DERIVED)
    return out


def _fmt(x: float) -> str:
    return f"{x:.2f}" if abs(x) < 10 and x != int(x) else f"{x:g}"


def _distinct(x: float, v: float) -> tuple[str, str]:
    """``x`` and ``v`` formatted, with more digits where two places would make them look equal."""
    a, b = _fmt(x), _fmt(v)
    if a == b and x != v:
        a, b = f"{x:.6g}", f"{v:.6g}"
    return a, b


# --- nodes ---------------------------------------------------------------------------------


class Node(ABC):
    """A compiled condition."""

    @abstractmethod
    def evaluate(self, values: Values) -> Masks:
        ...

    @abstractmethod
    def describe(self) -> str:
        ...

    @abstractmethod
    def why_not(self, values: Values, i: int) -> list[str]:
        """Why the condition is not true for row ``i``: the failing parts, with margins."""
        ...

    @abstractmethod
    def columns(self) -> set[str]:
        ...

    @abstractmethod
    def thresholds(self, column: str) -> list[float]:
        """Values of ``column`` at which this condition can change (for levers)."""
        ...

    @abstractmethod
    def leaves(self) -> list[LeafNode]:
        ...

    def state_at(self, values: Values, i: int) -> int:
        t, f = self.evaluate({k: v[i : i + 1] for k, v in values.items()})
        return 1 if t[0] else (0 if f[0] else -1)


@dataclass(frozen=True)
class LeafNode(Node):
    column: str
    ctype: ColumnType
    op: str
    value: Any = None
    other: str | None = None

    # evaluation -------------------------------------------------------------------------

    def _known(self, values: Values) -> np.ndarray:
        x = values[self.column]
        known = x >= 0 if self.ctype.kind is Kind.CATEGORY else ~np.isnan(x)
        if self.other is not None:
            known = known & ~np.isnan(values[self.other])
        return known

    def _compare(self, values: Values) -> np.ndarray:
        x = values[self.column]
        op, v = self.op, self.value
        if self.ctype.kind is Kind.CATEGORY:
            lut = np.zeros(len(self.ctype.vocabulary) + 1, dtype=bool)
            codes = v if isinstance(v, tuple) else (v,)
            lut[list(codes)] = True
            hit = lut[x]  # code -1 reads the last slot, which is False
            return ~hit if op in ("not_equals", "not_in") else hit
        if self.ctype.kind is Kind.BOOLEAN:
            return x == 1.0 if op == "is_true" else x == 0.0
        y = values[self.other] if self.other is not None else v
        with np.errstate(invalid="ignore"):
            if op == "lt":
                return x < y
            if op == "lte":
                return x <= y
            if op == "gt":
                return x > y
            if op == "gte":
                return x >= y
            if op == "between":
                return (x >= v[0]) & (x <= v[1])
            if op in ("equals", "in"):
                return np.isin(x, v if isinstance(v, tuple) else (v,))
            return ~np.isin(x, v if isinstance(v, tuple) else (v,))  # not_equals, not_in

    def evaluate(self, values: Values) -> Masks:
        known = self._known(values)
        if self.op == "is_unknown":
            return ~known, known
        if self.op == "is_known":
            return known, ~known
        hit = self._compare(values)
        return known & hit, known & ~hit

    # words ------------------------------------------------------------------------------

    def _shown(self, v: Any) -> str:
        if self.ctype.kind is Kind.CATEGORY:
            codes = v if isinstance(v, tuple) else (v,)
            return ", ".join(self.ctype.vocabulary[c] for c in codes)
        if isinstance(v, tuple):
            return ", ".join(_fmt(x) for x in v)
        return _fmt(v)

    def describe(self) -> str:
        c, op = self.column, self.op
        words = {
            "lt": "<", "lte": "≤", "gt": ">", "gte": "≥", "equals": "is",
            "not_equals": "is not", "in": "is one of", "not_in": "is none of",
        }  # fmt: skip
        if op == "is_true":
            return f"{c} is true"
        if op == "is_false":
            return f"{c} is false"
        if op == "is_unknown":
            return f"{c} is unknown"
        if op == "is_known":
            return f"{c} is known"
        if op == "between":
            return f"{c} is between {_fmt(self.value[0])} and {_fmt(self.value[1])}"
        rhs = self.other if self.other is not None else self._shown(self.value)
        return f"{c} {words[op]} {rhs}"

    def _actual(self, values: Values, i: int, column: str) -> str:
        x = values[column][i]
        if column == self.column and self.ctype.kind is Kind.CATEGORY:
            return self.ctype.vocabulary[x] if x >= 0 else "unknown"
        if self.ctype.kind is Kind.BOOLEAN:
            return "true" if x == 1 else "false"
        return _fmt(float(x))

    def why_not(self, values: Values, i: int) -> list[str]:
        t, f = self.evaluate({k: v[i : i + 1] for k, v in values.items()})
        if t[0]:
            return []
        if not f[0]:
            missing = [c for c in (self.column, self.other) if c is not None]
            unknown = [c for c in missing if not self._col_known(values, c, i)]
            return [f"{' and '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} unknown"]
        x = self._actual(values, i, self.column)
        op = self.op
        if self.other is not None:
            y = self._actual(values, i, self.other)
            rel = {"lt": "not below", "lte": "above", "gt": "not above", "gte": "below"}[op]
            return [f"{self.column} {x} is {rel} {self.other} {y}"]
        if op in ("gte", "gt", "lte", "lt"):
            actual = float(values[self.column][i])
            x, v = _distinct(actual, float(self.value))
            if actual == self.value:  # only gt / lt fail at the threshold itself
                side = "above" if op == "gt" else "below"
                noun = "threshold" if op == "gt" else "limit"
                return [f"{self.column} {x} is at the {v} {noun}, not {side} it"]
            if op in ("gte", "gt"):
                return [f"{self.column} {x} is below the {v} threshold"]
            return [f"{self.column} {x} is above the {v} limit"]
        if op == "between":
            return [f"{self.column} {x} is outside {_fmt(self.value[0])} to {_fmt(self.value[1])}"]
        if op in ("is_true", "is_false"):
            return [f"{self.column} is {x}"]
        if op in ("is_known", "is_unknown"):
            return [f"{self.column} is {'unknown' if op == 'is_known' else 'known'}"]
        if op in ("equals", "in"):
            return [f"{self.column} is {x}, not {self._shown(self.value)}"]
        return [f"{self.column} is {x}"]

    def _col_known(self, values: Values, column: str, i: int) -> bool:
        x = values[column][i]
        if column == self.column and self.ctype.kind is Kind.CATEGORY:
            return bool(x >= 0)
        return not np.isnan(x)

    def columns(self) -> set[str]:
        return {self.column} | ({self.other} if self.other else set())

    def thresholds(self, column: str) -> list[float]:
        if column != self.column or self.other is not None:
            return []
        if self.ctype.kind in (Kind.CATEGORY, Kind.BOOLEAN) or self.value is None:
            return []
        v = self.value
        return [float(x) for x in (v if isinstance(v, tuple) else (v,))]

    def leaves(self) -> list[LeafNode]:
        return [self]


@dataclass(frozen=True)
class AllNode(Node):
    children: tuple[Node, ...]

    def evaluate(self, values: Values) -> Masks:
        masks = [c.evaluate(values) for c in self.children]
        t = np.logical_and.reduce([m[0] for m in masks])
        f = np.logical_or.reduce([m[1] for m in masks])
        return t, f

    def describe(self) -> str:
        return "all of (" + "; ".join(c.describe() for c in self.children) + ")"

    def why_not(self, values: Values, i: int) -> list[str]:
        return [w for c in self.children for w in c.why_not(values, i)]

    def columns(self) -> set[str]:
        return set().union(*(c.columns() for c in self.children))

    def thresholds(self, column: str) -> list[float]:
        return [x for c in self.children for x in c.thresholds(column)]

    def leaves(self) -> list[LeafNode]:
        return [x for c in self.children for x in c.leaves()]


@dataclass(frozen=True)
class AnyNode(AllNode):
    def evaluate(self, values: Values) -> Masks:
        masks = [c.evaluate(values) for c in self.children]
        t = np.logical_or.reduce([m[0] for m in masks])
        f = np.logical_and.reduce([m[1] for m in masks])
        return t, f

    def describe(self) -> str:
        return "any of (" + "; ".join(c.describe() for c in self.children) + ")"

    def why_not(self, values: Values, i: int) -> list[str]:
        parts = [w for c in self.children for w in c.why_not(values, i)]
        return ["none holds: " + "; ".join(parts)] if parts else []


@dataclass(frozen=True)
class NotNode(Node):
    child: Node

    def evaluate(self, values: Values) -> Masks:
        t, f = self.child.evaluate(values)
        return f, t

    def describe(self) -> str:
        return f"not ({self.child.describe()})"

    def why_not(self, values: Values, i: int) -> list[str]:
        state = self.child.state_at(values, i)
        if state == -1:
            return [f"{self.child.describe()} cannot be decided (an input is unknown)"]
        return [f"{self.child.describe()} holds"] if state == 1 else []

    def columns(self) -> set[str]:
        return self.child.columns()

    def thresholds(self, column: str) -> list[float]:
        return self.child.thresholds(column)

    def leaves(self) -> list[LeafNode]:
        return self.child.leaves()


@dataclass(frozen=True)
class GradedNode(Node):
    """A numeric signal measured in units from a reference (see
    :class:`~alignscore._rules.schema.Graded`), optionally gated by a condition.

    True (the rule fires) where the value is known, the gate holds and the units are above 0;
    false where the units are 0 or the gate is false; unknown otherwise.
    """

    column: str
    reference: float
    per: float
    cap: float
    scale: str
    fact: str
    gate: Node | None = None

    def units(self, values: Values) -> np.ndarray:
        """Units per row (0 where unknown or at most the reference), before the gate."""
        x = np.asarray(values[self.column], dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.scale == "log10":
                raw = np.log10(np.maximum(x, self.reference) / self.reference) / self.per
            else:
                raw = (x - self.reference) / self.per
        return np.nan_to_num(np.clip(raw, 0.0, self.cap), nan=0.0)

    def evaluate(self, values: Values) -> Masks:
        x = values[self.column]
        known = ~np.isnan(x)
        positive = self.units(values) > 0
        t, f = known & positive, known & ~positive
        if self.gate is not None:
            gt, gf = self.gate.evaluate(values)
            t, f = t & gt, f | gf
        return t, f

    def describe(self) -> str:
        if self.scale == "log10":
            base = (f"{_fmt(self.per)} unit per tenfold of {self.column} above {_fmt(self.reference)}"
                    f", up to {_fmt(self.cap)} units")
        else:
            base = (f"one unit per {_fmt(self.per)} of {self.column} above {_fmt(self.reference)}"
                    f", up to {_fmt(self.cap)} units")
        return base if self.gate is None else f"{base}, when {self.gate.describe()}"

    def why_not(self, values: Values, i: int) -> list[str]:
        t, _f = self.evaluate({k: v[i : i + 1] for k, v in values.items()})
        if t[0]:
            return []
        out: list[str] = []
        x = float(values[self.column][i])
        if np.isnan(x):
            out.append(f"{self.column} is unknown")
        elif self.units({self.column: np.array([x])})[0] <= 0:
            out.append(f"{self.column} {_fmt(x)} is not above the {_fmt(self.reference)} reference")
        if self.gate is not None:
            out.extend(self.gate.why_not(values, i))
        return out

    def columns(self) -> set[str]:
        return {self.column} | (self.gate.columns() if self.gate is not None else set())

    def thresholds(self, column: str) -> list[float]:
        own = [self.reference] if column == self.column else []
        return own + (self.gate.thresholds(column) if self.gate is not None else [])

    def leaves(self) -> list[LeafNode]:
        return self.gate.leaves() if self.gate is not None else []


#: What "absent" is written as, per column: a favour rule must not fire on any of these, so
#: that writing them where a profile was blank never moves a score.
ABSENT: dict[str, tuple[Any, ...]] = {
    "ownership": ("private",),
    "listing_venue": ("unlisted",),
}


def absence_problems(node: Node) -> list[str]:
    """Why a favour rule's condition could fire on an absent value (empty when it cannot).

    A rule may fire only on a fact the firm has, so every leaf must be one that an absent
    value fails: ``is_true`` on a yes/no column; ``gt``/``gte``/``between`` above 0 on a
    number; ``equals``/``in`` on a category that leaves out its absent value (``private``,
    ``unlisted``); graded signals measure from a reference of at least 0. ``not``, negative
    operators, ``is_unknown``/``is_known`` and column-to-column comparisons are refused.
    """
    problems: list[str] = []

    def visit(n: Node) -> None:
        if isinstance(n, NotNode):
            problems.append("'not' can hold for an absent value; state the fact the firm has")
            return
        if isinstance(n, GradedNode):
            if n.gate is not None:
                visit(n.gate)
            return
        if isinstance(n, AllNode):  # AnyNode too
            for child in n.children:
                visit(child)
            return
        assert isinstance(n, LeafNode)
        problems.extend(_leaf_absence_problem(n))

    visit(node)
    return problems


def _leaf_absence_problem(leaf: LeafNode) -> list[str]:
    c, op, kind = leaf.column, leaf.op, leaf.ctype.kind
    if leaf.other is not None:
        return [f"{c} {op} {leaf.other} compares two columns, which an absent 0 can satisfy"]
    if kind is Kind.BOOLEAN:
        return [] if op == "is_true" else [f"{c} {op} fires on false or unknown; use is_true"]
    if kind is Kind.CATEGORY:
        if op not in ("equals", "in"):
            return [f"{c} {op} fires on what a firm is not; use equals or in"]
        codes = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        absent = [leaf.ctype.vocabulary[k] for k in codes if leaf.ctype.vocabulary[k] in ABSENT.get(c, ())]
        return [f"{c} {op} includes {absent[0]!r}, the absent value"] if absent else []
    if op in ("gt", "gte") and (leaf.value > 0 or (op == "gt" and leaf.value == 0)):
        return []
    if op == "between" and leaf.value[0] > 0:
        return []
    if op in ("equals", "in") and 0.0 not in (leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)):
        return []
    return [f"{c} {leaf.describe().split(' ', 1)[1]} holds for 0, an absent value"]


# --- compiling -----------------------------------------------------------------------------

_OPS_BY_KIND = {
    Kind.CATEGORY: {"equals", "not_equals", "in", "not_in", "is_unknown", "is_known"},
    Kind.BOOLEAN: {"is_true", "is_false", "is_unknown", "is_known"},
    Kind.NUMBER: {
        "lt", "lte", "gt", "gte", "between", "equals", "not_equals", "in", "not_in",
        "is_unknown", "is_known",
    },
}  # fmt: skip
_OPS_BY_KIND[Kind.FRACTION] = _OPS_BY_KIND[Kind.NUMBER]
_OPS_BY_KIND[Kind.INTEGER] = _OPS_BY_KIND[Kind.NUMBER]


def compile_condition(cond: Any, file: str, rule_id: str) -> Node:
    """Compile a validated condition model into a :class:`Node`, checking it fits the contract."""
    if isinstance(cond, AllOf):
        return AllNode(tuple(compile_condition(c, file, rule_id) for c in cond.all))
    if isinstance(cond, AnyOf):
        return AnyNode(tuple(compile_condition(c, file, rule_id) for c in cond.any))
    if isinstance(cond, NotOf):
        return NotNode(compile_condition(cond.not_, file, rule_id))
    assert isinstance(cond, Leaf)
    return _compile_leaf(cond, file, rule_id)


def compile_graded(graded: Graded, gate: Any, file: str, rule_id: str) -> GradedNode:
    """Compile a graded signal (and its optional gate condition)."""
    ctype = _column_type(graded.column, file, rule_id)
    if ctype.kind not in (Kind.NUMBER, Kind.FRACTION, Kind.INTEGER):
        raise _fail(file, rule_id, f"'graded' needs a number column; {graded.column!r} is {ctype.kind.value}")
    if ctype.fraction and graded.reference > 1:
        raise _fail(file, rule_id, f"{graded.column!r} is a fraction; reference {graded.reference:g} is above 1")
    try:
        graded.fact.format(value=0.5)
    except (ValueError, IndexError, KeyError) as exc:
        raise _fail(file, rule_id, f"'fact' {graded.fact!r} cannot format a number: {exc}") from None
    node = compile_condition(gate, file, rule_id) if gate is not None else None
    return GradedNode(
        graded.column, graded.reference, graded.per, graded.cap, graded.scale, graded.fact, node
    )


def _fail(file: str, rule_id: str, problem: str, suggestion: str | None = None) -> RulesError:
    return RulesError(file, problem, rule_id=rule_id, suggestion=suggestion)


def _column_type(name: str, file: str, rule_id: str) -> ColumnType:
    known = rule_columns()
    if name not in known:
        raise _fail(
            file, rule_id, f"unknown column {name!r} in condition",
            best(name, sorted(known)),
        )  # fmt: skip
    return known[name]


def _compile_leaf(leaf: Leaf, file: str, rule_id: str) -> LeafNode:
    ctype = _column_type(leaf.column, file, rule_id)
    op = leaf.op
    allowed = _OPS_BY_KIND[ctype.kind]
    if op not in allowed:
        raise _fail(
            file, rule_id,
            f"operator {op!r} does not fit {ctype.kind.value} column {leaf.column!r} "
            f"(use one of: {', '.join(sorted(allowed))})",
        )  # fmt: skip
    no_value = op in ("is_true", "is_false", "is_unknown", "is_known")
    if no_value:
        if leaf.value is not None or leaf.other_column is not None:
            raise _fail(file, rule_id, f"operator {op!r} takes no value")
        return LeafNode(leaf.column, ctype, op)
    if leaf.other_column is not None:
        other = _column_type(leaf.other_column, file, rule_id)
        if op not in ("lt", "lte", "gt", "gte") or other.kind not in (
            Kind.NUMBER, Kind.FRACTION, Kind.INTEGER,
        ) or ctype.kind is Kind.CATEGORY:  # fmt: skip
            raise _fail(
                file, rule_id,
                f"'other_column' compares two number columns with lt/lte/gt/gte; "
                f"got {leaf.column!r} {op} {leaf.other_column!r}",
            )  # fmt: skip
        if leaf.value is not None:
            raise _fail(file, rule_id, "give either 'value' or 'other_column', not both")
        return LeafNode(leaf.column, ctype, op, None, leaf.other_column)
    if leaf.value is None:
        raise _fail(file, rule_id, f"operator {op!r} on {leaf.column!r} needs a 'value'")
    if ctype.kind is Kind.CATEGORY:
        return LeafNode(leaf.column, ctype, op, _category_value(leaf, ctype, file, rule_id))
    return LeafNode(leaf.column, ctype, op, _number_value(leaf, ctype, file, rule_id))


def _category_value(leaf: Leaf, ctype: ColumnType, file: str, rule_id: str) -> Any:
    listy = leaf.op in ("in", "not_in")
    raw = leaf.value
    if listy != isinstance(raw, list):
        shape = "a list of values" if listy else "a single value"
        raise _fail(file, rule_id, f"operator {leaf.op!r} on {leaf.column!r} needs {shape}")
    by_key = {category_key(v): i for i, v in enumerate(ctype.vocabulary)}
    codes = []
    for item in raw if isinstance(raw, list) else [raw]:
        code = by_key.get(category_key(str(item)))
        if code is None:
            raise _fail(
                file, rule_id, f"{item!r} is not in the vocabulary of {leaf.column!r}",
                best(str(item), ctype.vocabulary),
            )  # fmt: skip
        codes.append(code)
    return tuple(codes) if listy else codes[0]


def _number_value(leaf: Leaf, ctype: ColumnType, file: str, rule_id: str) -> Any:
    raw = leaf.value
    listy = leaf.op in ("in", "not_in", "between")
    if listy != isinstance(raw, list):
        shape = "a list of numbers" if listy else "a single number"
        raise _fail(file, rule_id, f"operator {leaf.op!r} on {leaf.column!r} needs {shape}")
    given = raw if isinstance(raw, list) else [raw]
    items = [x for x in given if isinstance(x, int | float) and not isinstance(x, bool)]
    if len(items) != len(given):
        raise _fail(file, rule_id, f"{leaf.column!r} is a number column; got {raw!r}")
    if leaf.op == "between" and (len(items) != 2 or items[0] > items[1]):
        raise _fail(file, rule_id, f"'between' needs [low, high] with low ≤ high; got {raw!r}")
    if ctype.fraction and any(not 0 <= x <= 1 for x in items):
        raise _fail(
            file, rule_id,
            f"{leaf.column!r} is a fraction from 0 to 1; {raw!r} is out of range "
            "(write 30% as 0.30)",
        )  # fmt: skip
    return tuple(float(x) for x in items) if listy else float(items[0])
