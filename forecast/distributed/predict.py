"""Predict a panel of many series by shards of series ids, in this process or on Ray.

The input is Parquet: one file or a folder of parts (`*.parquet`), long format (a series id
column, a time column, the value columns, as the run was trained on). Nothing loads the whole
panel: the driver reads only the id column (`series_ids`), cuts the sorted ids into `shards`
(`shard_ids`), and each shard reads only its own series' rows (`read_shard`: a pyarrow
dataset filtered on the id column), forecasts them with one batched `Forecaster.predict` and
writes them as one Parquet part, `<out>/part-<shard>.parquet` (atomically: a new file renamed
over the old one). A folder of parts is what the next step (or Ray Data, Spark, pandas) reads.

Engines (`forecast.distributed.grid.ENGINES`):
- "local": the shards one after the other in this process, the run loaded once.
- "ray": `workers` Ray actors (`cpus` CPUs each), each loading the run once and taking shards
  as they come (`ray.util.ActorPool`); every node's view of the run and the parts is checked
  before the first shard (`forecast.distributed.grid.check_nodes`).

Each series is forecast from its own rows alone, so the parts hold exactly the forecasts that
one `Forecaster.predict` over the whole panel gives (tests/test_distributed_predict.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forecast import reading
from forecast.distributed.grid import ENGINES, check_nodes, connect_ray
from forecast.errors import ConfigError, DataError, check_choice, check_positive_int
from forecast.files import write_output

PART = "part-{:05d}.parquet"


def parquet_parts(data: str | os.PathLike) -> list[str]:
    """The Parquet files of `data` (a file, or a folder of `*.parquet` parts), as absolute
    paths in name order.

    Raises:
        DataError: when `data` is neither, or a folder holds no part.
    """
    path = Path(data)
    if path.is_file():
        return [os.path.abspath(path)]
    if path.is_dir():
        found = [os.path.abspath(p) for p in reading.parquet_parts(path)]
        if found:
            return found
        raise DataError(f"data {data}: no *.parquet part in the folder")
    raise DataError(f"data {data} not found (a Parquet file or a folder of parts)")


def series_ids(parts: Sequence[str], id_col: str) -> list[str]:
    """Every series id in `parts`, sorted: only the id column is read.

    Raises:
        DataError: when a part has no column `id_col`.
    """
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    dataset = ds.dataset(list(parts), format="parquet")
    if id_col not in dataset.schema.names:
        raise DataError(f"the Parquet parts have no id column {id_col!r} (the run's id_col)")
    ids = pc.unique(dataset.to_table(columns=[id_col])[id_col]).to_pylist()
    return sorted(str(i) for i in ids)


def shard_ids(ids: Sequence[str], shards: int) -> list[list[str]]:
    """`ids` cut into `shards` contiguous runs of near-equal length (fewer when there are
    fewer ids); shard i holds ids[bounds[i]:bounds[i+1]]."""
    shards = max(1, min(shards, len(ids)))
    size, extra = divmod(len(ids), shards)
    out, start = [], 0
    for i in range(shards):
        stop = start + size + (i < extra)
        out.append(list(ids[start:stop]))
        start = stop
    return out


def read_shard(parts: Sequence[str], id_col: str, ids: Sequence[str]) -> Any:
    """The rows of the series `ids` (a long pandas DataFrame, the columns as stored), read by
    `forecast.reading.read_parquet` filtered on `id_col`: only matching row groups are
    decoded, and an unreadable part is the loader's one DataError."""
    return reading.read_parquet(parts, rows=(id_col, ids))


def forecasts_frame(preds: dict[str, Any], time_name: str) -> Any:
    """`Forecaster.predict`'s `{id: frame}` as one long frame: series, time, the columns."""
    import pandas as pd

    frame = pd.concat(preds, names=["series", time_name]).reset_index()
    frame["method"] = [preds[k].attrs.get("method", "model") for k in frame["series"]]
    return frame


def write_part(frame: Any, path: Path) -> None:
    """`frame` as Parquet at `path`, atomically; a full disk is one OutputError
    (`forecast.files.write_output`)."""
    write_output(path, lambda tmp: frame.to_parquet(tmp, index=False))


