"""Issue #26, the bad-input catalogue's second round: each case with its exact input, giving
the right result or one `error:` line with exit status 2 (`cli_helpers.one_error`).

Output files survive a kill and a full disk (the earlier file whole, or the new one complete);
day-first dates are read as such; silent wrong results and tracebacks become one clear line.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import invoke, one_error, trained_run

ROOT = Path(__file__).resolve().parents[1]
DAILY = ROOT / "data" / "synthetic_daily.csv"
AEP = ROOT.parent / "shared" / "datasets" / "AEP_hourly.csv"
TINY = ["--lookback", "14", "--horizon", "7", "--epochs", "1", "--units", "4"]
TINY += ["--batch-size", "256", "--quiet", "--no-plots"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder trained once (1 epoch, 4 units) on the bundled daily data."""
    return trained_run(tmp_path_factory, "bad2", *TINY)


def last_error(result: object, *needles: str) -> str:
    """Exit 2, and the last stderr line the one `error:` line (after the load report lines
    `predict --out` prints on stderr), with no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert [x for x in lines if x.startswith("error: ")] == lines[-1:], result.stderr
    assert "Traceback" not in result.output and "unexpected" not in lines[-1]
    for needle in needles:
        assert needle in lines[-1], lines[-1]
    return lines[-1]


def _half_then(fail: BaseException | None):
    """A `Path.write_text` that writes half the text, then raises `fail` (None: SIGKILL)."""

    def write_text(self: Path, text: str, *args: object, **kwargs: object) -> int:
        with open(self, "w") as fh:
            fh.write(text[: len(text) // 2])
            fh.flush()
        if fail is None:
            os.kill(os.getpid(), signal.SIGKILL)
        raise fail

    return write_text


# ---------------------------------------------------------------------- data loss: predict --out
def test_predict_out_disk_full_keeps_the_earlier_file(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preds = tmp_path / "preds.csv"
    assert invoke("predict", run_dir, "--data", DAILY, "--out", preds).exit_code == 0
    good = preds.read_text()
    monkeypatch.setattr(Path, "write_text", _half_then(OSError(errno.ENOSPC, "No space")))
    line = last_error(invoke("predict", run_dir, "--data", DAILY, "--out", preds), "--out")
    assert "no space left on device" in line and "earlier file is kept" in line
    assert preds.read_text() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preds.csv"]  # no temporary left


@pytest.mark.slow
def test_predict_out_killed_while_writing_keeps_the_earlier_file(
    run_dir: Path, tmp_path: Path
) -> None:
    preds = tmp_path / "preds.csv"
    assert invoke("predict", run_dir, "--data", DAILY, "--out", preds).exit_code == 0
    good = preds.read_text()
    script = (
        "import sys, pathlib, test_bad_inputs_2 as t\n"
        "pathlib.Path.write_text = t._half_then(None)\n"
        "from forecast.cli import main\n"
        f"sys.argv = ['forecast', 'predict', {str(run_dir)!r}, '--data', {str(DAILY)!r}, "
        f"'--out', {str(preds)!r}]\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert preds.read_text() == good


def test_predict_out_onto_its_own_data_file_is_refused(run_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes(DAILY.read_bytes())
    one_error(invoke("predict", run_dir, "--data", data, "--out", data), "--out", "input file")
    assert data.read_bytes() == DAILY.read_bytes()


def test_predict_out_an_existing_folder_is_refused(run_dir: Path, tmp_path: Path) -> None:
    one_error(invoke("predict", run_dir, "--data", DAILY, "--out", tmp_path), "is a folder")


def test_predict_out_in_a_read_only_folder_is_one_line(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m, **k: Path(p) != locked and real(p, m, **k))
    one_error(
        invoke("predict", run_dir, "--data", DAILY, "--out", locked / "p.csv"),
        "permission denied",
    )
    # and when the check passes but the write itself is refused (root, a network share, ...)
    monkeypatch.setattr(os, "access", real)
    monkeypatch.setattr(Path, "write_text", _half_then(PermissionError(errno.EACCES, "denied")))
    last_error(
        invoke("predict", run_dir, "--data", DAILY, "--out", locked / "p.csv"),
        "permission denied",
    )
    assert not (locked / "p.csv").exists()


# ---------------------------------------------------------------------- batch and tune outputs
GRID = """
models = ["{model}"]
seeds = [0]
[train]
epochs = 1
{train}
[[datasets]]
name = "daily"
path = "{path}"
lookback = 14
{dataset}
"""


def _grid(tmp_path: Path, model: str = "single", train: str = "", dataset: str = "horizons = [7]",
          path: Path = DAILY) -> Path:  # fmt: skip
    config = tmp_path / "grid.toml"
    config.write_text(GRID.format(model=model, train=train, path=path, dataset=dataset))
    return config


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"dataset": ""}, "needs `horizons`"),
        ({"dataset": "horizons = 12"}, "horizons must be a list"),
        ({"model": "lstm"}, "unknown model 'lstm'"),
        ({"dataset": "horizons = [7]\ncolour = 'red'"}, "unknown key `colour`"),
        ({"train": "epoch = 3"}, "[train] key `epoch`"),
        ({"train": "loss = 'maee'"}, "unknown loss"),
        ({"path": Path("no/such.csv")}, "no dataset file"),
    ],
)
def test_a_bad_batch_config_is_refused_before_the_first_cell(
    changes: dict, needle: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = invoke("batch", _grid(tmp_path, **changes), "--out", out)
    one_error(result, needle)
    assert not (out / "results.csv").exists()


def test_batch_out_an_existing_file_or_a_read_only_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = tmp_path / "taken.csv"
    taken.write_text("mine\n")
    one_error(invoke("batch", _grid(tmp_path), "--out", taken), "--out", "is a file")
    assert taken.read_text() == "mine\n"
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m, **k: Path(p) != tmp_path and real(p, m, **k))
    one_error(invoke("batch", _grid(tmp_path), "--out", tmp_path / "o"), "permission denied")


def _fsync_then(fail: BaseException | None):
    def fsync(fd: int) -> None:
        if fail is None:
            os.kill(os.getpid(), signal.SIGKILL)
        raise fail

    return fsync


def test_batch_results_keep_their_rows_on_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast.distributed import grid
    from forecast.errors import OutputError

    grid.record_row(tmp_path, {"dataset": "d", "model": "single", "horizon": 7, "seed": 0})
    before = grid.assemble(tmp_path).read_text()
    monkeypatch.setattr(os, "fsync", _fsync_then(OSError(errno.ENOSPC, "No space")))
    with pytest.raises(OutputError, match="no space left on device"):
        grid.record_row(tmp_path, {"dataset": "d", "model": "single", "horizon": 7, "seed": 1})
    with pytest.raises(OutputError, match="no space left on device"):
        grid.assemble(tmp_path)
    assert (tmp_path / "results.csv").read_text() == before
    assert len(list((tmp_path / "parts").iterdir())) == 1  # no cut-off part left behind


def test_batch_results_keep_their_rows_when_killed_while_writing(tmp_path: Path) -> None:
    out = tmp_path / "grid"
    script = (  # _fsync_then(None), written out: importing this module would cost a second
        "import os, signal, sys\n"
        "from forecast.distributed import grid\n"
        "out = sys.argv[1]\n"
        "grid.record_row(out, {'dataset': 'd', 'model': 'single', 'horizon': 7, 'seed': 0})\n"
        "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)\n"
        "grid.record_row(out, {'dataset': 'd', 'model': 'single', 'horizon': 7, 'seed': 1})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the script imports no test module
    done = subprocess.run([sys.executable, "-c", script, out], env=env, capture_output=True)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    from forecast.distributed import grid

    lines = grid.assemble(out).read_text().splitlines()  # the cut-off part is not read
    assert len(lines) == 2 and lines[1].startswith("d,single,7,0")


TUNE = ["--engine", "local", "--trials", "1", "--lookback", "14", "--horizon", "7"]
TUNE += ["--epochs", "1", "--units", "4", "--batch-size", "256"]


def test_tune_out_a_file_is_refused_before_the_search(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("mine\n")
    result = invoke("tune", DAILY, *TUNE, "--out", taken)
    one_error(result, "--out", "is a file")
    assert "trial" not in result.stdout and taken.read_text() == "mine\n"


@pytest.mark.slow
def test_tune_search_csv_survives_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "tuned"
    assert invoke("tune", DAILY, *TUNE, "--out", out).exit_code == 0
    before = (out / "search.csv").read_text()

    real = pd.DataFrame.to_csv

    def full(self: pd.DataFrame, path: object = None, *args: object, **kwargs: object) -> None:
        if "search" not in str(path):
            return real(self, path, *args, **kwargs)
        Path(path).write_bytes(b"trial,val_MA")  # cut off
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    result = invoke("tune", DAILY, *TUNE, "--out", out)
    one_error(result, "search.csv could not be written: no space left on device")
    assert (out / "search.csv").read_text() == before
    assert sorted(p.name for p in out.glob("search*")) == ["search.csv"]


# ---------------------------------------------------------------------- day-first dates
def _day_first_aep(path: Path, rows: int | None = None) -> Path:
    """AEP_hourly.csv with its dates written `DD-MM-YYYY HH:MM` (its last `rows` hours, sorted,
    when given; else every row in the file's own, unsorted order)."""
    frame = pd.read_csv(AEP)
    stamps = pd.to_datetime(frame["Datetime"])
    if rows is not None:
        order = stamps.sort_values(kind="stable").index[-rows:]
        frame, stamps = frame.loc[order], stamps.loc[order]
    frame["Datetime"] = stamps.dt.strftime("%d-%m-%Y %H:%M")
    frame.to_csv(path, index=False)
    return path


@pytest.mark.skipif(not AEP.is_file(), reason="needs ../shared/datasets/AEP_hourly.csv")
def test_a_day_first_hourly_load_file_reads_as_the_month_first_original(tmp_path: Path) -> None:
    from forecast.series import future_index, load_report, load_series

    options = {"sort": True, "duplicates": "mean", "fill": "interpolate"}
    original = load_series(AEP, **options)
    day_first = load_series(_day_first_aep(tmp_path / "aep_dmy.csv"), **options)
    assert len(day_first) == len(original) == 121296
    assert day_first.index.equals(original.index)
    assert (day_first.to_numpy() == original.to_numpy()).all()
    changes = day_first.attrs["load"]["changes"]
    assert pd.Timestamp("2014-11-02 02:00") in changes.merged
    assert pd.Timestamp("2014-02-11 02:00") not in changes.merged
    assert len(changes.filled["AEP_MW"]) == 27  # as many as the original needs
    report = load_report(day_first)
    assert any(line.startswith("dates: column 'Datetime' read day-first") for line in report)
    start = future_index(day_first.index, 12, "h")[0]
    assert start == pd.Timestamp("2018-08-03 01:00")


@pytest.mark.skipif(not AEP.is_file(), reason="needs ../shared/datasets/AEP_hourly.csv")
def test_predict_on_day_first_dates_starts_after_the_last_row(tmp_path: Path) -> None:
    data = _day_first_aep(tmp_path / "aep_dmy.csv", rows=600)  # 2018-07-09 .. 2018-08-03
    out = tmp_path / "run"
    trained = invoke("train", data, *TINY, "--out", out)
    assert trained.exit_code == 0, trained.output
    assert "read day-first" in trained.stdout
    predicted = invoke("predict", out, "--data", data, "--out", "-")
    assert predicted.exit_code == 0, predicted.output
    first = predicted.stdout.splitlines()[1].split(",")[0]
    assert pd.Timestamp(first) == pd.Timestamp("2018-08-03 01:00")


def _dates_csv(path: Path, dates: list[str]) -> Path:
    pd.DataFrame({"date": dates, "y": range(len(dates))}).to_csv(path, index=False)
    return path


MONTHLY_OR_DAILY = [f"01/{m:02d}/2021" for m in range(1, 13)]  # 1 Jan ... 1 Dec, or 1..12 Jan


def test_dates_that_read_both_ways_as_regularly_are_refused_naming_both(tmp_path: Path) -> None:
    data = _dates_csv(tmp_path / "d.csv", MONTHLY_OR_DAILY)
    line = one_error(invoke("train", data, *TINY, "--out", tmp_path / "r"), "reads both ways")
    assert "2021-02-01 day-first or 2021-01-02 month-first" in line
    assert "--dayfirst" in line and "--date-format" in line


@pytest.mark.parametrize(
    ("option", "first", "freq"),
    [(["--dayfirst"], "2021-02-01", "MS"), (["--date-format", "%m/%d/%Y"], "2021-01-02", "D")],
)
def test_dayfirst_and_date_format_decide_the_order(
    option: list[str], first: str, freq: str, tmp_path: Path
) -> None:
    from forecast.series import load_series

    data = _dates_csv(tmp_path / "d.csv", MONTHLY_OR_DAILY)
    kwargs = {"dayfirst": True} if option[0] == "--dayfirst" else {"date_format": option[1]}
    frame = load_series(data, **kwargs)
    assert str(frame.index[1].date()) == first and frame.attrs["forecast"]["freq"] == freq
    short = ["--lookback", "2", "--horizon", "1", "--epochs", "1", "--units", "2", "--quiet"]
    trained = invoke("train", data, *short, "--no-plots", "--split", "0.5,0.25,0.25",
                     "--out", tmp_path / "r", *option)  # fmt: skip
    assert trained.exit_code == 0, trained.output
    predicted = invoke("predict", tmp_path / "r", "--data", data, "--out", "-")
    expected = pd.date_range(frame.index[-1], periods=2, freq=freq)[1]
    assert pd.Timestamp(predicted.stdout.splitlines()[1].split(",")[0]) == expected


def test_hourly_day_first_dates_with_days_up_to_12_only_are_read_day_first(
    tmp_path: Path,
) -> None:
    from forecast.series import load_report, load_series

    hours = pd.date_range("2021-01-01", periods=24 * 12, freq="h")  # 1..12 January
    frame = load_series(_dates_csv(tmp_path / "d.csv", list(hours.strftime("%d-%m-%Y %H:%M"))))
    assert frame.index.equals(pd.DatetimeIndex(hours, name="date", freq="h"))
    assert "0 irregular steps that way, 11 month-first" in load_report(frame)[-1]


def test_day_first_dates_with_offsets_across_a_clock_change_keep_their_note(
    tmp_path: Path,
) -> None:
    from forecast.series import load_report, load_series

    utc = pd.date_range("2023-03-24 00:00", periods=96, freq="h", tz="UTC")  # over 26 March
    local = utc.tz_convert("Europe/Berlin")  # offsets +01:00, then +02:00
    values = [t.strftime("%d-%m-%Y %H:%M") + t.strftime("%z")[:3] + ":00" for t in local]
    frame = load_series(_dates_csv(tmp_path / "d.csv", values))
    assert frame.index.equals(pd.DatetimeIndex(utc.tz_convert(None), name="date", freq="h"))
    assert any("read day-first (DD-MM-YYYY)" in line for line in load_report(frame))


def test_a_parquet_time_column_of_timestamps_is_read_as_it_is(tmp_path: Path) -> None:
    from forecast.series import load_series

    pytest.importorskip("pyarrow")
    stamps = pd.date_range("2021-01-01", periods=40, freq="D")
    path = tmp_path / "d.parquet"
    pd.DataFrame({"date": stamps, "y": range(40)}).to_parquet(path)
    assert load_series(path).index.equals(pd.DatetimeIndex(stamps, name="date", freq="D"))


@pytest.mark.parametrize(
    ("dates", "option", "needle"),
    [
        (["13-01-2021", "01-14-2021", "01-15-2021"], [], "mixes day-first and month-first"),
        (["01/02/2021", "02/02/2021", "03/02/2021"], ["--date-format", "%Y-%m-%d"],
         "does not match --date-format %Y-%m-%d"),
    ],
)  # fmt: skip
def test_dates_in_no_one_order_or_not_in_the_format_are_one_error(
    dates: list[str], option: list[str], needle: str, tmp_path: Path
) -> None:
    data = _dates_csv(tmp_path / "d.csv", dates)
    one_error(invoke("train", data, *TINY, "--out", tmp_path / "r", *option), needle)


# ---------------------------------------------------------------------- silent wrong results
def test_evaluate_from_before_the_data_scores_the_model_not_naive(run_dir: Path) -> None:
    import json

    result = invoke("evaluate", run_dir, "--data", DAILY, "--test-start", "2000-01-01", "--json")
    assert result.exit_code == 0, result.output
    assert "too short to train on" not in result.output
    scores = json.loads(result.stdout)["overall"]["value"]
    assert scores["model"]["MAE"] != scores["naive"]["MAE"]
    assert abs(scores["model"]["MAE"] - scores["linear"]["MAE"]) < scores["naive"]["MAE"] / 2
    assert "scoring from 2015-01-15" in result.stderr  # the first row with a full lookback


def _panel(path: Path, series: dict[str, str], rows: int = 80, value: float | None = None) -> Path:
    """A long-format CSV: `{id: pandas frequency}`, `rows` rows each (`value`: the last row
    of the first series)."""
    frames = []
    for number, (key, freq) in enumerate(series.items()):
        stamps = pd.date_range("2021-01-01", periods=rows, freq=freq)
        y = 10.0 + number + (pd.Series(range(rows)) % 7).to_numpy()
        frames.append(pd.DataFrame({"id": key, "time": stamps, "y": y}))
    frame = pd.concat(frames, ignore_index=True)
    if value is not None:
        frame.loc[rows - 1, "y"] = value
    frame.to_csv(path, index=False)
    return path


PANEL = ["--id-col", "id", "--target", "y", "--lookback", "7", "--horizon", "3"]
PANEL += ["--epochs", "1", "--units", "4", "--quiet", "--no-plots"]


def test_a_panel_of_an_hourly_and_a_daily_series_is_refused_naming_them(tmp_path: Path) -> None:
    data = _panel(tmp_path / "p.csv", {"meter": "h", "site": "D"})
    one_error(invoke("train", data, *PANEL, "--out", tmp_path / "r"), "'meter'", "'site'", "'D'")


def test_ids_with_leading_zeros_stay_apart_and_as_written(tmp_path: Path) -> None:
    data = _panel(tmp_path / "p.csv", {"001": "D", "1": "D", "010": "D"})
    out = tmp_path / "r"
    trained = invoke("train", data, *PANEL, "--out", out)
    assert trained.exit_code == 0, trained.output
    metrics = pd.read_csv(out / "series_metrics.csv", dtype=str)
    assert set(metrics.iloc[:, 0]) == {"001", "1", "010"}
    predicted = invoke("predict", out, "--data", data, "--out", "-")
    assert predicted.exit_code == 0, predicted.output
    ids = [line.split(",")[1] for line in predicted.stdout.splitlines()[1:]]
    assert sorted(set(ids)) == ["001", "010", "1"] and len(ids) == 9


def test_a_value_too_large_for_the_model_is_one_error(run_dir: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(DAILY)
    frame.loc[len(frame) - 1, frame.columns[1]] = 1e308  # in the test part only
    data = tmp_path / "huge.csv"
    frame.to_csv(data, index=False)
    one_error(invoke("train", data, *TINY, "--out", tmp_path / "r"), "too large", "1e+308")
    last_error(invoke("predict", run_dir, "--data", data, "--out", tmp_path / "p.csv"), "too large")
    one_error(invoke("evaluate", run_dir, "--data", data), "too large")


def _edited_run(run_dir: Path, tmp_path: Path, edit: object) -> Path:
    import json
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    config = json.loads((copy / "forecaster.json").read_text())
    edit(config)
    (copy / "forecaster.json").write_text(json.dumps(config))
    return copy


def _zero_scale(config: dict) -> None:
    config["scaler"]["state"]["scale_"] = [0.0]


def _string_lookback(config: dict) -> None:
    config["settings"]["lookback"] = "14"


def _text_targets(config: dict) -> None:
    config["n_targets"] = "one"


@pytest.mark.parametrize(
    ("edit", "needles"),
    [
        (_zero_scale, ["'scaler'", "zero or infinite scale"]),
        (_string_lookback, ["'settings'", "lookback", "'14'"]),
        (_text_targets, ["'n_targets'", "'one'"]),
    ],
)
def test_a_hand_edited_forecaster_json_names_the_field(
    edit: object, needles: list[str], run_dir: Path, tmp_path: Path
) -> None:
    run = _edited_run(run_dir, tmp_path, edit)
    for command in (["predict", run, "--data", DAILY], ["evaluate", run, "--data", DAILY]):
        one_error(invoke(*command), "forecaster.json", *needles)


def test_a_season_longer_than_the_training_part_is_one_error(tmp_path: Path) -> None:
    result = invoke("train", DAILY, *TINY, "--season", "100000", "--out", tmp_path / "r")
    one_error(result, "--season 100000", "training part")
    assert not (tmp_path / "r").exists()


def test_series_ids_that_clash_as_file_names_get_a_plot_each(tmp_path: Path) -> None:
    data = _panel(tmp_path / "p.csv", {"x/y": "D", "x_y": "D"})
    out = tmp_path / "r"
    args = [a for a in PANEL if a != "--no-plots"]
    trained = invoke("train", data, *args, "--series", "x/y,x_y", "--out", out)
    assert trained.exit_code == 0, trained.output
    assert sorted(p.name for p in out.glob("forecast_*.png")) == [
        "forecast_x_y-2.png", "forecast_x_y.png",
    ]  # fmt: skip


def test_predict_levels_from_too_few_calibration_windows_warns_like_train(run_dir: Path) -> None:
    result = invoke("predict", run_dir, "--data", DAILY, "--levels", "99.9")
    assert result.exit_code == 0, result.output
    assert "warning: 99.9% intervals:" in result.stderr
    assert "calibration windows are too few for the conformal guarantee (it needs 999)" in (
        result.stderr
    )


# ---------------------------------------------------------------------- a full disk in training
def _full_disk_in(where: str):
    import keras

    real = keras.Model.save

    def save(self: object, path: object, *args: object, **kwargs: object) -> None:
        if where in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, path, *args, **kwargs)

    return save


@pytest.mark.parametrize(("where", "needle"), [(".saving", "earlier files are kept"),
                                               ("best", "training checkpoint")])  # fmt: skip
def test_a_full_disk_while_training_or_saving_is_one_error(
    where: str, needle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keras

    monkeypatch.setattr(keras.Model, "save", _full_disk_in(where))
    result = invoke("train", DAILY, *TINY, "--out", tmp_path / "r")
    one_error(result, "no space left on device", needle)
    assert not (tmp_path / "r" / "model.keras").exists()


# ---------------------------------------------------------------------- tracebacks and unclear
COVARIATE = ROOT / "data" / "synthetic_covariate.csv"


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        ([COVARIATE, "--target", "load,timestamp"], ["'timestamp' is the time column"]),
        ([DAILY, "--units", "64,32", "--model", "single"], ["--model stacked"]),
        ([DAILY, "--test-size", "100", "--val-size", "5000"], ["--val-size 5000", "no training"]),
        ([DAILY, "--train-end", "2000-01-01", "--val-end", "2000-02-01"],
         ["--train-end 2000-01-01 is before the data's first timestamp 2015-01-01"]),
        ([DAILY, "--train-end", "2020-01-01", "--val-end", "2030-01-01"],
         ["--val-end 2030-01-01", "leaves no test rows"]),
    ],
)  # fmt: skip
def test_train_inputs_that_broke_or_misled_are_one_clear_line(
    args: list, needles: list[str], tmp_path: Path
) -> None:
    tiny = [a for a in TINY if a not in ("--units", "4")]
    one_error(invoke("train", *args, *tiny, "--out", tmp_path / "r"), *needles)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("head", "kind"),
    [(b"PK\x03\x04\x14\x00\x06\x00", "zip or Excel (.xlsx)"), (b"\x00\x01\x02binary", "binary")],
)
def test_a_spreadsheet_or_binary_file_is_told_to_be_saved_as_csv(
    head: bytes, kind: str, tmp_path: Path
) -> None:
    data = tmp_path / "load.xlsx"
    data.write_bytes(head + bytes(range(256)) * 4)
    for extra in ([], ["--encoding", "latin-1"]):  # the same advice either way
        line = one_error(invoke("train", data, *TINY, "--out", tmp_path / "r", *extra), kind)
        assert "save it as CSV" in line and "encoding" not in line


