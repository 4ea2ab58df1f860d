"""Every command and Python snippet of README.md and docs/*.md runs as written.

The commands run in-process (Typer's CliRunner) in a temporary working folder laid out like a
checkout: `repo/data` (the bundled data) beside `shared/datasets`. Only the epoch limit is cut
to 1 (`--epochs 1`, `epochs=1`) so the test stays fast; everything else is the README's text.
`shared/datasets` holds the real AirPassengers.csv when this machine has it and a small
random `mnist.npz` in the Keras layout (the MNIST commands are about the run folder, not the
accuracy). Skipped, with the reason: `python -m pytest -q` (this suite itself), the virtualenv
and `pip install` steps, the commands on the large shared datasets (AEP_hourly.csv,
ETTh1.csv, m4_weekly.csv: minutes of training, and not in the repository), `forecast batch`
(the grid runner has its own tests, on a local Ray cluster too), the placeholder commands
(`GRID.toml`, `data.csv`, `PARTS/`: the reader's own files) and `weather_plan.csv` (made by
a `python -c` line, which this test does not run).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from forecast.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]  # the README, then the reference
OWN = DOCS[0].read_text()  # the README alone (its Python example)
README = "\n".join(path.read_text() for path in DOCS)
SHARED = ROOT.parent / "shared" / "datasets"
SKIPPED = (  # see the module docstring
    "AEP_hourly.csv", "ETTh1.csv", "m4_weekly.csv", "pytest",
    "forecast batch",  # the grid runner: tests/test_distributed_grid.py runs it, Ray included
    "GRID.toml", "data.csv", "PARTS/",  # placeholders for the reader's own files
    "weather_plan.csv",  # written by the README's `python -c` line before it (not run here);
    # tests/test_known_future.py runs predict with future rows, through the command line too
)  # fmt: skip
INLINE = (  # commands written inline in the prose, as they stand there
    "forecast datasets",
    "forecast info",
    "forecast mnist train --data ../shared/datasets/mnist.npz --out runs/mnist",
    "forecast mnist\nevaluate runs/mnist",
    "forecast mnist predict runs/mnist --index 0",
)


def _blocks(language: str, text: str = README) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def readme_commands() -> list[str]:
    """The `forecast ...` commands of the bash blocks (the part after the last `&&`), then
    the inline ones, in README order within each kind."""
    found = []
    for block in _blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():  # continuation lines joined
            command = line.split("&&")[-1].split("#")[0].strip()
            if command.startswith("forecast ") or command.startswith("python -m pytest"):
                found.append(command)
    for inline in INLINE:
        assert f"`{inline}" in README, f"the README no longer says {inline!r}"
        found.append(" ".join(inline.split()))
    return found


TRAINING = {("train",), ("backtest",), ("mnist", "train")}  # the commands with --epochs


def _one_epoch(args: list[str]) -> list[str]:
    """`args` with the epoch limit cut to 1 where the command trains."""
    if tuple(args[:1]) in TRAINING or tuple(args[:2]) in TRAINING:
        if "--epochs" in args:
            args[args.index("--epochs") + 1] = "1"
        else:
            args += ["--epochs", "1"]
    return args


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`repo/` (the working folder, with `data/`) beside `shared/datasets/`."""
    base = tmp_path_factory.mktemp("readme")
    repo = base / "repo"
    repo.mkdir()
    (repo / "data").symlink_to(ROOT / "data")
    shared = base / "shared" / "datasets"
    shared.mkdir(parents=True)
    if (SHARED / "AirPassengers.csv").is_file():
        (shared / "AirPassengers.csv").symlink_to(SHARED / "AirPassengers.csv")
    rng = np.random.default_rng(0)
    np.savez_compressed(
        shared / "mnist.npz",
        x_train=rng.integers(0, 256, (5100, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, 5100).astype(np.uint8),
        x_test=rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 50).astype(np.uint8),
    )
    return repo


def _folder(args: list[str]) -> str:
    """The run folder a README command reads or writes (`--from`, the RUN_DIR of evaluate
    and predict, else `--out`); a command without one stands alone."""
    if "--from" in args:
        return args[args.index("--from") + 1]
    words = [a for a in args if a != "mnist"]
    if words[0] in ("evaluate", "predict"):
        return words[1]
    if "--out" in args:
        return args[args.index("--out") + 1]
    return " ".join(args)


