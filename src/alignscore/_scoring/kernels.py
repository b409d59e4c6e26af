"""The compiled inner loop (numba) of scoring: one pass over each firm's rule contributions
gives its log-odds, its coverage and its strongest drivers.

The rules themselves are evaluated with whole-array numpy (``_conditions.py``) and their
contributions are ``weight * units``; what follows (summing them, and ranking them to find each
firm's top three favourable and unfavourable drivers) is a per-row walk that numpy can only do
in many passes. Rows are handled in blocks; within a block the rules are the outer loop, so
each rule's values are read in order. The kernel releases the GIL, so batches can be scored on
several threads at once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["BLOCK", "quadratic_form", "score_rows"]

BLOCK = 4096


@njit(cache=True, nogil=True)
def _insert(values: np.ndarray, ids: np.ndarray, r: int, v: float, c: int) -> None:
    """Insert (v, c) into row ``r``'s descending list; a tie keeps the earlier entry ahead."""
    top = values.shape[1]
    if not v > values[r, top - 1]:
        return
    s = top - 1
    while s > 0 and v > values[r, s - 1]:
        values[r, s] = values[r, s - 1]
        ids[r, s] = ids[r, s - 1]
        s -= 1
    values[r, s] = v
    ids[r, s] = c


@njit(cache=True, nogil=True)
def score_rows(
    units: np.ndarray,  # favour rules x rows, float64 (0 unless fired)
    weights: np.ndarray,  # favour rules: log-odds per unit; a contribution is weight * units
    states: np.ndarray,  # favour rules x rows, int8 (1 fired, 0 not, -1 not evaluable, -2 not in effect)
    evidence: np.ndarray,  # favour rules: each rule's weight in coverage
    baseline: float,
    none: int,
    top: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the log-odds, the coverage, and the reason key: the ``top`` strongest
    favourable then unfavourable contributions (beyond 1e-12 in size), each a rule index
    (``none`` when there are fewer), in base ``none + 1`` as one int64. Rules are visited in
    order, so of two equal contributions the earlier comes first; sums are taken in that order
    too."""
    r, n = states.shape
    base = none + 1
    log_odds = np.empty(n)
    coverage = np.empty(n)
    keys = np.empty(n, dtype=np.int64)
    n_blocks = (n + BLOCK - 1) // BLOCK
    for b in range(n_blocks):
        start = b * BLOCK
        stop = min(n, start + BLOCK)
        m = stop - start
        lo = np.full(m, baseline)
        num = np.zeros(m)
        den = np.zeros(m)
        up_v = np.full((m, top), 1e-12)
        up_i = np.full((m, top), none, dtype=np.int64)
        down_v = np.full((m, top), 1e-12)
        down_i = np.full((m, top), none, dtype=np.int64)
        for j in range(r):
            w = evidence[j]
            weight = weights[j]
            for i in range(m):
                st = states[j, start + i]
                if st >= -1:  # in effect
                    den[i] += w
                    if st >= 0:  # evaluable
                        num[i] += w
                        if st == 1:
                            c = weight * units[j, start + i]
                            lo[i] += c
                            if c > 0:
                                _insert(up_v, up_i, i, c, j)
                            elif c < 0:
                                _insert(down_v, down_i, i, -c, j)
        for i in range(m):
            log_odds[start + i] = lo[i]
            coverage[start + i] = num[i] / den[i] if den[i] > 0 else 0.0
            key = 0
            for s in range(top):
                key = key * base + up_i[i, s]
            for s in range(top):
                key = key * base + down_i[i, s]
            keys[start + i] = key
    return log_odds, coverage, keys


@njit(cache=True, nogil=True)
def quadratic_form(units: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Per row ``u' S u`` for units ``u`` (rules x rows) and covariance ``S``: each firm's
    log-odds variance. Only the rules a firm fired (non-zero units) are visited, in rule order,
    so a row's sum is the same whatever the batch it is in, and it costs a few products, not
    a rules x rules matrix product per row."""
    r, n = units.shape
    out = np.empty(n)
    nz = np.empty(r, dtype=np.int64)
    val = np.empty(r)
    for i in range(n):
        m = 0
        for j in range(r):
            u = units[j, i]
            if u != 0.0:
                nz[m] = j
                val[m] = u
                m += 1
        total = 0.0
        for a in range(m):
            row = 0.0
            ja = nz[a]
            for b in range(m):
                row += cov[ja, nz[b]] * val[b]
            total += val[a] * row
        out[i] = total
    return out