def test_predict_and_evaluate_do_not_advise_a_fill_they_lack(run_dir: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(DAILY)
    frame.loc[len(frame) - 5, "value"] = None
    holes = tmp_path / "holes.csv"
    frame.to_csv(holes, index=False)
    gaps = tmp_path / "gaps.csv"
    frame.drop(index=[len(frame) - 5]).to_csv(gaps, index=False)
    for data in (holes, gaps):
        for command in ("predict", "evaluate"):
            line = one_error(invoke(command, run_dir, "--data", data), "trained with (none)")
            assert "train again with --fill interpolate" in line and "pass --fill" not in line


def test_evaluate_from_after_the_data_says_so(run_dir: Path) -> None:
    result = invoke("evaluate", run_dir, "--data", DAILY, "--test-start", "2100-01-01")
    one_error(result, "2100-01-01 is after the data's last timestamp 2024-12-31")


def test_continuing_a_one_series_run_on_many_series_says_why(run_dir: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(DAILY)
    many = pd.concat([frame.assign(id=k) for k in ("a", "b", "c")], ignore_index=True)
    data = tmp_path / "many.csv"
    many[["id", "date", "value"]].to_csv(data, index=False)
    result = invoke("train", data, "--from", run_dir, "--epochs", "1", "--out", tmp_path / "r")
    one_error(result, "trained on one series", "--id-col")


def test_continuing_a_run_twice_with_its_seed_gives_the_same_model(
    run_dir: Path, tmp_path: Path
) -> None:
    import json

    scores = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = invoke("train", DAILY, "--from", run_dir, "--epochs", "1", "--quiet",
                        "--no-plots", "--out", out)  # fmt: skip
        assert result.exit_code == 0, result.output
        scores.append(json.loads((out / "metrics.json").read_text())["overall"])
    assert scores[0] == scores[1]


def test_a_run_killed_after_training_finished_is_not_trained_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keras removes `backup/` when training ends; a kill before the model is kept used to
    train again from epoch 1, silently. The finished state in `state.json` is kept instead."""
    import keras
    import numpy as np

    from forecast.forecaster import Forecaster
    from forecast.series import load_series
    from forecast.splits import SplitSpec, split_series

    settings = dict(lookback=14, horizon=7, epochs=2, model_options={"units": 4}, verbose=0)
    parts = split_series(load_series(DAILY), SplitSpec((0.6, 0.2, 0.2)), context=14)
    run_dir = tmp_path / ".train"
    first = Forecaster(**settings).fit(parts, run_dir=run_dir)  # then "killed" before kept
    assert not (run_dir / "backup").exists()

    def trained_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained again from epoch 1")

    monkeypatch.setattr(keras.Model, "fit", trained_again)
    again = Forecaster(**settings).fit(parts, run_dir=run_dir)
    assert again.fit_result_.epochs_run == first.fit_result_.epochs_run == 2
    assert again.fit_result_.best_epoch == first.fit_result_.best_epoch
    for a, b in zip(again.model_.get_weights(), first.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
