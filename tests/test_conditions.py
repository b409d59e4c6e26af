"""Conditions: every operator and combinator, vectorised and three-valued, in words, and in time.

A node's result per row is 1 (fired), 0 (not fired) or -1 (not evaluable: an input is unknown);
``RuleSet.evaluate`` adds -2 for a rule outside its effective window.

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests rule conditions (_rules.conditions, _rules.schema, _rules.ruleset) on parsed profiles (_contract.profiles).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from pydantic import TypeAdapter

from alignscore._contract.columns import OWNERSHIPS, SECTORS
from alignscore._contract.profiles import Profiles, parse_table
from alignscore._rules.conditions import (
    SECTOR_CLASSES,
    GradedNode,
    Node,
    absence_problems,
    compile_condition,
    compile_graded,
)
from alignscore._rules.ruleset import (
    FIRED,
    NOT_EVALUABLE,
    NOT_FIRED,
    NOT_IN_EFFECT,
    STATE_NAMES,
    RuleSet,
)
from alignscore._rules.schema import Condition, Graded

NAN = np.nan
T, F, U = 1, 0, -1  # fired, not fired, not evaluable

_CONDITION = TypeAdapter(Condition)


def node(spec: dict) -> Node:
    return compile_condition(_CONDITION.validate_python(spec), "test.yaml", "test_rule")


def states(n: Node, values: dict[str, np.ndarray]) -> list[int]:
    t, f = n.evaluate(values)
    assert not (t & f).any(), "a row is both true and false"
    return np.where(t, T, np.where(f, F, U)).tolist()


def sectors(*names: str | None) -> np.ndarray:
    return np.array([SECTORS.index(s) if s else -1 for s in names], dtype=np.int16)


def classes(*names: str | None) -> np.ndarray:
    return np.array([SECTOR_CLASSES.index(s) if s else -1 for s in names], dtype=np.int16)


# --- leaves --------------------------------------------------------------------------------

SHARE = np.array([0.1, 0.3, 0.5, NAN])


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("lt", 0.3, [T, F, F, U]),
        ("lte", 0.3, [T, T, F, U]),
        ("gt", 0.3, [F, F, T, U]),
        ("gte", 0.3, [F, T, T, U]),
        ("between", [0.2, 0.5], [F, T, T, U]),
        ("equals", 0.3, [F, T, F, U]),
        ("not_equals", 0.3, [T, F, T, U]),
        ("in", [0.1, 0.5], [T, F, T, U]),
        ("not_in", [0.1, 0.5], [F, T, F, U]),
    ],
)
def test_number_operators(op: str, value, expected: list[int]):
    n = node({"column": "overseas_revenue_share", "op": op, "value": value})
    assert states(n, {"overseas_revenue_share": SHARE}) == expected


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("equals", "ai", [T, F, F, U]),
        ("not_equals", "ai", [F, T, T, U]),
        ("in", ["ai", "biotech"], [T, F, T, U]),
        ("not_in", ["ai", "biotech"], [F, T, F, U]),
        ("equals", "AI", [T, F, F, U]),  # the vocabulary ignores case, as in the profiles
    ],
)
def test_category_operators(op: str, value, expected: list[int]):
    n = node({"column": "sector", "op": op, "value": value})
    assert states(n, {"sector": sectors("ai", "e_commerce", "biotech", None)}) == expected


@pytest.mark.parametrize(("op", "expected"), [("is_true", [T, F, U]), ("is_false", [F, T, U])])
def test_boolean_operators(op: str, expected: list[int]):
    n = node({"column": "little_giant", "op": op})
    assert states(n, {"little_giant": np.array([1.0, 0.0, NAN])}) == expected


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("overseas_revenue_share", np.array([0.0, NAN])),
        ("little_giant", np.array([0.0, NAN])),
        ("ownership", np.array([OWNERSHIPS.index("private"), -1], dtype=np.int16)),
    ],
)
def test_is_known_and_is_unknown_are_never_unknown(column: str, values: np.ndarray):
    # zero and false are known values; only a blank is unknown
    assert states(node({"column": column, "op": "is_known"}), {column: values}) == [T, F]
    assert states(node({"column": column, "op": "is_unknown"}), {column: values}) == [F, T]


def test_other_column_comparison():
    values = {
        "rd_intensity": np.array([0.3, 0.1, 0.2, NAN, 0.2]),
        "sm_intensity": np.array([0.1, 0.3, 0.2, 0.1, NAN]),
    }
    gt = node({"column": "rd_intensity", "op": "gt", "other_column": "sm_intensity"})
    gte = node({"column": "rd_intensity", "op": "gte", "other_column": "sm_intensity"})
    lt = node({"column": "rd_intensity", "op": "lt", "other_column": "sm_intensity"})
    lte = node({"column": "rd_intensity", "op": "lte", "other_column": "sm_intensity"})
    assert states(gt, values) == [T, F, F, U, U]
    assert states(gte, values) == [T, F, T, U, U]
    assert states(lt, values) == [F, T, F, U, U]
    assert states(lte, values) == [F, T, T, U, U]


def test_derived_sector_class_column():
    n = node({"column": "sector_class", "op": "in", "value": ["hard_tech", "state_priority"]})
    values = {"sector_class": classes("hard_tech", "soft_tech", "state_priority", None)}
    assert states(n, values) == [T, F, T, U]


def test_evaluation_is_vectorised_over_many_rows():
    rng = np.random.default_rng(0)
    x = rng.random(10_000)
    x[::7] = NAN
    t, f = node({"column": "overseas_revenue_share", "op": "gte", "value": 0.3}).evaluate(
        {"overseas_revenue_share": x}
    )
    assert t.shape == f.shape == (10_000,)
    assert np.array_equal(t, ~np.isnan(x) & (x >= 0.3))
    assert np.array_equal(f, ~np.isnan(x) & (x < 0.3))


# --- combinators: Kleene logic -------------------------------------------------------------

# every pair of (a, b) over {true, false, unknown}
A = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, NAN, NAN, NAN])
B = np.array([1.0, 0.0, NAN, 1.0, 0.0, NAN, 1.0, 0.0, NAN])
PAIRS = {"little_giant": A, "state_project": B}
LEAF_A = {"column": "little_giant", "op": "is_true"}
LEAF_B = {"column": "state_project", "op": "is_true"}


def test_all_is_kleene_and():
    #                (T,T) (T,F) (T,U) (F,T) (F,F) (F,U) (U,T) (U,F) (U,U)
    expected = [T, F, U, F, F, F, U, F, U]
    assert states(node({"all": [LEAF_A, LEAF_B]}), PAIRS) == expected


def test_any_is_kleene_or():
    expected = [T, T, T, T, F, U, T, U, U]
    assert states(node({"any": [LEAF_A, LEAF_B]}), PAIRS) == expected


def test_not_swaps_true_and_false_and_keeps_unknown():
    assert states(node({"not": LEAF_A}), PAIRS) == [F, F, F, T, T, T, U, U, U]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"any": [LEAF_A, LEAF_B]}, T),  # any(true, unknown) = true
        ({"all": [LEAF_A, LEAF_B]}, U),  # all(true, unknown) = unknown
    ],
)
def test_kleene_with_true_and_unknown(spec: dict, expected: int):
    values = {"little_giant": np.array([1.0]), "state_project": np.array([NAN])}
    assert states(node(spec), values) == [expected]


def test_kleene_all_false_unknown_is_false():
    values = {"little_giant": np.array([0.0]), "state_project": np.array([NAN])}
    assert states(node({"all": [LEAF_A, LEAF_B]}), values) == [F]


def test_kleene_not_unknown_is_unknown():
    assert states(node({"not": LEAF_A}), {"little_giant": np.array([NAN])}) == [U]


def test_nested_combinators():
    spec = {
        "all": [
            {"column": "sector_class", "op": "equals", "value": "soft_tech"},
            {
                "any": [
                    LEAF_A,
                    {"not": {"column": "overseas_revenue_share", "op": "lt", "value": 0.15}},
                ]
            },
        ]
    }
    values = {
        "sector_class": classes("soft_tech", "soft_tech", "soft_tech", "hard_tech", "soft_tech"),
        "little_giant": np.array([0.0, 1.0, 0.0, 1.0, NAN]),
        "overseas_revenue_share": np.array([0.05, NAN, 0.5, 0.5, 0.05]),
    }
    assert states(node(spec), values) == [F, T, T, F, U]


def test_state_at_reads_one_row():
    n = node({"all": [LEAF_A, LEAF_B]})
    assert [n.state_at(PAIRS, i) for i in range(9)] == [T, F, U, F, F, F, U, F, U]


# --- in words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (
            {"column": "overseas_revenue_share", "op": "gte", "value": 0.3},
            "overseas_revenue_share ≥ 0.30",
        ),
        (
            {"column": "overseas_revenue_share", "op": "lt", "value": 0.15},
            "overseas_revenue_share < 0.15",
        ),
        ({"column": "consumer_mau_m", "op": "gt", "value": 500}, "consumer_mau_m > 500"),
        ({"column": "firm_age", "op": "lte", "value": 3}, "firm_age ≤ 3"),
        (
            {"column": "rd_intensity", "op": "between", "value": [0.1, 0.5]},
            "rd_intensity is between 0.10 and 0.50",
        ),
        ({"column": "revenue_cny_bn", "op": "equals", "value": 1}, "revenue_cny_bn is 1"),
        ({"column": "sector", "op": "equals", "value": "ai"}, "sector is ai"),
        ({"column": "sector", "op": "not_equals", "value": "ai"}, "sector is not ai"),
        (
            {"column": "sector", "op": "in", "value": ["semiconductors", "ai"]},
            "sector is one of semiconductors, ai",
        ),
        (
            {"column": "ownership", "op": "not_in", "value": ["private"]},
            "ownership is none of private",
        ),
        ({"column": "little_giant", "op": "is_true"}, "little_giant is true"),
        ({"column": "us_restricted", "op": "is_false"}, "us_restricted is false"),
        ({"column": "sector", "op": "is_unknown"}, "sector is unknown"),
        ({"column": "sector", "op": "is_known"}, "sector is known"),
        (
            {"column": "rd_intensity", "op": "gt", "other_column": "sm_intensity"},
            "rd_intensity > sm_intensity",
        ),
        ({"all": [LEAF_A, LEAF_B]}, "all of (little_giant is true; state_project is true)"),
        ({"any": [LEAF_A, LEAF_B]}, "any of (little_giant is true; state_project is true)"),
        ({"not": LEAF_A}, "not (little_giant is true)"),
    ],
)
def test_describe(spec: dict, words: str):
    assert node(spec).describe() == words


# --- why not -------------------------------------------------------------------------------


def one(**columns: float) -> dict[str, np.ndarray]:
    return {k: np.array([v]) for k, v in columns.items()}


@pytest.mark.parametrize(
    ("spec", "values", "reasons"),
    [
        (
            {"column": "overseas_revenue_share", "op": "gte", "value": 0.30},
            one(overseas_revenue_share=0.12),
            ["overseas_revenue_share 0.12 is below the 0.30 threshold"],
        ),
        (
            {"column": "overseas_revenue_share", "op": "lt", "value": 0.15},
            one(overseas_revenue_share=0.4),
            ["overseas_revenue_share 0.40 is above the 0.15 limit"],
        ),
        (
            {"column": "consumer_mau_m", "op": "gte", "value": 500},
            one(consumer_mau_m=120.0),
            ["consumer_mau_m 120 is below the 500 threshold"],
        ),
        (
            {"column": "overseas_revenue_share", "op": "gt", "value": 0.30},
            one(overseas_revenue_share=0.3),
            ["overseas_revenue_share 0.30 is at the 0.30 threshold, not above it"],
        ),
        (
            {"column": "overseas_revenue_share", "op": "lt", "value": 0.15},
            one(overseas_revenue_share=0.15),
            ["overseas_revenue_share 0.15 is at the 0.15 limit, not below it"],
        ),
        (  # two places would show 0.30 against 0.30: more digits are shown
            {"column": "overseas_revenue_share", "op": "gte", "value": 0.30},
            one(overseas_revenue_share=0.299),
            ["overseas_revenue_share 0.299 is below the 0.3 threshold"],
        ),
        (
            {"column": "rd_intensity", "op": "between", "value": [0.1, 0.5]},
            one(rd_intensity=0.6),
            ["rd_intensity 0.60 is outside 0.10 to 0.50"],
        ),
        (
            {"column": "overseas_revenue_share", "op": "gte", "value": 0.30},
            one(overseas_revenue_share=NAN),
            ["overseas_revenue_share is unknown"],
        ),
        (
            {"column": "rd_intensity", "op": "gt", "other_column": "sm_intensity"},
            one(rd_intensity=0.1, sm_intensity=0.3),
            ["rd_intensity 0.10 is not above sm_intensity 0.30"],
        ),
        (
            {"column": "rd_intensity", "op": "gt", "other_column": "sm_intensity"},
            one(rd_intensity=NAN, sm_intensity=NAN),
            ["rd_intensity and sm_intensity are unknown"],
        ),
        (
            {"column": "sector", "op": "equals", "value": "ai"},
            {"sector": sectors("e_commerce")},
            ["sector is e_commerce, not ai"],
        ),
        (
            {"column": "little_giant", "op": "is_true"},
            one(little_giant=0.0),
            ["little_giant is false"],
        ),
        ({"column": "little_giant", "op": "is_true"}, one(little_giant=1.0), []),
        (
            {"all": [LEAF_A, {"column": "rd_intensity", "op": "gte", "value": 0.25}]},
            one(little_giant=1.0, rd_intensity=0.05),
            ["rd_intensity 0.05 is below the 0.25 threshold"],
        ),
        (
            {"any": [LEAF_A, LEAF_B]},
            one(little_giant=0.0, state_project=NAN),
            ["none holds: little_giant is false; state_project is unknown"],
        ),
        ({"not": LEAF_A}, one(little_giant=1.0), ["little_giant is true holds"]),
        (
            {"not": LEAF_A},
            one(little_giant=NAN),
            ["little_giant is true cannot be decided (an input is unknown)"],
        ),
    ],
)
def test_why_not(spec: dict, values: dict[str, np.ndarray], reasons: list[str]):
    assert node(spec).why_not(values, 0) == reasons


def test_why_not_reads_the_asked_row():
    n = node({"column": "overseas_revenue_share", "op": "gte", "value": 0.30})
    values = {"overseas_revenue_share": np.array([0.5, 0.12, NAN])}
    assert n.why_not(values, 0) == []
    assert n.why_not(values, 1) == ["overseas_revenue_share 0.12 is below the 0.30 threshold"]
    assert n.why_not(values, 2) == ["overseas_revenue_share is unknown"]


# --- through RuleSet.evaluate: effective dates ---------------------------------------------


def profiles(rows: list[dict[str, str]]) -> Profiles:
    columns = sorted({"name"}.union(*rows))
    table = pa.table({c: pa.array([r.get(c, "") for r in rows], type=pa.string()) for c in columns})
    parsed = parse_table(table, "<test>", np.arange(2, len(rows) + 2))
    assert not parsed.bad.any(), parsed.problems()
    return parsed


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return RuleSet.load()


def state(ruleset: RuleSet, results, rule_id: str) -> list[int]:
    j = [r.id for r in ruleset.rules].index(rule_id)
    return results.states[:, j].tolist()


def test_state_names():
    assert STATE_NAMES == {1: "fired", 0: "not fired", -1: "not evaluable", -2: "not in effect"}
    assert (FIRED, NOT_FIRED, NOT_EVALUABLE, NOT_IN_EFFECT) == (1, 0, -1, -2)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(2021, 6, 30), NOT_IN_EFFECT),  # the day before listing_us takes effect
        (dt.date(2021, 7, 1), FIRED),
        (dt.date(2024, 1, 1), FIRED),
    ],
)
def test_effective_from_with_as_of_argument(ruleset: RuleSet, as_of: dt.date, expected: int):
    p = profiles([{"name": "US-listed", "listing_venue": "us"}])
    results = ruleset.evaluate(p.values, as_of=as_of)
    assert state(ruleset, results, "listing_us") == [expected]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(2020, 11, 2), NOT_IN_EFFECT),
        (dt.date(2020, 11, 3), FIRED),
        (dt.date(2022, 12, 31), FIRED),
        (dt.date(2023, 1, 1), NOT_IN_EFFECT),  # platform_dominance ended with 2022
    ],
)
def test_effective_window_both_ends(ruleset: RuleSet, as_of: dt.date, expected: int):
    p = profiles([{"name": "Platform", "sector": "e_commerce", "revenue_cny_bn": "700"}])
    results = ruleset.evaluate(p.values, as_of=as_of)
    assert state(ruleset, results, "platform_dominance") == [expected]


def test_not_in_effect_wins_over_not_evaluable(ruleset: RuleSet):
    # revenue unknown: not evaluable inside the window, not in effect outside it
    p = profiles([{"name": "Platform", "sector": "e_commerce"}])
    inside = ruleset.evaluate(p.values, as_of=dt.date(2021, 1, 1))
    outside = ruleset.evaluate(p.values, as_of=dt.date(2019, 1, 1))
    assert state(ruleset, inside, "platform_dominance") == [NOT_EVALUABLE]
    assert state(ruleset, outside, "platform_dominance") == [NOT_IN_EFFECT]


def test_rule_without_window_ignores_the_date(ruleset: RuleSet):
    p = profiles([{"name": "Chipmaker", "sector": "semiconductors"}])
    for year in (1995, 2019, 2030):
        results = ruleset.evaluate(p.values, as_of=dt.date(year, 1, 1))
        assert state(ruleset, results, "sector_chips") == [FIRED]


def test_per_row_as_of_column_overrides_the_argument(ruleset: RuleSet):
    p = profiles(
        [
            {"name": "Before", "listing_venue": "us", "as_of": "2019-06-30"},
            {"name": "After", "listing_venue": "us", "as_of": "2021-09-01"},
            {"name": "Blank date", "listing_venue": "us", "as_of": ""},
        ]
    )
    late = ruleset.evaluate(p.values, as_of=dt.date(2030, 1, 1))
    early = ruleset.evaluate(p.values, as_of=dt.date(2000, 1, 1))
    assert state(ruleset, late, "listing_us") == [NOT_IN_EFFECT, FIRED, FIRED]
    assert state(ruleset, early, "listing_us") == [NOT_IN_EFFECT, FIRED, NOT_IN_EFFECT]


def test_per_row_as_of_drives_firm_age(ruleset: RuleSet):
    rows = [
        {"name": "Young", "sector": "ai", "founded_year": "2020", "as_of": "2022-06-30"},
        {"name": "Older", "sector": "ai", "founded_year": "2020", "as_of": "2025-06-30"},
        {"name": "Unknown age", "sector": "ai", "as_of": "2022-06-30"},
    ]
    results = ruleset.evaluate(profiles(rows).values, as_of=dt.date(2022, 1, 1))
    assert results.values["firm_age"][:2].tolist() == [2.0, 5.0]
    assert np.isnan(results.values["firm_age"][2])
    assert state(ruleset, results, "risk_hot_sector_wannabe") == [FIRED, NOT_FIRED, NOT_EVALUABLE]


def test_rule_not_in_effect_contributes_nothing(ruleset: RuleSet):
    # only the listing venue is known, so listing_us is the only favour rule that can fire
    p = profiles(
        [
            {"name": "Before", "listing_venue": "us", "as_of": "2019-06-30"},
            {"name": "After", "listing_venue": "us", "as_of": "2021-09-01"},
        ]
    )
    results = ruleset.evaluate(p.values, as_of=dt.date(2024, 1, 1))
    favour = results.states[:, ruleset.favour_index()]
    contribution = ruleset.priors @ results.units
    assert contribution.tolist() == [0.0, ruleset.get("listing_us").spec.weight]
    assert (favour[0] != FIRED).all()
    assert (results.units[:, 0] == 0.0).all()


def test_unknown_input_is_not_evaluable(ruleset: RuleSet):
    p = profiles([{"name": "Blank"}, {"name": "Known", "overseas_revenue_share": "35%"}])
    results = ruleset.evaluate(p.values, as_of=dt.date(2024, 1, 1))
    assert state(ruleset, results, "overseas_revenue") == [NOT_EVALUABLE, FIRED]
    k = ruleset.favour_ids.index("overseas_revenue")
    assert results.units[k].tolist() == pytest.approx([0.0, 3.5])
    # a firm about which nothing is known fires no rule at all, and has no units anywhere
    assert (results.states[0] != FIRED).all()
    assert (results.units[:, 0] == 0.0).all()


# --- graded signals ------------------------------------------------------------------------


def graded(gate: dict | None = None, **fields) -> GradedNode:
    spec = {"column": "overseas_revenue_share", "per": 0.10, "cap": 5, "fact": "Overseas {value:.0%}"}
    spec.update(fields)
    cond = _CONDITION.validate_python(gate) if gate is not None else None
    return compile_graded(Graded.model_validate(spec), cond, "test.yaml", "test_rule")


def test_graded_linear_units_from_the_reference_up_to_the_cap():
    n = graded(reference=0.1)
    x = np.array([NAN, 0.0, 0.1, 0.15, 0.35, 0.6, 0.9])
    assert n.units({"overseas_revenue_share": x}).tolist() == pytest.approx(
        [0.0, 0.0, 0.0, 0.5, 2.5, 5.0, 5.0]
    )
    # fires exactly where it has units; unknown stays unknown; at or below the reference: false
    assert states(n, {"overseas_revenue_share": x}) == [U, F, F, T, T, T, T]


def test_graded_log10_units_per_tenfold():
    n = graded(column="consumer_mau_m", reference=10, per=1, cap=2.5, scale="log10",
               fact="{value:,.0f} million users")  # fmt: skip
    x = np.array([NAN, 0.0, 5.0, 10.0, 100.0, 1000.0, 1e6])
    assert n.units({"consumer_mau_m": x}).tolist() == pytest.approx([0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 2.5])
    assert states(n, {"consumer_mau_m": x}) == [U, F, F, F, T, T, T]


def test_graded_gate_must_hold_too():
    n = graded({"column": "little_giant", "op": "is_true"})
    values = {
        "overseas_revenue_share": np.array([0.5, 0.5, 0.5, 0.0, NAN]),
        "little_giant": np.array([1.0, 0.0, NAN, 1.0, 1.0]),
    }
    assert states(n, values) == [T, F, U, F, U]
    assert n.columns() == {"overseas_revenue_share", "little_giant"}
    assert [leaf.column for leaf in n.leaves()] == ["little_giant"]


def test_graded_describe_and_why_not():
    linear = graded(reference=0.1)
    assert linear.describe() == (
        "one unit per 0.10 of overseas_revenue_share above 0.10, up to 5 units"
    )
    gated = graded({"column": "little_giant", "op": "is_true"})
    assert gated.describe().endswith(", when little_giant is true")
    values = {"overseas_revenue_share": np.array([NAN, 0.05, 0.4]), "little_giant": np.array([1.0, 1.0, 0.0])}
    assert linear.why_not(values, 0) == ["overseas_revenue_share is unknown"]
    assert linear.why_not(values, 1) == [
        "overseas_revenue_share 0.05 is not above the 0.10 reference"
    ]
    assert linear.why_not(values, 2) == []
    assert gated.why_not(values, 2) == ["little_giant is false"]
    assert linear.thresholds("overseas_revenue_share") == [0.1]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"not": {"column": "little_giant", "op": "is_true"}}, "'not' can hold for an absent value"),
        ({"column": "little_giant", "op": "is_false"}, "little_giant is_false fires on false"),
        ({"column": "rd_intensity", "op": "lt", "value": 0.1}, "holds for 0, an absent value"),
        ({"column": "rd_intensity", "op": "gte", "value": 0}, "holds for 0, an absent value"),
        ({"column": "rd_intensity", "op": "gt", "other_column": "sm_intensity"}, "compares two columns"),
        ({"column": "ownership", "op": "in", "value": ["private", "local_soe"]}, "includes 'private'"),
        ({"column": "listing_venue", "op": "not_equals", "value": "us"}, "fires on what a firm is not"),
        ({"any": [{"column": "little_giant", "op": "is_true"},
                  {"column": "state_project", "op": "is_false"}]}, "state_project is_false"),
    ],
)  # fmt: skip
def test_absence_problems_name_the_leaf(spec: dict, problem: str):
    (found,) = absence_problems(node(spec))
    assert problem in found


@pytest.mark.parametrize(
    "spec",
    [
        {"column": "little_giant", "op": "is_true"},
        {"column": "rd_intensity", "op": "gt", "value": 0},
        {"column": "rd_intensity", "op": "between", "value": [0.1, 0.2]},
        {"column": "ownership", "op": "in", "value": ["central_soe", "local_soe"]},
        {"all": [{"column": "sector", "op": "equals", "value": "ai"},
                 {"column": "listing_venue", "op": "equals", "value": "star"}]},
    ],
)  # fmt: skip
def test_facts_a_firm_has_have_no_absence_problem(spec: dict):
    assert absence_problems(node(spec)) == []
    assert absence_problems(graded(spec)) == []
