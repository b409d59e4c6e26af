"""Load a YAML file safely: safe constructors only, no aliases, bounded size and depth.

Rules files are plain data. PyYAML's safe loader already refuses Python object tags; on top of
that this loader refuses anchors and aliases (the "billion laughs" bomb needs them, and a rules
file never does) and nesting deeper than :data:`MAX_DEPTH`, before anything is constructed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .exceptions import RulesError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "load_yaml"]

MAX_BYTES = 2 << 20
MAX_DEPTH = 40


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses aliases and deep nesting while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(
                f"aliases (*{event.anchor}) are not allowed in rules files "
                f"(line {event.start_mark.line + 1})"
            )
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise yaml.YAMLError(
                f"anchors (&{event.anchor}) are not allowed in rules files "
                f"(line {event.start_mark.line + 1})"
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.YAMLError(
                    f"nesting deeper than {MAX_DEPTH} levels (line {event.start_mark.line + 1})"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(path: Path) -> Any:
    """Parse ``path`` as YAML data, or raise :class:`RulesError` naming the file."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise RulesError(path, f"file is {size:,} bytes; rules files are at most {MAX_BYTES:,}")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RulesError(path, "is not UTF-8 text") from None
    except OSError as exc:
        raise RulesError(path, f"cannot be read ({exc.strerror})") from None
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        problem = str(exc).replace("\n", " ")
        if "could not determine a constructor" in problem:
            problem = "tags that construct objects are not allowed: " + problem
        raise RulesError(path, f"not valid rules YAML: {problem}") from None
    finally:
        loader.dispose()
