"""A model directory: the skops artifact, its manifest, and the checks before trusting them.

::

    models/NAME/
        model.skops      the fitted ConstrainedLogisticRegression, in skops' secure format
        manifest.json    format version, SHA-256 of the artifact, library versions, features,
                         rules hash, training-data hash, metrics
        MODEL_CARD.md    intended use, data, metrics (with the command), limitations

Loading reads and validates the manifest, hashes the artifact and compares, asks skops which
types the file would construct and refuses any outside :data:`TRUSTED_TYPES`, and only then
deserialises. Nothing is ever unpickled. The artifact is written canonically (fixed zip
timestamps, array files named in order) so that the same data and seed give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._version import __version__
from ._write import atomic_write_bytes, atomic_write_text
from .exceptions import ModelError, ModelIntegrityError

if TYPE_CHECKING:
    from ._classifier import ConstrainedLogisticRegression

__all__ = ["ARTIFACT", "MANIFEST", "Manifest", "Parameters", "load_model", "load_parameters", "save_model"]

FORMAT_VERSION = 1
ARTIFACT = "model.skops"
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 1 << 20
TRUSTED_TYPES = ["alignscore._classifier.ConstrainedLogisticRegression"]


class Manifest(BaseModel):
    """``manifest.json``: everything needed to check and describe a stored model."""

    model_config = ConfigDict(extra="forbid")
    format_version: int
    artifact: str
    artifact_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    library_versions: dict[str, str]
    features: list[str]
    directions: list[str]
    rules_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    training_data: str
    training_data_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    training_rows: int
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    command: str


def library_versions() -> dict[str, str]:
    import numpy
    import scipy
    import sklearn
    import skops

    return {
        "alignscore": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
    }


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical_zip(data: bytes) -> bytes:
    """Rewrite a skops zip so its bytes depend only on the model: entries in order, fixed
    timestamps, array files renamed ``0.npy``, ``1.npy``... and object ids numbered in order
    (skops names both by ``id()``, which changes from run to run)."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = src.namelist()
        contents = {n: src.read(n) for n in names}
    renames: dict[str, str] = {}
    for name in names:
        if name != "schema.json":
            suffix = name.rsplit(".", 1)[-1]
            renames[name] = f"{len(renames)}.{suffix}"
    schema = contents["schema.json"].decode()
    for old, new in renames.items():
        schema = re.sub(rf'"{re.escape(old)}"', f'"{new}"', schema)
    # skops records object ids ("__id__") to restore shared references: number them in order
    ids: dict[str, str] = {}
    schema = re.sub(
        r'"__id__": (\d+)', lambda m: f'"__id__": {ids.setdefault(m.group(1), str(len(ids) + 1))}', schema
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name in names:
            target = "schema.json" if name == "schema.json" else renames[name]
            body = schema.encode() if name == "schema.json" else contents[name]
            info = zipfile.ZipInfo(target, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, body)
    return out.getvalue()


def save_model(
    directory: str | Path,
    model: ConstrainedLogisticRegression,
    manifest_fields: dict[str, Any],
    model_card: str,
) -> Manifest:
    """Write ``model`` and its manifest and card into ``directory`` (each file atomically)."""
    import skops.io as sio

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    artifact = _canonical_zip(sio.dumps(model))
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        artifact=ARTIFACT,
        artifact_sha256=sha256_bytes(artifact),
        library_versions=library_versions(),
        **manifest_fields,
    )
    atomic_write_bytes(root / ARTIFACT, artifact)
    atomic_write_text(root / MANIFEST, manifest.model_dump_json(indent=2) + "\n")
    atomic_write_text(root / "MODEL_CARD.md", model_card)
    return manifest


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    if not directory.is_dir():
        raise ModelError(directory, "is not a model directory")
    if not path.is_file():
        raise ModelError(directory, f"has no {MANIFEST}")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ModelIntegrityError(path, "manifest is too large to be genuine")
    try:
        manifest = Manifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise ModelIntegrityError(path, f"manifest is not valid: {first}") from None
    if manifest.format_version != FORMAT_VERSION:
        raise ModelError(
            path, f"format_version {manifest.format_version} (this alignscore reads {FORMAT_VERSION})"
        )
    if manifest.artifact != ARTIFACT:
        raise ModelIntegrityError(path, f"artifact must be {ARTIFACT!r}, got {manifest.artifact!r}")
    return manifest


