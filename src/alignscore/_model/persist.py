"""The learned scorecard on disk: a small, human-readable weights file and its manifest.

::

    models/NAME/
        scorecard.json   one entry per favour rule (rule id, direction, prior, learned weight,
                         standard error), the neutral baseline, the score floor, the interval
                         level, the coverage below which a firm is "Not rated", and the
                         weights' covariance (for each score's interval)
        manifest.json    format version, SHA-256 of scorecard.json, library versions, rules
                         and training-data hashes, training parameters, metrics
        MODEL_CARD.md    intended use, data, metrics (each with its command), limitations

The format is this project's own, read with :mod:`json` and validated by strict pydantic models:
nothing is unpickled and no other library's file layout is read. Loading checks, in order: the
manifest's size and schema; the scorecard's size and its SHA-256 against the manifest; then
every number (finite), shape (one weight and one covariance row per rule, a square symmetric
covariance with a non-negative diagonal), bound (weights within ±:data:`MAX_WEIGHT`) and sign
(each weight and prior on the side its direction allows), before any of it is used. Files are
written canonically (fixed key order and number formatting), so the same data and seed give the
same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alignscore._core.atomic_write import atomic_write_text
from alignscore._version import __version__
from alignscore.exceptions import ModelError, ModelIntegrityError

__all__ = [
    "MANIFEST",
    "SCORECARD",
    "Manifest",
    "ScorecardFile",
    "ScorecardWeight",
    "load_scorecard_file",
    "save_scorecard",
]

FORMAT_VERSION: Final = 2
SCORECARD: Final = "scorecard.json"
MANIFEST = "manifest.json"
MAX_FILE_BYTES = 1 << 20  # both files are a few kilobytes; anything near a megabyte is not ours
MAX_RULES = 1000
MAX_WEIGHT = 20.0  # log-odds per unit; a learned weight beyond this is not a policy signal

Finite = Annotated[float, Field(allow_inf_nan=False)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScorecardWeight(_Strict):
    """One rule's line of the scorecard."""

    rule: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
    direction: Literal["increasing", "decreasing"]
    prior: Finite
    weight: Annotated[float, Field(allow_inf_nan=False, ge=-MAX_WEIGHT, le=MAX_WEIGHT)]
    std_error: Annotated[float, Field(allow_inf_nan=False, ge=0.0)]

    @model_validator(mode="after")
    def _signs(self) -> ScorecardWeight:
        sign = 1.0 if self.direction == "increasing" else -1.0
        if self.weight * sign < 0:
            raise ValueError(f"rule {self.rule!r}: weight {self.weight} is against its direction ({self.direction})")
        if self.prior * sign <= 0:
            raise ValueError(f"rule {self.rule!r}: prior {self.prior} is not {self.direction}")
        return self


class ScorecardFile(_Strict):
    """``scorecard.json``."""

    format: Literal["alignscore-scorecard"]
    format_version: Literal[2]
    baseline: Annotated[float, Field(allow_inf_nan=False, ge=-5.0, le=5.0)]
    floor: Annotated[float, Field(allow_inf_nan=False, ge=0.0, le=0.05)]
    interval: Annotated[float, Field(allow_inf_nan=False, gt=0.0, lt=1.0)]
    min_coverage: Annotated[float, Field(allow_inf_nan=False, ge=0.0, le=1.0)]
    shrinkage: Annotated[float, Field(allow_inf_nan=False, gt=0.0)] | None
    fitted_intercept: Finite | None
    rules_sha256: Sha256
    weights: list[ScorecardWeight] = Field(min_length=1, max_length=MAX_RULES)
    covariance: list[list[Finite]]

    @model_validator(mode="after")
    def _shapes(self) -> ScorecardFile:
        ids = [w.rule for w in self.weights]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise ValueError(f"rule {dup!r} has two weights")
        k = len(ids)
        if len(self.covariance) != k or any(len(row) != k for row in self.covariance):
            shape = f"{len(self.covariance)} rows of lengths {sorted({len(r) for r in self.covariance})}"
            raise ValueError(f"covariance must be {k} x {k} (one row and column per rule); got {shape}")
        for i in range(k):
            if self.covariance[i][i] < 0:
                raise ValueError(f"covariance diagonal of {ids[i]!r} is negative")
            for j in range(i):
                a, b = self.covariance[i][j], self.covariance[j][i]
                if abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b)):
                    raise ValueError(f"covariance is not symmetric at ({ids[i]}, {ids[j]})")
        return self


class Manifest(_Strict):
    """``manifest.json``: what is needed to check and describe a stored scorecard."""

    format_version: Literal[2]
    scorecard: Literal["scorecard.json"]
    scorecard_sha256: Sha256
    library_versions: dict[str, str]
    rules_sha256: Sha256
    training_data: str
    training_data_sha256: Sha256
    training_rows: int = Field(ge=0)
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    command: str


