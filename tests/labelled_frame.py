"""A small hand-made labelled frame for tests that train a model in memory (not real firms).

Every column is filled the same way for both labels (it passes the leakage audit)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def labelled_frame(n: int = 60, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    hard = ["semiconductors", "ai", "industrial_software", "robotics", "clean_energy", "biotech"]
    soft = ["e_commerce", "social_media", "online_education", "ride_hailing", "food_delivery"]
    is_hard = rng.random(n) < 0.5
    sector = np.where(is_hard, rng.choice(hard, n), rng.choice(soft, n))
    frame = pd.DataFrame({
        "name": [f"Test Firm {i}" for i in range(n)],
        "sector": sector,
        "overseas_revenue_share": np.where(rng.random(n) < 0.2, np.nan, rng.uniform(0, 0.6, n).round(2)),
        "government_revenue_share": rng.uniform(0, 0.5, n).round(2),
        "little_giant": np.where(is_hard & (rng.random(n) < 0.4), "yes", "no"),
        "listing_venue": np.where(is_hard, rng.choice(["star", "sse_main", "unlisted"], n),
                                  rng.choice(["us", "hkex", "unlisted"], n)),
        "consumer_mau_m": np.where(is_hard, 0.0, rng.uniform(10, 900, n).round(0)),
        "rd_intensity": rng.uniform(0.02, 0.3, n).round(3),
        "ownership": rng.choice(["private", "state_invested", "local_soe"], n),
        "us_restricted": np.where(rng.random(n) < 0.15, "true", "false"),
        "state_project": np.where(rng.random(n) < 0.3, "true", "false"),
        "as_of": "2022-06-30",
    })  # fmt: skip
    noise = rng.random(n) < 0.12
    y = (is_hard ^ noise).astype(int)
    return frame, y
