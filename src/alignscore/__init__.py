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

import importlib as _importlib
import sys as _sys
import typing as _typing

from ._version import __version__

if _typing.TYPE_CHECKING:  # the real types, for type checkers; at run time each is imported on first use
    from ._contract.firm import FirmProfile
    from ._contract.synthetic import synthetic_firms
    from ._contract.tushare_pro import profiles_from_tushare
    from ._contract.tushare_tables import fetch_tushare_tables
    from ._contract.validate import ValidationReport, read_firms, validate_file
    from ._core.spreadsheet import unescape_formula
    from ._core.vocabulary import BAND_NAMES, BANDS, NOT_RATED
    from ._model.audit import AuditReport, audit_labelled, require_clean
    from ._model.card import evaluate_model, metrics_table, train_model
    from ._model.classifier import ScorecardClassifier
    from ._report.render import render
    from ._report.write import write_reports, write_text
    from ._rules.lint import check_rules, rules_table
    from ._rules.ruleset import RuleSet
    from ._scoring.result import ScoreResult
    from ._scoring.scorer import RESULT_COLUMNS, Scorer
    from ._scoring.stream import StreamSummary, score_file
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

#: Where each public name lives. Nothing is imported until it is first used, so that
#: ``import alignscore`` (and ``alignscore --help``) costs milliseconds, not the second that
#: pandas, pyarrow, pydantic and scikit-learn take between them.
_LAZY = {
    "FirmProfile": "._contract.firm",
    "synthetic_firms": "._contract.synthetic",
    "profiles_from_tushare": "._contract.tushare_pro",
    "fetch_tushare_tables": "._contract.tushare_tables",
    "ValidationReport": "._contract.validate",
    "read_firms": "._contract.validate",
    "validate_file": "._contract.validate",
    "unescape_formula": "._core.spreadsheet",
    "AuditReport": "._model.audit",
    "audit_labelled": "._model.audit",
    "require_clean": "._model.audit",
    "evaluate_model": "._model.card",
    "metrics_table": "._model.card",
    "train_model": "._model.card",
    "ScorecardClassifier": "._model.classifier",
    "render": "._report.render",
    "write_reports": "._report.write",
    "write_text": "._report.write",
    "check_rules": "._rules.lint",
    "rules_table": "._rules.lint",
    "RuleSet": "._rules.ruleset",
    "BAND_NAMES": "._core.vocabulary",
    "BANDS": "._core.vocabulary",
    "NOT_RATED": "._core.vocabulary",
    "ScoreResult": "._scoring.result",
    "RESULT_COLUMNS": "._scoring.scorer",
    "Scorer": "._scoring.scorer",
    "StreamSummary": "._scoring.stream",
    "score_file": "._scoring.stream",
    **dict.fromkeys(
        (
            "AlignScoreError", "AmbiguousFirmError", "FileSystemError", "InputError", "InputWarning",
            "LeakageError", "ModelError", "ModelIntegrityError", "OutputError",
            "ProfileValidationError", "RulesChangedWarning", "RulesError", "UnknownFirmError",
        ),
        ".exceptions",
    ),
}  # fmt: skip


def __getattr__(name: str) -> object:
    """PEP 562: import a public name's module on first use, and keep the name."""
    if name == "exceptions":  # the error tree's module, as ``alignscore.exceptions``
        return _importlib.import_module(".exceptions", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'alignscore' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _show_results_in_notebooks() -> None:
    """In Jupyter, show a :class:`ScoreResult` as its HTML card.

    IPython's HTML formatter is given the type by name, so the result (a scoring-layer data
    model) and its rendering (the report layer) need not know of each other, and nothing is
    imported until a result is shown.
    """
    ipython = _sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None:
        formatter = shell.display_formatter.formatters["text/html"]
        formatter.for_type_by_name("alignscore._scoring.result", "ScoreResult", _card)


def _card(result: "ScoreResult") -> str:
    from ._report.render import render_card

    return render_card(result)


_show_results_in_notebooks()

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
