"""Loading a rules directory: malformed directories are refused with the file, the rule and a hint.

Each directory under ``tests/fixtures/rules/`` holds a copy of the shipped ``taxonomy.yaml`` plus
one broken rule file (two for the duplicate id), and ``expected.txt``
with the message :meth:`RuleSet.load` must give (from the file name on; the directory differs).

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests rules loading on parsed profiles and YAML depth (_contract.profiles, _core.safe_yaml).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml

from alignscore import RuleSet
from alignscore._contract.profiles import parse_table
from alignscore._core.safe_yaml import MAX_DEPTH
from alignscore.exceptions import RulesError

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
RULES = Path(__file__).resolve().parents[1] / "rules"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
MARKER = "@MARKER@"  # stands for a path the python_tag case would create if it ran

#: The cases the brief asks for; a fixture that goes missing must fail the suite.
REQUIRED_CASES = {
    "misspelt_key",
    "unknown_column",
    "operator_on_category",
    "operator_on_number",
    "unknown_operator",
    "value_not_in_vocabulary",
    "fraction_out_of_range",
    "quote_not_in_seed",
    "seed_missing",
    "duplicate_id",
    "favour_without_weight",
    "risk_with_weight",
    "schema_version_2",
    "alias_bomb",
    "python_tag",
    "effective_dates_reversed",
    "favour_fires_on_absence",
    "favour_includes_absent_value",
    "graded_on_category",
}

#: Refused while parsing, before any rule exists: the message names the file but no rule.
NO_RULE_ID = {"schema_version_2", "alias_bomb", "python_tag"}


def _expected(case: str) -> str:
    return (FIXTURES / case / "expected.txt").read_text(encoding="utf-8").rstrip("\n")


def _copy_case(case: str, tmp_path: Path) -> tuple[Path, Path]:
    """The case's directory copied into ``tmp_path``, with the marker path filled in."""
    target = tmp_path / case
    shutil.copytree(FIXTURES / case, target)
    marker = tmp_path / "os_system_ran"
    for path in target.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if MARKER in text:
            path.write_text(text.replace(MARKER, str(marker)), encoding="utf-8")
    return target, marker


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def test_every_required_case_has_a_fixture():
    assert set(CASES) == REQUIRED_CASES
    for case in CASES:
        assert _expected(case), f"{case}/expected.txt is empty"
        assert (FIXTURES / case / "taxonomy.yaml").read_bytes() == (
            RULES / "taxonomy.yaml"
        ).read_bytes()
        assert not (FIXTURES / case / "model_inputs.yaml").exists()


@pytest.mark.parametrize("case", CASES)
def test_malformed_directory_is_refused(case: str, tmp_path: Path):
    directory, marker = _copy_case(case, tmp_path)
    expected = _expected(case)
    started = time.perf_counter()
    with pytest.raises(RulesError, match=re.escape(expected)) as caught:
        RuleSet.load(directory)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"refusing {case} took {elapsed:.2f}s"
    assert not marker.exists(), "a YAML tag ran a command"
    error = caught.value
    broken = expected.split(":", 1)[0].split(",", 1)[0]
    assert Path(error.file).name == broken
    assert Path(error.file).parent == directory
    if case in NO_RULE_ID:
        assert error.rule_id is None
    else:
        rule_id = re.search(r"rule '([a-z_]+)'", expected)
        assert rule_id is not None, f"{case}/expected.txt names no rule"
        assert error.rule_id == rule_id.group(1)
        assert f"rule '{error.rule_id}'" in str(error)


def test_python_tag_does_not_run(tmp_path: Path):
    directory, marker = _copy_case("python_tag", tmp_path)
    assert str(marker) in (directory / "broken.yaml").read_text(encoding="utf-8")
    with pytest.raises(RulesError, match="tags that construct objects are not allowed"):
        RuleSet.load(directory)
    assert not marker.exists()


def test_alias_bomb_is_refused_at_the_first_anchor(tmp_path: Path):
    directory, _ = _copy_case("alias_bomb", tmp_path)
    started = time.perf_counter()
    with pytest.raises(RulesError, match=r"anchors \(&a0\) are not allowed"):
        RuleSet.load(directory)
    assert time.perf_counter() - started < 2.0


def _deep_condition(depth: int) -> str:
    leaf = "{column: little_giant, op: is_true}"
    return "{all: [" * depth + leaf + "]}" * depth


