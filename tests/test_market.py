"""The real A-share market, scored from the bundled Tushare list, spreads the way the seeds say.

The list (``data/ashare-universe/stock_basic.csv``, 5,806 firms) gives each firm a sector (from
Tushare's industry), a listing venue and a province, and nothing else: so this judges the rules
and weights on the whole market, not on firms like the labelled ones.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

from alignscore import BANDS, NOT_RATED, Scorer, score_file

UNIVERSE = Path(__file__).resolve().parents[1] / "data" / "ashare-universe" / "stock_basic.csv"


@functools.lru_cache(maxsize=1)
def _market(tmp: str) -> pd.DataFrame:
    out = f"{tmp}/market.parquet"
    summary = score_file(Scorer(as_of="2024-06-30"), UNIVERSE, out, source_format="tushare")
    assert summary.rows == summary.scored == 5806
    return pd.read_parquet(out)


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> pd.DataFrame:
    return _market(str(tmp_path_factory.mktemp("market")))


def test_scores_fall_in_at_least_three_bands(market):
    ranges = pd.cut(market["score"], [b[1] for b in BANDS] + [100.0], right=False, include_lowest=True)
    occupied = ranges.value_counts()
    assert (occupied > 0).sum() >= 3, occupied


def test_property_developers_sit_below_the_market_and_chipmakers_above(market):
    median = market["score"].median()
    assert market.loc[market["sector"] == "real_estate", "score"].median() < median
    assert market.loc[market["sector"] == "semiconductors", "score"].median() > median


def test_scores_are_bounded_with_intervals(market):
    assert market["score"].between(0.5, 99.5).all()
    assert (market["score_low"] <= market["score"]).all()
    assert (market["score"] <= market["score_high"]).all()


def test_little_known_firms_sit_near_the_neutral_baseline(market):
    """A listed firm outside the favoured and targeted sectors, about which the list says
    nothing else, is near 50: the rules do not spread what they know nothing about."""
    other = market[market["sector"].isin(["traditional_manufacturing", "other"])]
    assert len(other) > 100
    assert other["score"].between(35.0, 75.0).all(), other["score"].describe()


def test_not_rated_is_a_band_of_its_own(market):
    bands = set(market["band"].astype(str))
    assert bands <= {b[0] for b in BANDS} | {NOT_RATED}
    unknown_sector = market["sector"].isna()
    assert (market.loc[unknown_sector, "band"].astype(str) == NOT_RATED).all()