def library_versions() -> dict[str, str]:
    import numpy
    import scipy
    import sklearn

    return {
        "alignscore": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
    }


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _number(x: float) -> float:
    """Numbers as stored: 10 significant digits, so a retrain gives the same bytes."""
    return float(f"{x:.10g}")


def dump_scorecard(card: ScorecardFile) -> str:
    """The canonical text of a scorecard: one rule per line, so a retrain diffs by rule."""
    head = card.model_dump(exclude={"weights", "covariance"})
    lines = ["{"]
    for key, value in head.items():
        value = _number(value) if isinstance(value, float) else value
        lines.append(f"  {json.dumps(key)}: {json.dumps(value)},")
    lines.append('  "weights": [')
    rows = [
        json.dumps({k: (_number(v) if isinstance(v, float) else v) for k, v in w.model_dump().items()})
        for w in card.weights
    ]
    lines.append(",\n".join(f"    {r}" for r in rows))
    lines.append("  ],")
    lines.append('  "covariance": [')
    cov = [json.dumps([_number(x) for x in row]) for row in card.covariance]
    lines.append(",\n".join(f"    {r}" for r in cov))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def save_scorecard(
    directory: str | Path, card: ScorecardFile, manifest_fields: dict[str, Any], model_card: str
) -> Manifest:
    """Write the scorecard, its manifest and its card into ``directory`` (each atomically)."""
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise ModelError(root, "is a file; a model is written into a directory")
    root.mkdir(parents=True, exist_ok=True)
    text = dump_scorecard(card)
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        scorecard=SCORECARD,
        scorecard_sha256=sha256_bytes(text.encode("utf-8")),
        library_versions=library_versions(),
        **manifest_fields,
    )
    atomic_write_text(root / SCORECARD, text)
    atomic_write_text(root / MANIFEST, manifest.model_dump_json(indent=2) + "\n")
    atomic_write_text(root / "MODEL_CARD.md", model_card)
    return manifest


def _read_capped(path: Path, what: str) -> bytes:
    if not path.is_file():
        raise ModelError(path.parent, f"has no {path.name} ({what})")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ModelIntegrityError(path, f"is {path.stat().st_size:,} bytes, more than any genuine {what} (cap {MAX_FILE_BYTES:,})")
    with path.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ModelIntegrityError(path, f"is larger than the {MAX_FILE_BYTES:,}-byte cap for a {what}")
    return data


def _parse(data: bytes, model: type[_Strict], path: Path, what: str) -> Any:
    try:
        raw = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except RecursionError:
        raise ModelIntegrityError(path, f"{what} is nested too deeply to be genuine") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelIntegrityError(path, f"{what} is not valid JSON: {exc}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        raise ModelIntegrityError(path, f"{what} is not valid: {where + ': ' if where else ''}{message}") from None


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a scorecard may hold")


def read_manifest(directory: Path) -> Manifest:
    if not directory.is_dir():
        raise ModelError(directory, "is not a model directory")
    path = directory / MANIFEST
    data = _read_capped(path, "manifest")
    try:
        version = json.loads(data.decode("utf-8", "replace")).get("format_version")
    except (ValueError, AttributeError, RecursionError):
        version = None
    if isinstance(version, int) and version != FORMAT_VERSION:
        raise ModelError(
            path, f"format_version {version}: this alignscore reads scorecards of format "
            f"{FORMAT_VERSION}; retrain with `alignscore train`",
        )  # fmt: skip
    return _parse(data, Manifest, path, "manifest")


def load_scorecard_file(directory: str | Path) -> tuple[ScorecardFile, Manifest]:
    """Check, then read, the scorecard in ``directory``: manifest, hash, then every number."""
    root = Path(directory)
    manifest = read_manifest(root)
    path = root / SCORECARD
    data = _read_capped(path, "scorecard")
    digest = sha256_bytes(data)
    if digest != manifest.scorecard_sha256:
        raise ModelIntegrityError(
            path,
            f"SHA-256 {digest[:16]}... does not match the manifest's "
            f"{manifest.scorecard_sha256[:16]}...: the file was altered; refusing to load it",
        )
    card = _parse(data, ScorecardFile, path, "scorecard")
    if card.rules_sha256 != manifest.rules_sha256:
        raise ModelIntegrityError(path, "the scorecard and its manifest name different rules")
    if any(not math.isfinite(x) for row in card.covariance for x in row):  # belt and braces
        raise ModelIntegrityError(path, "covariance holds a number that is not finite")
    return card, manifest
