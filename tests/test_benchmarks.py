"""The benchmark scripts' own options (issue #24: `accuracy.py --quick` overwrote the
committed full results with a quick subset)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location(
            f"bench_{name}", ROOT / "benchmarks" / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return module


def test_accuracy_quick_writes_beside_not_over_the_full_results() -> None:
    accuracy = _script("accuracy")
    quick, full = accuracy.parse(["--quick"]), accuracy.parse([])
    assert full.out == "benchmarks/results/accuracy"
    assert quick.out != full.out and quick.out.startswith("benchmarks/results/")
    assert accuracy.parse(["--quick", "--out", "x/y"]).out == "x/y"  # an explicit --out wins
