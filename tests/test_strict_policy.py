"""One strict policy: a file with 3 bad cells is "3 values break the firm-profile contract" from
every strict reader, however the file is cut into batches (here the bad cells sit in two)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner  # noqa: TID251 - testing the CLI

from alignscore import ProfileValidationError, Scorer, read_firms, validate_file
from alignscore._contract.read import DEFAULT_CHUNK_ROWS, iter_profiles
from alignscore.cli import app

ROWS = DEFAULT_CHUNK_ROWS + 5_000  # two batches at least
#: (file row, column, bad text): the first in the first batch, two in a later one
BAD = [(2, "sector", "semiconductr"), (ROWS - 10, "ownership", "privte"), (ROWS, "little_giant", "maybe")]
EXPECTED_LINES = [
    "3 values break the firm-profile contract:",
    "  row 2, column 'sector': 'semiconductr' - expected one of the sector vocabulary; "
    "did you mean 'semiconductors'?",
    f"  row {ROWS - 10}, column 'ownership': 'privte' - expected one of the ownership vocabulary; "
    "did you mean 'private'?",
]


@pytest.fixture(scope="module")
def three_bad_cells(tmp_path_factory):
    frame = pd.DataFrame(
        {
            "name": [f"firm {i}" for i in range(ROWS - 1)],
            "sector": "semiconductors",
            "ownership": "private",
            "little_giant": "yes",
        }
    )
    for row, column, text in BAD:
        frame.loc[row - 2, column] = text
    path = tmp_path_factory.mktemp("strict") / "three_bad.csv"
    frame.to_csv(path, index=False)
    assert len(list(iter_profiles(path))) >= 2  # the premise: the bad cells are in two batches
    return path


def _message(path, text: str) -> str:
    """The message with the source named ``<source>``, for comparing between readers."""
    return text.replace(str(path), "<source>").replace("<DataFrame>", "<source>")


def _check(path, message: str) -> str:
    message = _message(path, message)
    assert message.startswith("<source>: " + EXPECTED_LINES[0]), message
    for line in EXPECTED_LINES[1:]:
        assert "\n" + line + "\n" in message + "\n", message
    return message


def test_every_reader_counts_and_words_the_same(three_bad_cells):
    path = three_bad_cells
    messages = {}

    report = validate_file(path)
    assert (report.total_problems, report.rejected_rows, report.valid_rows) == (3, 3, ROWS - 4)
    messages["validate_file"] = _check(path, str(report.error()))

    for name, call in {
        "read_firms": lambda: read_firms(path),
        "Scorer.explain": lambda: Scorer().explain(path, "firm 5"),
        "Scorer.iter_explain": lambda: list(Scorer().iter_explain(path)),
        # a frame's rows are named by its index: here, the file's row numbers
        "Scorer.score_frame": lambda: Scorer().score_frame(
            pd.read_csv(path, dtype=str).set_axis(range(2, ROWS + 1))
        ),
    }.items():
        with pytest.raises(ProfileValidationError) as info:
            call()
        assert info.value.total == 3, name
        messages[name] = _check(path, str(info.value))

    runner = CliRunner()
    for command in (
        ["validate", str(path)],
        ["score", str(path), "-o", str(path.with_name("out.csv")), "--quiet"],
        ["explain", str(path), "--firm", "firm 5"],
        ["report", str(path), "-o", str(path.with_name("reports"))],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        error = result.output[result.output.index("alignscore: ") + len("alignscore: ") :]
        messages[command[0]] = _check(path, error.strip())
    assert not path.with_name("out.csv").exists()
    assert len(set(messages.values())) == 1, messages
