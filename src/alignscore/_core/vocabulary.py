"""The words and the scale every layer shares, defined once: the bands, the sector classes and
the map from log-odds to a score.

A score is ``100 * (FLOOR + (1 - 2 FLOOR) * logistic(log_odds))``: never below 0.5 nor above
99.5, so no score claims more certainty than a few hundred labelled firms can support.
"""

from __future__ import annotations

import math
from typing import Literal, get_args

import numpy as np

__all__ = [
    "BANDS",
    "BAND_CODES",
    "BAND_NAMES",
    "FLOOR",
    "NOT_RATED",
    "SECTOR_CLASSES",
    "SectorClassName",
    "bounded_probability",
    "logistic",
    "logit",
    "score_log_odds",
]

#: The five bands: name, lowest score (inclusive), highest score (exclusive; 100 inclusive).
BANDS: tuple[tuple[str, float, float], ...] = (
    ("Strong headwind", 0.0, 20.0),
    ("Headwind", 20.0, 40.0),
    ("Neutral", 40.0, 60.0),
    ("Tailwind", 60.0, 80.0),
    ("Strong tailwind", 80.0, 100.0),
)
BAND_NAMES: tuple[str, ...] = tuple(b[0] for b in BANDS)
#: The band of a firm about whom too little is known (rating agencies' NR): its score and
#: explanation are still given.
NOT_RATED = "Not rated"
#: Band names in code order: the five bands, then "Not rated" (code 5).
BAND_CODES: tuple[str, ...] = (*BAND_NAMES, NOT_RATED)

#: The taxonomy's classes of sector (``rules/taxonomy.yaml`` puts every sector in one); a
#: sector class's code is its index here.
SectorClassName = Literal["hard_tech", "state_priority", "soft_tech", "other"]
SECTOR_CLASSES: tuple[str, ...] = get_args(SectorClassName)

#: The least probability (and 1 - the most) a score may show.
FLOOR = 0.005


def logistic(log_odds: np.ndarray | float) -> np.ndarray:
    """``1 / (1 + e^-x)``, stable at any magnitude: ``(1 + tanh(x / 2)) / 2`` (one
    transcendental per value, no overflow)."""
    return 0.5 + 0.5 * np.tanh(0.5 * np.asarray(log_odds, dtype=np.float64))


def logit(p: float) -> float:
    """The inverse of :func:`logistic`, for ``0 < p < 1``."""
    return math.log(p / (1.0 - p))


def bounded_probability(log_odds: np.ndarray | float, floor: float = FLOOR) -> np.ndarray:
    """``floor + (1 - 2 floor) * logistic(log_odds)``: never below ``floor`` nor above
    ``1 - floor``, strictly increasing."""
    return floor + (1.0 - 2.0 * floor) * logistic(log_odds)


def score_log_odds(score: float, floor: float = FLOOR) -> float:
    """The log-odds behind a score (the inverse of ``100 * bounded_probability``), clipped
    just inside (0, 1) so that the ends of the scale stay finite."""
    p = (score / 100.0 - floor) / (1.0 - 2.0 * floor)
    return logit(min(max(p, 1e-12), 1.0 - 1e-12))
