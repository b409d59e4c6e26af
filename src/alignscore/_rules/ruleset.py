"""A rules directory, loaded and compiled, and run over a batch of firms.

:meth:`RuleSet.load` loads a rules directory with the one loader (``loader.py``), which gathers
every problem, and raises the first: a :class:`RulesError` naming the file and the rule.
:meth:`RuleSet.evaluate` then runs all rules over a batch of firms at once, giving each rule's
state and each favour rule's *units* (1 when a yes/no rule fires, the measured amount for a
graded signal, 0 otherwise): the scorecard's inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from alignscore._contract.columns import PROVINCES, SECTORS
from alignscore._core.safe_read import read_regular
from alignscore._core.safe_yaml import MAX_BYTES
from alignscore._core.vocabulary import SECTOR_CLASSES

from .conditions import rule_columns
from .evidence import Seeds
from .loader import TAXONOMY_FILE, CompiledRule, load_rules
from .schema import Rule, TaxonomyFile

__all__ = ["STATE_NAMES", "TAXONOMY_FILE", "CompiledRule", "RuleResults", "RuleSet"]

#: Rule states in :attr:`RuleResults.states`.
FIRED, NOT_FIRED, NOT_EVALUABLE, NOT_IN_EFFECT = 1, 0, -1, -2
STATE_NAMES: dict[int, Literal["fired", "not fired", "not evaluable", "not in effect"]] = {
    FIRED: "fired",
    NOT_FIRED: "not fired",
    NOT_EVALUABLE: "not evaluable",
    NOT_IN_EFFECT: "not in effect",
}


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


@dataclass(frozen=True)
class Taxonomy:
    """Sector classes and talent clusters, as lookup tables over category codes."""

    spec: TaxonomyFile
    class_of_sector: np.ndarray  # int16, len(SECTORS) + 1; last slot = unknown (-1)
    cluster_of_province: np.ndarray  # float, len(PROVINCES) + 1; NaN for unknown

    @classmethod
    def from_spec(cls, spec: TaxonomyFile) -> Taxonomy:
        """The lookup tables of a taxonomy the loader found no problem in."""
        lut = np.full(len(SECTORS) + 1, -1, dtype=np.int16)
        for sc in spec.sector_classes:
            for sector in sc.sectors:
                lut[SECTORS.index(sector)] = SECTOR_CLASSES.index(sc.class_)
        clusters = np.zeros(len(PROVINCES) + 1)
        clusters[-1] = np.nan
        for p in spec.talent_clusters.provinces:
            clusters[PROVINCES.index(p)] = 1.0
        return cls(spec, lut, clusters)


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
        """Load the rules in ``directory`` (default: the bundled rules); raise the first
        problem (``alignscore rules check`` lists them all)."""
        loaded = load_rules(directory, seeds)
        if loaded.problems:
            raise loaded.problems[0]
        assert loaded.taxonomy is not None  # no problem: the taxonomy loaded
        taxonomy = Taxonomy.from_spec(loaded.taxonomy)
        return cls(loaded.root, loaded.rules, taxonomy, loaded.seeds, _hash_files(loaded.files))

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


def _hash_files(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        data = read_regular(path, MAX_BYTES, "rules files")
        digest.update(path.name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()
