"""Neutralising untrusted text for display: control and bidirectional-formatting characters.

A firm name is untrusted. A right-to-left override (U+202E) makes ``"evil\\u202etxt.exe"``
display as ``"evilexe.txt"``; an ANSI escape (``"\\x1b[2J"``) clears a terminal; a NUL byte or
a line separator breaks a line-based reader. HTML escaping does nothing about any of these.

- :func:`neutralise_markup`: for HTML and Markdown text; each such character becomes a visible
  ``[U+202E]``, so a reader sees that it was there and the text around it keeps its order.
- :func:`neutralise_json`: for JSON text; each becomes a ``\\u202e`` escape: the same data for
  a JSON reader, inert when the file is looked at as text.
- :func:`for_terminal`: for one value in a message; escaped as above and cut to ``limit``
  characters with a marker saying how long it was (a 10 MB cell is not echoed in full).

Tab, newline and carriage return are left alone in documents (templates are laid out with
them); :func:`for_terminal` escapes them too, since a value in a message is one line.
"""

from __future__ import annotations

import re

__all__ = ["UNSAFE", "for_terminal", "neutralise_json", "neutralise_markup"]

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE = "\u200b\u2028\u2029\u2060\ufeff"  # zero width space, line/paragraph separators, word joiner, BOM
#: Characters never shown as they are: C0 and C1 controls (bar tab and newlines), DEL,
#: bidirectional formatting characters, and invisible separators.
UNSAFE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}{_INVISIBLE}]")
_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_INVISIBLE}]")


def neutralise_markup(text: str) -> str:
    """``text`` (HTML or Markdown) with every :data:`UNSAFE` character made visible.

    >>> neutralise_markup("Acme\\u202eLtd")
    'Acme[U+202E]Ltd'
    """
    return UNSAFE.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def neutralise_json(text: str) -> str:
    """JSON ``text`` with every :data:`UNSAFE` character written as a ``\\uXXXX`` escape.

    Such characters can only stand inside JSON strings, where the escape means the same.

    >>> neutralise_json('{"name": "Acme\\u202eLtd"}')
    '{"name": "Acme\\\\u202eLtd"}'
    """
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def for_terminal(value: object, limit: int = 80) -> str:
    """One value, safe to print in a one-line message: escaped and cut to ``limit`` characters.

    >>> for_terminal("\\x1b[31mred")
    '\\\\x1b[31mred'
    >>> for_terminal("x" * 1000, limit=10)
    'xxxxxxxxxx… (1,000 characters)'
    """
    text = str(value)
    cut = text[:limit]
    shown = _UNSAFE_LINE.sub(_escape, cut)
    if len(text) > limit:
        shown += f"… ({len(text):,} characters)"
    return shown


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
