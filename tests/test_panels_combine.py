"""`benchmarks/panels.py --combine`: parts made as separate runs, put together without
counting a seed twice (issue #22: the seeds of a panel's LSTM come from several runs)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def panels(tmp_path, monkeypatch):
    """benchmarks/panels.py as a module, writing under `tmp_path`."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_panels_combine", ROOT / "benchmarks" / "panels.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    monkeypatch.setattr(module, "OUT", tmp_path)
    return module


def _part(folder: Path, name: str, rows: list[tuple]) -> None:
    table = pd.DataFrame(rows, columns=["panel", "method", "seed", "sMAPE", "MASE", "OWA"])
    table.to_csv(folder / f"{name}.csv", index=False)
    (folder / f"{name}.md").write_text(f"# x\n\nCommand: `python benchmarks/panels.py {name}`\n")


def test_combine_replaces_a_rerun_seed_and_averages_the_others(panels, tmp_path) -> None:
    _part(tmp_path, "old", [
        ("p", "LSTM single", 0, 10.0, 2.0, 1.0),  # an earlier default, rerun below
        ("p", "seasonal_naive", None, 12.0, 3.0, 1.2),
        ("p", "statsforecast AutoETS", None, 11.0, 2.5, 1.1),
    ])  # fmt: skip
    _part(tmp_path, "new", [
        ("p", "LSTM single", 0, 9.0, 1.0, 0.5),
        ("p", "LSTM single", 1, 9.0, 3.0, 0.7),
        ("p", "seasonal_naive", None, 12.0, 3.0, 1.2),
    ])  # fmt: skip
    assert panels.main(["--combine", "old", "new", "--name", "both"]) == 0
    table = pd.read_csv(tmp_path / "both.csv")
    lstm = table[table["method"] == "LSTM single"]
    assert sorted(lstm["seed"]) == [0, 1] and sorted(lstm["MASE"]) == [1.0, 3.0]
    assert (table["method"] == "seasonal_naive").sum() == 1  # never averaged with itself
    assert list(table["method"].drop_duplicates()) == [
        "LSTM single", "seasonal_naive", "statsforecast AutoETS"
    ]  # the order the methods first appear in  # fmt: skip
    lines = (tmp_path / "both.md").read_text().splitlines()
    row = next(line for line in lines if line.startswith("| p | LSTM single |"))
    assert "| 0,1 | 9.000 ± 0.000 | 2.000 ± 1.414 | 0.600 ± 0.141 |" in row
    assert "| p | seasonal_naive |  | 12.000 | 3.000 | 1.200 |" in "\n".join(lines)
