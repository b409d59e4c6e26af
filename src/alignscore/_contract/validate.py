"""Reading and checking files of firms: :func:`read_firms` and :func:`validate_file`; and the
strict policy every strict reader follows (:class:`ContractProblems`, :func:`strict`).

The strict policy, in one place: a value that breaks the contract anywhere in the input fails
the whole input, and the error counts *every* bad value of the input, whichever batch it is in,
listing the first :data:`MAX_SHOWN`. So a file with 3 bad cells is "3 values break the
firm-profile contract" from ``validate``, ``score``, ``explain``, ``report``,
:meth:`~alignscore.Scorer.score_frame`, :func:`read_firms` and training alike, however the
file is cut into batches.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from alignscore.exceptions import InputError, InputWarning, Problem, ProfileValidationError

from .columns import COLUMNS, Kind
from .header import ExtraColumns
from .profiles import Profiles
from .read import DEFAULT_CHUNK_ROWS, Adapter, iter_profiles, source_name
from .tushare_basic import from_tushare

__all__ = [
    "ContractProblems",
    "ValidationReport",
    "adapter_for",
    "read_firms",
    "read_profiles",
    "strict",
    "validate_file",
]

SourceFormat = Literal["profile", "tushare"]
MAX_SHOWN = 20


def adapter_for(source_format: str) -> Adapter | None:
    """The input adapter for ``--source``: ``profile`` (none) or ``tushare``."""
    if source_format == "profile":
        return None
    if source_format == "tushare":
        return from_tushare
    raise InputError("--source", f"unknown source format {source_format!r} (profile or tushare)")


class ContractProblems:
    """The bad values of one input, counted over all its batches (see the module docstring).

    :meth:`add` each batch as it is read; :meth:`error` is the one wording of the result.
    """

    def __init__(self, source: str = "") -> None:
        self.source = source
        self.total = 0  # bad values (and structurally broken rows) in every batch added
        self.shown: list[Problem] = []  # the first MAX_SHOWN of them, in input order

    def add(self, batch: Profiles) -> bool:
        """Count ``batch``'s problems; whether it had none."""
        self.source = self.source or batch.source
        count = batch.problem_count()
        if count:
            self.total += count
            if len(self.shown) < MAX_SHOWN:
                self.shown += batch.problems(MAX_SHOWN - len(self.shown))
        return count == 0

    @property
    def failed(self) -> bool:
        return self.total > 0

    def error(self) -> ProfileValidationError | None:
        """The error the strict policy raises, or ``None`` when nothing was bad."""
        return ProfileValidationError(self.source, self.shown, self.total) if self.total else None

    def raise_if_failed(self) -> None:
        error = self.error()
        if error is not None:
            raise error


def strict(batches: Iterable[Profiles]) -> Iterator[Profiles]:
    """The batches, while every one is clean. At the first bad batch nothing more is yielded:
    the rest are read only to count their problems, then :class:`ProfileValidationError`."""
    problems = ContractProblems()
    for batch in batches:
        if problems.add(batch) and not problems.failed:
            yield batch
    problems.raise_if_failed()


class ValidationReport(BaseModel):
    """What ``alignscore validate`` reports about a file."""

    model_config = ConfigDict(extra="forbid")
    source: str
    rows: int
    valid_rows: int
    rejected_rows: int
    columns_recognised: list[str]
    columns_carried: list[str]
    unknown_per_column: dict[str, int]
    total_problems: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.total_problems == 0

    def error(self) -> ProfileValidationError | None:
        """The file's problems worded as the strict readers word them (``None`` if it is ok)."""
        if self.ok:
            return None
        return ProfileValidationError(self.source, self.problems, self.total_problems)


def _unknown_count(col_kind: Kind, values: np.ndarray | pa.Array) -> int:
    if isinstance(values, pa.Array):
        return int(values.null_count)
    if col_kind is Kind.CATEGORY:
        return int((values < 0).sum())
    if col_kind is Kind.DATE:
        return int(np.isnat(values).sum())
    return int(np.isnan(values).sum())


