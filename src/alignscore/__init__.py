"""alignscore: score Chinese companies for policy alignment.

One scorecard of declarative rules (in ``rules/``, each citing the seed article it comes from)
whose weights a scikit-learn classifier learns within each rule's declared sign: one bounded
score with an 80% interval and an exact, evidence-linked explanation.

The public face is this module's ``__all__`` (and ``alignscore.dask``); everything under the
underscored subpackages is internal. They are layers, each importing only from those below it
(``tests/test_layers.py`` draws the import graph and fails on an upward arrow or a cycle)::

    cli.py, dask.py    the faces: a thin CLI and a Dask recipe, calling the public API
    _report/           rendering reports (pure) and writing them (atomic)
    _scoring/          Engine, Scorer, explanations, streaming a file of any size
    _model/            the learned scorecard: estimator, training, audit, files, card
    _rules/            rule files: schema, conditions, seeds, loading, linting
    _contract/         the input contract: columns, cells, headers, reading, Tushare
    _core/             vocabulary, safe reading/YAML, atomic writing, text, resources
    exceptions.py      the one error tree

Each subpackage's docstring maps its modules.

>>> import alignscore
>>> scorer = alignscore.Scorer(as_of="2024-01-01")
>>> scorer.explain_one({"name": "Known by name alone"}).score
50.0
>>> scorer.explain_one({"name": "Example", "sector": "online_gaming"}).band  # a sector alone is too little
'Not rated'
>>> result = scorer.explain_one({"name": "Example", "sector": "online_gaming", "listing_venue": "us"})
>>> result.band in alignscore.BAND_NAMES and result.score_low <= result.score <= result.score_high
True
"""

import sys as _sys
import typing as _typing

from ._contract.firm import FirmProfile
from ._contract.synthetic import synthetic_firms
from ._contract.tushare_pro import profiles_from_tushare
from ._contract.tushare_tables import fetch_tushare_tables
from ._contract.validate import ValidationReport, read_firms, validate_file
from ._core.spreadsheet import unescape_formula
from ._model.audit import AuditReport, audit_labelled, require_clean
from ._report.render import render
from ._report.write import write_reports, write_text
from ._rules.lint import check_rules, rules_table
from ._rules.ruleset import RuleSet
from ._scoring.result import BAND_NAMES, BANDS, NOT_RATED, ScoreResult
from ._scoring.scorer import RESULT_COLUMNS, Scorer
from ._scoring.stream import StreamSummary, score_file
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

if _typing.TYPE_CHECKING:  # the lazily imported names below, typed for mypy and editors
    from ._model.card import evaluate_model, metrics_table, train_model
    from ._model.classifier import ScorecardClassifier

#: Public names whose modules import scikit-learn (about a second): imported on first use, so
#: that scoring (and the CLI) starts without it.
_LAZY = {
    "ScorecardClassifier": "._model.classifier",
    "evaluate_model": "._model.card",
    "metrics_table": "._model.card",
    "train_model": "._model.card",
}


def _show_results_in_notebooks() -> None:
    """In Jupyter, show a :class:`ScoreResult` as its HTML card.

    IPython's HTML formatter is given the type by name, so the result (a scoring-layer data
    model) and its rendering (the report layer) need not know of each other.
    """
    ipython = _sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None:
        formatter = shell.display_formatter.formatters["text/html"]
        formatter.for_type_by_name("alignscore._scoring.result", "ScoreResult", _card)


def _card(result: ScoreResult) -> str:
    from ._report.render import render_card

    return render_card(result)


_show_results_in_notebooks()


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
