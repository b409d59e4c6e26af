"""Check a rules directory for every problem at once, and list its rules.

:func:`check_rules` is what ``alignscore rules check`` runs. Unlike :meth:`RuleSet.load`, which
stops at the first problem, it loads each file independently with the same helpers, keeps going
past a broken file or rule, and then lints what loaded:

- duplicate rule ids (across files);
- unreachable conditions: a conjunction (an ``all``, or a lone leaf) that no firm can satisfy,
  such as ``gte 0.5`` and ``lt 0.3`` on one column, ``equals a`` and ``equals b``, ``is_true``
  and ``is_false``, ``is_unknown`` beside a test of the value, a threshold outside the column's
  valid range, or sector tests that contradict the taxonomy; and an effective window that
  ended before 2000-01-01;
- duplicate conditions: two favour rules with the same condition whose effective windows
  overlap, with the same sign ("duplicate condition") or opposite signs ("contradictory pair");
- favour rules that could fire on an absent value (``false``, ``0``, ``private``, ``unlisted``);
- unused sector classes: a class of ``taxonomy.yaml`` that no rule refers to (``other``, the residual class that is neither favoured nor targeted, is exempt);
- evidence quotes that are not in the seed they cite (all of them, not only the first).

:func:`rules_table` is what ``alignscore rules list`` prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from alignscore._contract.columns import SECTORS, Kind, column
from alignscore._core.resources import bundled
from alignscore._core.safe_yaml import load_yaml
from alignscore._core.vocabulary import SECTOR_CLASSES
from alignscore.exceptions import RulesError

from .conditions import (
    AllNode,
    AnyNode,
    GradedNode,
    LeafNode,
    Node,
    NotNode,
    rule_columns,
)
from .evidence import Seeds
from .ruleset import (
    TAXONOMY_FILE,
    CompiledRule,
    RuleSet,
    _check_evidence,
    _validated,
    compile_rule,
    stray_files,
    taxonomy_problems,
)
from .schema import (
    Evidence,
    Rule,
    RuleFile,
    TaxonomyFile,
    format_errors,
)

__all__ = ["EARLIEST", "check_rules", "rules_table"]

#: A rule whose effective window ended before this date can never apply to the data in scope.
EARLIEST = dt.date(2000, 1, 1)

#: The residual sector class: neither favoured nor targeted, so no rule needs to name it.
RESIDUAL_CLASS = "other"

_NO_VALUE = frozenset({"is_true", "is_false", "is_unknown", "is_known"})


# --- check ---------------------------------------------------------------------------------


def check_rules(directory: Path | None = None, seeds: Path | None = None) -> list[RulesError]:
    """Every problem in the rules ``directory`` (default: the bundled rules), in file order.

    An empty list means the directory loads with :meth:`RuleSet.load` and passes every lint.
    """
    root = Path(directory) if directory is not None else bundled("rules")
    seed_dir = Path(seeds) if seeds is not None else bundled("seeds")
    if not root.is_dir():
        return [RulesError(root, "is not a directory of rules files")]
    problems: list[RulesError] = []
    seeds_: Seeds | None = Seeds(seed_dir)
    if not seed_dir.is_dir():
        problems.append(RulesError(seed_dir, "is not a directory of seed articles"))
        seeds_ = None

    taxonomy = _load_taxonomy(root / TAXONOMY_FILE, seeds_, problems)

    loaded: list[CompiledRule] = []
    seen: dict[str, Path] = {}
    rule_files = [
        p for p in sorted(root.glob("*.yaml")) if p.name != TAXONOMY_FILE
    ]
    if not rule_files:
        problems.append(RulesError(root, "holds no rule files"))
    problems.extend(stray_files(root))
    for path in rule_files:
        loaded.extend(_load_rule_file(path, seeds_, seen, problems))

    sector_class = _class_of_sector(taxonomy)
    for rule in loaded:
        problems.extend(_unreachable(rule, sector_class))
    problems.extend(_duplicate_conditions(loaded))
    if taxonomy is not None:
        problems.extend(_unused_classes(taxonomy, loaded, root / TAXONOMY_FILE))
    return problems


_FAILED = object()


def _load(path: Path, problems: list[RulesError]) -> Any:
    """The file's YAML data, or :data:`_FAILED` (with the problem recorded)."""
    if not os.path.lexists(path):
        problems.append(RulesError(path, "missing: a rules directory needs this file"))
        return _FAILED
    try:
        return load_yaml(path)
    except RulesError as exc:
        problems.append(exc)
        return _FAILED


