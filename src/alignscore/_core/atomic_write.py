"""Writing files atomically: into a temporary file beside the target, then renamed into place.

An interrupted run leaves either the old file or the new one, never a partial one. An existing
target keeps its permission bits. A target that exists and is not a regular file (``/dev/null``,
``/dev/stdout``, a named pipe) is written directly: renaming over it would replace the device.

:func:`check_distinct` refuses, before anything is read, an output that is the same file as an
input or as another output (the same resolved path, or the same inode through a link), so a
command can never truncate the file it is reading, nor write two outputs into one file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

from alignscore.exceptions import FileSystemError, OutputError

__all__ = [
    "atomic_path", "atomic_write_bytes", "atomic_write_text", "check_distinct", "check_outside",
    "os_errors",
]  # fmt: skip

STDIO = "-"  # the command-line spelling of standard input / standard output


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    """The resolved path, and (device, inode) when the file exists."""
    resolved = str(path.expanduser().resolve(strict=False))
    try:
        st = path.stat()
    except OSError:
        return resolved, None
    return resolved, (st.st_dev, st.st_ino)


def check_distinct(inputs: Mapping[str, str | Path | None], outputs: Mapping[str, str | Path | None]) -> None:
    """Refuse an output that is an input, or that is the same file as another output.

    ``inputs`` and ``outputs`` map a role (``"input"``, ``"-o"``, ``"--rejects"``) to a path;
    ``None``, ``"-"`` (standard input/output) and non-path values (a DataFrame) are skipped, and
    so are outputs that are not regular files (``/dev/null``). Raises :class:`OutputError`.
    """
    seen: list[tuple[str, Path, str, tuple[int, int] | None]] = []
    folders: list[tuple[str, Path, str]] = []  # directory inputs (rules, a model): files inside are inputs
    for role, value in inputs.items():
        if isinstance(value, (str, Path)) and str(value) != STDIO:
            seen.append((role, Path(value), *_identity(Path(value))))
            if Path(value).is_dir():
                folders.append((role, Path(value), _identity(Path(value))[0]))
    for role, value in outputs.items():
        if not isinstance(value, (str, Path)) or str(value) == STDIO:
            continue
        path = Path(value)
        with contextlib.suppress(OSError):
            if path.exists() and not path.is_file() and not path.is_dir():
                continue  # a device or a pipe: never truncated by an atomic rename
        resolved, inode = _identity(path)
        for folder_role, folder, folder_resolved in folders:
            if Path(resolved).is_relative_to(folder_resolved):
                raise OutputError(
                    path, f"{role} is inside {folder_role} ({folder}); refusing to write there: choose another output name"
                )
        for other_role, other, other_resolved, other_inode in seen:
            if resolved == other_resolved or (inode is not None and inode == other_inode):
                raise OutputError(
                    path,
                    f"{role} is the same file as {other_role} ({other}); "
                    "refusing to overwrite it: choose another output name",
                )
        seen.append((role, path, resolved, inode))


def check_outside(source: str | Path | None, directory: str | Path, suffix: str) -> None:
    """Refuse a report directory into which a ``*<suffix>`` report could overwrite ``source``
    (the input lies in ``directory`` with a report's extension), or that is ``source`` itself."""
    if not isinstance(source, (str, Path)) or str(source) == STDIO:
        return
    src, folder = Path(source), Path(directory)
    check_distinct({"the input": src}, {"the report directory": folder})
    inside = _identity(src.parent)[0] == _identity(folder)[0]
    if inside and src.suffix.lower() == suffix.lower():
        raise OutputError(
            folder,
            f"holds the input {src.name}, which a {suffix} report could overwrite; "
            "choose another report directory",
        )


@contextlib.contextmanager
def os_errors(path: str | Path) -> Iterator[None]:
    """Turn an operating-system error met while reading or writing ``path`` into a
    :class:`FileSystemError` naming the path and the cause (permission denied, disk full)."""
    try:
        yield
    except FileSystemError:
        raise
    except OSError as exc:
        raise FileSystemError(getattr(exc, "filename", None) or path, _cause(exc)) from None


def _cause(exc: OSError) -> str:
    if exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    text = str(exc).strip() or type(exc).__name__
    # pyarrow spells errno failures as "... error: [Errno 28] No space left on device"
    if "] " in text:
        text = text.rsplit("] ", 1)[1]
    return text[0].lower() + text[1:] if text else text


_HELD = {getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Delay SIGINT, SIGTERM and SIGHUP (delivered on exit) where POSIX allows it."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    On any exception (Ctrl-C included) the temporary file is removed and ``target`` is left
    as it was. An operating-system error becomes a :class:`FileSystemError`.
    """
    target = Path(target)
    if target.is_dir():
        raise OutputError(target, "is a directory, expected a file name")
    with contextlib.suppress(OSError):
        if target.exists() and not target.is_file():  # a device or a pipe: write in place
            with os_errors(target):
                yield target
            return
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(target, f"the folder {parent} does not exist")
    tmp: Path | None = None
    try:
        with os_errors(target), _signals_held():
            # The name is known before the file exists, so an interrupt at any point (also one
            # a worker thread receives, which the mask above cannot hold) finds it to remove.
            for _ in range(100):
                tmp = parent / f".{target.name}.{secrets.token_hex(4)}.partial"
                try:
                    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                except FileExistsError:
                    continue
                os.close(fd)
                break
            else:  # pragma: no cover - 100 random names all taken
                raise FileExistsError(f"no free temporary name beside {target}")
        with os_errors(target):
            try:
                mode = stat.S_IMODE(target.stat().st_mode)  # an existing output keeps its mode
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(tmp, mode)
            yield tmp
            with tmp.open("rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_path(target) as tmp, os_errors(target):
        tmp.write_bytes(data)


def atomic_write_text(target: str | Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))
