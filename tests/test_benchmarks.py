"""The benchmark scripts' own options and where their results live: one folder per benchmark
(`benchmarks/results/<script>/`, intermediate runs under its `parts/`), quick runs never over
the committed full results (issue #24: `accuracy.py --quick` overwrote them), and every results
path the documentation names exists (issue #23)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
# every script that writes results, with the folder it owns (the example writes a benchmark's)
SCRIPTS = {p: p.stem for p in (ROOT / "benchmarks").glob("*.py") if p.name != "common.py"}
SCRIPTS[ROOT / "examples" / "etth1_informer_protocol.py"] = "etth1_informer"
# the pages a reader follows to a results file
PAGES = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "benchmarks" / "README.md"]
PAGES += sorted((ROOT / "docs").glob("*.md"))


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
    assert full.out == "benchmarks/results/accuracy/accuracy"
    assert quick.out.startswith("benchmarks/results/accuracy/parts/")
    assert accuracy.parse(["--quick", "--out", "x/y"]).out == "x/y"  # an explicit --out wins


def test_mnist_quick_writes_under_parts_not_over_the_full_results() -> None:
    mnist = _script("mnist")
    assert Path(mnist.parse([]).out) == RESULTS / "mnist"
    assert Path(mnist.parse(["--quick"]).out) == RESULTS / "mnist" / "parts"
    assert mnist.parse(["--quick", "--out", "x"]).out == "x"


def test_the_shared_helpers_name_a_benchmark_s_own_folder() -> None:
    common = _script("common")
    assert common.out_stem("scale") == "benchmarks/results/scale/scale"
    assert common.out_stem("choice", "choice_loss") == "benchmarks/results/choice/choice_loss"
    quick = common.out_stem("accuracy", "accuracy_quick", part=True)
    assert quick == "benchmarks/results/accuracy/parts/accuracy_quick"
    assert common.out_folder("panels") == RESULTS / "panels"


def test_every_script_writes_into_its_own_results_folder() -> None:
    """Every results path a script names (a `benchmarks/results/...` literal, `out_stem(...)`,
    `out_folder(...)`) is in its own folder; none builds one from the flat results folder."""
    for path, own in SCRIPTS.items():
        text = path.read_text()
        named = re.findall(r"benchmarks/results/(\w+)", text)
        named += re.findall(r"out_(?:stem|folder)\(\s*\"(\w+)\"", text)
        assert named and set(named) == {own}, (path.name, sorted(set(named)))
        assert not re.search(r"\bRESULTS\b|\"results\"", text), path.name


def _mentions(page: Path) -> list[tuple[str, Path]]:
    """The results paths `page` names, each with the path it means (from the repository root;
    `results/...` in benchmarks/README.md from its folder)."""
    text = page.read_text()
    found = [(m, ROOT / m) for m in re.findall(r"benchmarks/results/[\w./-]*[\w/]", text)]
    if page.parent.name == "benchmarks":
        relative = re.findall(r"(?<![\w/])results/[\w./-]*[\w/]", text)
        found += [(m, page.parent / m) for m in relative]
    return found


def test_every_results_path_the_documentation_names_exists() -> None:
    named = [(page, m, path) for page in PAGES for m, path in _mentions(page)]
    assert len(named) >= 20  # benchmarks/README.md links every results folder
    missing = [(p.relative_to(ROOT).as_posix(), m) for p, m, path in named if not path.exists()]
    assert not missing, missing


def test_every_results_file_names_results_that_exist() -> None:
    """A results file's command (`--out`, `--name`, `--combine`) names files that exist: a
    stem names its `.md`; `--name` / `--combine` of panels.py and m4_weekly.py are relative to
    the benchmark's folder (placeholders in capitals are left out)."""
    missing = []
    for page in RESULTS.rglob("*.md"):
        text = page.read_text()
        folder = RESULTS / page.relative_to(RESULTS).parts[0]
        stems = [(m, ROOT / m) for m in re.findall(r"benchmarks/results/[\w./-]*\w", text)]
        for listed in re.findall(r"--(?:name|combine)((?: [\w/]+)+)", text):
            stems += [(n, folder / n) for n in listed.split() if n == n.lower()]
        for m, stem in stems:
            if not (stem.exists() or stem.with_name(stem.name + ".md").exists()):
                missing.append((page.relative_to(RESULTS).as_posix(), m))
    assert not missing, missing
