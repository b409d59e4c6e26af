"""The inner loop of scoring, in whole-array numpy: each firm's log-odds, its coverage, its
strongest drivers (one ranker for scores and explanations), and its interval's variance.

The rules themselves are evaluated with whole-array numpy (``_rules``) and their contributions
are ``weight * units``. Everything here is bit-for-bit the same for a row whatever batch it is
in (alone, in a frame, on a cluster): each row's sums are taken in rule order, one rule at a
time, never by a BLAS product or a pairwise reduction whose order depends on the batch's size.
Rows are handled in blocks, so that the rules x rows working arrays stay small.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BLOCK", "TINY", "decode_reasons", "quadratic_form", "reason_key", "score_rows", "top_drivers"]

BLOCK = 1 << 14
#: contributions no larger than this (in log-odds) are not named as drivers
TINY = 1e-12


def top_drivers(contrib: np.ndarray, none: int, top: int) -> np.ndarray:
    """The ranker: per row (columns of the rules x rows ``contrib``, 0 where a rule did not
    fire), the ``top`` strongest favourable then the ``top`` strongest unfavourable
    contributions beyond ``TINY`` in size, as rule indices (rows x 2*top, ``none`` where there
    are fewer). Of two equal contributions the earlier rule comes first (``argmax`` takes the
    first maximum)."""
    n = contrib.shape[1]
    out = np.full((n, 2 * top), none, dtype=np.int64)
    if contrib.shape[0] == 0:  # no rules, no drivers
        return out
    for side, sign in enumerate((1.0, -1.0)):
        size = sign * contrib
        candidate = size > TINY  # NaN is neither favourable nor unfavourable
        rules = np.flatnonzero(candidate.any(axis=1))  # in order: argmax's ties still go first
        if len(rules) == 0:
            continue
        # rows x the rules that drive this side somewhere in the block, -inf where not a driver
        sizes = np.where(candidate[rules], size[rules], -np.inf).T.copy()
        rows = np.arange(n)
        for slot in range(top):
            best = np.argmax(sizes, axis=1)
            at = np.arange(len(rows))
            found = sizes[at, best] > TINY
            out[rows[found], side * top + slot] = rules[best[found]]
            if slot + 1 < top:
                sizes[at, best] = -np.inf
                rows, sizes = rows[found], sizes[found]
    return out


def reason_key(drivers: np.ndarray, none: int) -> np.ndarray:
    """Each row's drivers (rows x slots of rule indices) as one int64 in base ``none + 1``."""
    key = np.zeros(drivers.shape[0], dtype=np.int64)
    for slot in range(drivers.shape[1]):
        key = key * (none + 1) + drivers[:, slot]
    return key


def decode_reasons(keys: np.ndarray, none: int, slots: int) -> np.ndarray:
    """The inverse of :func:`reason_key`: keys back to rows x ``slots`` rule indices."""
    rest = np.asarray(keys, dtype=np.int64)
    out = np.empty((len(rest), slots), dtype=np.int64)
    for slot in range(slots - 1, -1, -1):
        out[:, slot] = rest % (none + 1)
        rest = rest // (none + 1)
    return out


def score_rows(
    units: np.ndarray,  # favour rules x rows, float64 (0 unless fired)
    weights: np.ndarray,  # favour rules: log-odds per unit; a contribution is weight * units
    states: np.ndarray,  # favour rules x rows, int8 (1 fired, 0 not, -1 not evaluable, -2 not in effect)
    evidence: np.ndarray,  # favour rules: each rule's weight in coverage
    baseline: float,
    none: int,
    top: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the log-odds, the coverage, and the reason key (:func:`top_drivers` packed by
    :func:`reason_key`). The log-odds are ``baseline`` plus the fired contributions added one
    rule at a time, in rule order; coverage sums the evidence of the rules in effect (and of
    those evaluable) the same way."""
    r, n = states.shape
    log_odds = np.empty(n)
    coverage = np.empty(n)
    keys = np.empty(n, dtype=np.int64)
    # Each sum adds every rule's term, 0.0 where the numba kernel skipped the rule. Adding 0.0
    # changes nothing unless the running sum is -0.0, which a sum started at +0.0 (coverage)
    # or at any baseline but -0.0 never is; a -0.0 baseline takes the skipping path.
    skip = baseline == 0.0 and math.copysign(1.0, baseline) < 0
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        st = states[:, start:stop]
        fired = st == 1
        contrib = np.where(fired, weights[:, None] * units[:, start:stop], 0.0)
        in_effect = np.where(st >= -1, evidence[:, None], 0.0)
        evaluable = np.where(st >= 0, evidence[:, None], 0.0)
        lo = np.full(stop - start, float(baseline))
        num = np.zeros(stop - start)
        den = np.zeros(stop - start)
        for j in range(r):
            if skip:
                np.add(lo, contrib[j], out=lo, where=fired[j])
            else:
                lo += contrib[j]
            den += in_effect[j]
            num += evaluable[j]
        log_odds[start:stop] = lo
        np.divide(num, den, out=num, where=den > 0)
        coverage[start:stop] = np.where(den > 0, num, 0.0)
        keys[start:stop] = reason_key(top_drivers(contrib, none, top), none)
    return log_odds, coverage, keys


def quadratic_form(units: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Per row ``u' S u`` for units ``u`` (rules x rows) and covariance ``S``: each firm's
    log-odds variance, over the rules it fired (non-zero units) only, in rule order::

        total = sum over fired a of u_a * (sum over fired b of S[a, b] * u_b)

    each sum started at 0 and added to one term at a time. Rows are grouped by how many rules
    they fired (``m``); within a group the fired rules' indices and units are gathered into
    rows x m arrays, so the arithmetic is 2m whole-array steps whatever the patterns."""
    n = units.shape[1]
    out = np.zeros(n)
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        block = np.ascontiguousarray(units[:, start:stop].T)  # rows x rules
        fired = block != 0.0
        counts = fired.sum(axis=1)
        for m in np.unique(counts):
            if m == 0:
                continue
            rows = np.flatnonzero(counts == m)
            idx = np.nonzero(fired[rows])[1].reshape(len(rows), m)  # fired rules, in order
            val = np.take_along_axis(block[rows], idx, axis=1)
            inner = np.zeros((len(rows), m))
            for b in range(m):
                inner += cov[idx, idx[:, b : b + 1]] * val[:, b : b + 1]
            total = np.zeros(len(rows))
            for a in range(m):
                total += val[:, a] * inner[:, a]
            out[start + rows] = total
    return out
