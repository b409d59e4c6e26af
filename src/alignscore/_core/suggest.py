"""One "did you mean" for every message that names something unknown.

A misspelt rules key, operator, column, vocabulary value, seed name, sector, Tushare table or
firm name gets its suggestion here, by one policy, so that the same typo is answered the same
way wherever it is made:

- **compared as the lookups compare**: case, spaces, ``-`` and ``_`` do not count (the rule of
  category values, :func:`alignscore._contract.cells.category_key`), so ``"Zhejang"`` and
  ``"ZHEJANG"`` are equally close to ``"Zhejiang"`` and ``"ecommerce platform"`` is close to
  ``"e_commerce"``; a suggestion is shown as the choice is spelt;
- **closeness** is :class:`difflib.SequenceMatcher`'s ratio (twice the matched characters over
  both lengths), and a choice is suggested only at :data:`CUTOFF` = 0.65 or above: one wrong
  letter in a word of three or more (``sectr``, ``weigth``, ``privte``, ``nme``) passes, while a
  word sharing only some letters with every choice gets no suggestion rather than a misleading
  one (the city ``"shenzhen"`` is 0.62 from the province ``"Henan"``; ``"software"`` 0.5 from
  ``"hardware"``);
- **a clear winner alone**: besides the closest choice, others (up to ``n``) are offered only
  when they are nearly as close (within :data:`NEAR` = 0.1), so that ``"Zhejang"`` gets
  ``'Zhejiang'`` and not also ``'Henan'``; several are offered when the word is truly ambiguous.

A caller that needs another cutoff passes it and says why beside the call (the header match,
where a suggestion turns a column into an error, is the one today).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

__all__ = ["CUTOFF", "NEAR", "best", "closest", "did_you_mean", "phrase"]

#: How similar (difflib ratio from 0 to 1, compared by :func:`_key`) a choice must be to be suggested.
CUTOFF = 0.65
#: How much less similar than the closest choice another may be and still be offered.
NEAR = 0.1


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(text).lower())


def closest(word: str, choices: Iterable[str], *, n: int = 1, cutoff: float = CUTOFF) -> list[str]:
    """The (at most ``n``) choices closest to ``word``, best first, spelt as in ``choices``.

    >>> closest("Zhejang", ["Beijing", "Zhejiang", "Jiangsu"])
    ['Zhejiang']
    >>> closest("xyz", ["sector", "ownership"])
    []
    """
    target = _key(word)
    if not target:
        return []
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(target)
    scored: list[tuple[float, str]] = []
    seen: set[str] = set()
    for choice in choices:
        key = _key(choice)
        if key in seen:  # the first spelling of a key wins
            continue
        seen.add(key)
        matcher.set_seq1(key)
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
            ratio = matcher.ratio()
            if ratio >= cutoff:
                scored.append((ratio, str(choice)))
    scored.sort(key=lambda item: -item[0])  # stable: ties keep the choices' order
    return [choice for ratio, choice in scored[:n] if ratio >= scored[0][0] - NEAR]


def best(word: str, choices: Iterable[str], *, cutoff: float = CUTOFF) -> str | None:
    """The one choice closest to ``word``, or ``None`` when none is close enough.

    >>> best("sectr", ["name", "sector", "ownership"])
    'sector'
    """
    hits = closest(word, choices, n=1, cutoff=cutoff)
    return hits[0] if hits else None


def phrase(matches: Sequence[str]) -> str:
    """``"did you mean 'a'?"``, ``"did you mean 'a' or 'b'?"``, ...; ``""`` for no match.

    >>> phrase(["semiconductors", "semiconductor_equipment"])
    "did you mean 'semiconductors' or 'semiconductor_equipment'?"
    """
    if not matches:
        return ""
    quoted = [repr(m) for m in matches]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"did you mean {listed}?"


def did_you_mean(word: str, choices: Iterable[str], *, n: int = 1, cutoff: float = CUTOFF) -> str:
    """:func:`phrase` of :func:`closest`: the words to append to a message, or ``""``.

    >>> did_you_mean("weigth", ["id", "weight", "severity"])
    "did you mean 'weight'?"
    """
    return phrase(closest(word, choices, n=n, cutoff=cutoff))
