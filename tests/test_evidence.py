"""Evidence: every quote in the rules stands verbatim in the seed it cites, and the seeds are fixed.

Quotes are compared after normalisation (whitespace, quote marks, dashes, and the repair of the
mis-decoded seed 004), never after rewriting the seeds themselves.

Private imports (allowed in ``tests/test_private_imports.py``): unit-tests the seed evidence checks (_rules.evidence).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from alignscore._core.resources import bundled
from alignscore._core.safe_yaml import load_yaml
from alignscore._rules.evidence import Seeds, normalise, repair

RULES = bundled("rules")
SEEDS = Seeds(bundled("seeds"))
SEED_004 = "004_5469873127fd855f.txt"

#: SHA-256 of each seed file as shipped; a seed must never be edited to make a quote fit.
SEED_SHA256 = {
    "000_c4c8f1a83a17dafa.txt": "189693829015ac499472d4c3bc09301c678623b7e6bf7a14ed37f14e0a86e866",
    "001_b6c71f4147751b12.txt": "b3bc496cb0c24bf9e79560d1979e96fe24f3c254c0f1ceacb514b88d6b6e8eb9",
    "002_0fc85509d937c681.txt": "a0bcf05157050895c95e7495f45a67337408e43e0752fc425e4d4799b2eab4d6",
    "003_f8e358547141907c.txt": "3a55a63c2d0d9a835db724c1565ff5d7d8a11435d8639b98c9d55e80264edcb0",
    "004_5469873127fd855f.txt": "bbcd0a8a718e2c6d893615a4b0251a53c6042fbfb495b7b0dbdbf04e4a012da8",
}


def _all_quotes() -> list[tuple[str, str, str, str]]:
    """``(owner, file, source, quote)`` for every evidence item in the rules directory."""
    out: list[tuple[str, str, str, str]] = []
    for path in sorted(RULES.glob("*.yaml")):
        data = load_yaml(path)
        if path.name == "taxonomy.yaml":
            for sc in data["sector_classes"]:
                for ev in sc.get("evidence", []):
                    out.append((f"class:{sc['class']}", path.name, ev["source"], ev["quote"]))
            for ev in data["talent_clusters"]["evidence"]:
                out.append(("talent_clusters", path.name, ev["source"], ev["quote"]))
        else:
            for rule in data["rules"]:
                for ev in rule["evidence"]:
                    out.append((rule["id"], path.name, ev["source"], ev["quote"]))
    return out


QUOTES = _all_quotes()


def test_quotes_were_collected_from_every_kind_of_file():
    owners = {owner for owner, *_ in QUOTES}
    files = {file for _, file, *_ in QUOTES}
    assert {"taxonomy.yaml", "markets.yaml", "state_ties.yaml"} < files
    assert "model_inputs.yaml" not in files
    assert "talent_clusters" in owners
    assert {"class:hard_tech", "class:soft_tech"} <= owners
    assert {"overseas_revenue", "consumer_reach", "listing_us"} <= owners
    assert len(files) == len(list(RULES.glob("*.yaml")))
    assert len(QUOTES) >= 100


@pytest.mark.parametrize(("owner", "file", "source", "quote"), QUOTES, ids=[q[0] for q in QUOTES])
def test_quote_stands_in_its_seed(owner: str, file: str, source: str, quote: str):
    assert source in SEEDS.names(), f"{file}, {owner}: no seed {source}"
    assert SEEDS.contains(source, quote), f"{file}, {owner}: not in {source}: {quote!r}"
    assert SEEDS.locate(source, quote) >= 0


# --- the normaliser ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("it’s", "it's"),
        ("“strategic industry”", '"strategic industry"'),
        ("‘single’ quotes", "'single' quotes"),
        ("a  b\n\tc ", "a b c"),
        ("  leading and trailing  ", "leading and trailing"),
        ("policy—an effort", "policy-an effort"),
        ("2019–2021", "2019-2021"),
        ("and so on…", "and so on..."),
    ],
)
def test_normalise_makes_equivalent_text_equal(a: str, b: str):
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("it’s", "its"), ("a b", "ab"), ("policy-an", "policy an"), ("chips", "chip")],
)
def test_normalise_keeps_different_text_different(a: str, b: str):
    assert normalise(a) != normalise(b)


@pytest.mark.parametrize(
    ("broken", "repaired"),
    [
        ('industrial policyâ"an effort', "industrial policy—an effort"),
        ("and so onâ¦", "and so on…"),
        ("itâs", "it's"),
        ("âAI unicornsâ remain", "'AI unicorns' remain"),
        ("controlled,â the prospectus", "controlled,' the prospectus"),
        ("industry.ââ\nThe", "industry.''\nThe"),
    ],
)
def test_repair_undoes_the_mis_decoding(broken: str, repaired: str):
    assert repair(broken) == repaired


def test_repair_leaves_clean_text_alone():
    text = "Plain text — with “curly” quotes, an ellipsis… and café."
    assert repair(text) == text


def test_curly_apostrophe_is_found_where_seed_004_has_the_mis_decoded_one():
    raw = SEEDS.text(SEED_004)
    assert "So itâs a little odd" in raw  # the file itself is mis-decoded ...
    assert "it’s" not in raw
    assert "it's a little odd" not in raw
    quote = "So it’s a little odd that two titans of China’s artificial intelligence industry"
    assert SEEDS.contains(SEED_004, quote)  # ... and the quote is found all the same
    assert SEEDS.contains(SEED_004, quote.replace("’", "'"))


def test_em_dash_is_found_where_seed_004_has_the_mis_decoded_one():
    assert 'policyâ"an effort' in SEEDS.text(SEED_004)
    quote = "a kind of punitive industrial policy—an effort to guide China’s technology industry"
    assert SEEDS.contains(SEED_004, quote)


def test_quote_ending_where_seed_004_has_two_mis_decoded_quote_marks_is_found():
    assert "âstrategic industry.ââ" in SEEDS.text(SEED_004)
    quote = "It has been repeatedly named by Chinese officials as a “strategic industry.”"
    assert SEEDS.contains(SEED_004, quote)


@pytest.mark.parametrize(
    ("source", "quote"),
    [
        (SEED_004, "So it’s a little odd that three titans of China’s artificial intelligence"),
        (SEED_004, "This sentence was never written in any of the seed articles."),
        # a real quote, but from another seed than the one cited
        ("002_0fc85509d937c681.txt", "Baosight is a state-owned industrial-software firm."),
    ],
)
def test_quote_not_in_the_seed_is_not_found(source: str, quote: str):
    assert not SEEDS.contains(source, quote)
    assert SEEDS.locate(source, quote) == -1


# --- the seeds themselves ------------------------------------------------------------------


def test_seed_files_are_unchanged():
    directory = Path(SEEDS.directory)
    found = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.glob("*.txt")}
    assert found == SEED_SHA256


def test_every_seed_is_cited():
    cited = {source for _, _, source, _ in QUOTES}
    assert cited == set(SEED_SHA256)
