"""Score firms on a cluster with Dask: partition by partition, the same arithmetic as one machine.

Needs the ``dask`` extra::

    pip install 'alignscore[dask]'

Every partition goes through :meth:`Scorer.score_frame <alignscore.Scorer.score_frame>`, so the
scores equal the single-machine ones row for row. The scorer (its rules and model) is loaded once
on the client and shipped to the workers with the task graph.

>>> import dask.dataframe as dd                                      # doctest: +SKIP
>>> from alignscore.dask import read_firms_dask, score_dask          # doctest: +SKIP
>>> scored = score_dask(read_firms_dask("firms-*.csv"))              # doctest: +SKIP
>>> scored.to_parquet("scored/")                                     # doctest: +SKIP

The output holds the input columns, then:

============  ==========================================================
score         float64, 0.5 to 99.5
score_low     float64, the low end of the score's 80% interval
score_high    float64, the high end of the score's 80% interval
band          category (the five band names then "Not rated", always in
              that order)
probability   float64
coverage      float64, 0 to 1
reasons       string, ``id+;id+;id+;id-;id-;id-``
risk_flags    string, ``;``-separated risk rule ids (empty: none)
============  ==========================================================

Spark
-----
The same works on Spark with ``mapInPandas``, read every column as text first::

    from pyspark.sql.types import DoubleType, StringType, StructField, StructType
    from alignscore import Scorer

    scorer = Scorer(as_of="2024-01-01")
    df = spark.read.csv("firms/*.csv", header=True)          # every column a string
    schema = StructType(df.schema.fields + [
        StructField("score", DoubleType()),
        StructField("score_low", DoubleType()),
        StructField("score_high", DoubleType()),
        StructField("band", StringType()),
        StructField("probability", DoubleType()),
        StructField("coverage", DoubleType()),
        StructField("reasons", StringType()),
        StructField("risk_flags", StringType()),
    ])

    def score_batches(it):
        for p in it:
            out = scorer.score_frame(p.fillna(""))
            yield out.astype({"band": str, "reasons": str, "risk_flags": str})

    scored = df.mapInPandas(score_batches, schema=schema)

(in short ``df.mapInPandas(lambda it: (scorer.score_frame(p) for p in it), schema=...)``; the
categorical columns are turned into plain strings above because Arrow hands Spark strings).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._scoring.engine import BAND_CODES
from ._scoring.scorer import RESULT_COLUMNS, Scorer

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe as dd

__all__ = ["read_firms_dask", "result_meta", "score_dask", "score_to_parquet"]

_INSTALL = "alignscore.dask needs dask and distributed: pip install 'alignscore[dask]'"

#: The dtype of each result column in the Dask output.
BAND_DTYPE = pd.CategoricalDtype(list(BAND_CODES))
TEXT_DTYPE = pd.StringDtype()
RESULT_DTYPES: dict[str, Any] = {
    "score": np.dtype("float64"),
    "score_low": np.dtype("float64"),
    "score_high": np.dtype("float64"),
    "band": BAND_DTYPE,
    "probability": np.dtype("float64"),
    "coverage": np.dtype("float64"),
    "reasons": TEXT_DTYPE,
    "risk_flags": TEXT_DTYPE,
}


def _dask_dataframe() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(_INSTALL) from exc
    return dd


def result_meta(meta: pd.DataFrame, errors: str = "raise") -> pd.DataFrame:
    """The empty frame ``score_frame`` returns for input columns like ``meta``'s."""
    base = meta.iloc[:0].drop(
        columns=[c for c in (*RESULT_COLUMNS, "rejected") if c in meta.columns]
    )
    dtypes = dict(RESULT_DTYPES)
    if errors == "flag":
        dtypes["rejected"] = TEXT_DTYPE
    results = pd.DataFrame({n: pd.Series([], dtype=t) for n, t in dtypes.items()}, index=base.index)
    return pd.concat([base, results], axis=1)


def _score_partition(part: pd.DataFrame, scorer: Scorer, errors: str) -> pd.DataFrame:
    if len(part) == 0:
        return result_meta(part, errors)
    out = scorer.score_frame(part, errors=errors)
    out["band"] = out["band"].astype(BAND_DTYPE)
    for name in ("reasons", "risk_flags", "rejected"):
        if name in out.columns:
            out[name] = out[name].astype(object).astype(TEXT_DTYPE)
    return out


def score_dask(
    ddf: dd.DataFrame, scorer: Scorer | None = None, *, errors: str = "raise"
) -> dd.DataFrame:
    """Score every partition of ``ddf`` with ``scorer`` (default: ``Scorer()``), lazily.

    ``ddf`` holds firm profiles as :func:`read_firms_dask` reads them (every column as text) or
    typed as a researcher would have them; ``errors`` is as in ``Scorer.score_frame``.
    """
    _dask_dataframe()
    if errors not in ("raise", "flag"):
        raise ValueError(f"errors must be 'raise' or 'flag', got {errors!r}")
    scorer = scorer if scorer is not None else Scorer()
    scorer._engine()  # load (and check) rules and model once, on the client
    meta = result_meta(ddf._meta, errors)
    scored: dd.DataFrame = ddf.map_partitions(_score_partition, scorer, errors, meta=meta)
    return scored


def read_firms_dask(
    paths: str | Path | Sequence[str | Path],
    *,
    blocksize: int | str | None = "64MiB",
    **kwargs: Any,
) -> dd.DataFrame:
    """Read many CSV or Parquet files of firms (chosen by the first name's suffix).

    CSV cells are read as text with blanks kept as empty text (``dtype=str``,
    ``keep_default_na=False``): alignscore's parser decides what a cell means, exactly as for a
    single file. Extra keyword arguments go to ``dask.dataframe.read_csv`` / ``read_parquet``.
    """
    _dask_dataframe()  # a clear message if the dask extra is missing
    import dask.dataframe as dd

    items = [paths] if isinstance(paths, str | Path) else list(paths)
    names = [str(p) for p in items]
    if not names:
        raise ValueError("no files to read")
    if Path(names[0].rstrip("/*")).suffix.lower() in (".parquet", ".pq") or Path(names[0]).is_dir():
        frame: dd.DataFrame = dd.read_parquet(names if len(names) > 1 else names[0], **kwargs)
        return frame
    options: dict[str, Any] = {"dtype": str, "keep_default_na": False, "blocksize": blocksize}
    options.update(kwargs)
    frame = dd.read_csv(names if len(names) > 1 else names[0], **options)
    return frame


def score_to_parquet(
    paths_or_ddf: str | Path | Sequence[str | Path] | dd.DataFrame,
    out_dir: str | Path,
    scorer: Scorer | None = None,
    *,
    errors: str = "raise",
    **kwargs: Any,
) -> Path:
    """Read (unless given a Dask frame), score and write Parquet files into ``out_dir``.

    Extra keyword arguments go to ``dask.dataframe.DataFrame.to_parquet``. Returns ``out_dir``.
    """
    _dask_dataframe()  # a clear message if the dask extra is missing
    import dask.dataframe as dd

    ddf = paths_or_ddf if isinstance(paths_or_ddf, dd.DataFrame) else read_firms_dask(paths_or_ddf)
    scored = score_dask(ddf, scorer, errors=errors)
    options: dict[str, Any] = {"write_index": False}
    options.update(kwargs)
    scored.to_parquet(str(out_dir), **options)
    return Path(out_dir)
