"""The one loader of a rules directory: it reads every file and gathers every problem.

:func:`load_rules` reads ``taxonomy.yaml`` and every other ``*.yaml`` file as rule files (in
file-name order), validates each with the strict models of ``schema.py``, compiles every
condition (``conditions.py``), checks that a favour rule can fire only on a fact the firm has
(never on an absent value) and that each evidence quote stands in the seed it cites. It does
not stop at a problem: it keeps going past a broken file or rule (the rules of a broken file
that are fine on their own are still compiled and checked), and returns what loaded together
with every problem, in file order, each a :class:`~alignscore.exceptions.RulesError` naming
the file, the rule id and the key where known (YAML problems name their line).

Its two callers differ only in what they do with the problems: :meth:`RuleSet.load` raises the
first; :func:`~alignscore._rules.lint.check_rules` (``alignscore rules check``) lists them all,
after the lint-only checks on what loaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from alignscore._contract.columns import PROVINCES, SECTORS
from alignscore._core.resources import bundled
from alignscore._core.safe_yaml import load_yaml
from alignscore._core.suggest import best
from alignscore.exceptions import RulesError

from .conditions import GradedNode, Node, absence_problems, compile_condition, compile_graded
from .evidence import Seeds
from .schema import Evidence, Rule, RuleFile, TaxonomyFile, format_errors

__all__ = ["TAXONOMY_FILE", "CompiledRule", "LoadedRules", "compile_rule", "load_rules"]

TAXONOMY_FILE = "taxonomy.yaml"


@dataclass(frozen=True)
class CompiledRule:
    """A rule as validated (``spec``) and compiled (``node``); ``file`` is the path of the
    rules file it came from, as messages name it."""

    spec: Rule
    node: Node
    file: str

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def graded(self) -> GradedNode | None:
        return self.node if isinstance(self.node, GradedNode) else None

    @property
    def direction(self) -> str:
        """The way the data may move this rule's weight: the sign of the analysts' prior."""
        return "increasing" if (self.spec.weight or 0.0) > 0 else "decreasing"

    @property
    def max_units(self) -> float:
        graded = self.graded
        return graded.cap if graded is not None else 1.0


@dataclass
class LoadedRules:
    """What a rules directory holds, as far as it loads, and every problem found on the way."""

    root: Path
    seeds: Seeds
    taxonomy: TaxonomyFile | None = None
    rules: list[CompiledRule] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every *.yaml file read, taxonomy included
    problems: list[RulesError] = field(default_factory=list)


def load_rules(directory: str | Path | None = None, seeds: str | Path | None = None) -> LoadedRules:
    """Load the rules in ``directory`` (default: the bundled rules), gathering every problem."""
    root = Path(directory) if directory is not None else bundled("rules")
    seed_dir = Path(seeds) if seeds is not None else bundled("seeds")
    out = LoadedRules(root, Seeds(seed_dir))
    problems = out.problems
    if not root.is_dir():
        problems.append(RulesError(root, "is not a directory of rules files"))
        return out
    problems.extend(stray_files(root))
    cited: Seeds | None = out.seeds
    if not seed_dir.is_dir():  # say so once, rather than once per quote
        problems.append(RulesError(seed_dir, "is not a directory of seed articles"))
        cited = None
    out.taxonomy = _load_taxonomy(root / TAXONOMY_FILE, cited, problems)
    out.files = sorted(root.glob("*.yaml"))
    rule_files = [p for p in out.files if p.name != TAXONOMY_FILE]
    seen: dict[str, Path] = {}
    for path in rule_files:
        out.rules += _load_rule_file(path, cited, seen, problems)
    if not rule_files:
        problems.append(RulesError(root, "holds no rule files"))
    return out


def stray_files(root: Path) -> Iterator[RulesError]:
    """Files that look like rules files but would not be read (``x.yml``, ``x.YAML``): an
    error each, rather than a rule silently left out."""
    for path in sorted(root.iterdir()):
        suffix = path.suffix
        if suffix != ".yaml" and suffix.lower() in (".yaml", ".yml"):
            yield RulesError(
                path, "would not be read: rules files end in '.yaml' (rename it, or move it "
                "out of the rules directory)",
            )  # fmt: skip


def _read(path: Path, problems: list[RulesError]) -> Any:
    """The file's YAML data, or :data:`_FAILED` (with the problem recorded)."""
    if not os.path.lexists(path):
        problems.append(RulesError(path, "missing: a rules directory needs this file"))
        return _FAILED
    try:
        return load_yaml(path)
    except RulesError as exc:
        problems.append(exc)
        return _FAILED


_FAILED = object()