def _write_deep(tmp_path: Path, depth: int) -> Path:
    directory = tmp_path / f"deep_{depth}"
    directory.mkdir()
    shutil.copyfile(RULES / "taxonomy.yaml", directory / "taxonomy.yaml")
    (directory / "deep.yaml").write_text(
        "schema_version: 1\n"
        "rules:\n"
        "  - id: deep\n"
        "    title: A very deep condition\n"
        "    signal: little_giant\n"
        "    weight: 0.5\n"
        f"    condition: {_deep_condition(depth)}\n"
        "    rationale: Little Giants are the state's hand-picked cohort.\n"
        "    evidence:\n"
        "      - source: 003_f8e358547141907c.txt\n"
        '        quote: "The Little Giants moniker is meant to serve as a signal"\n',
        encoding="utf-8",
    )
    return directory


def test_ten_thousand_deep_condition_is_refused_quickly(tmp_path: Path):
    directory = _write_deep(tmp_path, 10_000)
    started = time.perf_counter()
    with pytest.raises(
        RulesError,
        match=rf"deep\.yaml: not valid rules YAML: nesting deeper than {MAX_DEPTH} levels",
    ):
        RuleSet.load(directory)
    assert time.perf_counter() - started < 2.0


def test_moderately_nested_condition_loads(tmp_path: Path):
    # the depth limit leaves room for real conditions: five nested `all`s are fine
    directory = _write_deep(tmp_path, 5)
    ruleset = RuleSet.load(directory)
    assert ruleset.get("deep").node.describe().startswith("all of (all of (")


def test_missing_taxonomy_is_refused(tmp_path: Path):
    directory = _copy_rules(tmp_path)
    (directory / "taxonomy.yaml").unlink()
    with pytest.raises(
        RulesError, match=r"taxonomy\.yaml: missing: a rules directory needs this file"
    ):
        RuleSet.load(directory)


def test_not_a_directory_is_refused(tmp_path: Path):
    with pytest.raises(RulesError, match="is not a directory of rules files"):
        RuleSet.load(tmp_path / "nowhere")


def test_shipped_rules_load():
    ruleset = RuleSet.load()
    ids = [r.id for r in ruleset.rules]
    assert len(ids) == len(set(ids))
    declared = []
    for path in sorted(RULES.glob("*.yaml")):
        if path.name == "taxonomy.yaml":
            continue
        declared += re.findall(r"^  - id: ([a-z0-9_]+)$", path.read_text(encoding="utf-8"), re.M)
    assert ids == declared
    assert ruleset.favour
    assert ruleset.risk
    assert all(r.spec.weight for r in ruleset.favour)
    assert all(r.spec.weight is None and r.spec.severity for r in ruleset.risk)
    assert not (RULES / "model_inputs.yaml").exists()
    assert ruleset.favour_ids == [r.id for r in ruleset.favour]
    assert ruleset.priors.tolist() == [r.spec.weight for r in ruleset.favour]
    assert ruleset.directions == [
        "increasing" if r.spec.weight > 0 else "decreasing" for r in ruleset.favour
    ]
    assert re.fullmatch(r"[0-9a-f]{64}", ruleset.sha256)


def test_rules_hash_is_stable_and_follows_the_bytes(tmp_path: Path):
    directory = _copy_rules(tmp_path)
    shipped = RuleSet.load().sha256
    assert RuleSet.load(directory).sha256 == shipped  # same names, same bytes
    path = directory / "sector.yaml"
    text = path.read_text(encoding="utf-8")
    assert "weight: 1.2" in text
    path.write_text(text.replace("weight: 1.2", "weight: 1.3", 1), encoding="utf-8")
    edited = RuleSet.load(directory)
    assert edited.sha256 != shipped
    assert edited.get("sector_hard_tech").spec.weight == 1.3
    path.write_text(text, encoding="utf-8")
    assert RuleSet.load(directory).sha256 == shipped


def test_rules_hash_covers_the_taxonomy(tmp_path: Path):
    directory = _copy_rules(tmp_path)
    shipped = RuleSet.load(directory).sha256
    path = directory / "taxonomy.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    assert RuleSet.load(directory).sha256 != shipped


# --- favour rules fire on facts; graded signals ---------------------------------------------

QUOTE = {"source": "002_0fc85509d937c681.txt", "quote": "Companies that have substantial overseas revenues are immune."}
OVERSEAS = {"column": "overseas_revenue_share", "per": 0.1, "cap": 5, "fact": "Overseas revenue {value:.0%}"}