def _validate_all(model: type[BaseModel], data: Any, path: Path, problems: list[RulesError]) -> Any:
    """``data`` validated as ``model``, or ``None`` with every validation problem recorded."""
    try:
        return _validated(model, data, path)
    except RulesError as first:
        if not isinstance(data, dict) or data.get("schema_version") != 1:
            problems.append(first)  # not a mapping, or the wrong schema version: nothing else
            return None
        try:
            model.model_validate(data)
        except ValidationError as exc:
            for rule_id, problem, suggestion in format_errors(exc, model, data):
                problems.append(RulesError(path, problem, rule_id=rule_id, suggestion=suggestion))
        else:  # pragma: no cover - _validated only fails on what model_validate refuses
            problems.append(first)
        return None


def _evidence(
    items: list[Evidence],
    seeds: Seeds | None,
    path: Path,
    rule_id: str | None,
    problems: list[RulesError],
) -> None:
    """Check each quote on its own, so that every missing quote is reported."""
    if seeds is None:
        return
    for ev in items:
        try:
            _check_evidence([ev], seeds, path, rule_id)
        except RulesError as exc:
            problems.append(exc)


def _load_taxonomy(
    path: Path, seeds: Seeds | None, problems: list[RulesError]
) -> TaxonomyFile | None:
    data = _load(path, problems)
    if data is _FAILED:
        return None
    spec: TaxonomyFile | None = _validate_all(TaxonomyFile, data, path, problems)
    if spec is None:
        return None
    for sc in spec.sector_classes:
        _evidence(sc.evidence, seeds, path, None, problems)
    _evidence(spec.talent_clusters.evidence, seeds, path, None, problems)
    problems.extend(taxonomy_problems(spec, path))
    return spec


def _load_rule_file(
    path: Path, seeds: Seeds | None, seen: dict[str, Path], problems: list[RulesError]
) -> list[CompiledRule]:
    data = _load(path, problems)
    if data is _FAILED:
        return []
    spec: RuleFile | None = _validate_all(RuleFile, data, path, problems)
    if spec is not None:
        rules: list[Rule] = list(spec.rules)
    else:  # keep checking the rules of a broken file that are fine on their own
        rules = []
        ok = isinstance(data, dict) and data.get("schema_version") == 1
        items = data.get("rules") if ok else None
        for item in items if isinstance(items, list) else []:
            with contextlib.suppress(ValidationError):  # already reported by _validate_all
                rules.append(Rule.model_validate(item))
    out: list[CompiledRule] = []
    for rule in rules:
        duplicate = rule.id in seen
        if duplicate:
            problems.append(
                RulesError(
                    path, f"duplicate rule id (also in {seen[rule.id].name})", rule_id=rule.id
                )
            )
        else:
            seen[rule.id] = path
        try:
            node = compile_rule(rule, str(path))
        except RulesError as exc:
            problems.append(exc)
            node = None
        _evidence(rule.evidence, seeds, path, rule.id, problems)
        if node is not None and not duplicate:
            out.append(CompiledRule(rule, node, str(path)))
    return out


# --- lints ---------------------------------------------------------------------------------


def _class_of_sector(taxonomy: TaxonomyFile | None) -> dict[str, str] | None:
    if taxonomy is None:
        return None
    out: dict[str, str] = {}
    for sc in taxonomy.sector_classes:
        for sector in sc.sectors:
            out.setdefault(sector, sc.class_)
    return out


def _conjunctions(node: Node) -> Iterator[tuple[bool, list[LeafNode]]]:
    """Every conjunction of leaves in the condition: ``(is_whole_condition, leaves)``.

    Nested ``all`` nodes are flattened into their parent; each branch of an ``any`` and the
    inside of a ``not`` is a conjunction of its own.
    """

    def flatten(n: Node) -> tuple[list[LeafNode], list[Node]]:
        if isinstance(n, LeafNode):
            return [n], []
        if isinstance(n, AllNode) and not isinstance(n, AnyNode):
            leaves: list[LeafNode] = []
            rest: list[Node] = []
            for child in n.children:
                a, b = flatten(child)
                leaves += a
                rest += b
            return leaves, rest
        return [], [n]

    def visit(n: Node, whole: bool) -> Iterator[tuple[bool, list[LeafNode]]]:
        if isinstance(n, GradedNode):
            if n.gate is not None:
                yield from visit(n.gate, whole)
        elif isinstance(n, AnyNode):
            for child in n.children:
                yield from visit(child, False)
        elif isinstance(n, NotNode):
            yield from visit(n.child, False)
        else:
            leaves, rest = flatten(n)
            if leaves:
                yield whole, leaves
            for r in rest:
                yield from visit(r, False)

    yield from visit(node, True)


