"""alignscore: score Chinese companies for policy alignment.

A rules engine (declarative rules in ``rules/``, each citing the seed article it comes from)
combined with a trained, sign-constrained and calibrated classifier, into one score with an
exact, evidence-linked explanation.

>>> import alignscore
>>> scorer = alignscore.Scorer(as_of="2024-01-01")
>>> scorer.score({"name": "Example", "sector": "online_gaming"}).band in alignscore.BAND_NAMES
True
"""

from ._lint import check_rules, rules_table
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
    FileSystemError,
    InputError,
    InputWarning,
    ModelError,
    ModelIntegrityError,
    OutputError,
    ProfileValidationError,
    RulesChangedWarning,
    RulesError,
    UnknownFirmError,
)

BAND_NAMES = tuple(b[0] for b in BANDS)

#: Public names whose modules import scikit-learn (about a second): imported on first use, so
#: that scoring (and the CLI) starts without it.
_LAZY = {
    "ConstrainedLogisticRegression": "._classifier",
    "evaluate_model": "._modelcard",
    "metrics_table": "._modelcard",
    "train_model": "._modelcard",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'alignscore' has no attribute {name!r}")

__all__ = [
    "BANDS",
    "BAND_NAMES",
    "RESULT_COLUMNS",
    "AlignScoreError",
    "ConstrainedLogisticRegression",
    "FileSystemError",
    "FirmProfile",
    "InputError",
    "InputWarning",
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