class ShardPredictor:
    """One worker: the run loaded once, then any number of shards forecast with it."""

    def __init__(self, run_dir: str, threads: int | None = None) -> None:
        if threads:
            os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(threads))
            os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from forecast.forecaster import Forecaster

        self.forecaster = Forecaster.load(run_dir)

    def predict(
        self, parts: Sequence[str], ids: Sequence[str], out: str, number: int
    ) -> tuple[int, int, int]:
        """Forecast the series `ids`, write `<out>/part-<number>.parquet`. Returns (number,
        series forecast, this worker's pid)."""
        forecaster = self.forecaster
        rows = read_shard(parts, forecaster.id_col, ids)
        preds = forecaster.predict(rows)
        frame = forecasts_frame(preds, forecaster.time_col or "time")
        write_part(frame, Path(out) / PART.format(number))
        return number, len(preds), os.getpid()

    def evaluate(
        self, parts: Sequence[str], ids: Sequence[str], out: str, number: int, test: Any
    ) -> tuple[int, int, int]:
        """Score the series `ids` from `test` on (`Forecaster.evaluate`), write their
        per-series metrics (series, target, method, forecast_by, sMAPE, MASE, OWA) as
        `<out>/part-<number>.parquet`. Returns (number, series scored, this worker's pid)."""
        rows = read_shard(parts, self.forecaster.id_col, ids)
        table = self.forecaster.evaluate(rows, test=test).per_series
        write_part(table, Path(out) / PART.format(number))
        return number, table["series"].nunique(), os.getpid()


@dataclass
class PredictResult:
    """What `predict_parts` wrote: the folder of parts, the series, shards and workers."""

    out: Path
    series: int
    shards: int
    workers: set[int]


def predict_parts(
    run_dir: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    engine: str = "local",
    address: str | None = None,
    shards: int | None = None,
    workers: int | None = None,
    cpus: float = 1,
    on_shard: Callable[[int, int], None] | None = None,
) -> PredictResult:
    """Forecast every series of a Parquet panel by shards of series ids; write Parquet parts.

    Args:
        run_dir: a run folder (`forecast train` or `Forecaster.save`) of a model trained
            with `id_col` (a global model over many series).
        data: a Parquet file or a folder of parts, long format.
        out: the output folder (created): `part-00000.parquet`, ... one per shard, columns
            series, the time column, the targets (and bounds), method.
        engine: "local" or "ray".
        address: ray only: "auto", "HOST:PORT", or None (a Ray instance started here).
        shards: how many shards; default 4 per worker (local: 1 per 1,000 series).
        workers: ray only: actors, each loading the run once; default the cluster's CPUs /
            `cpus`.
        cpus: ray only: CPUs (and threads) of each actor.
        on_shard: called with (shard number, series in it) as each shard is written.

    Raises:
        ConfigError: for an unknown engine, a bad number, or a run without `id_col`.
        DataError: for missing data, a missing id column, or (ray) a node that does not see
            the run or the parts; all before the first shard.
    """
    return run_shards("predict", (), run_dir, data, out, engine=engine, address=address,
                      shards=shards, workers=workers, cpus=cpus, on_shard=on_shard)  # fmt: skip


def evaluate_parts(
    run_dir: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    test: Any = None,
    engine: str = "local",
    address: str | None = None,
    shards: int | None = None,
    workers: int | None = None,
    cpus: float = 1,
    on_shard: Callable[[int, int], None] | None = None,
) -> EvaluateResult:
    """Score a saved global model on every series of a Parquet panel by shards of series
    ids: each shard's per-series metrics as one Parquet part, and their M4 aggregate.

    Args:
        test: where the scored targets begin (as `forecast.runs.evaluate_run`): a fraction or
            row count at the end of each series, or a timestamp; default the test start the
            run was trained with (else the last 20 %).
        run_dir, data, out, engine, address, shards, workers, cpus, on_shard: as for
            `predict_parts`; the parts hold series, target, method, forecast_by, sMAPE, MASE,
            OWA (`Forecaster.evaluate(...).per_series`).

    Returns:
        An `EvaluateResult` whose `competition` is `{target: {method: {sMAPE, MASE, OWA}}}`
        over every series (`pooled`), as one `Forecaster.evaluate` over the panel gives it.

    Raises:
        as `predict_parts`.
    """
    from forecast.artifacts import read_metrics

    if test is None:  # resolved once here, so every shard scores the same span
        test = (read_metrics(run_dir).get("split") or {}).get("evaluate_test") or 0.2
    done = run_shards("evaluate", (test,), run_dir, data, out, engine=engine, address=address,
                      shards=shards, workers=workers, cpus=cpus, on_shard=on_shard)  # fmt: skip
    import pandas as pd

    parts = sorted(Path(out).glob("part-*.parquet"))
    table = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    return EvaluateResult(done.out, done.series, done.shards, done.workers, pooled(table))


