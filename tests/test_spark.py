"""The Spark recipe in ``alignscore.dask``'s docstring, run for real on a local Spark session.

Scoring through ``mapInPandas`` must equal :meth:`Scorer.score_frame` on one machine, row for
row. Needs pyspark (the ``spark`` extra) and a Java runtime; without them the test is skipped
locally, but fails when ``CI`` is set (CI installs ``.[dev,spark]`` and has Java).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

_WHY = "the Spark recipe test needs pyspark (pip install 'alignscore[spark]') and a Java runtime"

if os.environ.get("CI"):
    # In CI the extra is installed: a missing pyspark or java is a broken setup, not a skip.
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"CI is set but pyspark does not import ({exc}): {_WHY}", pytrace=False)
    if shutil.which("java") is None:
        pytest.fail(f"CI is set but no `java` is on PATH: {_WHY}", pytrace=False)
else:
    pytest.importorskip("pyspark", reason=_WHY)
    if shutil.which("java") is None:
        pytest.skip(f"no `java` on PATH: {_WHY}", allow_module_level=True)

from pyspark.sql import SparkSession  # noqa: E402

from alignscore import RESULT_COLUMNS, Scorer, synthetic_firms  # noqa: E402

pytestmark = pytest.mark.slow

AS_OF = "2023-06-30"


@pytest.fixture(scope="module")
def spark():
    with pytest.MonkeyPatch.context() as mp:
        # The Python workers must be this interpreter (with pandas and alignscore), not
        # whatever `python3` is first on PATH.
        mp.setenv("PYSPARK_PYTHON", sys.executable)
        mp.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
        mp.setenv("SPARK_LOCAL_IP", "127.0.0.1")
        session = (
            SparkSession.builder.master("local[2]")
            .appName("alignscore-test-spark")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        try:
            yield session
        finally:
            session.stop()


@pytest.fixture(scope="module")
def firms() -> pd.DataFrame:
    return synthetic_firms(2000, seed=5)


@pytest.fixture(scope="module")
def firms_csv(firms: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark") / "firms.csv"
    pa_csv.write_csv(pa.Table.from_pandas(firms, preserve_index=False), path)
    return path


# PySpark 4.x with pandas 3: it warns on every pandas conversion that it does not fully support
# pandas >= 3, and toPandas() passes pandas' deprecated `copy=` to Series.astype inside pyspark.
@pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas >= 3.0.0:FutureWarning"
)
@pytest.mark.filterwarnings(
    "ignore:The copy keyword is deprecated and will be removed:pandas.errors.Pandas4Warning"
)
def test_spark_recipe_equals_single_machine(spark, firms, firms_csv):
    # Not part of the recipe: small input splits and Arrow batches, so that the 2,000 rows arrive
    # in several partitions of several pandas batches each.
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(64 * 1024))
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "300")

    # The recipe from alignscore/dask.py's docstring, as written there (path and date aside).
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    scorer = Scorer(as_of=AS_OF)
    df = spark.read.csv(str(firms_csv), header=True)  # every column a string
    schema = StructType(
        df.schema.fields  # noqa: RUF005 - kept as the docstring writes it
        + [
            StructField("score", DoubleType()),
            StructField("score_low", DoubleType()),
            StructField("score_high", DoubleType()),
            StructField("band", StringType()),
            StructField("probability", DoubleType()),
            StructField("coverage", DoubleType()),
            StructField("reasons", StringType()),
            StructField("risk_flags", StringType()),
        ]
    )

    def score_batches(it):
        for p in it:
            out = scorer.score_frame(p.fillna(""))
            yield out.astype({"band": str, "reasons": str, "risk_flags": str})

    scored = df.mapInPandas(score_batches, schema=schema)
    # -- end of the recipe

    assert df.columns == list(firms.columns)
    assert [f.dataType for f in df.schema.fields] == [StringType()] * len(firms.columns)
    assert df.rdd.getNumPartitions() >= 2
    assert scored.columns == list(firms.columns) + list(RESULT_COLUMNS)
    got = scored.toPandas()
    want = Scorer(as_of=AS_OF).score_frame(firms)

    got = got.sort_values("name").reset_index(drop=True)
    want = want.sort_values("name").reset_index(drop=True)
    assert len(got) == len(want) == len(firms)
    assert got["name"].tolist() == want["name"].tolist()
    for name in ("score", "score_low", "score_high", "probability", "coverage"):
        np.testing.assert_allclose(
            got[name].to_numpy(float), want[name].to_numpy(float), rtol=0, atol=1e-12, err_msg=name
        )
    for name in ("band", "reasons", "risk_flags"):
        assert got[name].astype(str).tolist() == want[name].astype(str).tolist(), name
    # Spark hands blank cells over as nulls; the recipe's fillna("") gives them back as blanks.
    for name in firms.columns:
        assert got[name].tolist() == want[name].tolist(), name
