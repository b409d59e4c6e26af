"""The compiled inner loop (numba) of scoring: one pass over each firm's rule states and model
inputs gives its log-odds, its coverage and its strongest drivers.

The rules themselves are evaluated with whole-array numpy (``_conditions.py``); what follows
them (summing contributions, and ranking them to find each firm's top three favourable and
unfavourable drivers) is a per-row walk that numpy can only do in many passes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["score_rows"]


@njit(cache=True, nogil=True)
def _insert(values: np.ndarray, ids: np.ndarray, v: float, c: int) -> None:
    """Insert (v, c) into the descending list; a tie keeps the earlier entry ahead."""
    top = values.shape[0]
    if not v > values[top - 1]:
        return
    s = top - 1
    while s > 0 and v > values[s - 1]:
        values[s] = values[s - 1]
        ids[s] = ids[s - 1]
        s -= 1
    values[s] = v
    ids[s] = c


@njit(cache=True, nogil=True)
def score_rows(
    states: np.ndarray,  # rows x favour rules, int8 (1 fired, 0 not, -1 not evaluable, -2 not in effect)
    scale: np.ndarray,  # favour rules: contribution when fired
    x: np.ndarray,  # rows x model inputs, NaN = unknown
    mean: np.ndarray,
    beta: np.ndarray,
    input_weight: np.ndarray,  # each input's weight in coverage
    input_ids: np.ndarray,  # contribution index of each input
    baseline: float,
    none: int,
    top: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One pass per row: the log-odds, the coverage, and the reason key: the ``top``
    strongest favourable then unfavourable contributions (beyond 1e-12 in size), each a
    contribution index (``none`` when there are fewer), in base ``none + 1`` as one int64.
    Contributions are visited in index order (rules, then inputs), so of two equal ones the
    earlier comes first, as in the explanation."""
    n, r = states.shape
    p = x.shape[1]
    base = none + 1
    log_odds = np.empty(n)
    coverage = np.empty(n)
    keys = np.empty(n, dtype=np.int64)
    up_v = np.empty(top)
    up_i = np.empty(top, dtype=np.int64)
    down_v = np.empty(top)
    down_i = np.empty(top, dtype=np.int64)
    inputs_total = 0.0
    for k in range(p):
        inputs_total += input_weight[k]
    for row in range(n):
        for s in range(top):
            up_v[s] = 1e-12
            down_v[s] = 1e-12
            up_i[s] = none
            down_i[s] = none
        lo = baseline
        num = 0.0
        den = inputs_total
        for j in range(r):
            st = states[row, j]
            w = abs(scale[j])
            if st >= -1:  # in effect
                den += w
                if st >= 0:  # evaluable
                    num += w
                    if st == 1:
                        v = scale[j]
                        lo += v
                        if v > 0:
                            _insert(up_v, up_i, v, j)
                        else:
                            _insert(down_v, down_i, -v, j)
        for k in range(p):
            xv = x[row, k]
            if xv == xv:  # known (not NaN)
                num += input_weight[k]
                c = (xv - mean[k]) * beta[k]
                lo += c
                if c > 0:
                    _insert(up_v, up_i, c, input_ids[k])
                elif c < 0:
                    _insert(down_v, down_i, -c, input_ids[k])
        log_odds[row] = lo
        coverage[row] = num / den if den > 0 else 1.0
        key = 0
        for s in range(top):
            key = key * base + up_i[s]
        for s in range(top):
            key = key * base + down_i[s]
        keys[row] = key
    return log_odds, coverage, keys
