"""Batch evaluation: a grid of models × datasets × horizons × seeds, as a leaderboard.

    python examples/batch_evaluate.py                          # examples/batch_config.toml
    python examples/batch_evaluate.py my_grid.toml --jobs 2    # cells in 2 processes
    python examples/batch_evaluate.py --engine ray             # one Ray task per cell

A thin example over the library's grid runner (`forecast.distributed.grid.run_grid`, also the
`forecast batch` command): every finished cell becomes one row of `<out>/results.csv`, written
atomically, so the script can be killed at any moment: run it again and it runs only the cells
not finished. `<out>/leaderboard.md` ranks the models beside the baselines.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forecast.distributed.grid import ENGINES, read_config, run_grid

DEFAULT_CONFIG = Path(__file__).with_name("batch_config.toml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument("--address", help="ray: 'auto' or HOST:PORT; default: a local instance")
    parser.add_argument("--jobs", type=int, default=1, help="local: cells in parallel processes")
    parser.add_argument("--out", type=Path, help="output folder (default: `out` in the config)")
    args = parser.parse_args(argv)

    config = read_config(args.config)
    out = args.out or Path(config.get("out", "runs/batch"))
    result = run_grid(
        config, out, engine=args.engine, address=args.address, jobs=args.jobs,
        on_start=lambda done, todo: print(f"{done} cells already done, {todo} to run"),
        on_cell=lambda row: print("/".join(str(row[k]) for k in ("dataset", "model",
                                  "horizon", "seed")), row.get("MAE", row.get("error"))),
    )  # fmt: skip
    print(result.leaderboard.read_text())
    print(f"results: {result.results}\nleaderboard: {result.leaderboard}")
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
