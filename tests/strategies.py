"""Hypothesis strategies for firm profiles, and a small trained model for tests that need one.

Profiles are drawn as the text a CSV would hold: every contract column gets a valid value or a
blank (unknown). :func:`labelled_frame` and :func:`build_model_dir` give tests a model without
the default model in ``models/default/`` (trained elsewhere, and maybe not there yet).

Private imports (allowed in ``tests/test_private_imports.py``): draws values from the contract's vocabulary (_contract.columns) and writes model folders (_model.persist), which the public API does not export.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from alignscore import RuleSet, synthetic_firms
from alignscore._contract.columns import OWNERSHIPS, PROFILE_COLUMNS, PROVINCES, SECTORS, VENUES
from alignscore._model.persist import save_scorecard

AS_OF = "2023-06-30"

BLANK = st.just("")

_NAME_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\x00"
)


def _maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(BLANK, strategy)


def _number_text(low: float, high: float) -> st.SearchStrategy[str]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False).map(lambda v: repr(v + 0.0))


def fraction_text() -> st.SearchStrategy[str]:
    """A valid fraction as text: ``0.35`` or ``35%``."""
    plain = _number_text(0.0, 1.0)
    percent = st.integers(0, 100).map(lambda v: f"{v}%")
    return st.one_of(plain, percent)


BOOL_WORDS = ("true", "false", "yes", "no", "1", "0", "Y", "N", "是", "否", "真", "假")


def cell_strategy(name: str) -> st.SearchStrategy[str]:
    """Valid text for contract column ``name`` (blank allowed except for ``name``)."""
    if name == "name":
        return st.text(_NAME_CHARS, min_size=1, max_size=30).filter(lambda s: s.strip() != "")
    if name == "ticker":
        return _maybe(st.from_regex(r"[0-9]{6}\.(SH|SZ|BJ)", fullmatch=True))
    if name == "sector":
        return _maybe(st.sampled_from(SECTORS))
    if name == "ownership":
        return _maybe(st.sampled_from(OWNERSHIPS))
    if name == "listing_venue":
        return _maybe(st.sampled_from(VENUES))
    if name == "hq_province":
        return _maybe(st.sampled_from(PROVINCES))
    if name in ("overseas_revenue_share", "government_revenue_share"):
        return _maybe(fraction_text())
    if name in ("little_giant", "personal_data_intensive", "us_restricted", "state_project"):
        return _maybe(st.sampled_from(BOOL_WORDS))
    if name in ("rd_intensity", "sm_intensity"):
        return _maybe(_number_text(0.0, 3.0))
    if name == "consumer_mau_m":
        return _maybe(_number_text(0.0, 2000.0))
    if name == "revenue_cny_bn":
        return _maybe(_number_text(0.0, 5000.0))
    if name == "founded_year":
        return _maybe(st.integers(1800, dt.date.today().year).map(str))
    if name == "employees":
        return _maybe(st.integers(0, 1_000_000).map(str))
    raise KeyError(name)


PROFILE_NAMES = tuple(c.name for c in PROFILE_COLUMNS)


@st.composite
def profile_rows(draw: st.DrawFn) -> dict[str, str]:
    """One firm as CSV text cells, every contract column present."""
    return {name: draw(cell_strategy(name)) for name in PROFILE_NAMES}


def profile_frames(min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[pd.DataFrame]:
    """A frame of firms as text cells (object dtype), with unique names."""
    rows = st.lists(profile_rows(), min_size=min_size, max_size=max_size)

    def to_frame(items: list[dict[str, str]]) -> pd.DataFrame:
        frame = pd.DataFrame(items, columns=list(PROFILE_NAMES), dtype=object)
        frame["name"] = [f"{n}#{i}" for i, n in enumerate(frame["name"])]
        return frame

    return rows.map(to_frame)


# --- a small trained model ------------------------------------------------------------------


def labelled_frame(n: int = 160, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Synthetic firms with labels that follow a few of the inputs (so coefficients are not 0)."""
    frame = synthetic_firms(n, seed=seed)
    overseas = pd.to_numeric(frame["overseas_revenue_share"], errors="coerce").fillna(0.0)
    giant = frame["little_giant"].eq("true")
    hard = frame["sector"].isin(SECTORS[:21])
    noise = np.random.default_rng(seed).random(n) < 0.1
    y = ((overseas >= 0.25) | giant | hard).to_numpy() ^ noise
    return frame, y.astype(int)


def fitted_scorer(rules: str | Path | None = None):
    """A :class:`~alignscore.Scorer` trained in memory on :func:`labelled_frame`."""
    from alignscore import Scorer

    frame, y = labelled_frame()
    return Scorer(rules=rules, as_of=AS_OF).fit(frame, y)


def build_model_dir(directory: Path) -> Path:
    """A valid model directory (scorecard, manifest, card) matching the bundled rules."""
    scorer = fitted_scorer()
    card = scorer.engine_.scorecard
    ruleset = RuleSet.load()
    fields = {
        "rules_sha256": ruleset.sha256,
        "training_data": "synthetic (tests)",
        "training_data_sha256": "0" * 64,
        "training_rows": 160,
        "parameters": {"shrinkage": card.shrinkage, "seed": 0},
        "metrics": {},
        "command": "tests/strategies.py build_model_dir",
    }
    save_scorecard(directory, card.to_file(), fields, "# test model\n")
    return directory
