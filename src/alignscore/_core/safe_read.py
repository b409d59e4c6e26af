"""Reading a small data file (a rules file, a seed article) without hanging or reading forever.

A FIFO or a device (``/dev/zero``, ``/dev/urandom``) named like a rules file would block the
reader or never reach its end; a directory named ``x.yaml`` or a symlink loop would give a raw
OS error. :func:`read_regular` opens without blocking, refuses anything that is not a regular
file, and reads at most ``cap`` bytes, raising :class:`RulesError` naming the file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from alignscore.exceptions import RulesError

__all__ = ["read_regular", "read_regular_text"]


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular(path: Path, cap: int, what: str) -> bytes:
    """The bytes of regular file ``path`` (symlinks followed), at most ``cap`` of them.

    ``what`` names the kind of file in messages ("rules files", "seed articles").
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RulesError(path, "is a symbolic link loop, not a file") from None
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise RulesError(path, "is a symbolic link to a file that does not exist") from None
        raise RulesError(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RulesError(
                path, f"is {_kind(info.st_mode)}, not a regular file; {what} must be regular files"
            )
        if info.st_size > cap:
            raise RulesError(path, f"file is {info.st_size:,} bytes; {what} are at most {cap:,}")
        chunks: list[bytes] = []
        size = 0
        while True:  # the size can change under us: never read more than the cap
            chunk = os.read(fd, min(1 << 20, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                raise RulesError(path, f"file is over {cap:,} bytes; {what} are at most {cap:,}")
        return b"".join(chunks)
    except OSError as exc:
        raise RulesError(path, f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def read_regular_text(path: Path, cap: int, what: str) -> str:
    """:func:`read_regular`, decoded as UTF-8 (a leading byte-order mark is dropped)."""
    data = read_regular(path, cap, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RulesError(
            path, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}); save it as UTF-8"
        ) from None
