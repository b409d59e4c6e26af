"""The public face is pinned: adding or removing a public name is a deliberate change."""

import alignscore


def test_all_is_pinned():
    assert sorted(alignscore.__all__) == sorted([
        "BANDS", "BAND_NAMES", "RESULT_COLUMNS", "AlignScoreError", "AmbiguousFirmError", "AuditReport",
        "FileSystemError", "FirmProfile", "InputWarning", "NOT_RATED", "ScorecardClassifier", "InputError", "LeakageError", "ModelError", "ModelIntegrityError", "OutputError",
        "ProfileValidationError", "RuleSet", "RulesChangedWarning", "RulesError", "ScoreResult",
        "Scorer", "StreamSummary", "UnknownFirmError", "ValidationReport", "__version__",
        "audit_labelled", "check_rules", "evaluate_model", "fetch_tushare_tables", "metrics_table",
        "profiles_from_tushare", "read_firms", "render", "require_clean", "rules_table",
        "score_file", "synthetic_firms", "train_model", "unescape_formula", "validate_file",
        "write_reports", "write_text",
    ])  # fmt: skip


def test_every_exported_name_exists_and_private_modules_stay_private():
    for name in alignscore.__all__:
        assert hasattr(alignscore, name), name
    public_modules = {n for n in dir(alignscore) if not n.startswith("_") and n not in alignscore.__all__}
    assert public_modules <= {"exceptions", "cli", "dask"}, public_modules


def test_bands_have_documented_cutoffs():
    assert alignscore.BANDS == (
        ("Strong headwind", 0.0, 20.0), ("Headwind", 20.0, 40.0), ("Neutral", 40.0, 60.0),
        ("Tailwind", 60.0, 80.0), ("Strong tailwind", 80.0, 100.0),
    )  # fmt: skip
    assert alignscore.NOT_RATED == "Not rated"
    assert alignscore.NOT_RATED not in alignscore.BAND_NAMES
