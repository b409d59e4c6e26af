"""alignscore: score Chinese companies for policy alignment.

A rules engine (declarative rules in ``rules/``, each citing the seed article it comes from)
combined with a trained, sign-constrained and calibrated classifier, into one score with an
exact, evidence-linked explanation.

>>> import alignscore
>>> scorer = alignscore.Scorer(as_of="2024-01-01")
>>> scorer.score({"name": "Example", "sector": "online_gaming"}).band in alignscore.BAND_NAMES
True
"""

from ._classifier import ConstrainedLogisticRegression
from ._lint import check_rules, rules_table
from ._modelcard import evaluate_model, metrics_table, train_model
from ._profile import FirmProfile
from ._render import render
from ._reports import write_reports, write_text
from ._result import BANDS, ScoreResult
from ._rules import RuleSet
from ._scorer import RESULT_COLUMNS, Scorer
from ._stream import StreamSummary, score_file, unescape_formula
from ._synthetic import synthetic_firms
from ._validate import ValidationReport, read_firms, validate_file
from ._version import __version__
from .exceptions import (
    AlignScoreError,
    InputError,
    ModelError,
    ModelIntegrityError,
    OutputError,
    ProfileValidationError,
    RulesChangedWarning,
    RulesError,
    UnknownFirmError,
)

BAND_NAMES = tuple(b[0] for b in BANDS)

__all__ = [
    "BANDS",
    "BAND_NAMES",
    "RESULT_COLUMNS",
    "AlignScoreError",
    "ConstrainedLogisticRegression",
    "FirmProfile",
    "InputError",
    "ModelError",
    "ModelIntegrityError",
    "OutputError",
    "ProfileValidationError",
    "RuleSet",
    "RulesChangedWarning",
    "RulesError",
    "ScoreResult",
    "Scorer",
    "StreamSummary",
    "UnknownFirmError",
    "ValidationReport",
    "__version__",
    "check_rules",
    "evaluate_model",
    "metrics_table",
    "read_firms",
    "render",
    "rules_table",
    "score_file",
    "synthetic_firms",
    "train_model",
    "unescape_formula",
    "validate_file",
    "write_reports",
    "write_text",
]