def readme_chains() -> dict[str, list[str]]:
    """The README commands this test runs, by run folder, in README order: the commands on
    one folder run in turn in one test; separate folders are separate tests (so that test
    workers share them out)."""
    chains: dict[str, list[str]] = {}
    for command in readme_commands():
        if any(name in command for name in SKIPPED):
            continue
        chains.setdefault(_folder(shlex.split(command)[1:]), []).append(command)
    return chains


CHAINS = readme_chains()


def test_the_readme_chains_hold_every_command_once() -> None:
    ran = [c for chain in CHAINS.values() for c in chain]
    runnable = [c for c in readme_commands() if not any(n in c for n in SKIPPED)]
    assert sorted(ran) == sorted(runnable)
    assert CHAINS["runs/mnist"][-2:] == [
        "forecast mnist evaluate runs/mnist", "forecast mnist predict runs/mnist --index 0"
    ]  # fmt: skip
    assert CHAINS["runs/daily"][1].startswith("forecast train data/synthetic_daily.csv --from")
    assert any(c.startswith("forecast backtest") for c in ran)


@pytest.mark.slow
@pytest.mark.parametrize("folder", list(CHAINS))
def test_every_readme_command_runs_as_written(
    folder: str, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(checkout)
    runner = CliRunner()
    have_air = (checkout.parent / "shared" / "datasets" / "AirPassengers.csv").exists()
    if any("AirPassengers" in c for c in CHAINS[folder]) and not have_air:
        pytest.skip("../shared/datasets/AirPassengers.csv is absent")
    for command in CHAINS[folder]:
        args = _one_epoch(shlex.split(command)[1:])
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"{command}\n{result.output}"
    if folder == "runs/quickstart":
        assert (checkout / "runs" / "quickstart" / "model.keras").is_file()


@pytest.mark.slow
def test_the_readme_python_snippet_runs_as_written(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(checkout)
    (snippet,) = [b for b in _blocks("python", OWN) if "Forecaster" in b]
    code = re.sub(r"\bepochs=\d+", "epochs=1", snippet)

    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})

    assert (checkout / "runs" / "daily" / "forecaster.json").is_file()


def test_examples_quickstart_writes_a_run_folder_no_readme_command_writes() -> None:
    text = (ROOT / "examples" / "quickstart.py").read_text()
    (folder,) = re.findall(r'OUT = ROOT / "runs" / "([^"]+)"', text)
    outs = {c.split("--out ")[1].split()[0] for c in readme_commands() if "--out runs/" in c}
    assert "runs/quickstart" in outs and f"runs/{folder}" not in outs


def test_readme_commands_are_found() -> None:
    commands = readme_commands()
    quickstart = [c for c in commands if c.endswith("--out runs/quickstart")]
    assert quickstart and quickstart[0].startswith("forecast train ../shared/datasets/m4_weekly")
    assert "forecast train data/synthetic_daily.csv --epochs 5 --out runs/daily" in commands
    assert "forecast mnist evaluate runs/mnist" in commands


def _batch_out(command: str) -> str:
    """Where a README `forecast batch` line writes: its --out, else its config's `out`."""
    args = shlex.split(command)
    if "--out" in args:
        return args[args.index("--out") + 1]
    import tomllib

    return tomllib.loads((ROOT / args[2]).read_text()).get("out", "runs/batch")


def test_each_readme_batch_line_writes_its_own_folder() -> None:
    lines = [c for c in readme_commands() if c.startswith("forecast batch examples/")]
    assert len(lines) >= 3
    outs = [_batch_out(c) for c in lines]
    assert len(set(outs)) == len(outs), outs  # a second line into the same folder does nothing


def test_readme_commands_write_under_runs_not_into_the_checkout() -> None:
    written = [c.split("--out ")[1].split()[0] for c in readme_commands() if "--out " in c]
    written += re.findall(r"to_csv\('([^']+)'", README)
    assert written and all(w.startswith("runs/") for w in written), written
    # the ETTh1 run on JAX and the same on TensorFlow: two folders, not one overwritten
    assert "--backend jax train" in README
    assert "--out runs/etth1-jax" in README and "`--out runs/etth1-tf`" in README


def test_the_readme_is_a_guide_that_links_every_reference_page() -> None:
    """README.md stays a guide (at most 250 lines: what it is, install, the quick start, one
    Python example, results, links); the reference lives in docs/, every page linked."""
    assert len(OWN.splitlines()) <= 250
    for page in DOCS[1:]:
        assert f"(docs/{page.name})" in OWN, f"README.md does not link docs/{page.name}"
    assert "(benchmarks/README.md)" in OWN and (ROOT / "benchmarks" / "README.md").is_file()