def _one_rule_dir(tmp_path: Path, **fields) -> Path:
    directory = tmp_path / "one"
    directory.mkdir(parents=True)
    shutil.copyfile(RULES / "taxonomy.yaml", directory / "taxonomy.yaml")
    spec = {"id": "the_rule", "title": "The rule", "signal": "test", "kind": "favour", "weight": 0.5,
            "rationale": "Firms that earn abroad keep the state's support.", "evidence": [QUOTE]}  # fmt: skip
    spec.update(fields)
    if spec["kind"] == "risk":
        spec.pop("weight")
    (directory / "a.yaml").write_text(
        yaml.safe_dump({"schema_version": 1, "rules": [{k: v for k, v in spec.items() if v is not None}]}),
        encoding="utf-8",
    )
    return directory


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ({"not": {"column": "listing_venue", "op": "equals", "value": "us"}},
         "'not' can hold for an absent value; state the fact the firm has"),
        ({"column": "little_giant", "op": "is_false"},
         "little_giant is_false fires on false or unknown; use is_true"),
        ({"column": "overseas_revenue_share", "op": "lt", "value": 0.1},
         "overseas_revenue_share < 0.10 holds for 0, an absent value"),
        ({"column": "rd_intensity", "op": "gt", "other_column": "sm_intensity"},
         "rd_intensity gt sm_intensity compares two columns, which an absent 0 can satisfy"),
        ({"column": "listing_venue", "op": "equals", "value": "unlisted"},
         "listing_venue equals includes 'unlisted', the absent value"),
        ({"column": "listing_venue", "op": "not_in", "value": ["us"]},
         "listing_venue not_in fires on what a firm is not; use equals or in"),
    ],
)  # fmt: skip
def test_a_favour_rule_that_could_fire_on_absence_is_refused(tmp_path: Path, condition, problem):
    directory = _one_rule_dir(tmp_path, condition=condition)
    expected = f"a.yaml, rule 'the_rule': a favour rule must fire only on a fact the firm has: {problem}"
    with pytest.raises(RulesError, match=re.escape(expected)) as caught:
        RuleSet.load(directory)
    assert caught.value.rule_id == "the_rule"
    # a risk rule only flags; it may fire on anything
    assert RuleSet.load(_one_rule_dir(tmp_path / "risk", condition=condition, kind="risk", severity="low")).risk


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"graded": {**OVERSEAS, "reference": 2}}, "'overseas_revenue_share' is a fraction; reference 2 is above 1"),
        ({"graded": {**OVERSEAS, "fact": "Overseas {value:d}"}}, "'fact' 'Overseas {value:d}' cannot format a number"),
        ({"graded": {**OVERSEAS, "fact": "Overseas"}}, "graded.fact: String should match pattern"),
        ({"graded": {**OVERSEAS, "scale": "log10"}}, "graded: a log10 scale needs a reference above 0"),
        ({"graded": {**OVERSEAS, "per": 0}}, "graded.per: Input should be greater than 0"),
        ({"graded": OVERSEAS, "condition": {"column": "little_giant", "op": "is_false"}},
         "a favour rule must fire only on a fact the firm has: little_giant is_false"),
        ({"graded": OVERSEAS, "kind": "risk", "severity": "low",
          "condition": {"column": "little_giant", "op": "is_true"}},
         "'graded' is for favour rules; a risk rule has a 'condition'"),
        ({}, "a rule needs a 'condition' (or, for a numeric signal, 'graded')"),
        ({"condition": {"column": "little_giant", "op": "is_true"}, "weight": float("inf")},
         "key 'weight' (line 13): '.inf' is not a finite number"),
    ],
)  # fmt: skip
def test_a_malformed_graded_rule_is_refused(tmp_path: Path, fields, problem):
    directory = _one_rule_dir(tmp_path, **fields)
    with pytest.raises(RulesError, match=re.escape(f"a.yaml, rule 'the_rule': {problem}")):
        RuleSet.load(directory)


def test_graded_rules_give_units_and_others_one():
    ruleset = RuleSet.load()
    rows = {"name": ["Exporter", "Blank", "Low"], "overseas_revenue_share": ["96%", "", "0%"],
            "listing_venue": ["us", "", "unlisted"], "consumer_mau_m": ["1000", "", "5"]}  # fmt: skip
    table = pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})
    parsed = parse_table(table, "<test>", np.arange(2, 5))
    results = ruleset.evaluate(parsed.values, dt.date(2024, 1, 1))
    units = dict(zip(ruleset.favour_ids, results.units, strict=True))
    assert units["overseas_revenue"].tolist() == pytest.approx([9.6, 0.0, 0.0])
    assert units["listing_us"].tolist() == [1.0, 0.0, 0.0]
    assert units["consumer_reach"].tolist() == pytest.approx([2.0, 0.0, 0.0])
    # no unit where the rule did not fire
    favour_states = results.by_rule[ruleset.favour_index()]
    assert (results.units[favour_states != 1] == 0.0).all()
    assert ruleset.get("overseas_revenue").max_units == 10
    assert ruleset.get("listing_us").max_units == 1.0
