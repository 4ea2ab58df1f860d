"""`forecast mnist ...`: train, evaluate and use the MNIST CNN from the command line.

A Typer sub-app; the main CLI mounts it with `app.add_typer(mnist_app, name="mnist")`. Each
command calls `forecast.vision` and formats the result. Keras is imported inside the commands,
so `--help` stays fast.
"""

from __future__ import annotations

import contextvars
import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from forecast.errors import ConfigError, ForecastError

F = TypeVar("F", bound=Callable[..., Any])
# True while the main `forecast` command group runs: it then reports errors itself.
errors_reported_above: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "errors_reported_above", default=False
)

mnist_app = typer.Typer(
    help="MNIST digits with the classic Keras CNN: train, evaluate, predict.",
    no_args_is_help=True,
)

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Keras-format mnist.npz, e.g. ../shared/datasets/mnist.npz; "
        "default: the Keras cache ~/.keras/datasets/mnist.npz (nothing is downloaded).",
    ),
]
RunDataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Keras-format mnist.npz; default: the one the run was trained on (else the Keras "
        "cache ~/.keras/datasets/mnist.npz; nothing is downloaded).",
    ),
]
RunDirArgument = Annotated[
    Path, typer.Argument(help="A run folder written by `train` (holding model.keras).")
]


def one_line(exc: BaseException) -> str:
    """The message of `exc` on one line (line breaks and runs of spaces become one space)."""
    return " ".join(str(exc).split())


OPTION_NAMES = {"learning_rate": "lr"}  # library setting -> command-line option, where they differ
# Settings that messages write as Python arguments (`fill='interpolate'`, `sort=True`,
# `time_col=`); on the command line they read `--fill interpolate`, `--sort`, `--time-col`.
ARGUMENTS = (
    "fill", "sort", "duplicates", "tz", "sep", "decimal", "encoding", "time_col", "target",
    "covariates", "id_col", "freq", "device", "loss", "intervals", "calendar", "holidays",
    "future_covariates", "dayfirst", "date_format",
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
    `reports_errors` below both call it.
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


def confusion_table(confusion: Any) -> Table:
    """A rich table of the confusion matrix: rows true digits, columns predicted digits."""
    table = Table(title="confusion matrix (rows: true digit, columns: predicted)")
    table.add_column("true", justify="right", style="bold")
    for digit in range(len(confusion)):
        table.add_column(str(digit), justify="right")
    for digit, row in enumerate(confusion):
        cells = [
            f"[bold green]{n}[/]" if col == digit else (f"[red]{n}[/]" if n else "·")
            for col, n in enumerate(row)
        ]
        table.add_row(str(digit), *cells)
    return table


def _print_evaluation(console: Console, evaluation: Any) -> None:
    console.print(
        f"test loss {evaluation.loss:.4f}  accuracy {evaluation.accuracy:.4f} "
        f"({int(evaluation.confusion.trace())}/{int(evaluation.confusion.sum())})"
    )
    console.print(confusion_table(evaluation.confusion))


@mnist_app.command()
@reports_errors
def train(
    data: DataOption = None,
    epochs: Annotated[int, typer.Option(help="Epoch limit.")] = 5,
    batch_size: Annotated[int, typer.Option(help="Images per training step.")] = 32,
    patience: Annotated[
        int, typer.Option(help="Epochs without a better val_loss before stopping.")
    ] = 3,
    val_split: Annotated[
        int, typer.Option(help="Validation images, taken from the end of the training set.")
    ] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed, for a repeatable run.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", help="No per-epoch progress.")] = False,
    out: Annotated[
        Path, typer.Option(help="Run folder: model.keras, metrics.json, history.csv, samples.png.")
    ] = Path("runs/mnist"),
) -> None:
    """Train the CNN (early stopping keeps the best epoch), evaluate it, write a run folder.

    Running the same command again after an interruption resumes from the last finished epoch.
    """
    from forecast.vision.mnist import train_mnist

    result = train_mnist(
        data,
        epochs=epochs,
        batch_size=batch_size,
        patience=patience,
        val_split=val_split,
        seed=seed,
        run_dir=out,
        verbose=0 if quiet else 1,
    )
    console = Console()
    fitted = result.fit
    seconds = result.seconds_per_epoch
    console.print(
        f"epochs run {fitted.epochs_run}, best epoch {fitted.best_epoch}"
        + (f", {seconds:.1f} s/epoch" if seconds is not None else "")
    )
    _print_evaluation(console, result.evaluation)
    console.print(f"model: {out / 'model.keras'}")
    console.print(f"metrics: {out / 'metrics.json'}")
    console.print(f"samples: {out / 'samples.png'}")


@mnist_app.command()
@reports_errors
def evaluate(
    run_dir: RunDirArgument,
    data: RunDataOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Test loss, accuracy and confusion matrix of a trained run."""
    from forecast.vision.mnist import evaluate_mnist, load_mnist_model, run_data

    evaluation = evaluate_mnist(load_mnist_model(run_dir), data or run_data(run_dir))
    if as_json:
        typer.echo(json.dumps(evaluation.to_dict()))
        return
    console = Console()
    _print_evaluation(console, evaluation)
    samples = run_dir / "samples.png"
    if samples.is_file():
        console.print(f"samples: {samples}")


@mnist_app.command()
@reports_errors
def predict(
    run_dir: RunDirArgument,
    image: Annotated[
        Path | None, typer.Argument(help="A PNG of one digit (any size; made 28x28 gray).")
    ] = None,
    index: Annotated[
        int | None, typer.Option(help="Instead of IMAGE: the test image at this index.")
    ] = None,
    data: RunDataOption = None,
) -> None:
    """Predict the digit in a PNG, or in test image --index N."""
    from forecast.vision.dataset import load_mnist, read_digit_image
    from forecast.vision.mnist import load_mnist_model, predict_digits, run_data

    if (image is None) == (index is None):
        raise ConfigError("give either an IMAGE.png or --index N, not both and not neither")
    truth = None
    if image is not None:
        pixels = read_digit_image(image)
        source = str(image)
    else:
        test = load_mnist(data or run_data(run_dir), raw=True)
        if not 0 <= index < len(test.x_test):
            raise ConfigError(f"--index must be 0..{len(test.x_test) - 1}, got {index}")
        pixels, truth = test.x_test[index], int(test.y_test[index])
        source = f"test image {index}"
    model = load_mnist_model(run_dir)
    labels, probabilities = predict_digits(model, pixels)
    ranked = probabilities[0].argsort()[::-1][:3]
    console = Console()
    line = f"{source}: digit {labels[0]} (p={probabilities[0, labels[0]]:.3f})"
    if truth is not None:
        line += f", true {truth}"
    console.print(line)
    console.print("top 3: " + ", ".join(f"{d} {probabilities[0, d]:.3f}" for d in ranked))
