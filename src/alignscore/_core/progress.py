"""Progress bars for the CLI (on standard error, only when it is a terminal).

Rich is imported only when a bar is shown: a command whose standard error is a pipe or a file
(a script, a test, a benchmark) never pays for it."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["count_progress", "row_progress", "step_progress"]


def _console(enabled: bool) -> Console | None:
    if not enabled or not sys.stderr.isatty():
        return None
    from rich.console import Console

    return Console(stderr=True)


@contextlib.contextmanager
def row_progress(path: Path, *, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """Rows so far and rows per second while a file is scored: a spinner, not a bar, since
    the number of rows is not known until the file is read (an estimate from the file size
    would end short of, or past, the true total)."""
    console = _console(enabled)
    if console is None:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = [
        SpinnerColumn(), TextColumn("scoring"), TextColumn("{task.completed:,.0f} rows"),
        TextColumn("{task.fields[rate]} rows/s"), TimeElapsedColumn(),
    ]  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("score", total=None, rate="-")

        def advance(rows: int) -> None:
            bar.advance(task, rows)
            speed = bar.tasks[0].speed
            bar.update(task, rate=f"{speed:,.0f}" if speed else "-")

        yield advance
        done = bar.tasks[0].completed
        bar.update(task, total=done, completed=done)  # ends at the true total


@contextlib.contextmanager
def step_progress(what: str, *, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A bar for work counted in steps whose total the work itself reports: the callback takes
    ``(done, total)`` (training's and evaluation's cross-validation folds)."""
    console = _console(enabled)
    if console is None:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:  # fmt: skip
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@contextlib.contextmanager
def count_progress(total: int, what: str, *, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A bar over ``total`` items; the callback takes how many more are done."""
    with step_progress(what, enabled=enabled) as step:
        if step is None:
            yield None
            return
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            step(done, total)

        step(0, total)
        yield advance
