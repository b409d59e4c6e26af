"""The leakage audit of labelled data: :func:`audit_labelled` and :func:`require_clean`.

Labelled firms can teach a model how a file was typed rather than the policy: a field filled
when it supported the label and left blank otherwise becomes a perfect, and false, predictor.
The audit reads the file through the contract's own parser (so ``yes``, ``1`` and ``true`` are
one value and ``35%`` is 0.35, exactly as the scorer reads them), looks only at the contract's
profile columns, and compares how each column is filled among favoured and disfavoured firms.

The rules (the thresholds are module constants, named below):

1. **Blank-share gap** (the issue's rule). For each audited column, the share of blank cells
   among favoured firms and among disfavoured firms; a gap of more than ``MAX_GAP_POINTS`` = 25
   percentage points fails. The same diligence for both labels cannot leave one label's firms
   a quarter more often unknown.
2. **Lopsided blanks.** A gap of more than ``LOPSIDED_GAP_POINTS`` = 15 points where one class
   is at least ``LOPSIDED_RATIO`` = 4 times as often blank as the other (the other may be 0%)
   fails too. There, blankness itself predicts the label: in the first version of the data,
   ``ownership`` was blank for 28.7% of favoured and 5.2% of disfavoured firms (23.5 points,
   5.5 times), so nine in ten firms with an unknown owner were favoured. A difference driven by
   a real correlate (unlisted firms disclose less, and one class may hold more of them) moves
   both classes' blank shares and seldom quadruples one of them while staying above 15 points.
   On a few dozen firms a 4:1 ratio can happen by luck, so the split must also be unlikely by
   chance: Fisher's exact test of blank-versus-known against the label, p < ``LOPSIDED_P_VALUE``
   = 0.01 (the first version's ``ownership``: p = 0.0002).
3. **One-class value.** A known value that occurs in at least ``MIN_FIRMS`` = 5 firms of one
   class and in no firm of the other, while the other class is at least ``MOSTLY_BLANK`` = 50%
   blank in that column, fails: the value was written where it supported the label and left
   blank where it would not have. For booleans and categories the value is the cell's value
   (``true``, ``central_soe``); for numbers it is ``known`` (any number), so a number filled
   only for one class fails. A value that is merely correlated with the label (``central_soe``
   only among favoured firms while disfavoured firms' ownership is filled) passes: the other
   class was looked at and had other values.
4. **Class-pure column.** A boolean or category column whose every known value occurs in one
   class only, with at least ``MIN_FIRMS`` known firms in each class, fails: it separates the
   labels wherever it is filled (``state_project`` was ``true`` for 55 favoured firms only and
   ``false`` for 26 disfavoured firms only). Honest data on real firms are never that clean.
A gap found by rule 1 or 2 is a warning instead of a failure when the sector mix explains it:
computed again within each sector class that has at least ``MIN_FIRMS`` firms of each label,
the gap is within ``MAX_GAP_POINTS`` in every one, and those classes hold at least three quarters
of the firms (a consumer platform's user count is often
undisclosed while a firm with no consumer product has 0 users: if one label holds more platforms,
the column's blank shares differ between labels however evenly each kind of firm was filled).

5. **Seed-signal fill** (a warning, not a failure). The data protocol asks for the rules' seed
   signals to be filled for at least ``MIN_SEED_FILL`` = 70% of firms: ``overseas_revenue_share``,
   ``little_giant``, ``ownership``, ``rd_intensity``, ``us_restricted``, ``state_project``
   (``government_revenue_share`` is reported only: it is filled only where a report discloses
   revenue by customer type). A sparsely filled signal does not leak the label as long as it
   is blank alike in both classes (rules 1 to 4); its learned weight is only less certain. So low fill is listed under ``warnings`` and does not fail the audit.

Why these numbers: ``MIN_FIRMS`` = 5 because a value seen in fewer firms lands in one class by
chance too often (with 65% of firms favoured, four independent firms are all favoured with
probability 0.65^4 = 18%, five with 12%, and the one-class rule also needs the other class
mostly blank); 50% is where "mostly blank" begins; 25 points and 70% fill are the issue's
(and ``data/PROTOCOL.md``'s) limits. Gaps and shares are compared exactly (counts, not rounded
percentages): 25 of 100 firms against none is 25 points and passes, 26 of 100 fails.

``name`` and ``ticker`` are identifiers, not signals: they are never a model input, and a blank
ticker only repeats ``listing_venue = unlisted``; they are not audited.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from alignscore._contract.columns import PROFILE_COLUMNS, Kind
from alignscore._contract.read import source_name
from alignscore._contract.validate import read_firms
from alignscore._core.vocabulary import SECTOR_CLASSES
from alignscore.exceptions import InputError, LeakageError

__all__ = [
    "AUDITED_COLUMNS",
    "AuditReport",
    "ColumnAudit",
    "OneClassPattern",
    "SeedFill",
    "audit_labelled",
    "require_clean",
]

MAX_GAP_POINTS = 25
LOPSIDED_GAP_POINTS = 15
LOPSIDED_RATIO = 4
#: ... and the split is unlikely by chance: Fisher's exact test of blank-vs-known against the
#: label, two-sided, below this p-value (on a few dozen firms a 4:1 ratio happens by luck).
LOPSIDED_P_VALUE = 0.01
#: A gap is put down to the sector mix only when the classes compared (those with at least
#: MIN_FIRMS firms of each label) hold at least this share of the firms: the rest must not be
#: where the blanks hide.
MIX_COVERED = Fraction(3, 4)
MIN_FIRMS = 5
MOSTLY_BLANK = Fraction(1, 2)
MIN_SEED_FILL = Fraction(7, 10)

AUDITED_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in PROFILE_COLUMNS if c.name not in ("name", "ticker")
)
#: Seed signals and whether the audit requires them filled (``MIN_SEED_FILL``).
SEED_SIGNALS: dict[str, bool] = {
    "overseas_revenue_share": True,
    "government_revenue_share": False,
    "little_giant": True,
    "ownership": True,
    "rd_intensity": True,
    "us_restricted": True,
    "state_project": True,
}
_KINDS = {c.name: c.kind for c in PROFILE_COLUMNS}
CLASSES = ("favoured", "disfavoured")


class ColumnAudit(BaseModel):
    """How one column is filled in each class (shares from 0 to 1; the gap in points)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str
    blank_favoured: int
    blank_disfavoured: int
    blank_share_favoured: float
    blank_share_disfavoured: float
    gap_points: float  # |favoured - disfavoured| blank share, in percentage points
    fill_rate: float  # over all firms


