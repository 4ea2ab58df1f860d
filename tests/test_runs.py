"""Tests for forecast/runs.py: the run folder (resume fingerprint), THE train workflow that
`forecast train`, `batch` and `tune` share, the one window check, `LoadOptions`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from cli_helpers import invoke, one_error

from forecast import runs, splits
from forecast.forecaster import Forecaster


def test_run_folder_is_resumed_only_with_the_same_settings(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y": range(100)}, index=pd.RangeIndex(100))
    parts = splits.split_series(frame, context=5)
    folder = tmp_path / ".train"
    assert runs.prepare_run_dir(folder, Forecaster(lookback=5), parts) == "new"
    (folder / "state.json").write_text("{}")
    assert runs.prepare_run_dir(folder, Forecaster(lookback=5, epochs=7), parts) == "resume"
    assert (folder / "state.json").exists()
    assert runs.prepare_run_dir(folder, Forecaster(lookback=6), parts) == "restart"
    assert not (folder / "state.json").exists()


# ---------------------------------------------------------------------- one window check
WINDOW = "has 10 rows, too short: one window needs lookback + horizon = 12 rows"


def test_one_window_check_says_one_message_everywhere() -> None:
    """Every place that needs one window of lookback + horizon rows asks
    `gaps.check_window_fits`: the same words from the array, the feeder, the data and fit."""
    import numpy as np
    import pytest

    from forecast.errors import DataError
    from forecast.gaps import check_window_fits
    from forecast.series import LoadOptions
    from forecast.windowing import WindowFeeder, make_windows

    with pytest.raises(DataError) as raised:
        check_window_fits(10, 8, 4, "the data")
    assert str(raised.value) == (
        f"the data {WINDOW}; give more rows, or a shorter lookback= or horizon="
    )
    for call in (
        lambda: make_windows(np.arange(10.0), 8, 4),
        lambda: WindowFeeder([np.arange(10.0), np.arange(6.0)], 8, 4),
        lambda: runs.load_data(_frame(10), LoadOptions(), 8, 4),
        lambda: Forecaster(lookback=8, horizon=4, epochs=1).fit(_frame(10), val=None),
    ):
        with pytest.raises(DataError, match=WINDOW.replace("+", r"\+")):
            call()


def test_the_command_line_words_the_window_check_in_its_options(tmp_path: Path) -> None:
    data = tmp_path / "short.csv"
    _frame(10).rename_axis("date").to_csv(data)
    line = one_error(
        invoke("train", data, "--lookback", "8", "--horizon", "4", "--out", tmp_path / "r"),
        f"the data {WINDOW}",
    )
    assert line.endswith("give more rows, or a shorter --lookback or --horizon")


def _frame(rows: int) -> pd.DataFrame:
    stamps = pd.date_range("2021-01-01", periods=rows, freq="D")
    return pd.DataFrame({"y": [float(i % 7) for i in range(rows)]}, index=stamps)


# ---------------------------------------------------------------------- LoadOptions
def test_load_options_are_one_value_from_settings_flags_and_tables(tmp_path: Path) -> None:
    import pytest

    from forecast.errors import ConfigError
    from forecast.series import LoadOptions, load_series

    data = tmp_path / "semi.csv"
    data.write_text("when;value;x\n02.01.2021;1,5;3\n01.01.2021;2,5;4\n03.01.2021;3,5;5\n")
    options = LoadOptions.of({"time_col": "when", "target": "value", "sort": True,
                              "dayfirst": True, "sep": ";", "decimal": ","})  # fmt: skip
    frame = load_series(data, options)
    assert frame["value"].tolist() == [2.5, 1.5, 3.5] and frame.index[0].day == 1
    assert load_series(data, **options.kwargs()).equals(frame)
    assert options.extra() == {"sort": True, "sep": ";", "decimal": ",", "dayfirst": True}
    settings = Forecaster(time_col="when", target="value", covariates="x",
                          load_options=options.extra()).get_params()  # fmt: skip
    again = LoadOptions.from_settings(settings)
    assert again == options.replace(covariates=("x",))
    with pytest.raises(ConfigError, match="unknown load option `colour`; load options are: time"):
        LoadOptions.of({"colour": "red"})
    with pytest.raises(ConfigError, match="unknown load option `colour`"):
        load_series(data, colour="red")


def test_the_command_lines_load_options_default_to_load_options_defaults() -> None:
    import inspect

    from forecast.cli_options import shared_options
    from forecast.series import LoadOptions

    given = inspect.signature(shared_options, eval_str=True).parameters
    for name in LoadOptions.names():
        if name in ("target", "covariates", "future_rows"):  # text lists; from --calendar ...
            continue
        assert given[name].default == getattr(LoadOptions(), name), name


# ---------------------------------------------------------------------- one train workflow
def test_train_a_batch_cell_and_a_tuned_winner_are_one_workflow(tmp_path: Path) -> None:
    """`forecast train`, a `forecast batch` cell and `forecast tune`'s winner run the same
    `runs.train`: for the same settings, the same test scores and the same run folder."""
    import json

    import numpy as np

    from forecast.distributed import grid, tuning
    from forecast.series import LoadOptions
    from forecast.splits import SplitSpec

    rows = 120
    wave = 10 + 3 * np.sin(np.arange(rows) * 2 * np.pi / 7)
    data = tmp_path / "daily.csv"
    pd.DataFrame({"date": pd.date_range("2021", periods=rows, freq="D"), "y": wave}).to_csv(
        data, index=False
    )
    given = {"epochs": 2, "patience": 2, "batch_size": 16}
    cli = invoke("train", data, "--lookback", "14", "--horizon", "7", "--units", "4", "--quiet",
                 "--no-plots", "--out", tmp_path / "cli",
                 *[f"--{k.replace('_', '-')}={v}" for k, v in given.items()])  # fmt: skip
    assert cli.exit_code == 0, cli.output
    dataset = {"name": "d", "path": str(data), "lookback": 14, "horizons": [7]}
    config = {"models": ["single"], "seeds": [0], "train": given, "datasets": [dataset],
              "model_options": {"single": {"units": 4}}}  # fmt: skip
    cell = grid.run_cell(grid.grid(config)[0])
    base = Forecaster(lookback=14, horizon=7, model_options={"units": 4}, verbose=0, **given)
    series = runs.load_data(data, LoadOptions(), 14, 7)
    tuned = tuning.tune(base, series, SplitSpec(), tmp_path / "tuned", trials=1, engine="local",
                        data=str(data))  # fmt: skip

    def metrics(folder: Path) -> dict:
        found = json.loads((folder / "metrics.json").read_text())
        return {k: v for k, v in found.items() if k != "data"}

    assert metrics(tmp_path / "cli") == metrics(tmp_path / "tuned")
    assert runs.saved_files(tmp_path / "cli") == runs.saved_files(tmp_path / "tuned")
    overall = tuned.run.report.overall()
    target = overall.index.get_level_values("target")[0]
    assert cell["MAE"] == float(overall.loc[target].loc["model", "MAE"])
