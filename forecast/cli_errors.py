"""The one error reporter of the command lines (`forecast` and its `mnist` sub-app).

A `ForecastError` becomes one `error: ...` line on stderr, in the command line's terms
(`as_option`: `fill='ffill'` reads `--fill ffill`), and exit status 2; anything else one line
naming its type, and exit status 1. Typer only: no Keras, so an error is reported before the
backend starts.
"""

from __future__ import annotations

import contextvars
import functools
import re
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer

from forecast.errors import ForecastError

F = TypeVar("F", bound=Callable[..., Any])
# True while the main `forecast` command group runs: it then reports errors itself.
errors_reported_above: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "errors_reported_above", default=False
)


def one_line(exc: BaseException) -> str:
    """The message of `exc` on one line (line breaks and runs of spaces become one space)."""
    return " ".join(str(exc).split())


OPTION_NAMES = {"learning_rate": "lr"}  # library setting -> command-line option, where they differ
# Settings that messages write as Python arguments (`fill='interpolate'`, `sort=True`,
# `time_col=`); on the command line they read `--fill interpolate`, `--sort`, `--time-col`.
ARGUMENTS = (
    "fill", "sort", "duplicates", "tz", "sep", "decimal", "encoding", "time_col", "target",
    "covariates", "id_col", "freq", "device", "loss", "intervals", "calendar", "holidays",
    "future_covariates", "epochs", "patience", "reduce_lr_patience", "batch_size",
)  # fmt: skip
_ARGUMENT = re.compile(
    rf"(?<![\w-])({'|'.join(ARGUMENTS)})=(True\b|'([^']*)'|\"([^\"]*)\"|(?=[\s),;]|$))"
)


def _flag(setting: str) -> str:
    return "--" + OPTION_NAMES.get(setting, setting).replace("_", "-")


def _as_flag(match: re.Match) -> str:
    value = match[3] if match[3] is not None else match[4]
    return _flag(match[1]) + ("" if value is None else f" {value}")


def as_option(message: str, setting: str | None) -> str:
    """`message` in the command line's terms: Python arguments (`fill='ffill'`, `sort=True`)
    become options (`--fill ffill`, `--sort`), and the library's setting name (`normalize`,
    `learning_rate`) where it is first named becomes its option (`--normalize`, `--lr`)."""
    message = _ARGUMENT.sub(_as_flag, message)
    if not setting or setting.startswith("-"):  # already an option name
        return message
    return re.sub(rf"(?<![\w-]){re.escape(setting)}\b", _flag(setting), message, count=1)


def report_error(exc: BaseException) -> NoReturn:
    """Report `exc` as one `error: ...` line on stderr and exit: status 2 for a `ForecastError`,
    status 1 (naming the exception's type) for anything else.

    The one error reporter of the command lines: `forecast`'s command group and
    `reports_errors` (the `mnist` commands) both call it.
    """
    if isinstance(exc, ForecastError):
        typer.echo(f"error: {as_option(one_line(exc), exc.setting)}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"error: unexpected {type(exc).__name__}: {one_line(exc)} "
        "(rerun with --debug for the traceback)",
        err=True,
    )
    raise typer.Exit(1) from None


def reports_errors(command: F) -> F:
    """Turn a `ForecastError` into one `error: ...` line on stderr and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ForecastError as exc:
            if errors_reported_above.get():
                raise  # mounted in `forecast`: its group reports it (traceback with --debug)
            report_error(exc)

    return wrapper  # type: ignore[return-value]