class OneClassPattern(BaseModel):
    """A known value found in one class only while the other class is mostly blank."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str
    value: str
    occurs_in: str  # "favoured" or "disfavoured"
    count: int
    other_blank_share: float  # the other class's blank share in this column


class SeedFill(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str
    filled: int
    fill_rate: float
    required: bool  # whether below MIN_SEED_FILL is a problem


class AuditReport(BaseModel):
    """What ``alignscore data audit`` reports; ``ok`` is true when ``problems`` is empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str
    firms: int
    favoured: int
    disfavoured: int
    columns: list[ColumnAudit]
    one_class: list[OneClassPattern]
    seed_fill: list[SeedFill]
    ok: bool
    problems: list[str]
    #: Seed signals filled for fewer than MIN_SEED_FILL of the firms (not a failure).
    warnings: list[str] = []

    def to_json(self) -> str:
        """The report as indented JSON (every field, problems included)."""
        return json.dumps(self.model_dump(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """The report as a plain-text table, then the one-class patterns and the problems."""
        lines = [
            f"{self.source}: {self.firms} firms ({self.favoured} favoured, {self.disfavoured} disfavoured)",
            "",
            f"{'column':<26} {'blank fav':>10} {'blank dis':>10} {'gap pts':>8} {'filled':>8}",
        ]
        for c in self.columns:
            lines.append(
                f"{c.column:<26} {_pct(c.blank_share_favoured):>10} {_pct(c.blank_share_disfavoured):>10}"
                f" {c.gap_points:>8.1f} {_pct(c.fill_rate):>8}"
            )
        lines += ["", "seed signals (filled, share of all firms):"]
        for s in self.seed_fill:
            note = "" if s.required else "  (reported only)"
            lines.append(f"  {s.column:<26} {s.filled:>5} {_pct(s.fill_rate):>7}{note}")
        lines += ["", "values found in one class only:"]
        if not self.one_class:
            lines.append("  none")
        for p in self.one_class:
            lines.append(
                f"  {p.column} = {p.value}: {p.count} {p.occurs_in} firm(s); "
                f"other class blank {_pct(p.other_blank_share)}"
            )
        lines.append("")
        if self.warnings:
            lines.append(f"warnings ({len(self.warnings)}):")
            lines += [f"  - {w}" for w in self.warnings]
            lines.append("")
        if self.ok:
            lines.append("audit passed: no leakage pattern found")
        else:
            lines.append(f"audit failed: {len(self.problems)} problem(s)")
            lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def audit_labelled(data: pd.DataFrame | str | Path) -> AuditReport:
    """Audit labelled firms (a CSV or Parquet file, or a frame) for label leakage.

    Every row must have ``favoured`` (1 or 0), and both classes must be present. Values that
    break the contract raise :class:`~alignscore.ProfileValidationError` as everywhere else.
    The rules and their thresholds are in this module's docstring and in
    ``data/DATASHEET.md``.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "name": [f"F{i}" for i in range(12)],
    ...     "favoured": [1] * 6 + [0] * 6,
    ...     "state_project": ["yes"] * 6 + ["no"] * 6,
    ... })
    >>> report = audit_labelled(frame)
    >>> report.ok
    False
    >>> report.problems[0]
    'state_project: every known value occurs in one class only (false: 6 disfavoured; true: 6 favoured), so wherever it is filled it gives the label away.'
    """
    source = source_name(data)
    frame = read_firms(data)
    if "favoured" not in frame.columns:
        raise InputError(source, "labelled data needs a 'favoured' column (1 or 0)")
    label = frame["favoured"]
    if label.isna().any():
        position = int(np.flatnonzero(label.isna().to_numpy())[0])
        row = frame.index[position] if isinstance(data, pd.DataFrame) else position + 2
        raise InputError(source, f"row {row}: 'favoured' is blank; every firm needs a label")
    fav = label.to_numpy(dtype=bool)
    n_fav, n_dis = int(fav.sum()), int((~fav).sum())
    if n_fav == 0 or n_dis == 0:
        missing = "favoured (1)" if n_fav == 0 else "disfavoured (0)"
        raise InputError(
            source, f"the audit needs firms of both labels; there is no {missing} firm"
        )

    columns: list[ColumnAudit] = []
    patterns: list[OneClassPattern] = []
    problems: list[str] = []
    warnings: list[str] = []
    classes = _sector_classes(frame)
    for name in AUDITED_COLUMNS:
        values = _values(name, frame)
        blank = np.array([v is None for v in values])
        audit, column_problems = _gap(name, blank, fav, n_fav, n_dis)
        columns.append(audit)
        explained = _explained_by_sector_mix(name, blank, fav, classes) if column_problems else None
        if explained is not None:
            warnings.append(column_problems[0].rstrip(".") + "; " + explained)
        else:
            problems += column_problems
        found, found_problems = _one_class(name, values, blank, fav, n_fav, n_dis)
        patterns += found
        problems += found_problems
    seed: list[SeedFill] = []
    for name, required in SEED_SIGNALS.items():
        filled = int(frame[name].notna().sum()) if name in frame.columns else 0
        share = Fraction(filled, len(frame))
        seed.append(SeedFill(column=name, filled=filled, fill_rate=float(share), required=required))
        if required and share < MIN_SEED_FILL:
            warnings.append(
                f"{name}: filled for {_pct(share)} of firms ({filled} of {len(frame)}); "
                f"the protocol asks for at least {_pct(MIN_SEED_FILL)} (a sparse signal's learned weight is uncertain: see its standard error in the model card)."
            )
    return AuditReport(
        source=source, firms=len(frame), favoured=n_fav, disfavoured=n_dis, columns=columns,
        one_class=patterns, seed_fill=seed, ok=not problems, problems=problems, warnings=warnings,
    )  # fmt: skip


def require_clean(report: AuditReport, *, allow_leaks: bool = False) -> list[str]:
    """Refuse data that fail the audit, unless ``allow_leaks``.

    Raises :class:`~alignscore.exceptions.LeakageError` listing the problems when the audit
    failed and leaks are not allowed; otherwise returns the problems let through (empty when the
    data are clean), for the caller to record (a model card, say).
    """
    if report.ok or allow_leaks:
        return list(report.problems)
    raise LeakageError(report.source, report.problems)


# --- the rules ------------------------------------------------------------------------------


def _values(name: str, frame: pd.DataFrame) -> list[str | None]:
    """The column's cells as the audit compares them: ``None`` for blank; ``true``/``false``
    for booleans; the vocabulary term for categories; ``known`` for any number."""
    if name not in frame.columns:
        return [None] * len(frame)
    kind = _KINDS[name]
    cells = frame[name].astype(object).where(frame[name].notna(), None).tolist()
    if kind is Kind.BOOLEAN:
        return [None if v is None else ("true" if v else "false") for v in cells]
    if kind is Kind.CATEGORY:
        return [None if v is None else str(v) for v in cells]
    return [None if v is None else "known" for v in cells]


def _gap(
    name: str, blank: np.ndarray, fav: np.ndarray, n_fav: int, n_dis: int
) -> tuple[ColumnAudit, list[str]]:
    b_fav, b_dis = int(blank[fav].sum()), int(blank[~fav].sum())
    s_fav, s_dis = Fraction(b_fav, n_fav), Fraction(b_dis, n_dis)
    gap = abs(s_fav - s_dis) * 100
    audit = ColumnAudit(
        column=name, blank_favoured=b_fav, blank_disfavoured=b_dis,
        blank_share_favoured=float(s_fav), blank_share_disfavoured=float(s_dis),
        gap_points=float(gap), fill_rate=float(Fraction(int((~blank).sum()), len(blank))),
    )  # fmt: skip
    more, less = (s_fav, s_dis) if s_fav >= s_dis else (s_dis, s_fav)
    shares = (
        f"{name}: blank for {_pct(s_fav)} of favoured firms ({b_fav} of {n_fav}) but "
        f"{_pct(s_dis)} of disfavoured firms ({b_dis} of {n_dis})"
    )
    if s_fav < s_dis:
        shares = (
            f"{name}: blank for {_pct(s_dis)} of disfavoured firms ({b_dis} of {n_dis}) but "
            f"{_pct(s_fav)} of favoured firms ({b_fav} of {n_fav})"
        )
    if gap > MAX_GAP_POINTS:
        return audit, [f"{shares}, a gap of {_points(gap)} points (more than {MAX_GAP_POINTS})."]
    if gap > LOPSIDED_GAP_POINTS and more >= LOPSIDED_RATIO * less and _by_chance(
        b_fav, n_fav, b_dis, n_dis
    ) < LOPSIDED_P_VALUE:
        times = (
            "never blank in the other class"
            if less == 0
            else f"{float(more / less):.1f} times as often"
        )
        return audit, [
            f"{shares}, a gap of {_points(gap)} points, {times}: blankness predicts the label "
            f"(more than {LOPSIDED_GAP_POINTS} points with one class at least {LOPSIDED_RATIO} times as often blank)."
        ]
    return audit, []


def _sector_classes(frame: pd.DataFrame) -> np.ndarray:
    """Each firm's sector class (``hard_tech`` ...; ``None`` when the sector is unknown)."""
    from alignscore._rules.ruleset import RuleSet

    class_of = {s: sc.class_ for sc in RuleSet.load().taxonomy.spec.sector_classes for s in sc.sectors}
    sectors = frame["sector"] if "sector" in frame.columns else pd.Series([None] * len(frame))
    return np.array([class_of.get(s) if isinstance(s, str) else None for s in sectors], dtype=object)


def _explained_by_sector_mix(name: str, blank: np.ndarray, fav: np.ndarray, classes: np.ndarray) -> str | None:
    """Why a blank-share gap between the labels is the sector mix, not uneven diligence, or None.

    Some fields are filled by the nature of the business (a consumer platform's user count is
    often undisclosed; a firm with no consumer product has 0 users): when one label holds more
    firms of one kind, the column's blank shares differ between the labels even when each kind
    of firm was filled alike whatever its label. So the gap is computed again within each sector
    class with at least ``MIN_FIRMS`` firms of each label; if there is at least one such class
    every such gap is within ``MAX_GAP_POINTS`` and those classes hold at least ``MIX_COVERED``
(three quarters) of the firms, the column is a warning, not a failure.
    """
    gaps: list[str] = []
    compared = 0
    for cls in SECTOR_CLASSES:
        inside = classes == cls
        n_f, n_d = int((inside & fav).sum()), int((inside & ~fav).sum())
        if n_f < MIN_FIRMS or n_d < MIN_FIRMS:
            continue
        compared += n_f + n_d
        gap = abs(Fraction(int((blank & inside & fav).sum()), n_f) - Fraction(int((blank & inside & ~fav).sum()), n_d)) * 100
        if gap > MAX_GAP_POINTS:
            return None
        gaps.append(f"{cls} {_points(gap)}")
    if not gaps or Fraction(compared, len(blank)) < MIX_COVERED:
        return None
    return f"explained by the sector mix: within each sector class the gap is at most {MAX_GAP_POINTS} points ({', '.join(gaps)})."


def _by_chance(b_fav: int, n_fav: int, b_dis: int, n_dis: int) -> float:
    """Fisher's exact test (two-sided) of blank versus known against the label."""
    from scipy.stats import fisher_exact

    return float(fisher_exact([[b_fav, n_fav - b_fav], [b_dis, n_dis - b_dis]]).pvalue)


def _one_class(
    name: str, values: list[str | None], blank: np.ndarray, fav: np.ndarray, n_fav: int, n_dis: int
) -> tuple[list[OneClassPattern], list[str]]:
    known = ~blank
    arr = np.array(values, dtype=object)
    counts = {
        v: (int(((arr == v) & fav).sum()), int(((arr == v) & ~fav).sum()))
        for v in dict.fromkeys(v for v in values if v is not None)
    }
    blank_share = {
        "favoured": Fraction(int(blank[fav].sum()), n_fav),
        "disfavoured": Fraction(int(blank[~fav].sum()), n_dis),
    }
    patterns: list[OneClassPattern] = []
    problems: list[str] = []
    for value, (in_fav, in_dis) in counts.items():
        if in_fav and in_dis:
            continue
        cls, other = ("favoured", "disfavoured") if in_fav else ("disfavoured", "favoured")
        count = in_fav or in_dis
        if blank_share[other] < MOSTLY_BLANK:
            continue
        patterns.append(OneClassPattern(
            column=name, value=value, occurs_in=cls, count=count,
            other_blank_share=float(blank_share[other]),
        ))  # fmt: skip
        if count >= MIN_FIRMS:
            n_other = n_dis if other == "disfavoured" else n_fav
            b_other = int(blank[~fav].sum()) if other == "disfavoured" else int(blank[fav].sum())
            problems.append(
                f"{name} = {value}: {count} {cls} firms and no {other} firm, while {_pct(blank_share[other])} "
                f"of {other} firms ({b_other} of {n_other}) are blank in this column "
                f"(a value in at least {MIN_FIRMS} firms of one class only, the other class at least "
                f"{_pct(MOSTLY_BLANK)} blank)."
            )
    pure = counts and all(not (f and d) for f, d in counts.values())
    k_fav, k_dis = int((known & fav).sum()), int((known & ~fav).sum())
    if (
        _KINDS[name] in (Kind.BOOLEAN, Kind.CATEGORY)
        and pure
        and k_fav >= MIN_FIRMS
        and k_dis >= MIN_FIRMS
    ):
        parts = "; ".join(
            f"{v}: {f or d} {'favoured' if f else 'disfavoured'}"
            for v, (f, d) in sorted(counts.items())
        )
        problems.append(
            f"{name}: every known value occurs in one class only ({parts}), "
            "so wherever it is filled it gives the label away."
        )
    return patterns, problems


def _pct(share: Fraction | float) -> str:
    text = f"{float(share) * 100:.1f}".removesuffix(".0")
    return f"{text}%"


def _points(gap: Fraction) -> str:
    return f"{float(gap):.1f}".removesuffix(".0")