def _domain(name: str) -> tuple[float, float]:
    try:
        col = column(name)
    except KeyError:
        return -math.inf, math.inf
    low = col.minimum if col.minimum is not None else -math.inf
    high = col.upper_bound()
    return low, (high if high is not None else math.inf)


def _numbers_impossible(name: str, leaves: list[LeafNode]) -> bool:
    """Whether the value tests on number column ``name`` leave no value possible."""
    lo, hi = _domain(name)
    lo_closed = hi_closed = True
    points: set[float] | None = None
    excluded: set[float] = set()

    def at_least(v: float, closed: bool) -> None:
        nonlocal lo, lo_closed
        if v > lo or (v == lo and lo_closed and not closed):
            lo, lo_closed = v, closed

    def at_most(v: float, closed: bool) -> None:
        nonlocal hi, hi_closed
        if v < hi or (v == hi and hi_closed and not closed):
            hi, hi_closed = v, closed

    for leaf in leaves:
        op, v = leaf.op, leaf.value
        if op == "gt":
            at_least(v, False)
        elif op == "gte":
            at_least(v, True)
        elif op == "lt":
            at_most(v, False)
        elif op == "lte":
            at_most(v, True)
        elif op == "between":
            at_least(v[0], True)
            at_most(v[1], True)
        elif op in ("equals", "in"):
            here = set(v) if isinstance(v, tuple) else {v}
            points = here if points is None else points & here
        elif op in ("not_equals", "not_in"):
            excluded |= set(v) if isinstance(v, tuple) else {v}

    def inside(x: float) -> bool:
        above = x > lo or (x == lo and lo_closed)
        below = x < hi or (x == hi and hi_closed)
        return above and below and x not in excluded

    if lo > hi or (lo == hi and not (lo_closed and hi_closed)):
        return True
    if points is not None:
        return not any(inside(x) for x in points)
    return lo == hi and lo in excluded


def _allowed_codes(leaves: list[LeafNode], size: int) -> set[int]:
    allowed = set(range(size))
    for leaf in leaves:
        codes = set(leaf.value) if isinstance(leaf.value, tuple) else {leaf.value}
        if leaf.op in ("equals", "in"):
            allowed &= codes
        elif leaf.op in ("not_equals", "not_in"):
            allowed -= codes
    return allowed


def _values_impossible(name: str, kind: Kind, leaves: list[LeafNode]) -> bool:
    """Whether the value tests on column ``name`` leave no value possible."""
    if kind is Kind.CATEGORY:
        return not _allowed_codes(leaves, len(leaves[0].ctype.vocabulary))
    if kind in (Kind.NUMBER, Kind.FRACTION, Kind.INTEGER):
        return _numbers_impossible(name, leaves)
    return False


def _contradictions(
    leaves: list[LeafNode], class_of_sector: dict[str, str] | None
) -> Iterator[list[LeafNode]]:
    """Groups of leaves of one conjunction that can never all hold."""
    columns = rule_columns()
    by_column: dict[str, list[LeafNode]] = {}
    for leaf in leaves:
        by_column.setdefault(leaf.column, []).append(leaf)
        if leaf.other is not None:
            by_column.setdefault(leaf.other, []).append(leaf)
    for name, group in by_column.items():
        ops = {leaf.op for leaf in group if leaf.column == name}
        if "is_unknown" in ops and any(x.op != "is_unknown" for x in group):
            yield group
            continue
        own = [x for x in group if x.column == name and x.other is None and x.op not in _NO_VALUE]
        kind = columns[name].kind
        if kind is Kind.BOOLEAN and {"is_true", "is_false"} <= ops:
            yield group
        elif own and _values_impossible(name, kind, own):
            yield own
    # sector and sector_class together: the taxonomy decides which pairs are possible
    sectors = [x for x in by_column.get("sector", []) if x.op not in _NO_VALUE]
    classes = [x for x in by_column.get("sector_class", []) if x.op not in _NO_VALUE]
    if class_of_sector and sectors and classes:
        ok_sectors = _allowed_codes(sectors, len(SECTORS))
        ok_classes = _allowed_codes(classes, len(SECTOR_CLASSES))
        ok_sectors_by_name = {SECTORS[i] for i in ok_sectors}
        if (
            ok_sectors
            and ok_classes
            and not any(
                SECTOR_CLASSES.index(class_of_sector[s]) in ok_classes
                for s in ok_sectors_by_name
                if s in class_of_sector
            )
        ):
            yield sectors + classes


