"""alignscore: score Chinese companies for policy alignment.

One scorecard of declarative rules (in ``rules/``, each citing the seed article it comes from)
whose weights a scikit-learn classifier learns within each rule's declared sign: one bounded
score with an 80% interval and an exact, evidence-linked explanation.

>>> import alignscore
>>> scorer = alignscore.Scorer(as_of="2024-01-01")
>>> scorer.score({"name": "Known by name alone"}).score
50.0
>>> scorer.score({"name": "Example", "sector": "online_gaming"}).band  # a sector alone is too little
'Not rated'
>>> result = scorer.score({"name": "Example", "sector": "online_gaming", "listing_venue": "us"})
>>> result.band in alignscore.BAND_NAMES and result.score_low <= result.score <= result.score_high
True
"""

from ._audit import AuditReport, audit_labelled, require_clean
from ._lint import check_rules, rules_table
from ._profile import FirmProfile
from ._render import render
from ._reports import write_reports, write_text
from ._result import BAND_NAMES, BANDS, NOT_RATED, ScoreResult
from ._rules import RuleSet
from ._scorer import RESULT_COLUMNS, Scorer
from ._stream import StreamSummary, score_file, unescape_formula
from ._synthetic import synthetic_firms
from ._tushare_pro import profiles_from_tushare
from ._tushare_tables import fetch_tushare_tables
from ._validate import ValidationReport, read_firms, validate_file
from ._version import __version__
from .exceptions import (
    AlignScoreError,
    AmbiguousFirmError,
    FileSystemError,
    InputError,
    InputWarning,
    LeakageError,
    ModelError,
    ModelIntegrityError,
    OutputError,
    ProfileValidationError,
    RulesChangedWarning,
    RulesError,
    UnknownFirmError,
)

#: Public names whose modules import scikit-learn (about a second): imported on first use, so
#: that scoring (and the CLI) starts without it.
_LAZY = {
    "ScorecardClassifier": "._classifier",
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
    "NOT_RATED",
    "RESULT_COLUMNS",
    "AlignScoreError",
    "AmbiguousFirmError",
    "AuditReport",
    "FileSystemError",
    "FirmProfile",
    "InputError",
    "InputWarning",
    "LeakageError",
    "ModelError",
    "ModelIntegrityError",
    "OutputError",
    "ProfileValidationError",
    "RuleSet",
    "RulesChangedWarning",
    "RulesError",
    "ScoreResult",
    "ScorecardClassifier",
    "Scorer",
    "StreamSummary",
    "UnknownFirmError",
    "ValidationReport",
    "__version__",
    "audit_labelled",
    "check_rules",
    "evaluate_model",
    "fetch_tushare_tables",
    "metrics_table",
    "profiles_from_tushare",
    "read_firms",
    "render",
    "require_clean",
    "rules_table",
    "score_file",
    "synthetic_firms",
    "train_model",
    "unescape_formula",
    "validate_file",
    "write_reports",
    "write_text",
]
