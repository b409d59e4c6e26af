"""Progress bars for the CLI (on standard error, only when it is a terminal)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

__all__ = ["count_progress", "row_progress"]


def _console(enabled: bool) -> Console | None:
    if not enabled or not sys.stderr.isatty():
        return None
    return Console(stderr=True)


def _estimate_rows(path: Path) -> int | None:
    """Rows in a CSV, estimated from its size and the length of its first lines."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return None
    lines = head.count(b"\n")
    if path.suffix.lower() in (".parquet", ".pq") or lines < 2:
        return None
    return max(1, int(size / (len(head) / lines)) - 1)


@contextlib.contextmanager
def row_progress(path: Path, *, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """Rows per second and time left while a file is scored."""
    console = _console(enabled)
    if console is None:
        yield None
        return
    columns = [
        TextColumn("scoring"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} rows/s"), TimeRemainingColumn(),
    ]  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("score", total=_estimate_rows(path), rate="-")

        def advance(rows: int) -> None:
            bar.advance(task, rows)
            speed = bar.tasks[0].speed
            bar.update(task, rate=f"{speed:,.0f}" if speed else "-")

        yield advance


@contextlib.contextmanager
def count_progress(total: int, what: str, *, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    console = _console(enabled)
    if console is None:
        yield None
        return
    with Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:  # fmt: skip
        task = bar.add_task(what, total=total)
        yield lambda n: bar.advance(task, n)
