"""The command line's options against the library's one declaration of every setting
(`forecast.settings.SETTINGS`): the same defaults, the same valid values in `--help`."""

from __future__ import annotations

import inspect

from forecast import settings
from forecast.cli_errors import OPTION_NAMES, SETTING_NAMES
from forecast.cli_options import CLI_DEFAULTS, shared_options
from forecast.panel import check_val_origins
from forecast.settings import SETTINGS, choices, one_of

TEXT_LISTS = ("covariates", "future_covariates")  # comma-separated text; None: no column
TEXT_PARSED = {"val_origins": check_val_origins}  # text the CLI parses into the setting
# help says what each value does
DESCRIBED = ("intervals", "guard", "series_scaling", "combination")


def _options() -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(shared_options, eval_str=True).parameters)


def _help(option: inspect.Parameter) -> str:
    return next(m.help for m in option.annotation.__metadata__ if hasattr(m, "help")) or ""


def test_every_option_of_a_setting_defaults_to_the_librarys_default() -> None:
    checked = 0
    for name, option in _options().items():
        setting = SETTING_NAMES.get(name, name)
        if setting not in SETTINGS:
            continue  # a command-line-only option (load options, units, dropout, ...)
        checked += 1
        library = SETTINGS[setting].default
        if name in CLI_DEFAULTS:
            assert option.default == CLI_DEFAULTS[name] != library, name
        elif name in TEXT_LISTS:
            assert (option.default, library) == (None, ()), name
        elif name in TEXT_PARSED:
            assert TEXT_PARSED[name](option.default) == library, f"--{name}: {option.default!r}"
        else:
            assert option.default == library, f"--{name} defaults to {option.default!r}"
    assert checked >= 25
    # --data-parallel: the flag for distribution="data_parallel"; off is the default None.
    assert _options()["data_parallel"].default is False and settings.DEFAULTS.distribution is None
    assert "data_parallel" in choices("distribution")


def test_the_forecaster_takes_its_defaults_from_the_table() -> None:
    from forecast.forecaster import Forecaster

    given = inspect.signature(Forecaster.__init__).parameters
    assert {k: p.default for k, p in given.items() if k != "self"} == {
        k: s.default for k, s in SETTINGS.items()
    }


def test_every_choice_in_help_is_a_valid_value_of_the_library() -> None:
    for name, option in _options().items():
        setting = SETTING_NAMES.get(name, name)
        if setting not in SETTINGS or SETTINGS[setting].choices is None:
            continue
        text = _help(option)
        if setting in DESCRIBED:
            missing = [c for c in choices(setting) if c not in text]
            assert not missing, f"--{name} --help does not name {missing}"
        elif name != "data_parallel":
            assert one_of(setting) in text, f"--{name} --help: {text!r}"


def test_the_checks_take_their_values_from_the_table() -> None:
    from forecast import backends, guard, intervals, known_future, models, scaling, training

    assert tuple(models.BUILDERS) == choices("model")
    assert models.NORMALIZE_CHOICES == choices("normalize")
    assert tuple(training.LOSSES) == choices("loss")
    assert tuple(training.OPTIMIZERS) == choices("optimizer")
    assert scaling.METHODS == choices("scaler")
    assert scaling.SERIES_SCALINGS == choices("series_scaling")
    assert intervals.INTERVAL_MODES == choices("intervals")
    assert guard.GUARDS == choices("guard")
    assert known_future.CALENDARS == choices("calendar")
    assert backends.DEVICES == choices("device")
    assert backends.DISTRIBUTIONS == choices("distribution")


def test_renamed_options_are_one_table_that_messages_use_too() -> None:
    from forecast.cli_errors import as_option

    assert OPTION_NAMES == {"learning_rate": "lr"} and SETTING_NAMES == {"lr": "learning_rate"}
    assert "lr" in _options() and "learning_rate" not in _options()
    assert as_option("learning_rate must be positive", "learning_rate") == "--lr must be positive"
    assert one_of("model") == "single, stacked or attention"


def test_the_default_split_is_declared_once() -> None:
    from forecast import cli_options
    from forecast.splits import SplitSpec

    split = next(m for m in cli_options.Split.__metadata__ if hasattr(m, "show_default"))
    assert split.show_default == "0.6,0.2,0.2" == ",".join(f"{x:g}" for x in settings.SPLIT)
    assert SplitSpec().fractions == settings.SPLIT
