"""forecast.distributed.predict (`forecast predict RUN --data PARTS/ --engine ray`): a Parquet
panel forecast by shards of series ids, locally and on this test's own Ray cluster, matches
one `Forecaster.predict` over the whole panel exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest

from forecast.distributed import predict as sharded
from forecast.errors import ConfigError, DataError
from forecast.forecaster import Forecaster

SERIES = 10_000  # the Ray test's panel, 30 rows a series: a clean panel loads as one array
LENGTH = 40


def _panel(series: int, length: int = LENGTH, seed: int = 0) -> pd.DataFrame:
    """A long panel: `series` noisy sines of `length` daily rows, ids "s00000", ..."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    phase = rng.uniform(0, 6, (series, 1))
    level = rng.uniform(5, 50, (series, 1))
    values = level + level / 5 * np.sin(t / 3 + phase) + rng.normal(0, 0.3, (series, length))
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i:05d}" for i in range(series)], length),
            "ds": np.tile(pd.date_range("2024-01-01", periods=length, freq="D"), series),
            "y": values.ravel(),
        }
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> str:
    """A tiny global model trained on 20 series, saved as a run folder."""
    keras.utils.set_random_seed(0)
    forecaster = Forecaster(
        lookback=8, horizon=3, epochs=1, batch_size=64, time_col="ds", id_col="unique_id",
        target="y", model_options={"units": 4}, verbose=0, seed=0,
    )  # fmt: skip
    forecaster.fit(_panel(20))
    folder = tmp_path_factory.mktemp("run") / "global"
    forecaster.save(folder)
    return str(folder)


def _write_parts(frame: pd.DataFrame, folder, parts: int) -> None:
    """`frame` as `parts` Parquet files, the series interleaved across them (a part is not
    a shard: a series' rows may lie in any part)."""
    folder.mkdir()
    codes = frame["unique_id"].str[1:].astype(int) % parts
    for i in range(parts):
        frame[codes == i].to_parquet(folder / f"chunk-{i}.parquet", index=False)


def _read(out) -> pd.DataFrame:
    frames = [pd.read_parquet(p) for p in sorted(out.glob("part-*.parquet"))]
    return pd.concat(frames).sort_values(["series", "ds"]).reset_index(drop=True)


def _single_process(run_dir: str, frame: pd.DataFrame) -> pd.DataFrame:
    preds = Forecaster.load(run_dir).predict(frame)
    return sharded.forecasts_frame(preds, "ds").sort_values(["series", "ds"]).reset_index(drop=True)


def test_shards_cover_every_id_once_in_order() -> None:
    ids = [f"s{i}" for i in range(10)]
    cut = sharded.shard_ids(ids, 3)
    assert [len(c) for c in cut] == [4, 3, 3] and [i for c in cut for i in c] == ids
    assert sharded.shard_ids(ids[:2], 5) == [["s0"], ["s1"]]


def test_local_shards_match_one_predict_over_the_panel(run, tmp_path) -> None:
    frame = _panel(50, seed=1)
    _write_parts(frame, tmp_path / "parts", 3)
    seen = []
    result = sharded.predict_parts(
        run, tmp_path / "parts", tmp_path / "out", shards=4, on_shard=lambda *a: seen.append(a)
    )
    assert (result.series, result.shards) == (50, 4) and sorted(n for n, _ in seen) == [0, 1, 2, 3]
    got = _read(tmp_path / "out")
    pd.testing.assert_frame_equal(got, _single_process(run, frame), check_exact=True)
    assert list(got.columns) == ["series", "ds", "y", "method"]
    # fewer shards next time: the stale parts of the first run are removed
    sharded.predict_parts(run, tmp_path / "parts", tmp_path / "out", shards=2)
    assert len(list((tmp_path / "out").glob("part-*.parquet"))) == 2


