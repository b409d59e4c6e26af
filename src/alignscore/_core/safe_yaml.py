"""Load a YAML file safely and exactly: no aliases, no silent misreads, bounded everything.

Rules files are plain data. PyYAML's safe loader already refuses Python object tags; on top of
that this loader:

- reads only a regular file of at most :data:`MAX_BYTES` (a FIFO or a device would hang);
- refuses anchors and aliases (the "billion laughs" bomb needs them, and a rules file never
  does) and nesting deeper than :data:`MAX_DEPTH`, before anything is constructed;
- refuses what YAML would otherwise read silently wrong: a key given twice (YAML keeps the last
  value), merge keys (``<<``), numbers that are not finite (``.nan``, ``.inf``, ``1e309``),
  integers too large to be exact, dates that do not exist (``2024-02-30``), and control or
  bidirectional-override characters (a NUL byte, ``\\x1b``, U+202E), raw or escaped.

Every refusal is a :class:`RulesError` naming the file, the key (as a dotted path) and line,
and the rule (``id``) the key belongs to when there is one. Numbers written with an exponent
but no dot (``1e-3``) are read as numbers, as YAML 1.2 does, not as text.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from alignscore.exceptions import RulesError

from .safe_read import read_regular_text

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_EXACT_INT", "forbidden_character", "load_yaml"]

MAX_BYTES = 2 << 20
MAX_DEPTH = 40
#: Integers beyond this cannot all be held exactly as numbers.
MAX_EXACT_INT = 2**53

_FLOAT = "tag:yaml.org,2002:float"
_INT = "tag:yaml.org,2002:int"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"

#: Control characters other than tab and newlines, and the bidirectional formatting characters
#: that reorder how text is displayed ("Trojan Source").
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_SENTINEL = "\ue000"  # stands in for a forbidden raw character while parsing


def forbidden_character(text: str) -> re.Match[str] | None:
    """The first control or bidirectional-override character in ``text``, if any."""
    return _FORBIDDEN.search(text)


def _describe_char(ch: str) -> str:
    name = "a NUL byte" if ch == "\x00" else "a control character"
    if ch in "\u061c\u200e\u200f" or "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069":
        name = "a bidirectional-override character"
    return f"{name} (U+{ord(ch):04X})"


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


# YAML 1.2 reads 1e-3 and 1e309 as numbers; YAML 1.1 (PyYAML) as text, which pydantic would
# then turn into a number anyway, with no check that it is finite.
_StrictLoader.add_implicit_resolver(
    _FLOAT, re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789")
)


class _Checker:
    """Walks the composed node tree and refuses what would be read silently wrong."""

    def __init__(self, loader: _StrictLoader, path: Path, raw_forbidden: dict[int, str]) -> None:
        self.loader = loader
        self.path = path
        self.raw = raw_forbidden
        self.seen_raw: set[int] = set()

    def fail(self, node: yaml.Node, where: str, rule_id: str | None, problem: str) -> RulesError:
        line = node.start_mark.line + 1
        place = f"key '{where}' (line {line})" if where else f"line {line}"
        return RulesError(self.path, f"{place}: {problem}", rule_id=rule_id)

    def walk(self, node: yaml.Node, where: str, rule_id: str | None) -> None:
        if isinstance(node, yaml.MappingNode):
            self.mapping(node, where, rule_id)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.walk(item, f"{where}[{i}]", rule_id)
        elif isinstance(node, yaml.ScalarNode):
            self.scalar(node, where, rule_id)

    def mapping(self, node: yaml.MappingNode, where: str, rule_id: str | None) -> None:
        own_id = _scalar_id(node)
        if own_id is not None:  # keys inside a rule are named relative to the rule
            rule_id, where = own_id, ""
        seen: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            if key.tag == _MERGE:
                raise self.fail(key, where, rule_id, "merge keys (<<) are not allowed; write each key out")
            if isinstance(key, yaml.ScalarNode):
                self.scalar(key, where, rule_id)
                name = key.value
                ident = (key.tag, key.value)
                if ident in seen:
                    raise self.fail(
                        key, _join(where, name), rule_id,
                        f"duplicate key {name!r} (first given on line {seen[ident]}); "
                        "YAML would silently keep only the last value",
                    )  # fmt: skip
                seen[ident] = key.start_mark.line + 1
            else:
                name = "?"
                self.walk(key, where, rule_id)
            self.walk(value, _join(where, name), rule_id)

    def scalar(self, node: yaml.ScalarNode, where: str, rule_id: str | None) -> None:
        start, end = node.start_mark.index, node.end_mark.index
        for pos in [p for p in self.raw if start <= p < end]:
            self.seen_raw.add(pos)
            raise self.fail(node, where, rule_id, f"{_describe_char(self.raw[pos])} is not allowed")
        bad = forbidden_character(node.value)
        if bad:
            raise self.fail(
                node, where, rule_id, f"{_describe_char(bad.group())} is not allowed (escaped)"
            )
        if node.tag == _FLOAT:
            number = self.loader.construct_yaml_float(node)
            if not math.isfinite(number):
                raise self.fail(
                    node, where, rule_id,
                    f"{node.value!r} is not a finite number (NaN and infinity are not allowed)",
                )  # fmt: skip
        elif node.tag == _INT:
            try:
                number = self.loader.construct_yaml_int(node)
            except ValueError:
                number = MAX_EXACT_INT + 1
            if abs(number) > MAX_EXACT_INT:
                raise self.fail(
                    node, where, rule_id,
                    f"integer {node.value[:40]!r}{'...' if len(node.value) > 40 else ''} is too "
                    f"large (at most {MAX_EXACT_INT:,} in size)",
                )  # fmt: skip
        elif node.tag == _TIMESTAMP:
            try:
                self.loader.construct_yaml_timestamp(node)
            except (ValueError, OverflowError):
                raise self.fail(
                    node, where, rule_id, f"{node.value!r} is not a real date (expected YYYY-MM-DD)"
                ) from None


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _scalar_id(node: yaml.MappingNode) -> str | None:
    for key, value in node.value:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value == "id"
            and isinstance(value, yaml.ScalarNode)
            and not forbidden_character(value.value)
        ):
            return value.value
    return None


def _line_col(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"line {line}, column {pos - (text.rfind(chr(10), 0, pos) + 1) + 1}"


def load_yaml(path: Path) -> Any:
    """Parse ``path`` as YAML data, or raise :class:`RulesError` naming the file (and the key
    and rule where there is one)."""
    text = read_regular_text(path, MAX_BYTES, "rules files")
    raw = {m.start(): m.group() for m in _FORBIDDEN.finditer(text)}
    if raw:
        text = _FORBIDDEN.sub(_SENTINEL, text)
    loader = None
    try:
        loader = _StrictLoader(text)
        node = loader.get_single_node()
        checker = _Checker(loader, path, raw)
        if node is not None:
            checker.walk(node, "", None)
        for pos, ch in raw.items():  # in a comment or between tokens
            if pos not in checker.seen_raw:
                raise RulesError(path, f"{_line_col(text, pos)}: {_describe_char(ch)} is not allowed")
        return loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        for pos, ch in raw.items():  # the character is the likelier cause
            raise RulesError(path, f"{_line_col(text, pos)}: {_describe_char(ch)} is not allowed") from None
        problem = str(exc).replace("\n", " ")
        if "could not determine a constructor" in problem:
            problem = "tags that construct objects are not allowed: " + problem
        raise RulesError(path, f"not valid rules YAML: {problem}") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor's own check
        raise RulesError(path, f"not valid rules YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
