"""Every error alignscore raises, in one tree.

::

    AlignScoreError                 base class: catch this to catch everything below
    ├── InputError                  a file or frame of firms that cannot be read at all
    │   ├── ProfileValidationError  values that break the firm-profile contract (row, column, value)
    │   └── LeakageError            labelled data that fail the leakage audit (``data audit``)
    ├── RulesError                  a rules directory that is malformed or fails the lint
    ├── ModelError                  a model directory that cannot be used
    │   └── ModelIntegrityError     a model whose bytes do not match its manifest
    ├── UnknownFirmError            ``explain --firm NAME`` named no firm in the input
    ├── AmbiguousFirmError          ``explain --firm NAME`` named more than one firm
    ├── OutputError                 an output path that cannot be written
    └── FileSystemError             the operating system refused a read or write (exit code 1)

Each class carries the facts (file, row, column, value, rule id) as attributes and builds its
own message from them, so the CLI only has to print ``str(error)``.

One more is not an error but an interruption: :class:`ReportsInterrupted` is the
:class:`KeyboardInterrupt` of a ``report`` run, saying what it left in its folder.

Warnings live here too: :class:`RulesChangedWarning` is issued when a model is used with
rules other than the ones it was trained with; :class:`InputWarning` when input was read but
perhaps not as meant (a header matched after trimming, nothing in a file that can be scored).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "AlignScoreError",
    "AmbiguousFirmError",
    "FileSystemError",
    "InputError",
    "InputWarning",
    "LeakageError",
    "ModelError",
    "ModelIntegrityError",
    "OutputError",
    "Problem",
    "ProfileValidationError",
    "ReportsInterrupted",
    "RulesChangedWarning",
    "RulesError",
    "UnknownFirmError",
]


class AlignScoreError(Exception):
    """Base class of every error alignscore raises on purpose."""


class InputError(AlignScoreError):
    """A file (or frame) of firms that cannot be read at all.

    ``source`` names the file (or ``"<DataFrame>"``); ``problem`` says what is wrong.
    """

    def __init__(self, source: str | Path, problem: str) -> None:
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")


@dataclass(frozen=True)
class Problem:
    """One bad value: where it is, what it was, and what was expected.

    ``row`` counts as the user counts rows in the file: the header is row 1, so the first firm
    is row 2. For a DataFrame it is the row's index label.
    """

    row: int | str
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        from ._core.text import for_terminal  # a header's control characters escaped

        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        column = for_terminal(self.column, 60)  # repr() escapes the value's
        return f"row {self.row}, column '{column}': {shown!r} - expected {self.expected}"


class ProfileValidationError(InputError):
    """Values that break the firm-profile contract.

    ``problems`` holds the first problems found (at most ``shown``), ``total`` how many bad
    values there were in all.
    """

    def __init__(self, source: str | Path, problems: Sequence[Problem], total: int) -> None:
        self.problems = list(problems)
        self.total = total
        lines = [str(p) for p in self.problems]
        rest = total - len(self.problems)
        if rest > 0:
            lines.append(f"... and {rest} more problem{'s' if rest != 1 else ''}")
        noun = "value breaks" if total == 1 else "values break"
        super().__init__(source, f"{total} {noun} the firm-profile contract:\n  " + "\n  ".join(lines))


class LeakageError(InputError):
    """Labelled data that fail the leakage audit; ``problems`` holds one sentence per problem."""

    def __init__(self, source: str | Path, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        super().__init__(
            source,
            f"the labelled data fail the leakage audit ({n} problem{'s' if n != 1 else ''}); "
            "see `alignscore data audit`, or pass --allow-leaks to use them anyway:\n  "
            + "\n  ".join(self.problems),
        )


class RulesError(AlignScoreError):
    """A rules file that is malformed, refers to what does not exist, or fails the lint.

    Also the record of one problem where all are collected (``alignscore rules check``):
    ``file``, ``rule_id``, ``key``, ``problem`` and the ``suggestion`` (a name, unquoted).
    """

    def __init__(
        self,
        file: str | Path,
        problem: str,
        *,
        rule_id: str | None = None,
        suggestion: str | None = None,
        key: str | None = None,
    ) -> None:
        from ._core.suggest import phrase

        self.file = str(file)
        self.rule_id = rule_id
        self.key = key  # where in the file or rule, as a dotted path (``condition.op``), if known
        self.problem = problem
        self.suggestion = suggestion  # the name meant, as spelt in the choices (not quoted)
        where = self.file + (f", rule '{rule_id}'" if rule_id else "")
        hint = f" ({phrase([suggestion])})" if suggestion else ""
        super().__init__(f"{where}: {problem}{hint}")


class _PathProblem(AlignScoreError):
    """A ``problem`` with the file or directory at ``path``: the message is ``path: problem``."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ModelError(_PathProblem):
    """A model directory that cannot be used (missing files, wrong format version)."""


class ModelIntegrityError(ModelError):
    """A model whose artifact or manifest does not match; nothing was deserialised."""


class UnknownFirmError(AlignScoreError):
    """No firm of that name in the input; ``suggestions`` holds the closest names."""

    def __init__(self, name: str, source: str, suggestions: Sequence[str]) -> None:
        self.name = name
        self.source = source
        self.suggestions = list(suggestions)
        hint = ""
        if self.suggestions:
            hint = "; closest names: " + ", ".join(repr(s) for s in self.suggestions)
        super().__init__(f"{source}: no firm named {name!r}{hint}")


class AmbiguousFirmError(AlignScoreError):
    """More than one firm answers to that name; ``candidates`` holds ``(name, where)`` pairs
    (``where``: ``"row 3"`` in a file, ``"index 'x'"`` in a DataFrame)."""

    def __init__(self, name: str, source: str, candidates: Sequence[tuple[str, str]]) -> None:
        self.name = name
        self.source = source
        self.candidates = list(candidates)
        listed = ", ".join(f"{n!r} ({where})" for n, where in self.candidates)
        super().__init__(
            f"{source}: {name!r} names {len(self.candidates)} firms: {listed}; "
            "give the exact name of one (names that differ only in case are told apart exactly)"
        )


class OutputError(_PathProblem):
    """An output path that cannot be written (a directory, a missing parent, no permission)."""


class ReportsInterrupted(KeyboardInterrupt):
    """Ctrl-C while reports were written: ``written`` files are in ``directory``, each complete
    (no partial file is left), and listed in its manifest, which is marked ``interrupted``."""

    def __init__(
        self, directory: str | Path, written: int, manifest: str, index_missing: bool
    ) -> None:
        self.directory = str(directory)
        self.written = written
        self.manifest = manifest
        noun = "firm report" if written == 1 else "firm reports"
        missing = "; the index was not written" if index_missing else ""
        super().__init__(
            f"interrupted: {written:,} complete {noun} left in {self.directory} (listed in "
            f"{manifest}, marked 'interrupted'){missing}; no partial file was left"
        )


class FileSystemError(AlignScoreError):
    """The operating system refused to read or write ``path`` (permission denied, disk full,
    file too large): not bad input, so the command line exits with 1, not 2."""

    def __init__(self, path: str | Path, cause: str) -> None:
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")


class InputWarning(UserWarning):
    """Input that was read, but perhaps not as the user meant: a header matched only once
    trimmed and case-folded, or a file from which nothing could be scored."""


class RulesChangedWarning(UserWarning):
    """The model was trained with other rules than the ones now in use."""