def test_bad_inputs_are_refused_before_any_shard(run, tmp_path) -> None:
    with pytest.raises(DataError, match="not found"):
        sharded.predict_parts(run, tmp_path / "nothing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"no \*\.parquet"):
        sharded.predict_parts(run, tmp_path / "empty", tmp_path / "out")
    _panel(3).rename(columns={"unique_id": "id"}).to_parquet(tmp_path / "p.parquet")
    with pytest.raises(DataError, match="no id column 'unique_id'"):
        sharded.predict_parts(run, tmp_path / "p.parquet", tmp_path / "out")
    with pytest.raises(ConfigError, match="engine"):
        sharded.predict_parts(run, tmp_path / "p.parquet", tmp_path / "out", engine="spark")


def _write_arrow_parts(frame: pd.DataFrame, folder, parts: int) -> None:
    """`frame` as `parts` Parquet files written with pyarrow from its columns (no frame per
    part), series i in part i % parts, every part's rows in time order (series interleaved)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    number = pa.array(frame["unique_id"].str[1:].astype(int).to_numpy() % parts)
    stamps = frame["ds"].to_numpy()
    for i in range(parts):
        rows = np.flatnonzero(number.to_numpy() == i)
        rows = rows[np.argsort(stamps[rows], kind="stable")]
        pq.write_table(table.take(pa.array(rows)), folder / f"chunk-{i}.parquet")


def _outputs(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """The stdout and stderr of `process` once it ends; killed after `timeout` seconds."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise


@pytest.mark.slow
def test_a_10k_series_panel_on_a_two_process_ray_cluster_matches_one_process(
    run, tmp_path, env, ray_cluster
) -> None:
    # issue #27's must-show: 10,000 series in 4 Parquet parts, forecast by 2 Ray worker
    # processes (actors) of this test's own cluster, equal to one in-process predict bit for bit
    frame = _panel(SERIES, length=30, seed=2)
    _write_arrow_parts(frame, tmp_path / "parts", 4)
    out = tmp_path / "forecasts"
    command = [
        sys.executable, "-m", "forecast.cli", "predict", run, "--data", str(tmp_path / "parts"),
        "--engine", "ray", "--address", ray_cluster.address, "--out", str(out),
        "--shards", "8",
    ]  # fmt: skip
    done = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    expected = _single_process(run, frame)  # in this process, while Ray forecasts
    stdout, stderr = _outputs(done, timeout=600)
    assert done.returncode == 0, stdout[-3000:] + stderr[-3000:]
    assert f"{SERIES} series in 8 shards on 2 workers" in stdout, stdout
    assert len(list(out.glob("part-*.parquet"))) == 8
    assert len(expected) == SERIES * 3  # horizon 3
    pd.testing.assert_frame_equal(_read(out), expected, check_exact=True)
    assert os.environ.get("RAY_ADDRESS") is None  # nothing left pointing at the test cluster


def _evaluated_whole(run_dir: str, frame: pd.DataFrame, test: float) -> tuple:
    """Per-series rows (sorted) and the M4 aggregate of one `evaluate` over the panel."""
    report = Forecaster.load(run_dir).evaluate(frame, test=test)
    rows = report.per_series.sort_values(["series", "target", "method"]).reset_index(drop=True)
    return rows, report.competition


def _evaluated_parts(out) -> pd.DataFrame:
    frames = [pd.read_parquet(p) for p in sorted(out.glob("part-*.parquet"))]
    rows = pd.concat(frames).sort_values(["series", "target", "method"])
    return rows.reset_index(drop=True)


def _same_aggregate(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for target in want:
        assert got[target].keys() == want[target].keys()
        for method, scores in want[target].items():
            for name, value in scores.items():
                assert got[target][method][name] == pytest.approx(value, rel=1e-12), (method, name)


def test_evaluate_by_shards_matches_one_evaluate_over_the_panel(run, tmp_path) -> None:
    frame = _panel(50, seed=3)
    _write_parts(frame, tmp_path / "parts", 3)
    result = sharded.evaluate_parts(run, tmp_path / "parts", tmp_path / "scores", test=0.25,
                                    shards=4)  # fmt: skip
    assert (result.series, result.shards) == (50, 4)
    rows, competition = _evaluated_whole(run, frame, 0.25)
    got = _evaluated_parts(tmp_path / "scores")
    assert set(got["series"]) == set(frame["unique_id"]) and "naive2" in set(got["method"])
    pd.testing.assert_frame_equal(got, rows, check_exact=True)  # each series on its own
    _same_aggregate(result.competition, competition)  # the pooled M4 table


EVALUATE_ON_RAY = """
import json, sys
from forecast.distributed.predict import evaluate_parts
result = evaluate_parts(sys.argv[1], sys.argv[2], sys.argv[3], test=0.25, engine="ray",
                        address=sys.argv[4], shards=6)
print(json.dumps({"series": result.series, "workers": len(result.workers),
                  "competition": result.competition}))
"""


@pytest.mark.slow
def test_evaluate_by_shards_on_a_ray_cluster_matches_one_process(
    run, tmp_path, env, ray_cluster
) -> None:
    frame = _panel(300, seed=4)
    _write_arrow_parts(frame, tmp_path / "parts", 4)
    out = tmp_path / "scores"
    command = [sys.executable, "-c", EVALUATE_ON_RAY, run, str(tmp_path / "parts"), str(out),
               ray_cluster.address]  # fmt: skip
    done = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    rows, competition = _evaluated_whole(run, frame, 0.25)  # here, while Ray evaluates
    stdout, stderr = _outputs(done, timeout=600)
    assert done.returncode == 0, stdout[-3000:] + stderr[-3000:]
    found = json.loads(stdout.strip().splitlines()[-1])
    assert (found["series"], found["workers"]) == (300, 2)
    pd.testing.assert_frame_equal(_evaluated_parts(out), rows, check_exact=True)
    _same_aggregate(found["competition"], competition)
