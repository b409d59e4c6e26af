"""Scoring: a rule set and a scorecard applied to batches of firms.

- ``kernels``: the per-row sums, coverage, top drivers (the one ranker) and the interval's variance.
- ``engine``: ``Engine``, the vectorised core: rules' units times weights, bands, reason codes.
- ``result``: ``ScoreResult`` and its parts, as data.
- ``explain``: one row of a batch turned into a ``ScoreResult`` (drivers, levers, peers).
- ``scorer``: ``Scorer``, the public object: scikit-learn estimator, frame scorer, explainer.
- ``stream``: ``score_file``: a file of any size scored in bounded memory.
"""
