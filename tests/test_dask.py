"""``alignscore.dask`` on a real (local, multi-process) cluster equals one machine, row for row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from alignscore import RESULT_COLUMNS, Scorer, synthetic_firms  # noqa: E402
from alignscore.dask import read_firms_dask, score_dask, score_to_parquet  # noqa: E402

pytestmark = pytest.mark.slow

AS_OF = "2023-06-30"


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    """The bundled default model."""
    return Scorer(as_of=AS_OF)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def firms() -> pd.DataFrame:
    return synthetic_firms(2000, seed=5)


@pytest.fixture(scope="module")
def csv_parts(firms: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("parts")
    paths = []
    for k, part in enumerate(np.array_split(np.arange(len(firms)), 4)):
        path = folder / f"firms-{k}.csv"
        table = pa.Table.from_pandas(firms.iloc[part], preserve_index=False)
        pa_csv.write_csv(table, path)
        paths.append(path)
    return paths


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got = got.sort_values("name").reset_index(drop=True)
    want = want.sort_values("name").reset_index(drop=True)
    assert len(got) == len(want)
    assert got["name"].tolist() == want["name"].tolist()
    for name in ("score", "score_low", "score_high", "probability"):
        np.testing.assert_array_equal(got[name].to_numpy(float), want[name].to_numpy(float))
    np.testing.assert_allclose(
        got["coverage"].to_numpy(float), want["coverage"].to_numpy(float), rtol=0, atol=1e-12
    )
    for name in ("band", "reasons", "risk_flags"):
        assert got[name].astype(str).tolist() == want[name].astype(str).tolist(), name
    for name in want.columns:  # the input columns come through as read
        if name not in RESULT_COLUMNS:
            assert got[name].astype(str).tolist() == want[name].astype(str).tolist(), name


def test_score_dask_equals_single_machine(client, scorer, firms, csv_parts):
    ddf = read_firms_dask(csv_parts)
    assert ddf.npartitions >= 4
    scored = score_dask(ddf, scorer)
    assert list(scored.columns) == list(firms.columns) + list(RESULT_COLUMNS)
    got = client.compute(scored).result()
    assert list(got.columns) == list(scored.columns)
    assert got.dtypes.astype(str).tolist() == scored.dtypes.astype(str).tolist()  # meta is true
    _same(got, scorer.score_frame(firms))


def test_score_to_parquet_equals_single_machine(client, scorer, firms, csv_parts, tmp_path):
    out = score_to_parquet(csv_parts, tmp_path / "scored", scorer)
    got = pd.read_parquet(out)
    _same(got, scorer.score_frame(firms))


def test_read_firms_dask_keeps_blanks_as_text(csv_parts):
    ddf = read_firms_dask(csv_parts[:1])
    head = ddf.head(50)
    assert (head["overseas_revenue_share"] == "").any()
    assert not head["overseas_revenue_share"].isna().any()


def test_score_dask_flags_bad_rows(client, scorer, firms):
    import dask.dataframe as dd

    bad = firms.head(40).copy()
    bad.loc[3, "founded_year"] = "long ago"
    ddf = dd.from_pandas(bad, npartitions=2)
    got = client.compute(score_dask(ddf, scorer, errors="flag")).result()
    assert "founded_year" in got.loc[3, "rejected"]
    assert np.isnan(got.loc[3, "score"])
    assert (got.drop(index=3)["rejected"] == "").all()