def _unreachable(rule: CompiledRule, class_of_sector: dict[str, str] | None) -> Iterator[RulesError]:
    spec = rule.spec
    if spec.effective_to is not None and spec.effective_to < EARLIEST:
        yield RulesError(
            rule.file,
            f"unreachable: the effective window ended on {spec.effective_to.isoformat()}, "
            f"before {EARLIEST.isoformat()}",
            rule_id=spec.id,
        )
    for whole, leaves in _conjunctions(rule.node):
        for group in _contradictions(leaves, class_of_sector):
            parts = " and ".join(leaf.describe() for leaf in group)
            what = "the condition can never be true" if whole else "a branch can never be true"
            yield RulesError(rule.file, f"unreachable: {what}: {parts}", rule_id=spec.id)


def _canonical(node: Node) -> str:
    """``describe()`` with the order of ``all``/``any`` children and of ``in`` lists ignored."""
    if isinstance(node, AnyNode):
        return "any of (" + "; ".join(sorted(_canonical(c) for c in node.children)) + ")"
    if isinstance(node, AllNode):
        return "all of (" + "; ".join(sorted(_canonical(c) for c in node.children)) + ")"
    if isinstance(node, NotNode):
        return f"not ({_canonical(node.child)})"
    if isinstance(node, LeafNode) and isinstance(node.value, tuple) and node.op != "between":
        return dataclasses.replace(node, value=tuple(sorted(node.value))).describe()
    return node.describe()


def _overlap(a: Rule, b: Rule) -> bool:
    start = max(a.effective_from or dt.date.min, b.effective_from or dt.date.min)
    end = min(a.effective_to or dt.date.max, b.effective_to or dt.date.max)
    return start <= end


def _duplicate_conditions(loaded: list[CompiledRule]) -> Iterator[RulesError]:
    by_condition: dict[str, list[CompiledRule]] = {}
    for rule in loaded:
        if rule.spec.kind != "favour":
            continue
        key = _canonical(rule.node)
        for other in by_condition.get(key, []):
            if not _overlap(rule.spec, other.spec):
                continue
            same = ((rule.spec.weight or 0) > 0) == ((other.spec.weight or 0) > 0)
            if same:
                problem = f"duplicate condition with rule {other.id!r} ({Path(other.file).name})"
            else:
                problem = (
                    f"contradictory pair with rule {other.id!r} ({Path(other.file).name}): "
                    "the same condition with opposite weights"
                )
            yield RulesError(rule.file, problem, rule_id=rule.id)
        by_condition.setdefault(key, []).append(rule)


def _unused_classes(
    taxonomy: TaxonomyFile, loaded: list[CompiledRule], path: Path
) -> Iterator[RulesError]:
    used: set[str] = set()
    for rule in loaded:
        for leaf in rule.node.leaves():
            if leaf.column == "sector_class" and leaf.value is not None:
                codes = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
                used.update(leaf.ctype.vocabulary[c] for c in codes)
    reported: set[str] = set()
    for sc in taxonomy.sector_classes:
        name = sc.class_
        if name == RESIDUAL_CLASS or name in used or name in reported:
            continue
        reported.add(name)
        yield RulesError(
            path, f"unused sector class {name!r}: no rule refers to it"
        )


# --- list ----------------------------------------------------------------------------------


def rules_table(ruleset: RuleSet) -> list[dict[str, Any]]:
    """One plain dict per rule, in load order (what ``rules list --format json`` prints)."""
    out: list[dict[str, Any]] = []
    for rule in ruleset.rules:
        spec = rule.spec
        out.append(
            {
                "id": spec.id,
                "title": spec.title,
                "signal": spec.signal,
                "kind": spec.kind,
                "weight": spec.weight if spec.kind == "favour" else None,
                "units": rule.graded.describe() if rule.graded is not None else None,
                "severity": spec.severity if spec.kind == "risk" else None,
                "effective_from": _iso(spec.effective_from),
                "effective_to": _iso(spec.effective_to),
                "condition": rule.node.describe(),
                "rationale": spec.rationale,
                "file": rule.file,
                "evidence": [{"source": ev.source, "quote": ev.quote} for ev in spec.evidence],
            }
        )
    return out


def _iso(date: dt.date | None) -> str | None:
    return date.isoformat() if date is not None else None
