"""The one rules loader: it gathers every problem; ``RuleSet.load`` raises the first of them
and ``check_rules`` lists them all, then its lint-only findings."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from alignscore import RuleSet, check_rules
from alignscore._rules.loader import load_rules
from alignscore.exceptions import RulesError
from tests.test_lint import RULES, make_dir, rule

GTE_30 = {"column": "overseas_revenue_share", "op": "gte", "value": 0.30}


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A rules directory with six problems in three files, and one lint finding."""
    directory = make_dir(
        tmp_path,
        {
            "a.yaml": [
                rule("misspelt", weigth=0.5),  # unknown key, with a suggestion
                rule("bad_column", {"column": "overseas_revenue", "op": "gte", "value": 0.3}),
                rule("unreachable", {"all": [GTE_30, {**GTE_30, "op": "lt", "value": 0.2}]}, kind="risk"),
            ],
            "b.yaml": [
                rule("bad_column"),  # a duplicate id
                rule("quote", evidence=[{"source": "002_0fc85509d937c681.txt",
                                         "quote": "This sentence is in no seed article at all."}]),
            ],
        },
    )
    (directory / "c.yml").write_text("schema_version: 1\n", encoding="utf-8")  # never read
    return directory


EXPECTED = [
    ("c.yml", None, r"would not be read: rules files end in '\.yaml'"),
    ("a.yaml", "misspelt", r"unknown key 'weigth' \(did you mean 'weight'\?\)"),
    ("a.yaml", "bad_column", r"unknown column 'overseas_revenue' in condition \(did you mean 'overseas_revenue_share'\?\)"),
    ("b.yaml", "bad_column", r"duplicate rule id \(also in a\.yaml\)"),
    ("b.yaml", "quote", r"evidence quote not found in 002_0fc85509d937c681\.txt"),
    ("a.yaml", "unreachable", r"unreachable: the condition can never be true"),  # lint-only
]


def test_check_rules_lists_every_problem_and_load_raises_the_first(broken: Path):
    problems = check_rules(broken)
    assert len(problems) == len(EXPECTED), [str(p) for p in problems]
    for problem, (file, rule_id, text) in zip(problems, EXPECTED, strict=True):
        assert isinstance(problem, RulesError)
        assert Path(problem.file).name == file
        assert problem.rule_id == rule_id
        assert re.search(text, str(problem)), str(problem)
    with pytest.raises(RulesError) as info:
        RuleSet.load(broken)
    assert str(info.value) == str(problems[0])


def test_the_loader_gathers_what_load_raises_and_lint_adds_only_its_own(broken: Path):
    loaded = load_rules(broken)
    assert [str(p) for p in loaded.problems] == [str(p) for p in check_rules(broken)[:-1]]
    # the rules that loaded are still compiled (the lints need them): not the misspelt one
    # (its file is broken but its neighbours are fine) nor the second 'bad_column'
    assert [r.id for r in loaded.rules] == [  # files in name order: a, b, classes
        "unreachable", "quote", "class_hard_tech", "class_state_priority", "class_soft_tech",
    ]
    assert all(r.file == str(broken / Path(r.file).name) for r in loaded.rules)


def test_a_problem_names_its_key(tmp_path: Path):
    directory = make_dir(tmp_path, {"a.yaml": [rule("typo", {"column": "sector", "op": "equal", "value": "x"})]})
    (problem,) = check_rules(directory)
    assert (problem.rule_id, problem.key, problem.suggestion) == ("typo", "condition.op", "equals")
    with pytest.raises(RulesError, match=r"^.*a\.yaml, rule 'typo': condition\.op: unknown operator 'equal' .*\(did you mean 'equals'\?\)$"):
        RuleSet.load(directory)


def test_after_a_broken_taxonomy_the_rule_files_are_still_checked(tmp_path: Path):
    directory = make_dir(tmp_path, {"a.yaml": [rule("first"), rule("first")]})
    taxonomy = yaml.safe_load((RULES / "taxonomy.yaml").read_text(encoding="utf-8"))
    taxonomy["sector_classes"][0]["sectors"].append("semiconductr")
    (directory / "taxonomy.yaml").write_text(yaml.safe_dump(taxonomy, allow_unicode=True), encoding="utf-8")
    found = [str(p) for p in check_rules(directory)]
    assert re.search(r"taxonomy\.yaml: class '\w+' lists unknown sector 'semiconductr' \(did you mean 'semiconductors'\?\)$", found[0])
    assert any("duplicate rule id (also in a.yaml)" in m for m in found[1:]), found
    with pytest.raises(RulesError, match="lists unknown sector 'semiconductr'"):
        RuleSet.load(directory)


def test_a_missing_seed_directory_is_said_once(tmp_path: Path):
    directory = tmp_path / "rules"
    shutil.copytree(RULES, directory)
    missing = tmp_path / "no_seeds"
    problems = check_rules(directory, missing)
    assert [str(p) for p in problems] == [f"{missing}: is not a directory of seed articles"]
    with pytest.raises(RulesError, match=re.escape(f"{missing}: is not a directory of seed articles")):
        RuleSet.load(directory, missing)