@dataclass
class EvaluateResult(PredictResult):
    """What `evaluate_parts` wrote, and the M4 aggregate over every series."""

    competition: dict[str, Any] = field(default_factory=dict)


def pooled(table: Any) -> dict[str, Any]:
    """`{target: {method: {"sMAPE", "MASE", "OWA"}}}`: `forecast.competition.aggregate` of
    the per-series rows of `table` (every shard's part together)."""
    from forecast import competition

    found = {}
    for target, rows in table.groupby("target", sort=False):
        per_series: dict[str, dict[str, dict[str, float]]] = {}
        for row in rows.itertuples(index=False):
            scores = {"sMAPE": row.sMAPE, "MASE": row.MASE}
            per_series.setdefault(row.series, {})[row.method] = scores
        found[target] = competition.aggregate(per_series)
    return found


def run_shards(
    job: str,
    extra: tuple,
    run_dir: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    engine: str,
    address: str | None,
    shards: int | None,
    workers: int | None,
    cpus: float,
    on_shard: Callable[[int, int], None] | None,
) -> PredictResult:
    """Run `ShardPredictor.<job>(parts, ids, out, number, *extra)` over every shard of
    series ids, locally or on Ray actors (see `predict_parts`); stale parts removed."""
    from forecast.artifacts import read_config

    engine = check_choice("engine", engine, ENGINES)
    for name, value in (("shards", shards), ("workers", workers)):
        if value is not None:
            check_positive_int(name, value)
    run_dir, out = os.path.abspath(run_dir), Path(out).absolute()
    id_col = read_config(run_dir)["settings"].get("id_col")  # the model loads in the workers
    if not id_col:
        raise ConfigError(
            f"{job} by shards needs a run trained on many series (with --id-col)",
            setting="engine",
        )
    parts = parquet_parts(data)
    ids = series_ids(parts, id_col)
    out.mkdir(parents=True, exist_ok=True)
    actors: list[Any] = []
    if engine == "local":
        cut = shard_ids(ids, shards or -(-len(ids) // 1000))
        worker = ShardPredictor(run_dir)
        outcomes = (
            getattr(worker, job)(parts, chunk, str(out), n, *extra) for n, chunk in enumerate(cut)
        )
    else:
        ray = connect_ray(address)
        check_nodes(ray, [*parts, os.path.join(run_dir, "forecaster.json")])
        count = workers or max(1, int(ray.cluster_resources().get("CPU", 1) // cpus))
        cut = shard_ids(ids, shards or 4 * count)
        actor = ray.remote(num_cpus=cpus)(ShardPredictor)
        actors = [actor.remote(run_dir, max(1, int(cpus))) for _ in range(min(count, len(cut)))]
        outcomes = ray.util.ActorPool(actors).map_unordered(
            lambda a, item: getattr(a, job).remote(parts, item[1], str(out), item[0], *extra),
            list(enumerate(cut)),
        )
    done, pids = 0, set()
    try:
        for number, count_in, pid in outcomes:
            done += count_in
            pids.add(pid)
            if on_shard:
                on_shard(number, count_in)
    finally:  # the actors hold a model each: free their CPUs for the next job
        for each in actors:
            ray.kill(each)
    for stale in out.glob("part-*.parquet"):  # parts of an earlier run with more shards
        number = re.fullmatch(r"part-(\d+)\.parquet", stale.name)
        if number and int(number[1]) >= len(cut):
            stale.unlink()
    return PredictResult(out, done, len(cut), pids)