def validate_file(
    source: str | Path | pd.DataFrame,
    *,
    encoding: str = "utf-8",
    source_format: SourceFormat = "profile",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    extra_columns: ExtraColumns = "error",
) -> ValidationReport:
    """Check every row of ``source`` against the contract, without scoring.

    Unknown counts are over the valid rows (a rejected cell is not "unknown"). Issues an
    :class:`~alignscore.exceptions.InputWarning` when no column the rules read is present.
    """
    rows = valid = 0
    recognised: list[str] = []
    carried: list[str] = []
    unknown: dict[str, int] = {}
    problems = ContractProblems(source_name(source))
    for batch in iter_profiles(
        source, encoding=encoding, adapter=adapter_for(source_format), chunk_rows=chunk_rows,
        extra_columns=extra_columns,
    ):  # fmt: skip
        if not recognised and not carried:
            recognised = list(batch.present)
            carried = list(batch.extras)
            unknown = dict.fromkeys(recognised, 0)
        rows += len(batch) + len(batch.structural)
        good = batch.take(~batch.bad)
        valid += len(good)
        for col in COLUMNS:
            if col.name in unknown:
                unknown[col.name] += _unknown_count(col.kind, good.values[col.name])
        problems.add(batch)
    warn_if_nothing_to_score(source_name(source), recognised, rows)
    return ValidationReport(
        source=source_name(source), rows=rows, valid_rows=valid, rejected_rows=rows - valid,
        columns_recognised=recognised, columns_carried=carried, unknown_per_column=unknown,
        total_problems=problems.total, problems=problems.shown,
    )  # fmt: skip


def read_firms(
    source: str | Path | pd.DataFrame,
    *,
    encoding: str = "utf-8",
    source_format: SourceFormat = "profile",
    extra_columns: ExtraColumns = "error",
) -> pd.DataFrame:
    """Read and validate firms into a typed DataFrame (unknown is ``<NA>``).

    Raises :class:`~alignscore.exceptions.ProfileValidationError` listing the first problems
    if any value breaks the contract; nothing is dropped silently.

    >>> import pandas as pd
    >>> df = read_firms(pd.DataFrame({"name": ["SMIC"], "overseas_revenue_share": ["35%"]}))
    >>> float(df.loc[0, "overseas_revenue_share"])
    0.35
    """
    batches = read_profiles(source, encoding=encoding, source_format=source_format, extra_columns=extra_columns)
    frames = [batch.to_frame() for batch in batches]
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if isinstance(source, pd.DataFrame):
        out.index = source.index
    return out


def read_profiles(
    source: str | Path | pd.DataFrame,
    *,
    encoding: str = "utf-8",
    source_format: SourceFormat = "profile",
    extra_columns: ExtraColumns = "error",
) -> list[Profiles]:
    """Read and parse every firm of ``source`` once, strictly (as :func:`read_firms`, which
    builds its frame from these): the parsed batches, which the Scorer explains as they are,
    with each row's number as the user counts it in the file."""
    batches = iter_profiles(
        source, encoding=encoding, adapter=adapter_for(source_format), extra_columns=extra_columns
    )
    return list(strict(batches))


#: Contract columns that identify a firm or a row but give the rules nothing to go on.
_NOT_EVIDENCE = frozenset({"name", "ticker", "as_of", "favoured", "label_evidence"})


def warn_if_nothing_to_score(source: str, present: list[str] | tuple[str, ...], rows: int) -> None:
    """Warn when a file holds no contract column the rules read: every firm would score at the
    neutral baseline with coverage 0, which is almost never what was meant."""
    if rows and not set(present) - _NOT_EVIDENCE:
        warnings.warn(
            InputWarning(
                f"{source}: no column the rules read (only {', '.join(present) or 'none'}): "
                f"every one of the {rows:,} firm(s) has coverage 0 and scores at the neutral "
                "baseline; see docs/firm-profile.md for the columns"
            ),
            stacklevel=3,
        )


def raise_on_problems(batch: Profiles) -> None:
    """The strict policy for an input read as one batch (training data)."""
    for _ in strict([batch]):
        pass
