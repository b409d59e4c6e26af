"""The learned part: the scorecard's weights, learned within each rule's declared sign,
and the files, audit and card that go with them.

- ``classifier``: ``ScorecardClassifier``, the scikit-learn estimator (MAP logistic regression
  with sign bounds and a prior at the analysts' weights).
- ``scorecard``: ``Scorecard``, the weights, covariance and bounds that score firms.
- ``persist``: the scorecard on disk (``scorecard.json`` and a hashed ``manifest.json``),
  validated on load.
- ``train``: fitting the scorecard on labelled firms, and judging it (grouped CV,
  leave-one-class-out, temporal split, reliability).
- ``audit``: the leakage audit of labelled data.
- ``card``: ``train_model`` and ``evaluate_model``, from a labelled file to a model folder and
  its model card.
"""
