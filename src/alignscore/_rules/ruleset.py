"""A rules directory, loaded, checked against the contract and the seeds, and compiled.

:meth:`RuleSet.load` reads ``taxonomy.yaml`` and every other ``*.yaml`` file as rule files (in
file-name order), validates each with the strict models of ``_rules_schema.py``, compiles every
condition (``_conditions.py``), checks that a favour rule can fire only on a fact the firm has
(never on an absent value) and that each evidence quote stands in the seed it cites. Any problem
is a :class:`RulesError` naming the file and the rule. :meth:`RuleSet.evaluate` then runs all
rules over a batch of firms at once, giving each rule's state and each favour rule's *units*
(1 when a yes/no rule fires, the measured amount for a graded signal, 0 otherwise): the
scorecard's inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ValidationError

from alignscore._contract.columns import PROVINCES, SECTORS
from alignscore._core.resources import bundled
from alignscore._core.safe_read import read_regular
from alignscore._core.safe_yaml import MAX_BYTES, load_yaml
from alignscore._core.vocabulary import SECTOR_CLASSES
from alignscore.exceptions import RulesError

from .conditions import (
    GradedNode,
    Node,
    absence_problems,
    compile_condition,
    compile_graded,
    rule_columns,
)
from .evidence import Seeds
from .schema import Evidence, Rule, RuleFile, TaxonomyFile, format_errors

__all__ = ["STATE_NAMES", "CompiledRule", "RuleResults", "RuleSet"]

TAXONOMY_FILE = "taxonomy.yaml"

#: Rule states in :attr:`RuleResults.states`.
FIRED, NOT_FIRED, NOT_EVALUABLE, NOT_IN_EFFECT = 1, 0, -1, -2
STATE_NAMES: dict[int, Literal["fired", "not fired", "not evaluable", "not in effect"]] = {
    FIRED: "fired",
    NOT_FIRED: "not fired",
    NOT_EVALUABLE: "not evaluable",
    NOT_IN_EFFECT: "not in effect",
}


@dataclass(frozen=True)
class CompiledRule:
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
class RuleResults:
    """Every rule's state for every firm (see :data:`STATE_NAMES`).

    ``by_rule`` is rules x rows (each rule's states contiguous, as they are computed);
    ``states`` is the same memory seen as rows x rules.
    """

    by_rule: np.ndarray
    values: dict[str, np.ndarray]  # the columns the rules saw, derived ones included
    units: np.ndarray  # favour rules x rows, float64: the scorecard's inputs (0 unless fired)

    @property
    def states(self) -> np.ndarray:
        return self.by_rule.T


def _validated(model: type[BaseModel], data: Any, path: Path) -> Any:
    if not isinstance(data, dict):
        raise RulesError(path, "expected a mapping at the top level (schema_version: 1, ...)")
    if data.get("schema_version") not in (1, None) or "schema_version" not in data:
        got = data.get("schema_version")
        raise RulesError(path, f"schema_version must be 1 (got {got!r})")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        rule_id, problem, suggestion = format_errors(exc, model, data)[0]
        raise RulesError(path, problem, rule_id=rule_id, suggestion=suggestion) from None


def _check_evidence(
    items: list[Evidence], seeds: Seeds, path: Path, rule_id: str | None
) -> None:
    names = seeds.names()
    for ev in items:
        if ev.source not in names:
            import difflib

            close = difflib.get_close_matches(ev.source, names, n=1, cutoff=0.3)
            raise RulesError(
                path, f"evidence cites seed {ev.source!r}, which is not in {seeds.directory}",
                rule_id=rule_id, suggestion=repr(close[0]) if close else None,
            )  # fmt: skip
        if not seeds.contains(ev.source, ev.quote):
            raise RulesError(
                path,
                f"evidence quote not found in {ev.source}: {ev.quote[:80]!r}",
                rule_id=rule_id,
            )


@dataclass(frozen=True)
class Taxonomy:
    """Sector classes and talent clusters, as lookup tables over category codes."""

    spec: TaxonomyFile
    class_of_sector: np.ndarray  # int16, len(SECTORS) + 1; last slot = unknown (-1)
    cluster_of_province: np.ndarray  # float, len(PROVINCES) + 1; NaN for unknown

    @classmethod
    def from_spec(cls, spec: TaxonomyFile, path: Path) -> Taxonomy:
        for problem in taxonomy_problems(spec, path):
            raise problem
        lut = np.full(len(SECTORS) + 1, -1, dtype=np.int16)
        for sc in spec.sector_classes:
            for sector in sc.sectors:
                lut[SECTORS.index(sector)] = SECTOR_CLASSES.index(sc.class_)
        clusters = np.zeros(len(PROVINCES) + 1)
        clusters[-1] = np.nan
        for p in spec.talent_clusters.provinces:
            clusters[PROVINCES.index(p)] = 1.0
        return cls(spec, lut, clusters)


def taxonomy_problems(spec: TaxonomyFile, path: Path) -> Iterator[RulesError]:
    """Every problem of a taxonomy: unknown or doubly classed sectors, sectors without a class,
    unknown provinces (the loader raises the first; ``rules check`` lists them all)."""
    import difflib

    class_of: dict[str, str] = {}
    for sc in spec.sector_classes:
        for sector in sc.sectors:
            if sector not in SECTORS:
                close = difflib.get_close_matches(sector, SECTORS, n=1)
                yield RulesError(
                    path, f"class {sc.class_!r} lists unknown sector {sector!r}",
                    suggestion=repr(close[0]) if close else None,
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


class RuleSet:
    """A loaded, checked and compiled rules directory."""

    def __init__(
        self,
        directory: Path,
        rules: list[CompiledRule],
        taxonomy: Taxonomy,
        seeds: Seeds,
        sha256: str,
    ) -> None:
        self.directory = directory
        self.rules = rules
        self.taxonomy = taxonomy
        self.seeds = seeds
        self.sha256 = sha256
        self.favour = [r for r in rules if r.spec.kind == "favour"]
        self.risk = [r for r in rules if r.spec.kind == "risk"]
        #: The analysts' prior weights of the favour rules (log-odds per unit), in rule order.
        self.priors = np.array([r.spec.weight for r in self.favour], dtype=np.float64)
        self._favour_idx = np.array([i for i, r in enumerate(rules) if r.spec.kind == "favour"], dtype=int)
        self._graded = [
            (k, r.graded) for k, r in enumerate(self.favour) if r.graded is not None
        ]

    @property
    def favour_ids(self) -> list[str]:
        return [r.id for r in self.favour]

    @property
    def directions(self) -> list[str]:
        return [r.direction for r in self.favour]

    @classmethod
    def load(cls, directory: str | Path | None = None, seeds: str | Path | None = None) -> RuleSet:
        """Load the rules in ``directory`` (default: the bundled rules)."""
        root = Path(directory) if directory is not None else bundled("rules")
        seed_dir = Path(seeds) if seeds is not None else bundled("seeds")
        if not root.is_dir():
            raise RulesError(root, "is not a directory of rules files")
        seeds_ = Seeds(seed_dir)
        files = sorted(root.glob("*.yaml"))
        for problem in stray_files(root):
            raise problem
        taxonomy_path = root / TAXONOMY_FILE
        if not os.path.lexists(taxonomy_path):
            raise RulesError(taxonomy_path, "missing: a rules directory needs this file")
        tax_spec = _validated(TaxonomyFile, load_yaml(taxonomy_path), taxonomy_path)
        for sc in tax_spec.sector_classes:
            _check_evidence(sc.evidence, seeds_, taxonomy_path, None)
        _check_evidence(tax_spec.talent_clusters.evidence, seeds_, taxonomy_path, None)
        taxonomy = Taxonomy.from_spec(tax_spec, taxonomy_path)
        compiled: list[CompiledRule] = []
        seen: dict[str, Path] = {}
        for path in files:
            if path.name == TAXONOMY_FILE:
                continue
            spec = _validated(RuleFile, load_yaml(path), path)
            for rule in spec.rules:
                if rule.id in seen:
                    raise RulesError(
                        path, f"duplicate rule id (also in {seen[rule.id].name})", rule_id=rule.id
                    )
                seen[rule.id] = path
                node = compile_rule(rule, str(path))
                _check_evidence(rule.evidence, seeds_, path, rule.id)
                compiled.append(CompiledRule(rule, node, path.name))
        if not compiled:
            raise RulesError(root, "holds no rule files")
        return cls(root, compiled, taxonomy, seeds_, _hash_files(files))

    # --- evaluation ------------------------------------------------------------------------

    def context(self, values: dict[str, Any], as_of: dt.date) -> dict[str, np.ndarray]:
        """The columns rules see: the numeric contract columns plus the derived ones."""
        out = {name: values[name] for name in rule_columns() if name in values}
        out["sector_class"] = self.taxonomy.class_of_sector[values["sector"]]
        out["in_talent_cluster"] = self.taxonomy.cluster_of_province[values["hq_province"]]
        year = _row_dates(values, as_of).astype("datetime64[Y]").astype(np.int64) + 1970
        out["firm_age"] = year - values["founded_year"]
        return out

    def evaluate(self, values: dict[str, Any], as_of: dt.date) -> RuleResults:
        """Run every rule over a batch (``values`` as in :class:`~alignscore._contract.profiles.Profiles`)."""
        ctx = self.context(values, as_of)
        n = len(values["sector"])
        by_rule = np.empty((len(self.rules), n), dtype=np.int8)
        dates = _row_dates(values, as_of)
        single = dates[:1] if n and (dates == dates[0]).all() else None
        for j, rule in enumerate(self.rules):
            t, f = rule.node.evaluate(ctx)
            row = by_rule[j]
            row[...] = t.view(np.int8)  # fired 1, not fired 0 ...
            row -= (~(t | f)).view(np.int8)  # ... not evaluable -1
            if single is not None:  # one date for the whole batch: a rule is in effect or not
                active = _active(rule.spec, single)
                if active is not None and not active[0]:
                    row[...] = NOT_IN_EFFECT
            else:
                active = _active(rule.spec, dates)
                if active is not None:
                    row[~active] = NOT_IN_EFFECT
        units = (by_rule[self._favour_idx] == FIRED).astype(np.float64)
        for k, graded in self._graded:
            units[k] *= graded.units(ctx)
        return RuleResults(by_rule, ctx, units)

    def favour_index(self) -> np.ndarray:
        return self._favour_idx

    def risk_index(self) -> np.ndarray:
        return np.array([i for i, r in enumerate(self.rules) if r.spec.kind == "risk"], dtype=int)

    def get(self, rule_id: str) -> CompiledRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _row_dates(values: dict[str, Any], as_of: dt.date) -> np.ndarray:
    dates = values.get("as_of")
    default = np.datetime64(as_of, "D")
    if dates is None:
        return np.full(len(values["sector"]), default)
    return np.where(np.isnat(dates), default, dates)


def _active(rule: Rule, dates: np.ndarray) -> np.ndarray | None:
    if rule.effective_from is None and rule.effective_to is None:
        return None
    active = np.ones(len(dates), dtype=bool)
    if rule.effective_from is not None:
        active &= dates >= np.datetime64(rule.effective_from, "D")
    if rule.effective_to is not None:
        active &= dates <= np.datetime64(rule.effective_to, "D")
    return active


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


def _hash_files(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        data = read_regular(path, MAX_BYTES, "rules files")
        digest.update(path.name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()
