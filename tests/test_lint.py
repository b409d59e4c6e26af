"""``check_rules`` (behind ``alignscore rules check``) and ``rules_table`` (``rules list``)."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from alignscore import RuleSet, check_rules, rules_table
from alignscore.exceptions import RulesError

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "rules"
FIXTURES = Path(__file__).parent / "fixtures" / "rules"

QUOTE = {
    "source": "002_0fc85509d937c681.txt",
    "quote": "Companies that have substantial overseas revenues are immune.",
}
GTE_30 = {"column": "overseas_revenue_share", "op": "gte", "value": 0.30}
TABLE_KEYS = {
    "id", "title", "signal", "kind", "weight", "units", "severity", "effective_from", "effective_to",
    "condition", "rationale", "file", "evidence",
}  # fmt: skip


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def rule(rule_id: str, condition: dict | None = None, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rule_id,
        "title": f"Rule {rule_id}",
        "signal": "test_signal",
        "kind": "favour",
        "weight": 0.5,
        "condition": copy.deepcopy(condition or GTE_30),
        "rationale": "Firms that earn abroad keep the state's support.",
        "evidence": [dict(QUOTE)],
    }
    out.update(fields)
    if out["kind"] == "risk":
        out.pop("weight", None)
        out.setdefault("severity", "medium")
    return {k: v for k, v in out.items() if v is not None}


#: One favour rule per sector class (what the shipped sector.yaml does), so that a test's own
#: rules are linted without "unused sector class" noise.
CLASS_RULES = [
    rule(f"class_{name}", {"column": "sector_class", "op": "equals", "value": name}, weight=w)
    for name, w in (("hard_tech", 1.2), ("state_priority", 0.7), ("soft_tech", -0.9))
]


def make_dir(
    tmp_path: Path, files: dict[str, list[dict[str, Any]]], classes: bool = True
) -> Path:
    """A rules directory: the shipped taxonomy, a rule per sector class (unless ``classes`` is
    false) and the given rule files."""
    directory = tmp_path / "rules"
    directory.mkdir()
    shutil.copyfile(RULES / "taxonomy.yaml", directory / "taxonomy.yaml")
    if classes:
        files = {"classes.yaml": CLASS_RULES, **files}
    for name, rules in files.items():
        text = yaml.dump(
            {"schema_version": 1, "rules": rules}, Dumper=_NoAliases, sort_keys=False,
            allow_unicode=True,
        )  # fmt: skip
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def messages(directory: Path) -> list[str]:
    return [str(e) for e in check_rules(directory)]


# --- the shipped rules ---------------------------------------------------------------------


def test_shipped_rules_are_clean():
    assert check_rules() == []


def test_shipped_rules_are_clean_given_explicitly(tmp_path: Path):
    shutil.copytree(RULES, tmp_path / "rules")
    assert check_rules(tmp_path / "rules", REPO / "seeds") == []


def test_returns_rules_errors_with_file_and_rule(tmp_path: Path):
    directory = make_dir(tmp_path, {"a.yaml": [rule("first"), rule("first")]})
    (problem,) = check_rules(directory)
    assert isinstance(problem, RulesError)
    assert problem.file == str(directory / "a.yaml")
    assert problem.rule_id == "first"
    assert problem.problem == "duplicate rule id (also in a.yaml)"


# --- each lint -----------------------------------------------------------------------------


def test_duplicate_id_across_files(tmp_path: Path):
    other = {"column": "little_giant", "op": "is_true"}
    directory = make_dir(tmp_path, {"a.yaml": [rule("twice")], "b.yaml": [rule("twice", other)]})
    assert messages(directory) == [
        f"{directory / 'b.yaml'}, rule 'twice': duplicate rule id (also in a.yaml)"
    ]


def _unreachable(directory: Path, rule_id: str, what: str) -> str:
    return f"{directory / 'a.yaml'}, rule '{rule_id}': unreachable: {what}"


@pytest.mark.parametrize(
    ("conditions", "words"),
    [
        (
            [
                {"column": "overseas_revenue_share", "op": "gte", "value": 0.5},
                {"column": "overseas_revenue_share", "op": "lt", "value": 0.3},
            ],
            "overseas_revenue_share ≥ 0.50 and overseas_revenue_share < 0.30",
        ),
        (
            [
                {"column": "consumer_mau_m", "op": "gt", "value": 500},
                {"column": "consumer_mau_m", "op": "lte", "value": 500},
            ],
            "consumer_mau_m > 500 and consumer_mau_m ≤ 500",
        ),
        (
            [
                {"column": "rd_intensity", "op": "between", "value": [0.1, 0.2]},
                {"column": "rd_intensity", "op": "equals", "value": 0.5},
            ],
            "rd_intensity is between 0.10 and 0.20 and rd_intensity is 0.50",
        ),
        (
            [
                {"column": "revenue_cny_bn", "op": "equals", "value": 1},
                {"column": "revenue_cny_bn", "op": "not_equals", "value": 1},
            ],
            "revenue_cny_bn is 1 and revenue_cny_bn is not 1",
        ),
        (
            [
                {"column": "sector", "op": "equals", "value": "ai"},
                {"column": "sector", "op": "equals", "value": "biotech"},
            ],
            "sector is ai and sector is biotech",
        ),
        (
            [
                {"column": "listing_venue", "op": "in", "value": ["star", "bse"]},
                {"column": "listing_venue", "op": "in", "value": ["us", "hkex"]},
            ],
            "listing_venue is one of star, bse and listing_venue is one of us, hkex",
        ),
        (
            [
                {"column": "ownership", "op": "in", "value": ["private"]},
                {"column": "ownership", "op": "not_equals", "value": "private"},
            ],
            "ownership is one of private and ownership is not private",
        ),
        (
            [
                {"column": "little_giant", "op": "is_true"},
                {"column": "little_giant", "op": "is_false"},
            ],
            "little_giant is true and little_giant is false",
        ),
        (
            [
                {"column": "rd_intensity", "op": "is_unknown"},
                {"column": "rd_intensity", "op": "gte", "value": 0.2},
            ],
            "rd_intensity is unknown and rd_intensity ≥ 0.20",
        ),
        (
            [
                {"column": "sm_intensity", "op": "is_unknown"},
                {"column": "rd_intensity", "op": "gt", "other_column": "sm_intensity"},
            ],
            "sm_intensity is unknown and rd_intensity > sm_intensity",
        ),
        (
            [
                {"column": "sector", "op": "equals", "value": "ai"},
                {"column": "sector_class", "op": "equals", "value": "soft_tech"},
            ],
            "sector is ai and sector_class is soft_tech",
        ),
    ],
)
def test_unreachable_conjunction(tmp_path: Path, conditions: list[dict], words: str):
    # a risk rule, which may use any operator (a favour rule must fire on facts the firm has)
    directory = make_dir(tmp_path, {"a.yaml": [rule("never", {"all": conditions}, kind="risk")]})
    expected = _unreachable(directory, "never", f"the condition can never be true: {words}")
    assert messages(directory) == [expected]


def test_unreachable_favour_rule(tmp_path: Path):
    never = {"all": [{"column": "listing_venue", "op": "in", "value": ["star", "bse"]},
                     {"column": "listing_venue", "op": "equals", "value": "us"}]}  # fmt: skip
    directory = make_dir(tmp_path, {"a.yaml": [rule("never", never)]})
    words = "listing_venue is one of star, bse and listing_venue is us"
    expected = _unreachable(directory, "never", f"the condition can never be true: {words}")
    assert messages(directory) == [expected]


def test_unreachable_gate_of_a_graded_rule(tmp_path: Path):
    gate = {"all": [{"column": "sector", "op": "equals", "value": "ai"},
                    {"column": "sector", "op": "equals", "value": "biotech"}]}  # fmt: skip
    graded = {"column": "overseas_revenue_share", "per": 0.1, "cap": 5, "fact": "Overseas {value:.0%}"}
    directory = make_dir(tmp_path, {"a.yaml": [rule("gated", gate, graded=graded)]})
    expected = "the condition can never be true: sector is ai and sector is biotech"
    assert messages(directory) == [_unreachable(directory, "gated", expected)]


def test_unreachable_single_leaf_outside_the_columns_range(tmp_path: Path):
    cond = {"column": "overseas_revenue_share", "op": "gt", "value": 1}
    directory = make_dir(tmp_path, {"a.yaml": [rule("beyond", cond)]})
    expected = "the condition can never be true: overseas_revenue_share > 1"
    assert messages(directory) == [_unreachable(directory, "beyond", expected)]


def test_unreachable_nested_all_is_flattened(tmp_path: Path):
    cond = {
        "all": [
            {"column": "little_giant", "op": "is_true"},
            {"all": [{"column": "sector", "op": "equals", "value": "ai"}]},
            {"column": "sector", "op": "equals", "value": "robotics"},
        ]
    }
    directory = make_dir(tmp_path, {"a.yaml": [rule("nested", cond)]})
    expected = "the condition can never be true: sector is ai and sector is robotics"
    assert messages(directory) == [_unreachable(directory, "nested", expected)]


def test_unreachable_branch_of_any(tmp_path: Path):
    cond = {
        "any": [
            {"column": "little_giant", "op": "is_true"},
            {"all": [{"column": "overseas_revenue_share", "op": "gte", "value": 0.5},
                     {"column": "overseas_revenue_share", "op": "lt", "value": 0.3}]},
        ]
    }  # fmt: skip
    directory = make_dir(tmp_path, {"a.yaml": [rule("dead_branch", cond, kind="risk")]})
    expected = (
        "a branch can never be true: "
        "overseas_revenue_share ≥ 0.50 and overseas_revenue_share < 0.30"
    )
    assert messages(directory) == [_unreachable(directory, "dead_branch", expected)]


def test_unreachable_effective_window(tmp_path: Path):
    old = rule("bygone", effective_from="1995-01-01", effective_to="1999-12-31")
    directory = make_dir(tmp_path, {"a.yaml": [old]})
    expected = "the effective window ended on 1999-12-31, before 2000-01-01"
    assert messages(directory) == [_unreachable(directory, "bygone", expected)]


@pytest.mark.parametrize(
    "condition",
    [
        {"all": [{"column": "overseas_revenue_share", "op": "gte", "value": 0.1},
                 {"column": "overseas_revenue_share", "op": "lt", "value": 0.3}]},
        {"all": [{"column": "rd_intensity", "op": "between", "value": [0.3, 0.5]},
                 {"column": "rd_intensity", "op": "gte", "value": 0.5}]},
        {"all": [{"column": "sector", "op": "in", "value": ["ai", "biotech"]},
                 {"column": "sector", "op": "not_equals", "value": "ai"}]},
        {"all": [{"column": "sector", "op": "equals", "value": "ai"},
                 {"column": "sector_class", "op": "equals", "value": "hard_tech"}]},
        {"all": [{"column": "rd_intensity", "op": "is_known"},
                 {"column": "rd_intensity", "op": "gte", "value": 0.2}]},
        {"any": [{"column": "little_giant", "op": "is_true"},
                 {"column": "little_giant", "op": "is_false"}]},
        {"all": [{"column": "little_giant", "op": "is_true"},
                 {"not": {"column": "little_giant", "op": "is_true"}}]},
        {"column": "overseas_revenue_share", "op": "lte", "value": 1},
    ],
)  # fmt: skip
def test_satisfiable_conditions_are_not_flagged(tmp_path: Path, condition: dict):
    directory = make_dir(tmp_path, {"a.yaml": [rule("fine", condition, kind="risk")]})
    assert messages(directory) == []


def test_duplicate_condition_same_sign(tmp_path: Path):
    directory = make_dir(
        tmp_path,
        {"a.yaml": [rule("first", weight=0.5)], "b.yaml": [rule("second", weight=0.2)]},
    )
    assert messages(directory) == [
        f"{directory / 'b.yaml'}, rule 'second': duplicate condition with rule 'first' (a.yaml)"
    ]


def test_duplicate_condition_ignores_the_order_of_children(tmp_path: Path):
    a = {"column": "little_giant", "op": "is_true"}
    b = {"column": "sector", "op": "in", "value": ["ai", "robotics"]}
    b_reordered = {"column": "sector", "op": "in", "value": ["robotics", "ai"]}
    directory = make_dir(
        tmp_path,
        {"a.yaml": [rule("first", {"all": [a, b]}), rule("second", {"all": [b_reordered, a]})]},
    )
    assert messages(directory) == [
        f"{directory / 'a.yaml'}, rule 'second': duplicate condition with rule 'first' (a.yaml)"
    ]


def test_contradictory_pair(tmp_path: Path):
    directory = make_dir(tmp_path, {"a.yaml": [rule("up", weight=0.5), rule("down", weight=-0.5)]})
    assert messages(directory) == [
        f"{directory / 'a.yaml'}, rule 'down': contradictory pair with rule 'up' (a.yaml): "
        "the same condition with opposite weights"
    ]


def test_same_condition_in_separate_windows_is_fine(tmp_path: Path):
    before = rule("praised", weight=0.5, effective_to="2020-11-02")
    after = rule("punished", weight=-0.5, effective_from="2020-11-03")
    directory = make_dir(tmp_path, {"a.yaml": [before, after]})
    assert messages(directory) == []


def test_same_condition_in_overlapping_windows_is_flagged(tmp_path: Path):
    before = rule("praised", weight=0.5, effective_to="2021-01-01")
    after = rule("punished", weight=-0.5, effective_from="2020-11-03")
    directory = make_dir(tmp_path, {"a.yaml": [before, after]})
    assert messages(directory) == [
        f"{directory / 'a.yaml'}, rule 'punished': contradictory pair with rule 'praised' "
        "(a.yaml): the same condition with opposite weights"
    ]


def test_risk_rule_may_share_a_favour_rules_condition(tmp_path: Path):
    directory = make_dir(tmp_path, {"a.yaml": [rule("plus"), rule("flag", kind="risk")]})
    assert messages(directory) == []


def test_unused_sector_class(tmp_path: Path):
    directory = make_dir(tmp_path, {"a.yaml": [rule("plain")]}, classes=False)
    assert messages(directory) == [
        f"{directory / 'taxonomy.yaml'}: unused sector class {name!r}: no rule refers to it"
        for name in ("hard_tech", "state_priority", "soft_tech")
    ]
    uses = [
        rule(f"uses_{name}", {"column": "sector_class", "op": "equals", "value": name})
        for name in ("hard_tech", "state_priority")
    ]
    flag = rule("flags_soft_tech", {"column": "sector_class", "op": "equals", "value": "soft_tech"},
                kind="risk")  # fmt: skip
    (directory / "b.yaml").write_text(
        yaml.dump({"schema_version": 1, "rules": [*uses, flag]}, Dumper=_NoAliases),
        encoding="utf-8",
    )
    assert messages(directory) == []


def test_residual_class_other_needs_no_rule():
    used = set()
    for compiled in RuleSet.load().rules:
        for leaf in compiled.node.leaves():
            if leaf.column == "sector_class":
                codes = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
                used.update(leaf.ctype.vocabulary[c] for c in codes)
    assert {"hard_tech", "soft_tech"} <= used
    assert "other" not in used  # no shipped rule names it ...
    assert check_rules() == []  # ... and that is not a problem


# --- every problem, not just the first -----------------------------------------------------


def test_every_missing_quote_is_reported(tmp_path: Path):
    bad = [
        {"source": QUOTE["source"], "quote": "A sentence that is not in the seed, number one."},
        {"source": QUOTE["source"], "quote": "A sentence that is not in the seed, number two."},
    ]
    good_then_bad = [dict(QUOTE), {"source": "001_b6c71f4147751b12.txt", "quote": QUOTE["quote"]}]
    directory = make_dir(
        tmp_path,
        {
            "a.yaml": [
                rule("one", evidence=bad),
                rule("two", {"column": "little_giant", "op": "is_true"}, evidence=good_then_bad),
            ]
        },
    )
    found = messages(directory)
    assert len(found) == 3
    assert found[0] == (
        f"{directory / 'a.yaml'}, rule 'one': evidence quote not found in "
        "002_0fc85509d937c681.txt: 'A sentence that is not in the seed, number one.'"
    )
    assert "rule 'one'" in found[1]
    assert "number two" in found[1]
    assert "rule 'two'" in found[2]
    assert "not found in 001_b6c71f4147751b12.txt" in found[2]


def test_quotes_in_the_taxonomy_are_checked_too(tmp_path: Path):
    directory = make_dir(tmp_path, {"a.yaml": [rule("plain")]})
    path = directory / "taxonomy.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("emphasised instead", "emphasised INSTEAD"), encoding="utf-8")
    assert messages(directory) == [
        f"{path}: evidence quote not found in 001_b6c71f4147751b12.txt: 'It emphasised INSTEAD "
        "rapid development in hard tech, or areas such as AI, semic'"
    ]


def test_favour_rules_that_could_fire_on_absence_are_reported(tmp_path: Path):
    not_us = {"not": {"column": "listing_venue", "op": "equals", "value": "us"}}
    small = {"column": "overseas_revenue_share", "op": "lt", "value": 0.1}
    directory = make_dir(tmp_path, {"a.yaml": [
        rule("not_us", not_us), rule("small", small), rule("flag", small, kind="risk"),
    ]})  # fmt: skip
    prefix = "a favour rule must fire only on a fact the firm has"
    assert messages(directory) == [
        f"{directory / 'a.yaml'}, rule 'not_us': {prefix}: "
        "'not' can hold for an absent value; state the fact the firm has",
        f"{directory / 'a.yaml'}, rule 'small': {prefix}: "
        "overseas_revenue_share < 0.10 holds for 0, an absent value",
    ]


def test_a_broken_file_does_not_hide_the_others(tmp_path: Path):
    misspelt = rule("misspelt")
    misspelt["weigth"] = misspelt.pop("weight")
    wrong_op = rule("wrong_op", {"column": "sector", "op": "gte", "value": 1})
    directory = make_dir(
        tmp_path,
        {
            "a.yaml": [misspelt, rule("fine_in_a_broken_file", evidence=[
                {"source": QUOTE["source"], "quote": "Not a sentence of that seed at all."}
            ])],
            "b.yaml": [wrong_op, rule("unknown_column", {"column": "overseas", "op": "is_known"})],
            "c.yaml": [rule("twice"), rule("twice", {"column": "little_giant", "op": "is_true"})],
        },
    )  # fmt: skip
    (directory / "d.yaml").write_text("schema_version: 2\nrules: []\n", encoding="utf-8")
    (directory / "e.yaml").write_text("rules: [unclosed\n", encoding="utf-8")
    found = messages(directory)
    expected = [
        r"a\.yaml, rule 'misspelt': unknown key 'weigth' \(did you mean 'weight'\?\)",
        r"a\.yaml, rule 'fine_in_a_broken_file': evidence quote not found",
        r"b\.yaml, rule 'wrong_op': operator 'gte' does not fit category column 'sector'",
        r"b\.yaml, rule 'unknown_column': unknown column 'overseas' in condition",
        r"c\.yaml, rule 'twice': duplicate rule id \(also in c\.yaml\)",
        r"d\.yaml: schema_version must be 1 \(got 2\)",
        r"e\.yaml: not valid rules YAML",
    ]
    for pattern in expected:
        assert sum(bool(re.search(pattern, m)) for m in found) == 1, (pattern, found)
    # the valid rule of the broken file a.yaml and the first 'twice' share a condition
    assert any("duplicate condition with rule 'fine_in_a_broken_file' (a.yaml)" in m for m in found)
    assert len(found) == 8, found


def test_every_schema_error_of_a_file_is_reported(tmp_path: Path):
    no_weight = rule("no_weight", weight=None)
    bad_kind = rule("bad_kind", kind="bonus")
    directory = make_dir(tmp_path, {"a.yaml": [no_weight, bad_kind]})
    found = messages(directory)
    assert len(found) == 2, found
    assert "rule 'no_weight': a favour rule needs a non-zero 'weight'" in found[0]
    assert "rule 'bad_kind': kind: Input should be 'favour' or 'risk'" in found[1]


def test_missing_taxonomy_is_reported_and_the_rules_still_checked(tmp_path: Path):
    directory = make_dir(tmp_path, {"a.yaml": [rule("first"), rule("first")]})
    (directory / "taxonomy.yaml").unlink()
    assert messages(directory) == [
        f"{directory / 'taxonomy.yaml'}: missing: a rules directory needs this file",
        f"{directory / 'a.yaml'}, rule 'first': duplicate rule id (also in a.yaml)",
    ]


def test_directory_without_rule_files(tmp_path: Path):
    directory = make_dir(tmp_path, {}, classes=False)
    assert messages(directory) == [f"{directory}: holds no rule files"] + [
        f"{directory / 'taxonomy.yaml'}: unused sector class {name!r}: no rule refers to it"
        for name in ("hard_tech", "state_priority", "soft_tech")
    ]


def test_not_a_directory(tmp_path: Path):
    assert messages(tmp_path / "nowhere") == [
        f"{tmp_path / 'nowhere'}: is not a directory of rules files"
    ]


@pytest.mark.parametrize("case", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_check_reports_what_load_refuses(case: str, tmp_path: Path):
    directory = tmp_path / case
    shutil.copytree(FIXTURES / case, directory)
    expected = (FIXTURES / case / "expected.txt").read_text(encoding="utf-8").rstrip("\n")
    with pytest.raises(RulesError, match=re.escape(expected)):
        RuleSet.load(directory)
    found = messages(directory)
    assert any(expected in m for m in found), found


# --- rules list ----------------------------------------------------------------------------


def test_rules_table_lists_every_rule_in_load_order():
    ruleset = RuleSet.load()
    table = rules_table(ruleset)
    assert [row["id"] for row in table] == [r.id for r in ruleset.rules]
    for row, compiled in zip(table, ruleset.rules, strict=True):
        assert set(row) == TABLE_KEYS
        spec = compiled.spec
        assert row["condition"] == compiled.node.describe()
        assert compiled.file == str(RULES / row["file"])  # a path; the table shows its name
        assert row["title"] == spec.title
        assert row["rationale"] == spec.rationale
        assert row["signal"] == spec.signal
        assert row["kind"] == spec.kind
        assert row["units"] == (compiled.graded.describe() if compiled.graded else None)
        if spec.kind == "favour":
            assert isinstance(row["weight"], float)
            assert row["weight"] != 0
            assert row["severity"] is None
        else:
            assert row["weight"] is None
            assert row["severity"] in ("low", "medium", "high")
        for key in ("effective_from", "effective_to"):
            assert row[key] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[key])
        assert row["evidence"] == [{"source": e.source, "quote": e.quote} for e in spec.evidence]
        assert all(set(e) == {"source", "quote"} for e in row["evidence"])


def test_rules_table_values():
    by_id = {row["id"]: row for row in rules_table(RuleSet.load())}
    assert by_id["listing_us"]["effective_from"] == "2021-07-01"
    assert by_id["listing_us"]["effective_to"] is None
    assert by_id["listing_us"]["weight"] == -0.7
    assert by_id["listing_us"]["file"] == "markets.yaml"
    assert by_id["listing_us"]["condition"] == "listing_venue is us"
    assert by_id["platform_dominance"]["effective_to"] == "2022-12-31"
    assert by_id["risk_us_sanctions"]["severity"] == "high"
    assert by_id["listing_us"]["units"] is None
    graded = "one unit per 0.05 of rd_intensity above 0.03, up to 6 units"
    assert by_id["rd_intensity"]["condition"] == graded
    assert by_id["rd_intensity"]["units"] == graded
    assert by_id["rd_intensity"]["weight"] == 0.3


def test_rules_table_is_json(tmp_path: Path):
    table = rules_table(RuleSet.load())
    assert json.loads(json.dumps(table, ensure_ascii=False)) == table
