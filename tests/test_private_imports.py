"""Tests use the public API: ``alignscore`` (its ``__all__``), ``alignscore.exceptions``,
``alignscore.dask`` and the CLI. Only the modules listed in :data:`ALLOWED`, each a unit test
of a private module (or a helper that needs the contract's vocabulary), may import from the
underscored subpackages, and each says why.

A test file that starts reaching into ``alignscore._*`` fails here until it either uses the
public name or is added to the list with its reason; a listed file that no longer needs the
exemption fails too, so the list stays true.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent

#: Test modules allowed to import private modules, and why.
ALLOWED: dict[str, str] = {
    "test_kernels.py": "unit-tests the scoring kernel (_scoring.kernels) against the numba "
    "kernel's golden outputs, on engines built from scorecards (_scoring.engine, _model.scorecard)",
    "test_startup.py": "unit-tests the lazy public face's name table (alignscore._LAZY)",
    "test_explain_reads_once.py": "spies on the parser (_contract.read.parse_table) to prove a "
    "file is parsed once",
    "test_strict_policy.py": "reads the chunk size (_contract.read) to build a file whose bad "
    "cells fall in two batches",
    "test_rules_loader.py": "unit-tests the one rules loader (_rules.loader)",
    "test_suggest.py": "unit-tests the one did-you-mean (_core.suggest)",
    "strategies.py": "draws values from the contract's vocabulary (_contract.columns) and "
    "writes model folders (_model.persist), which the public API does not export",
    "test_browser.py": "checks the page against the report's sections and waterfall data "
    "(_report.render)",
    "test_columns_contract.py": "unit-tests the column contract (_contract.columns, "
    "_contract.cells)",
    "test_conditions.py": "unit-tests rule conditions (_rules.conditions, _rules.schema, "
    "_rules.ruleset) on parsed profiles (_contract.profiles)",
    "test_evidence.py": "unit-tests the seed evidence checks (_rules.evidence)",
    "test_explain_details.py": "unit-tests peer deciles (_scoring.explain) and the report's "
    "Markdown escaping and peer chart (_report.render)",
    "test_golden_reports.py": "names golden files as the report writer does (_report.write)",
    "test_hostile_reports.py": "unit-tests terminal/markup neutralising (_core.text), the index "
    "page (_report.render) and the manifest (_report.write)",
    "test_hostile_rules_models.py": "forges model folders file by file (_model.persist)",
    "test_hostile_rules_yaml.py": "unit-tests seed lookup on hostile seed folders "
    "(_rules.evidence)",
    "test_io_properties.py": "generates files from the contract's columns (_contract.columns)",
    "test_persist.py": "unit-tests model files (_model.persist, _model.card, "
    "_model.scorecard)",
    "test_properties.py": "property tests of the engine, scorecard, kernels and profile "
    "batches (_scoring, _model.scorecard, _contract.read, _rules.ruleset)",
    "test_read.py": "unit-tests reading in batches (_contract.read, _contract.validate, "
    "_contract.columns)",
    "test_render.py": "unit-tests rendering (_report.render), on a prior-only engine "
    "(_scoring.engine, _model.scorecard)",
    "test_reports.py": "unit-tests report writing (_report.write)",
    "test_rules_golden.py": "unit-tests rule states on parsed profiles (_rules.ruleset, "
    "_contract.profiles)",
    "test_rules_load.py": "unit-tests rules loading on parsed profiles and YAML depth "
    "(_contract.profiles, _core.safe_yaml)",
    "test_scorer.py": "builds a prior-only engine (_scoring.engine, _model.scorecard) and "
    "checks notebook display registration (alignscore._show_results_in_notebooks)",
    "test_tushare.py": "checks the Tushare mapping against the contract's vocabulary "
    "(_contract.columns)",
    "test_tushare_pro.py": "checks built profiles against the contract's sectors "
    "(_contract.columns)",
}


def private_references(source: str) -> set[str]:
    """The private names ``source`` reaches: ``import alignscore._x``, ``from alignscore._x
    import ...``, ``from alignscore import _x`` and ``alignscore._x`` as an attribute (dunder
    names such as ``__version__`` are public)."""
    found: set[str] = set()

    def private(name: str) -> bool:
        return name.startswith("_") and not name.endswith("__")

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("alignscore._")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("alignscore._"):
                found.add(node.module)
            elif node.module == "alignscore":
                found |= {f"alignscore.{a.name}" for a in node.names if private(a.name)}
        elif (
            isinstance(node, ast.Attribute)
            and private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id == "alignscore"
        ):
            found.add(f"alignscore.{node.attr}")
    return found


def _reaching_in() -> dict[str, set[str]]:
    found = {p.name: private_references(p.read_text(encoding="utf-8")) for p in TESTS.glob("*.py")}
    return {name: refs for name, refs in found.items() if refs}


def test_only_listed_test_modules_import_private_modules():
    unlisted = {name: sorted(refs) for name, refs in _reaching_in().items() if name not in ALLOWED}
    assert unlisted == {}, (
        "use the public API (alignscore.__all__, alignscore.exceptions, alignscore.dask, the CLI), "
        "or, for a unit test of a private module, add the file to ALLOWED with why"
    )


def test_every_listed_module_still_reaches_in():
    stale = sorted(set(ALLOWED) - set(_reaching_in()))
    assert stale == [], f"no longer imports a private module: remove from ALLOWED: {stale}"


def test_the_checker_sees_every_way_in():
    source = (
        "import alignscore._core.text\n"
        "from alignscore._rules import ruleset\n"
        "from alignscore import Scorer, _version, __version__\n"
        "import alignscore\n"
        "alignscore._show_results_in_notebooks()\n"
        "alignscore.__file__\n"
        "from alignscore.exceptions import InputError\n"
    )
    assert private_references(source) == {
        "alignscore._core.text",
        "alignscore._rules",
        "alignscore._version",
        "alignscore._show_results_in_notebooks",
    }
