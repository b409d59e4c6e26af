"""Synthetic firms, for scale and speed tests ONLY.

The generator draws every contract column from simple distributions, deterministically from a
seed. Its firms are not real and carry no labels: it is never used to train the shipped model or
to claim accuracy (the labelled data in ``data/labelled_firms.csv`` is for that).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import OWNERSHIPS, PROVINCES, SECTORS, VENUES

__all__ = ["synthetic_firms"]


def synthetic_firms(n: int, seed: int = 0, *, blank_share: float = 0.15) -> pd.DataFrame:
    """``n`` synthetic firms as raw text cells, as a CSV would hold them.

    About ``blank_share`` of each optional cell is blank (unknown).

    >>> df = synthetic_firms(3, seed=1)
    >>> list(df.columns)[:3]
    ['name', 'ticker', 'sector']
    >>> synthetic_firms(3, seed=1).equals(df)
    True
    """
    rng = np.random.default_rng(seed)

    def blanks(values: np.ndarray) -> np.ndarray:
        out = values.astype(object)
        out[rng.random(n) < blank_share] = ""
        return out

    def pick(vocab: tuple[str, ...]) -> np.ndarray:
        return blanks(np.asarray(vocab, dtype=object)[rng.integers(0, len(vocab), n)])

    def number(values: np.ndarray, digits: int) -> np.ndarray:
        return blanks(np.char.mod(f"%.{digits}f", values.round(digits)))

    def boolean(p: float) -> np.ndarray:
        return blanks(np.where(rng.random(n) < p, "true", "false"))

    ids = np.arange(n)
    return pd.DataFrame({
        "name": np.char.add("Synthetic Firm ", ids.astype(str)).astype(object),
        "ticker": blanks(np.char.add(np.char.zfill((ids % 1_000_000).astype(str), 6), ".SZ")),
        "sector": pick(SECTORS),
        "overseas_revenue_share": number(rng.beta(1.2, 4.0, n), 3),
        "government_revenue_share": number(rng.beta(1.0, 5.0, n), 3),
        "little_giant": boolean(0.1),
        "ownership": pick(OWNERSHIPS),
        "listing_venue": pick(VENUES),
        "hq_province": pick(PROVINCES),
        "rd_intensity": number(rng.gamma(2.0, 0.05, n), 3),
        "sm_intensity": number(rng.gamma(2.0, 0.05, n), 3),
        "consumer_mau_m": number(rng.lognormal(1.0, 2.0, n), 1),
        "personal_data_intensive": boolean(0.2),
        "us_restricted": boolean(0.05),
        "state_project": boolean(0.15),
        "founded_year": blanks(rng.integers(1950, 2025, n).astype(str)),
        "revenue_cny_bn": number(rng.lognormal(0.5, 1.5, n), 2),
        "employees": blanks(rng.integers(5, 200_000, n).astype(str)),
    })  # fmt: skip
