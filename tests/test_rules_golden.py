"""Golden cases: firms described in a plain CSV, and the rules that must and must not fire.

``tests/golden/rules_cases.csv`` has one firm per row: profile columns (blank = unknown), the
``as_of`` date the row describes, ``must_fire`` and ``must_not_fire`` (rule ids separated by
``;``), and ``graded_units``: the units of each graded signal that fires, worked out by hand from
the rule's reference, step and cap (``rd_intensity=5.4`` is (30% - 3%) / 5 points), to three
decimals; a graded rule not listed must give 0 units. "Not fire" means any state but fired: not
fired, not evaluable or not in effect.

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests rule states on parsed profiles (_rules.ruleset, _contract.profiles).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from alignscore import RuleSet
from alignscore._contract.profiles import parse_table
from alignscore._rules.ruleset import FIRED, STATE_NAMES

CASES_FILE = Path(__file__).parent / "golden" / "rules_cases.csv"
EXPECTATIONS = ("must_fire", "must_not_fire", "graded_units")
#: Only used by a row with a blank ``as_of``; every golden row gives its own date.
DEFAULT_AS_OF = dt.date(1990, 1, 1)


def _ids(cell: str) -> list[str]:
    return [x.strip() for x in cell.split(";") if x.strip()]


def _units(cell: str) -> dict[str, float]:
    pairs = (x.split("=") for x in _ids(cell))
    return {rule_id: float(units) for rule_id, units in pairs}


def _read_cases() -> list[dict[str, str]]:
    with CASES_FILE.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


CASES = _read_cases()


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return RuleSet.load()


@pytest.fixture(scope="module")
def results(ruleset: RuleSet):
    """One batch evaluation of the whole file."""
    columns = [c for c in CASES[0] if c not in EXPECTATIONS]
    table = pa.table({c: pa.array([row[c] for row in CASES], type=pa.string()) for c in columns})
    profiles = parse_table(table, str(CASES_FILE), np.arange(2, len(CASES) + 2))
    assert not profiles.bad.any(), profiles.problems()
    return ruleset.evaluate(profiles.values, as_of=DEFAULT_AS_OF)


@pytest.fixture(scope="module")
def fired(ruleset: RuleSet, results) -> dict[str, dict[str, str]]:
    """Each case's rule states by rule id."""
    ids = [r.id for r in ruleset.rules]
    return {
        row["name"]: {rid: STATE_NAMES[int(s)] for rid, s in zip(ids, states, strict=True)}
        for row, states in zip(CASES, results.states, strict=True)
    }


@pytest.fixture(scope="module")
def units(ruleset: RuleSet, results) -> dict[str, dict[str, float]]:
    """Each case's favour-rule units by rule id."""
    return {
        row["name"]: dict(zip(ruleset.favour_ids, results.units[:, i].tolist(), strict=True))
        for i, row in enumerate(CASES)
    }


def test_the_golden_file_is_well_formed(ruleset: RuleSet):
    assert len(CASES) >= 15
    names = [row["name"] for row in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    known = {r.id for r in ruleset.rules}
    for row in CASES:
        assert row["as_of"], f"{row['name']}: every case gives its as_of date"
        must, must_not = _ids(row["must_fire"]), _ids(row["must_not_fire"])
        assert must or must_not, f"{row['name']}: expects nothing"
        unknown = (set(must) | set(must_not)) - known
        assert not unknown, f"{row['name']}: no such rule {sorted(unknown)}"
        both = set(must) & set(must_not)
        assert not both, f"{row['name']}: both must and must not fire: {sorted(both)}"
        graded = _units(row["graded_units"])
        assert set(graded) <= {r.id for r in ruleset.favour if r.graded is not None}
        assert set(graded) <= set(must), f"{row['name']}: units for a rule not in must_fire"


@pytest.mark.parametrize("case", CASES, ids=[row["name"] for row in CASES])
def test_golden_units(case: dict[str, str], ruleset: RuleSet, units, fired):
    got, states = units[case["name"]], fired[case["name"]]
    expected = _units(case["graded_units"])
    for rule in ruleset.favour:
        if rule.graded is not None:
            assert got[rule.id] == pytest.approx(expected.get(rule.id, 0.0), abs=5e-4), rule.id
        else:  # a yes/no rule counts 1 when it fires, 0 otherwise
            assert got[rule.id] == (1.0 if states[rule.id] == "fired" else 0.0), rule.id
    for rule_id in _ids(case["must_not_fire"]):
        if rule_id in got:
            assert got[rule_id] == 0.0, rule_id


def test_a_graded_signal_at_its_cap_gives_no_more(units: dict[str, dict[str, float]]):
    # R&D of 60% and of 150% of revenue are both past the 33% at which rd_intensity is capped
    assert units["SenseTime-like AI vendor"]["rd_intensity"] == 6.0
    assert units["Heavy-R&D biotech with tiny revenue"]["rd_intensity"] == 6.0


def test_zeros_written_for_blanks_move_nothing(ruleset: RuleSet, units, fired):
    # a favour rule fires only on a fact the firm has: 0, false, private and unlisted are not
    # facts, so writing them where a profile was blank gives the same units as leaving it blank
    written, blank = units["Zeros and falses written for blanks"], units["AI firm about which little is known"]
    assert all(u == 0.0 for u in written.values())
    assert {k for k, u in blank.items() if u} == {"sector_hard_tech", "sector_ai_strategic"}
    assert all(fired["Zeros and falses written for blanks"][r.id] != "fired" for r in ruleset.favour)


def test_every_rule_must_fire_in_some_case(ruleset: RuleSet):
    covered = {rid for row in CASES for rid in _ids(row["must_fire"])}
    missing = [r.id for r in ruleset.rules if r.id not in covered]
    assert not missing, f"rules no golden case makes fire: {missing}"


@pytest.mark.parametrize("case", CASES, ids=[row["name"] for row in CASES])
def test_golden_case(case: dict[str, str], fired: dict[str, dict[str, str]]):
    states = fired[case["name"]]
    should = {rid: states[rid] for rid in _ids(case["must_fire"]) if states[rid] != "fired"}
    should_not = {rid: s for rid in _ids(case["must_not_fire"]) if (s := states[rid]) == "fired"}
    assert not should, f"must fire but did not: {should}"
    assert not should_not, f"must not fire but did: {sorted(should_not)}"


def test_same_firm_before_and_after_the_crackdown(fired: dict[str, dict[str, str]]):
    before = fired["US-listed consumer platform 2019"]
    after = fired["US-listed consumer platform 2021"]
    for rid in ("listing_us", "sector_soft_tech", "platform_dominance"):
        assert before[rid] == "not in effect"
        assert after[rid] == "fired"
    assert before["sm_intensity"] == after["sm_intensity"] == "fired"


def test_evaluating_one_case_alone_gives_the_same_states(ruleset: RuleSet, fired):
    # the batch is vectorised, but no row may depend on another
    columns = [c for c in CASES[0] if c not in EXPECTATIONS]
    for row in CASES[:: max(1, len(CASES) // 5)]:
        table = pa.table({c: pa.array([row[c]], type=pa.string()) for c in columns})
        results = ruleset.evaluate(parse_table(table, "<one>", np.array([2])).values, DEFAULT_AS_OF)
        alone = {
            r.id: STATE_NAMES[int(s)] for r, s in zip(ruleset.rules, results.states[0], strict=True)
        }
        assert alone == fired[row["name"]]
        assert (results.states[0] == FIRED).sum() == sum(s == "fired" for s in alone.values())
