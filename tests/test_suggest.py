"""The one "did you mean" (alignscore._core.suggest): its policy, and that every message uses it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alignscore._core.suggest import CUTOFF, NEAR, best, closest, did_you_mean, phrase

SRC = Path(__file__).resolve().parents[1] / "src" / "alignscore"


def test_case_does_not_count_and_the_choice_is_spelt_as_given():
    assert closest("ZHEJANG", ["Beijing", "Zhejiang"]) == ["Zhejiang"]
    assert closest("zhejang", ["Beijing", "Zhejiang"]) == ["Zhejiang"]
    assert best("SECTR", ["name", "sector"]) == "sector"


def test_spaces_dashes_and_underscores_do_not_count():
    assert best("ecommerce platform", ["e_commerce", "logistics_platform"]) == "e_commerce"
    assert best("end-date", ["ann_date", "end_date"]) == "end_date"


def test_a_clear_winner_is_offered_alone_and_near_ties_together():
    assert NEAR == 0.1
    # 0.93 against 0.71: the typo is plainly the first
    choices = ["semiconductor_equipment", "semiconductors", "software"]
    assert closest("semiconductr", choices, n=3) == ["semiconductors"]
    assert closest("Zhejang", ["Henan", "Zhejiang", "Heilongjiang"], n=3) == ["Zhejiang"]
    # equally close: both, best first, ties in the choices' order, at most n
    assert closest("abcd", ["abce", "abcf", "abzz"], n=3) == ["abce", "abcf"]
    assert closest("abcd", ["abce", "abcf"], n=1) == ["abce"]


@pytest.mark.parametrize(
    ("word", "choice", "suggested"),
    [
        ("weigth", "weight", True),  # two letters swapped
        ("sectr", "sector", True),  # one letter missing
        ("software", "hardware", False),  # ratio 0.5: shares 'ware' only
        ("shenzhen", "Henan", False),  # a city, 0.62 from a province
        ("xyz", "sector", False),
    ],
)
def test_the_cutoff(word, choice, suggested):
    assert CUTOFF == 0.65
    assert (best(word, [choice]) == choice) is suggested


def test_a_caller_may_ask_for_a_stricter_cutoff():
    assert best("listing", ["listing_venue"]) == "listing_venue"  # ratio 0.74
    assert best("listing", ["listing_venue"], cutoff=0.85) is None


def test_phrase_lists_one_two_or_more():
    assert phrase([]) == ""
    assert phrase(["a"]) == "did you mean 'a'?"
    assert phrase(["a", "b"]) == "did you mean 'a' or 'b'?"
    assert phrase(["a", "b", "c"]) == "did you mean 'a', 'b' or 'c'?"
    assert did_you_mean("privte", ["state", "private"]) == "did you mean 'private'?"
    assert did_you_mean("zzz", ["state", "private"]) == ""


def test_no_module_computes_its_own_suggestions():
    """difflib is used in one place, so that no message drifts to another cutoff."""
    users = sorted(
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if re.search(r"\bget_close_matches\b|\bimport difflib\b", p.read_text(encoding="utf-8"))
    )
    assert users == ["_core/suggest.py"]