def _validated(model: type[BaseModel], data: Any, path: Path, problems: list[RulesError]) -> Any:
    """``data`` validated as ``model``, or ``None`` with every validation problem recorded."""
    if not isinstance(data, dict):
        problems.append(RulesError(path, "expected a mapping at the top level (schema_version: 1, ...)"))
        return None
    if data.get("schema_version") not in (1, None) or "schema_version" not in data:
        got = data.get("schema_version")
        problems.append(RulesError(path, f"schema_version must be 1 (got {got!r})"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(format_errors(exc, model, data, path))
        return None


def evidence_problems(
    items: list[Evidence], seeds: Seeds | None, path: Path, rule_id: str | None
) -> Iterator[RulesError]:
    """Each quote that does not stand in the seed it cites (``seeds`` ``None``: not checked)."""
    if seeds is None:
        return
    names = seeds.names()
    for ev in items:
        if ev.source not in names:
            yield RulesError(
                path, f"evidence cites seed {ev.source!r}, which is not in {seeds.directory}",
                rule_id=rule_id, suggestion=best(ev.source, names),
            )  # fmt: skip
        elif not seeds.contains(ev.source, ev.quote):
            yield RulesError(
                path, f"evidence quote not found in {ev.source}: {ev.quote[:80]!r}", rule_id=rule_id
            )


def _load_taxonomy(
    path: Path, seeds: Seeds | None, problems: list[RulesError]
) -> TaxonomyFile | None:
    data = _read(path, problems)
    if data is _FAILED:
        return None
    spec = _validated(TaxonomyFile, data, path, problems)
    if spec is None:
        return None
    for sc in spec.sector_classes:
        problems.extend(evidence_problems(sc.evidence, seeds, path, None))
    problems.extend(evidence_problems(spec.talent_clusters.evidence, seeds, path, None))
    problems.extend(taxonomy_problems(spec, path))
    return spec  # with its problems recorded: the lints still read its classes


def taxonomy_problems(spec: TaxonomyFile, path: Path) -> Iterator[RulesError]:
    """Every problem of a taxonomy: unknown or doubly classed sectors, sectors without a class,
    unknown provinces."""
    class_of: dict[str, str] = {}
    for sc in spec.sector_classes:
        for sector in sc.sectors:
            if sector not in SECTORS:
                yield RulesError(
                    path, f"class {sc.class_!r} lists unknown sector {sector!r}",
                    suggestion=best(sector, SECTORS),
                )  # fmt: skip
            elif sector in class_of:
                yield RulesError(path, f"sector {sector!r} is in two classes")
            else:
                class_of[sector] = sc.class_
    missing = [s for s in SECTORS if s not in class_of]
    if missing:
        yield RulesError(path, f"sectors without a class: {', '.join(missing)}")
    for p in spec.talent_clusters.provinces:
        if p not in PROVINCES:
            yield RulesError(path, f"talent_clusters lists unknown province {p!r}")


def _load_rule_file(
    path: Path, seeds: Seeds | None, seen: dict[str, Path], problems: list[RulesError]
) -> list[CompiledRule]:
    data = _read(path, problems)
    if data is _FAILED:
        return []
    spec = _validated(RuleFile, data, path, problems)
    if spec is not None:
        rules: list[Rule] = list(spec.rules)
    else:  # keep checking the rules of a broken file that are fine on their own
        rules = []
        ok = isinstance(data, dict) and data.get("schema_version") == 1
        items = data.get("rules") if ok else None
        for item in items if isinstance(items, list) else []:
            try:
                rules.append(Rule.model_validate(item))
            except ValidationError:  # already recorded, with the file's other problems
                continue
    out: list[CompiledRule] = []
    for rule in rules:
        duplicate = rule.id in seen
        if duplicate:
            problems.append(
                RulesError(path, f"duplicate rule id (also in {seen[rule.id].name})", rule_id=rule.id)
            )
        else:
            seen[rule.id] = path
        try:
            node = compile_rule(rule, str(path))
        except RulesError as exc:
            problems.append(exc)
            node = None
        problems.extend(evidence_problems(rule.evidence, seeds, path, rule.id))
        if node is not None and not duplicate:
            out.append(CompiledRule(rule, node, str(path)))
    return out


def compile_rule(rule: Rule, file: str) -> Node:
    """Compile a rule's condition (or graded signal), and refuse a favour rule that could fire
    on an absent value (so that writing ``false`` or ``0`` where a field was blank could move
    a score)."""
    if rule.graded is not None:
        node: Node = compile_graded(rule.graded, rule.condition, file, rule.id)
    else:
        node = compile_condition(rule.condition, file, rule.id)
    if rule.kind == "favour":
        for problem in absence_problems(node):
            raise RulesError(file, f"a favour rule must fire only on a fact the firm has: {problem}", rule_id=rule.id)
    return node
