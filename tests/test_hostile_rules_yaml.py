"""Hostile rules files, round two: nothing read silently wrong, nothing that hangs.

Each case is the shipped ``rules/*.yaml`` copied into a temporary directory plus one bad file
(``zz_hostile.yaml``, or a FIFO, device, directory or link in its place). Both
:meth:`RuleSet.load` and :func:`check_rules` (``alignscore rules check``) must refuse it with
the pinned message, naming the file, the key and the rule, in well under two seconds.

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests seed lookup on hostile seed folders (_rules.evidence).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner  # noqa: TID251 - the CLI in-process

from alignscore import RuleSet, check_rules
from alignscore._rules.evidence import Seeds
from alignscore.cli import app
from alignscore.exceptions import RulesError

REPO = Path(__file__).resolve().parents[1]

HEAD = """schema_version: 1
rules:
  - id: hostile_rule
    title: A hostile rule
    signal: overseas_revenue
    kind: favour
    weight: {weight}
    rationale: Firms that earn abroad keep the state's support.
    evidence:
      - source: 002_0fc85509d937c681.txt
        quote: "Companies that have substantial overseas revenues are immune."
    condition: {condition}
"""
COND = "{column: overseas_revenue_share, op: gte, value: 0.3}"


def rule(weight: str = "0.5", condition: str = COND, extra: str = "") -> str:
    return HEAD.format(weight=weight, condition=condition) + extra


def _rules_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir()
    for path in (REPO / "rules").glob("*.yaml"):
        shutil.copy(path, directory / path.name)
    return directory


NAN_MSG = r"is not a finite number \(NaN and infinity are not allowed\)"

#: name -> (file content, message fragment (regex), rule id the error must carry)
TEXT_CASES: dict[str, tuple[str | bytes, str, str | None]] = {
    "nan_weight": (rule(".nan"), rf"key 'weight' \(line 7\): '\.nan' {NAN_MSG}", "hostile_rule"),
    "nan_weight_caps": (rule(".NaN"), rf"key 'weight' \(line 7\): '\.NaN' {NAN_MSG}", "hostile_rule"),
    "inf_weight": (rule(".inf"), rf"key 'weight' \(line 7\): '\.inf' {NAN_MSG}", "hostile_rule"),
    "neg_inf_weight": (rule("-.Inf"), rf"key 'weight' \(line 7\): '-\.Inf' {NAN_MSG}", "hostile_rule"),
    "overflow_weight": (rule("1e309"), rf"key 'weight' \(line 7\): '1e309' {NAN_MSG}", "hostile_rule"),
    "overflow_weight_dot": (rule("1.0e+999"), rf"key 'weight' \(line 7\): '1\.0e\+999' {NAN_MSG}", "hostile_rule"),
    "quoted_nan_weight": (rule("'nan'"), r"weight: Input should be a valid number", "hostile_rule"),
    "bool_weight": (rule("true"), r"weight: Input should be a valid number", "hostile_rule"),
    "nan_threshold": (
        rule(condition="{column: overseas_revenue_share, op: gte, value: .nan}"),
        rf"key 'condition.value' \(line 12\): '\.nan' {NAN_MSG}", "hostile_rule",
    ),
    "inf_threshold": (
        rule(condition="{column: revenue_cny_bn, op: lt, value: .inf}"),
        rf"key 'condition.value' \(line 12\): '\.inf' {NAN_MSG}", "hostile_rule",
    ),
    "nan_in_between": (
        rule(condition="{column: revenue_cny_bn, op: between, value: [0, .nan]}"),
        rf"key 'condition.value\[1\]' \(line 12\): '\.nan' {NAN_MSG}", "hostile_rule",
    ),
    "inf_nested": (
        rule(condition="{all: [{not: {column: revenue_cny_bn, op: gt, value: -.inf}}]}"),
        rf"key 'condition.all\[0\].not.value' \(line 12\): '-\.inf' {NAN_MSG}", "hostile_rule",
    ),
    "huge_integer": (
        rule("1" + "0" * 5000),
        r"key 'weight' \(line 7\): integer '1000000000000000000000000000000000000000'\.\.\. is too large",
        "hostile_rule",
    ),
    "duplicate_weight": (
        rule(extra="    weight: 0.7\n"),
        r"key 'weight' \(line 13\): duplicate key 'weight' \(first given on line 7\); YAML would "
        r"silently keep only the last value", "hostile_rule",
    ),
    "duplicate_in_condition": (
        rule(condition="{column: overseas_revenue_share, op: gte, value: 0.3, value: 0.9}"),
        r"key 'condition.value' \(line 12\): duplicate key 'value' \(first given on line 12\)",
        "hostile_rule",
    ),
    "duplicate_top_level": (
        rule() + "schema_version: 1\n",
        r"zz_hostile.yaml: key 'schema_version' \(line 13\): duplicate key 'schema_version'", None,
    ),
    "merge_key": (
        rule(extra="    <<: {weight: 0.9}\n"),
        r"line 13: merge keys \(<<\) are not allowed; write each key out", "hostile_rule",
    ),
    "impossible_date": (
        rule(extra="    effective_from: 2024-02-30\n"),
        r"key 'effective_from' \(line 13\): '2024-02-30' is not a real date \(expected YYYY-MM-DD\)",
        "hostile_rule",
    ),
    "impossible_date_month": (
        rule(extra="    effective_to: 2024-13-01\n"),
        r"key 'effective_to' \(line 13\): '2024-13-01' is not a real date", "hostile_rule",
    ),
    "impossible_date_quoted": (
        rule(extra="    effective_from: '2024-02-30'\n"),
        r"effective_from: Input should be a valid date or datetime, day value is outside", "hostile_rule",
    ),
    "nul_byte": (
        rule().replace("A hostile rule", "A hostile\x00 rule"),
        r"key 'title' \(line 4\): a NUL byte \(U\+0000\) is not allowed", "hostile_rule",
    ),
    "nul_escaped": (
        rule().replace("A hostile rule", '"A hostile\\0 rule"'),
        r"key 'title' \(line 4\): a NUL byte \(U\+0000\) is not allowed \(escaped\)", "hostile_rule",
    ),
    "nul_in_comment": (
        rule() + "# a comment \x00\n",
        r"zz_hostile.yaml: line 13, column 13: a NUL byte \(U\+0000\) is not allowed", None,
    ),
    "ansi_escape": (
        rule().replace("A hostile rule", '"A hostile \\e[31m rule"'),
        r"key 'title' \(line 4\): a control character \(U\+001B\) is not allowed", "hostile_rule",
    ),
    "rtl_override": (
        rule().replace("A hostile rule", "A hostile \u202e rule"),
        r"key 'title' \(line 4\): a bidirectional-override character \(U\+202E\) is not allowed",
        "hostile_rule",
    ),
    "not_utf8": (
        rule().encode().replace(b"A hostile rule", b"A hostile \xe9 rule"),
        r"is not UTF-8 text \(byte 0xe9 at line 4\); save it as UTF-8", None,
    ),
    "oversized": (
        rule() + "# " + "x" * (2 << 20) + "\n",
        r"file is 2,097,\d{3} bytes; rules files are at most 2,097,152", None,
    ),
}


@pytest.mark.parametrize("name", sorted(TEXT_CASES))
def test_hostile_text(tmp_path: Path, name: str) -> None:
    content, match, rule_id = TEXT_CASES[name]
    directory = _rules_dir(tmp_path)
    data = content.encode() if isinstance(content, str) else content
    (directory / "zz_hostile.yaml").write_bytes(data)
    start = time.perf_counter()
    with pytest.raises(RulesError, match=match) as info:
        RuleSet.load(directory)
    assert time.perf_counter() - start < 2.0
    assert info.value.file.endswith("zz_hostile.yaml")
    assert info.value.rule_id == rule_id
    if rule_id:
        assert f"zz_hostile.yaml, rule '{rule_id}': " in str(info.value)
    problems = check_rules(directory)
    import re

    assert any(re.search(match, str(p)) for p in problems), problems


def test_bom_is_accepted(tmp_path: Path) -> None:
    directory = _rules_dir(tmp_path)
    (directory / "zz_extra.yaml").write_bytes(b"\xef\xbb\xbf" + rule().replace("hostile_rule", "extra").encode())
    assert RuleSet.load(directory).get("extra").spec.weight == 0.5


def test_exponent_without_dot_is_a_number(tmp_path: Path) -> None:
    """YAML 1.1 reads ``5e-1`` as text; it is read as the number 0.5, as YAML 1.2 does."""
    directory = _rules_dir(tmp_path)
    (directory / "zz_extra.yaml").write_text(rule("5e-1").replace("hostile_rule", "extra"), encoding="utf-8")
    assert RuleSet.load(directory).get("extra").spec.weight == 0.5


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _urandom(path: Path) -> None:
    path.symlink_to("/dev/urandom")


def _directory(path: Path) -> None:
    path.mkdir()


def _loop(path: Path) -> None:
    path.symlink_to(path)


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere")


NOT_FILES = {
    "fifo": (_fifo, r"zz_hostile.yaml: is a FIFO \(named pipe\), not a regular file; rules files must be regular files"),
    "dev_zero": (_device, r"zz_hostile.yaml: is a device, not a regular file; rules files must be regular files"),
    "dev_urandom": (_urandom, r"zz_hostile.yaml: is a device, not a regular file"),
    "directory": (_directory, r"zz_hostile.yaml: is a directory, not a regular file"),
    "symlink_loop": (_loop, r"zz_hostile.yaml: is a symbolic link loop, not a file"),
    "dangling_link": (_dangling, r"zz_hostile.yaml: is a symbolic link to a file that does not exist"),
}


@pytest.mark.parametrize("name", sorted(NOT_FILES))
def test_not_a_regular_file(tmp_path: Path, name: str) -> None:
    make, match = NOT_FILES[name]
    directory = _rules_dir(tmp_path)
    make(directory / "zz_hostile.yaml")
    start = time.perf_counter()
    with pytest.raises(RulesError, match=match):
        RuleSet.load(directory)
    import re

    assert any(re.search(match, str(p)) for p in check_rules(directory))
    assert time.perf_counter() - start < 2.0


def test_taxonomy_symlink_loop_is_not_called_missing(tmp_path: Path) -> None:
    directory = _rules_dir(tmp_path)
    (directory / "taxonomy.yaml").unlink()
    _loop(directory / "taxonomy.yaml")
    with pytest.raises(RulesError, match=r"taxonomy.yaml: is a symbolic link loop"):
        RuleSet.load(directory)
    assert "missing" not in " ".join(str(p) for p in check_rules(directory))


@pytest.mark.parametrize("name", ["zz_extra.yml", "zz_extra.YAML", "zz_extra.Yml"])
def test_rules_file_with_another_extension_is_not_skipped(tmp_path: Path, name: str) -> None:
    directory = _rules_dir(tmp_path)
    (directory / name).write_text(rule().replace("hostile_rule", "extra"), encoding="utf-8")
    match = rf"{name}: would not be read: rules files end in '\.yaml'"
    with pytest.raises(RulesError, match=match):
        RuleSet.load(directory)
    assert any(name in str(p) and "would not be read" in str(p) for p in check_rules(directory))


@pytest.mark.parametrize("make", [_fifo, _device])
def test_seed_that_is_not_a_regular_file(tmp_path: Path, make) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(REPO / "seeds", seeds)
    target = seeds / "002_0fc85509d937c681.txt"
    target.unlink()
    make(target)
    start = time.perf_counter()
    with pytest.raises(RulesError, match=r"002_0fc85509d937c681.txt: is a (FIFO|device).*seed articles must be regular files"):
        RuleSet.load(REPO / "rules", seeds=seeds)
    assert time.perf_counter() - start < 2.0


def test_seed_not_utf8(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "x.txt").write_bytes(b"caf\xe9 and more")
    with pytest.raises(RulesError, match=r"x.txt: is not UTF-8 text \(byte 0xe9 at line 1\)"):
        Seeds(seeds).contains("x.txt", "anything at all")


def test_cli_rules_check_names_nan(tmp_path: Path) -> None:
    directory = _rules_dir(tmp_path)
    (directory / "zz_hostile.yaml").write_text(rule(".nan"), encoding="utf-8")
    result = CliRunner().invoke(app, ["rules", "check", str(directory)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "rule 'hostile_rule': key 'weight' (line 7): '.nan' is not a finite number" in result.output
    assert "clean" not in result.output


def test_cli_score_refuses_impossible_date(tmp_path: Path) -> None:
    directory = _rules_dir(tmp_path)
    (directory / "zz_hostile.yaml").write_text(rule(extra="    effective_from: 2024-02-30\n"), encoding="utf-8")
    source = Path(__file__).parent / "hostile" / "utf8_bom.csv"
    result = CliRunner().invoke(app, ["score", str(source), "--rules", str(directory), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "'2024-02-30' is not a real date" in result.output