def _verified_artifact(directory: str | Path) -> tuple[bytes, Manifest, Path]:
    """The artifact's bytes, once its SHA-256 matches the manifest and it is a zip file."""
    root = Path(directory)
    manifest = read_manifest(root)
    path = root / ARTIFACT
    if not path.is_file():
        raise ModelError(root, f"has no {ARTIFACT}")
    data = path.read_bytes()
    digest = sha256_bytes(data)
    if digest != manifest.artifact_sha256:
        raise ModelIntegrityError(
            path,
            f"SHA-256 {digest[:16]}... does not match the manifest's "
            f"{manifest.artifact_sha256[:16]}...: the file was altered; refusing to load it",
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ModelIntegrityError(path, "is not a skops file (refusing to load it)")
    return data, manifest, path


def load_model(directory: str | Path) -> tuple[ConstrainedLogisticRegression, Manifest]:
    """Check, then load, the fitted estimator in ``directory`` with skops.

    Raises :class:`ModelIntegrityError` before deserialising anything if the artifact does
    not match its manifest, or if it would construct a type outside :data:`TRUSTED_TYPES`.
    """
    import skops.io as sio

    from ._classifier import ConstrainedLogisticRegression

    data, manifest, path = _verified_artifact(directory)
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # any failure to audit means: do not load
        raise ModelIntegrityError(path, f"cannot be audited ({exc}); refusing to load it") from None
    extra = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if extra:
        raise ModelIntegrityError(path, f"would construct untrusted types {extra}; refusing")
    model = sio.loads(data, trusted=TRUSTED_TYPES)
    if not isinstance(model, ConstrainedLogisticRegression):
        raise ModelIntegrityError(path, f"holds a {type(model).__name__}, not a model")
    if len(model.coef_) != len(manifest.features):
        raise ModelIntegrityError(path, "the model's inputs do not match the manifest's features")
    return model, manifest


@dataclass(frozen=True)
class Parameters:
    """The fitted numbers scoring needs, read from a verified artifact (see
    :func:`load_parameters`)."""

    coef_: np.ndarray
    intercept_: float
    mean_: np.ndarray
    scale_: np.ndarray


_PARAMETER_NAMES = ("coef_", "intercept_", "mean_", "scale_")


def load_parameters(directory: str | Path) -> tuple[Parameters, Manifest]:
    """Check the artifact like :func:`load_model`, then read only the fitted numbers from it.

    Scoring needs four arrays, not an estimator: they are read from the skops file's own
    layout (``schema.json`` naming ``.npy`` files, loaded with ``allow_pickle=False``), so
    nothing is constructed, no code can run, and neither skops nor scikit-learn has to be
    imported (which costs more than a second at every start of the CLI). A test checks that
    the numbers equal those of the estimator :func:`load_model` returns.
    """
    data, manifest, path = _verified_artifact(directory)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = json.loads(archive.read("schema.json"))
            if schema.get("__class__") != "ConstrainedLogisticRegression" or schema.get(
                "__module__"
            ) != "alignscore._classifier":
                raise ModelIntegrityError(path, "does not hold a ConstrainedLogisticRegression")
            attributes = schema["content"]["content"]
            values = {name: _read_value(archive, attributes[name]) for name in _PARAMETER_NAMES}
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        raise ModelIntegrityError(path, f"is not a readable model artifact ({exc})") from None
    params = Parameters(
        coef_=np.asarray(values["coef_"], dtype=np.float64),
        intercept_=float(values["intercept_"]),
        mean_=np.asarray(values["mean_"], dtype=np.float64),
        scale_=np.asarray(values["scale_"], dtype=np.float64),
    )
    if len(params.coef_) != len(manifest.features):
        raise ModelIntegrityError(path, "the model's inputs do not match the manifest's features")
    return params, manifest


def _read_value(archive: zipfile.ZipFile, node: dict) -> Any:
    """One attribute from a skops schema node: a numpy array file or a JSON number."""
    if node.get("type") == "numpy":
        with archive.open(node["file"]) as fh:
            return np.load(io.BytesIO(fh.read()), allow_pickle=False)
    if node.get("is_json"):
        return json.loads(node["content"])
    raise ValueError(f"unexpected node {node.get('__loader__')!r}")
