"""The one error reporter of the command lines (`forecast` and its `mnist` sub-app).

A `ForecastError` becomes one `error: ...` line on stderr, in the command line's terms
(`as_option`: `fill='ffill'` reads `--fill ffill`), and exit status 2; anything else one line
naming its type, and exit status 1; `--debug` prints the traceback first. `ForecastGroup` does
it for every `forecast` command, `reports_errors` for the `mnist` sub-app on its own. Typer
only: no Keras, so an error is reported before the backend starts.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from typer.core import TyperGroup

from forecast import backends
from forecast.errors import ForecastError

F = TypeVar("F", bound=Callable[..., Any])
# True while the main `forecast` command group runs: it then reports errors itself.
errors_reported_above: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "errors_reported_above", default=False
)


def one_line(exc: BaseException) -> str:
    """The message of `exc` on one line (line breaks and runs of spaces become one space)."""
    return " ".join(str(exc).split())


# Library setting -> command-line option, where they differ (the options declare themselves
# by it, `forecast.cli_options`; messages name the option by it, `as_option`).
OPTION_NAMES = {"learning_rate": "lr"}
SETTING_NAMES = {option: setting for setting, option in OPTION_NAMES.items()}  # and back
# Settings that messages write as Python arguments (`fill='interpolate'`, `sort=True`,
# `time_col=`); on the command line they read `--fill interpolate`, `--sort`, `--time-col`.
ARGUMENTS = (
    "fill", "sort", "duplicates", "tz", "sep", "decimal", "encoding", "time_col", "target",
    "covariates", "id_col", "freq", "device", "loss", "intervals", "calendar", "holidays",
    "future_covariates", "epochs", "patience", "reduce_lr_patience", "batch_size", "dayfirst",
    "date_format", "lookback", "horizon", "split", "train_end", "val_end", "val_size",
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


def traceback_if_debug() -> None:
    """With `--debug`: the traceback of the error being handled, on stderr (the `error:` line
    and the exit status follow as without it)."""
    if backends.debug_enabled():
        traceback.print_exc()


class ForecastGroup(TyperGroup):
    """Turns errors from any command (sub-apps included) into one line on stderr."""

    def invoke(self, ctx: typer.Context) -> Any:
        mounted = errors_reported_above.set(True)  # sub-apps leave their errors to this group
        try:
            return super().invoke(ctx)
        except ForecastError as exc:
            traceback_if_debug()
            report_error(exc)
        except KeyboardInterrupt:  # Ctrl-C outside training (which says how to resume)
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except BrokenPipeError:  # stdout piped into `head` and closed early: stop quietly
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError):
                pass
            raise typer.Exit(1) from None
        except Exception as exc:
            # Typer's (and Click's) own signals: usage errors, Exit, Abort.
            if hasattr(exc, "exit_code") or isinstance(exc, typer.Abort):
                raise
            traceback_if_debug()
            report_error(exc)
        finally:
            errors_reported_above.reset(mounted)
