"""The classifier's inputs, computed from the rules' view of a batch of firms.

Each input declared in ``rules/model_inputs.yaml`` becomes one column of a float matrix:
``value`` takes the column as it is (booleans as 0/1), ``log1p`` takes ``log(1 + x)``, and
``indicator`` is 1 when a category column is one of ``values``. Unknown stays NaN, which the
classifier reads as "at the training mean" (a contribution of exactly 0).
"""

from __future__ import annotations

import numpy as np

from ._conditions import rule_columns
from ._rules_schema import InputSpec

__all__ = ["RULES_FEATURE", "input_matrix"]

#: The first input of the shipped model: the rules' summed log-odds.
RULES_FEATURE = "rules_log_odds"


def input_column(spec: InputSpec, ctx: dict[str, np.ndarray]) -> np.ndarray:
    x = ctx[spec.column]
    if spec.transform == "indicator":
        vocab = rule_columns()[spec.column].vocabulary
        lut = np.zeros(len(vocab) + 1)
        lut[[vocab.index(v) for v in spec.values or []]] = 1.0
        lut[-1] = np.nan
        return lut[x]
    x = x.astype(np.float64, copy=False)
    return np.log1p(x) if spec.transform == "log1p" else x


def input_matrix(specs: list[InputSpec], ctx: dict[str, np.ndarray]) -> np.ndarray:
    """Rows x inputs, float64, NaN where unknown."""
    n = len(next(iter(ctx.values())))
    out = np.empty((n, len(specs)))
    for j, spec in enumerate(specs):
        out[:, j] = input_column(spec, ctx)
    return out
