"""``FirmProfile``: one firm, validated by the same parser that reads files.

The model's fields are generated from the column table in ``_columns.py``, and its validator
runs the file parser on a one-row table, so a value the CSV reader accepts is exactly a value
``FirmProfile`` accepts, and the two cannot drift.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, create_model, model_validator

from alignscore._core.suggest import did_you_mean

from .columns import CONTEXT_COLUMNS, PROFILE_COLUMNS, Column, Kind
from .profiles import parse_table, python_value

__all__ = ["FirmProfile"]

_FIELDS = PROFILE_COLUMNS + CONTEXT_COLUMNS


def _field_type(col: Column) -> Any:
    if col.kind is Kind.TEXT:
        return str if col.required else (str | None)
    if col.kind is Kind.CATEGORY:
        return Literal[col.vocabulary] | None
    if col.kind is Kind.BOOLEAN:
        return bool | None
    if col.kind is Kind.INTEGER:
        return int | None
    if col.kind is Kind.DATE:
        return dt.date | None
    return float | None


def _cell(value: object) -> pa.Array:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return pa.nulls(1, pa.string())
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return pa.array([str(value)], pa.string())  # the parser rejects it with a message
    if isinstance(value, bool | int | float):
        return pa.array([value])
    if isinstance(value, dt.date):
        return pa.array([value], pa.date32())
    return pa.array([str(value)], pa.string())


class _ProfileBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _parse_with_contract(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = {c.name for c in _FIELDS}
        unknown = [k for k in data if k not in known]
        if unknown:
            hints = []
            for key in unknown:
                hint = did_you_mean(str(key), sorted(known))
                hints.append(f"{key!r}" + (f" ({hint})" if hint else ""))
            raise ValueError("unknown field(s): " + ", ".join(hints))
        table = pa.table({k: _cell(v) for k, v in data.items()}) if data else None
        if table is None or "name" not in data:
            raise ValueError("'name' is required: the firm name as the user knows it")
        profiles = parse_table(table, "<FirmProfile>", np.array([1]))
        if profiles.bad.any():
            raise ValueError(
                "; ".join(f"{p.column}: {p.value!r} - expected {p.expected}" for p in profiles.problems())
            )
        out: dict[str, Any] = {}
        for col in _FIELDS:
            if col.name in data:
                out[col.name] = python_value(col, profiles.values[col.name], 0)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The profile as a plain dict (unknown fields are ``None``)."""
        return self.model_dump()


# pydantic types create_model's fields only as literal keyword arguments; these are built per column
FirmProfile = create_model(  # type: ignore[call-overload]
    "FirmProfile",
    __base__=_ProfileBase,
    __doc__=(
        "One firm per the firm-profile contract (docs/firm-profile.md).\n\n"
        "Only ``name`` is required; every other field may be omitted or None (unknown).\n"
        "Values are read exactly as in a file: ``'35%'`` is 0.35, ``'yes'`` is True.\n\n"
        ">>> FirmProfile(name='SMIC', sector='semiconductors', overseas_revenue_share='35%')"
        ".overseas_revenue_share\n0.35\n"
    ),
    **{c.name: (_field_type(c), ... if c.required else None) for c in _FIELDS},
)
