"""The package's layering, checked statically: who may import whom inside `forecast`.

Every module under forecast/ is parsed with `ast` (nothing is imported). An import counts wherever
it stands: at top level, inside a function, under `if TYPE_CHECKING:`. `import forecast.x`,
`from forecast.x import y`, relative imports, `from forecast import x` (a submodule) and
`importlib.import_module("forecast.x")` with a literal name all count as importing that module;
`from forecast import Name` (not a submodule) counts as importing the façade `forecast`.
The layers are LAYERS below: a module may import its own rank or lower ones, never higher.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "forecast"
FACADE = "forecast"
CLI = "forecast.cli"
VISION = "forecast.vision"
ENTRY_POINTS = {"forecast.__main__"}  # the only modules that may import forecast.cli

# Bottom to top; a name covers its submodules too (forecast.models.common is in rank 2).
LAYERS: list[set[str]] = [
    # gaps: NumPy only; settings: every setting's default and valid values (imports errors);
    # seasons: the seasonal periods, parsed and from the frequency; series_set: THE shape of
    # one series or many (SeriesSet), pandas only
    {
        "forecast.errors",
        "forecast._version",
        "forecast.gaps",
        "forecast.settings",
        "forecast.seasons",
        "forecast.series_set",
    },
    {
        "forecast.backends",
        "forecast.files",
        "forecast.series",
        "forecast.reading",
        "forecast.scaling",
        "forecast.splits",
        "forecast.windowing",
        "forecast.linear",
        "forecast.evaluation",
        "forecast.intervals",
        "forecast.quantiles",
        "forecast.competition",
    },
    # panel: many series; known_future: covariates read over the horizon; catalogue: the
    # datasets found; guard: the model against the baselines per series; interval_choice:
    # intervals="auto"'s rule, on intervals' maths
    {
        "forecast.models",
        "forecast.panel",
        "forecast.known_future",
        "forecast.interval_choice",
        "forecast.catalogue",
        "forecast.guard",
    },
    # the lookback and calendar choices on validation (panel's parts); bands: intervals
    # combination: the model blended with its baselines (guard's candidates); refit: the
    # training and validation rows joined after the choices
    {
        "forecast.lookback",
        "forecast.calendar_choice",
        "forecast.bands",
        "forecast.combination",
        "forecast.refit",
    },
    {"forecast.training"},
    {"forecast.artifacts"},
    {"forecast.state"},  # FittedState: what fit learns, its config and folder
    {"forecast.forecaster"},
    {"forecast.plots"},
    {"forecast.runs", "forecast.distributed"},
    {"forecast.tables"},  # what the command line prints
    {"forecast.cli", "forecast.cli_options", "forecast.cli_errors"},
]
STAGE_RANK = 1  # independent stages: they import nothing in the package but rank 0 ...
# ... except these, each one a dependency the current code genuinely needs. Keep it short.
STAGE_MAY_ALSO_IMPORT: dict[str, set[str]] = {
    "forecast.series": {"forecast.reading"},  # load_series stands on the file-to-frame steps
}
# forecast.vision.* (the MNIST side module) stands beside the layers.
VISION_MAY_IMPORT = {
    "forecast.errors",
    "forecast._version",
    "forecast.backends",
    "forecast.training",
    "forecast.artifacts",
    "forecast.cli_errors",  # the one error reporter of the command lines
}
VISION_IMPORTED_BY = {CLI}  # besides forecast.vision itself (and the façade)


def _within(module: str, name: str) -> bool:
    return module == name or module.startswith(name + ".")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def module_files() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def _known(name: str, known: Iterable[str]) -> str | None:
    """The longest module of the package that `name` is or lies in (None outside the package)."""
    owners = [module for module in known if _within(name, module)]
    return max(owners, key=len) if owners else None


def parse_imports(
    source: str, module: str, is_package: bool, known: set[str]
) -> list[tuple[int, str]]:
    """(line, imported module of the package) for every import in `source`, wherever it stands."""
    found: list[tuple[int, str]] = []

    def add(line: int, name: str | None) -> None:
        if name is not None and name != module:
            found.append((line, name))

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(node.lineno, _known(alias.name, known))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                add(node.lineno, submodule if submodule in known else _known(base, known))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            add(node.lineno, _known(node.args[0].value, known))
    return found


@functools.cache
def import_graph() -> dict[str, dict[str, list[int]]]:
    """module -> {imported module -> the lines that import it}."""
    files = module_files()
    known = set(files)
    graph: dict[str, dict[str, list[int]]] = {}
    for module, path in files.items():
        edges = graph.setdefault(module, {})
        for line, target in parse_imports(
            path.read_text(), module, path.name == "__init__.py", known
        ):
            edges.setdefault(target, []).append(line)
    return graph


def _where(module: str, target: str) -> str:
    path = module_files()[module].relative_to(ROOT)
    lines = ",".join(map(str, sorted(set(import_graph()[module][target]))))
    return f"{path}:{lines}: {module} imports {target}"


def _rank(module: str) -> int | None:
    for rank, names in enumerate(LAYERS):
        if any(_within(module, name) for name in names):
            return rank
    return None


def _cycles(graph: dict[str, dict[str, list[int]]]) -> list[list[str]]:
    """One concrete cycle for every strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, {}):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)

    cycles = []
    for component in components:
        start, members = component[0], set(component)
        paths = {start: [start]}
        queue = [start]
        while queue:  # breadth first, inside the component, back to the start
            node = queue.pop(0)
            for target in sorted(graph[node]):
                if target == start:
                    cycles.append([*paths[node], start])
                    queue = []
                    break
                if target in members and target not in paths:
                    paths[target] = [*paths[node], target]
                    queue.append(target)
    return cycles


def _layer_violations() -> list[str]:
    problems = []
    for module, targets in sorted(import_graph().items()):
        for target in sorted(targets):
            where = _where(module, target)
            if target == CLI:
                if module not in ENTRY_POINTS:
                    problems.append(f"{where} (only the entry point may import {CLI})")
            elif module == FACADE:
                continue  # the public façade re-exports anything
            elif target == FACADE:
                problems.append(f"{where} (the façade is above every module; import the module)")
            elif _within(module, VISION):
                if not (_within(target, VISION) or target in VISION_MAY_IMPORT):
                    allowed = ", ".join(sorted(VISION_MAY_IMPORT))
                    problems.append(f"{where} ({VISION} may import only {allowed})")
            elif _within(target, VISION):
                if module not in VISION_IMPORTED_BY:
                    problems.append(f"{where} (only {CLI} may import {VISION})")
            elif _rank(module) is None or _rank(target) is None:
                unplaced = module if _rank(module) is None else target
                problems.append(f"{where} ({unplaced} has no rank: add it to LAYERS)")
            elif _rank(target) > _rank(module):
                problems.append(f"{where} (rank {_rank(module)} imports rank {_rank(target)})")
            elif (
                _rank(module) == STAGE_RANK
                and _rank(target) == STAGE_RANK
                and target not in STAGE_MAY_ALSO_IMPORT.get(module, set())
            ):
                problems.append(f"{where} (stages are independent; see STAGE_MAY_ALSO_IMPORT)")
    return problems


def _imports_between(importers: str, imported: str) -> list[str]:
    return [
        _where(module, target)
        for module, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if _within(module, importers) and _within(target, imported)
    ]


# ---------------------------------------------------------------------------------- tests
def test_import_parser_finds_known_imports() -> None:
    """The checks below would pass vacuously if the parser found nothing."""
    graph = import_graph()
    assert len(graph) >= 20 and FACADE in graph
    assert "forecast.windowing" in graph["forecast.forecaster"]  # top-level `from x import y`
    assert "forecast.runs" in graph[CLI]  # `from forecast import runs` inside a function
    source = (
        "import forecast.series as s\n"
        "from . import common\n"
        "from ..errors import ConfigError\n"
        "def f():\n"
        "    from .. import training, Forecaster\n"
        "    import importlib; importlib.import_module('forecast.plots.x')\n"
    )
    known = {FACADE, "forecast.series", "forecast.errors", "forecast.training", "forecast.plots"}
    known |= {"forecast.models", "forecast.models.common", "forecast.models.single"}
    found = {target for _, target in parse_imports(source, "forecast.models.single", False, known)}
    assert found == {
        "forecast.series",
        "forecast.models.common",
        "forecast.errors",
        "forecast.training",
        FACADE,
        "forecast.plots",
    }


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles = [
        " -> ".join(cycle)
        + "\n      "
        + "\n      ".join(_where(a, b) for a, b in itertools.pairwise(cycle))
        for cycle in _cycles(graph)
    ]
    assert not cycles, "import cycles:\n  " + "\n  ".join(cycles)


def test_each_module_imports_only_modules_below_it() -> None:
    problems = _layer_violations()
    assert not problems, "imports against the layering:\n  " + "\n  ".join(problems)


def test_models_never_import_training() -> None:
    found = _imports_between("forecast.models", "forecast.training")
    assert not found, "\n".join(found)


def test_artifacts_never_import_forecaster() -> None:
    found = _imports_between("forecast.artifacts", "forecast.forecaster")
    assert not found, "\n".join(found)


def test_cli_has_no_locals() -> None:
    tree = ast.parse(module_files()[CLI].read_text())
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "locals"
    ]
    assert not calls, f"forecast/cli.py calls locals() on lines {calls}"


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_owners() -> dict[str, set[str]]:
    """Each private name (`_spans`, `_values`) -> the modules that define it: a private
    function or class, a private class attribute, or `self._x = ...`."""
    owners: dict[str, set[str]] = {}
    for module, path in module_files().items():
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names = [node.attr]
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
            for name in filter(_is_private, names):
                owners.setdefault(name, set()).add(module)
    return owners


def _private_reads_across_modules() -> list[str]:
    """`obj._name` or `from forecast.x import _name` where `_name` belongs to another module
    of the package: a private is its own module's business (DESIGN.md, "each object owns its
    state"); `self._x` and `cls._x` are a class's own."""
    owners, found = _private_owners(), []
    for module, path in module_files().items():
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Attribute) and _is_private(node.attr):
                mine = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
                names = [] if mine else [node.attr]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(FACADE):
                names = [a.name for a in node.names if _is_private(a.name)]
                names = [n for n in names if n != "_version"]
            for name in names:
                elsewhere = owners.get(name, set()) - {module}
                if elsewhere and module not in owners.get(name, set()):
                    where = ", ".join(sorted(elsewhere))
                    found.append(f"{module}:{node.lineno} reads {name} of {where}")
    return found


def test_no_private_is_read_across_modules() -> None:
    found = _private_reads_across_modules()
    assert not found, "private names read outside their module:\n" + "\n".join(found)


# ------------------------------------------------------- the Forecaster owns its fitted state
FORECASTER = "forecast.forecaster"


def _class_attributes(tree: ast.AST) -> dict[str, set[str]]:
    """class name -> the attribute names it has: its methods and properties, class-level
    names, and every `self.x` it sets or reads (an `__init__` setting, a fitted `x_`)."""
    found: dict[str, set[str]] = {}
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        names = found.setdefault(cls.name, set())
        for node in ast.walk(cls):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node is not cls:
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id == "self":
                    names.add(node.attr)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node in cls.body:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return found


KERAS_VERBS = {"fit", "predict", "evaluate", "save", "load", "get_config", "from_config"}


@functools.cache
def forecaster_only_names() -> frozenset[str]:
    """The attributes only a `Forecaster` has (no other class of the package defines one of
    that name): `collection`, `target_values`, `n_targets_`, `calibration_`, `guard`, ...; an
    object read or written through one of them is a Forecaster. The verbs it shares with a
    Keras model (`fit`, `predict`, ...) say nothing."""
    own: set[str] = set()
    others: set[str] = set()
    for module, path in module_files().items():
        for name, attrs in _class_attributes(ast.parse(path.read_text())).items():
            if module == FORECASTER and name == "Forecaster":
                own |= attrs
            else:
                others |= attrs
    return frozenset(n for n in own - others - KERAS_VERBS if not n.startswith("__"))


@functools.cache
def forecaster_settings() -> frozenset[str]:
    """The Forecaster's settings (`__init__`'s parameters): plain words (`optimizer`,
    `distribution`) that other objects read too; only writing one marks a Forecaster."""
    tree = ast.parse(module_files()[FORECASTER].read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            return frozenset(a.arg for a in node.args.args[1:])
    return frozenset()


def _is_forecaster_annotation(node: ast.AST | None) -> bool:
    return node is not None and "Forecaster" in ast.unparse(node)


def forecaster_uses(source: str, module: str) -> list[str]:
    """Where `source` (module `module`) takes a Forecaster: a parameter annotated or named as
    one, or an attribute only a Forecaster has read on anything but `self`; and where it
    writes one: an assignment to such an attribute, or `setattr` on a parameter that is a
    Forecaster. Modules below forecaster.py may do neither; those above it (runs, plots,
    the CLI) may read its public API but never write it."""
    below = _rank(module) is not None and _rank(module) < _rank(FORECASTER)
    names, found = forecaster_only_names(), []
    tree = ast.parse(source)
    for func in (
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ):
        args = func.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        typed = {
            a.arg
            for a in params
            if _is_forecaster_annotation(a.annotation) or a.arg == "forecaster"
        }
        if below:
            found += [
                f"{module}:{func.lineno} {func.name} takes a Forecaster ({a})"
                for a in sorted(typed)
            ]
        for node in ast.walk(func):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "setattr"
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in typed
            ):
                found.append(f"{module}:{node.lineno} {func.name} writes a Forecaster (setattr)")
    imported = {  # names bound by an import: `intervals.check_levels` is a module's function
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr in names):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in {"self", "cls", *imported}:
            continue
        if isinstance(node.ctx, ast.Store):
            found.append(f"{module}:{node.lineno} writes Forecaster attribute {node.attr}")
        elif below and node.attr not in forecaster_settings():
            found.append(f"{module}:{node.lineno} reads Forecaster attribute {node.attr}")
    return found


def test_the_forecaster_check_finds_what_it_looks_for() -> None:
    """The rule below would pass vacuously if it found nothing: an old-style helper is caught."""
    names = forecaster_only_names()
    assert {"collection", "target_values", "n_targets_", "calibration_"} <= names
    source = (
        "def learn(f, train):\n"
        "    f.n_targets_ = len(train)\n"
        "def choose(forecaster, series):\n"
        "    return forecaster.collection(series)\n"
        "def calibrate(f):\n"
        "    return f.target_values(None)\n"
        "def kept(forecaster: 'Forecaster', state):\n"
        "    for k, v in state.items():\n"
        "        setattr(forecaster, k, v)\n"
    )
    found = forecaster_uses(source, "forecast.panel")
    assert len(found) == 6, found  # 2 parameters, 2 reads, 1 write, 1 setattr
    assert len(forecaster_uses(source, "forecast.runs")) == 2  # above: the writes only


def test_only_the_forecaster_writes_its_state() -> None:
    """No module below forecaster.py takes a Forecaster (its helpers are pure functions with
    explicit arguments), and no module but forecaster.py writes one (DESIGN.md, "each object
    owns its state")."""
    found = [
        line
        for module, path in module_files().items()
        if module != FORECASTER
        for line in forecaster_uses(path.read_text(), module)
    ]
    assert not found, "modules that take or write a Forecaster:\n" + "\n".join(found)


# One shape for one series or many (issue #23, item 4): `forecast.series_set.SeriesSet`.
SHAPE_OWNER = "forecast.series_set"  # builds and unwraps sets; lifts the future rows
FUTURE_WRITER = "forecast.series"  # load_series' public return carries them in attrs


def _is_single(node: ast.AST) -> bool:
    """`SINGLE`, or a list / tuple holding it (`[SINGLE]`)."""
    if isinstance(node, ast.Name):
        return node.id == "SINGLE"
    return isinstance(node, (ast.List, ast.Tuple)) and any(map(_is_single, node.elts))


def _is_future_key(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and node.value == "future") or (
        isinstance(node, ast.Name) and node.id == "FUTURE_ATTR"
    )


def _is_attrs(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "attrs"


def shape_checks(source: str, module: str) -> list[str]:
    """Where `module` tells one series from many by the old shapes instead of a SeriesSet's
    `lone` flag, or reads future rows from a frame instead of `SeriesSet.future`:
    `isinstance(x, dict)`, a comparison with the lone key (`key == SINGLE`, `list(x) ==
    [SINGLE]`), a dict keyed "" (`{"": frame}`), `frame.attrs["future"]` (or `.get`, `in`)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        why = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            kinds = node.args[1:2]
            flat = [e for k in kinds for e in (k.elts if isinstance(k, ast.Tuple) else [k])]
            if node.func.id == "isinstance" and any(
                isinstance(e, ast.Name) and e.id == "dict" for e in flat
            ):
                why = "isinstance(..., dict)"
        if isinstance(node, ast.Compare) and module != SHAPE_OWNER:
            if any(map(_is_single, [node.left, *node.comparators])):
                why = "a comparison with SINGLE"
        if isinstance(node, ast.Dict) and any(
            isinstance(k, ast.Constant) and k.value == "" for k in node.keys
        ):
            why = 'a dict keyed ""'
        if module not in (SHAPE_OWNER, FUTURE_WRITER):
            read = isinstance(node, ast.Subscript) and _is_attrs(node.value)
            read = read and _is_future_key(node.slice)
            got = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            got = got and node.func.attr == "get" and _is_attrs(node.func.value)
            got = got and bool(node.args) and _is_future_key(node.args[0])
            inside = isinstance(node, ast.Compare) and _is_future_key(node.left)
            inside = inside and any(map(_is_attrs, node.comparators))
            if read or got or inside:
                why = 'a frame\'s attrs["future"]'
        if why:
            found.append(f"{module}:{node.lineno} {why}")
    return found


def test_the_shape_rule_finds_what_it_forbids() -> None:
    """The rule below would pass vacuously if it found nothing: each old shape is caught."""
    source = (
        "def f(series, parts, frame, key):\n"
        "    many = isinstance(series, dict)\n"
        "    both = isinstance(parts.train, (dict, list))\n"
        "    lone = key == SINGLE or list(series) == [SINGLE]\n"
        "    frames = {'': frame}\n"
        "    rows = frame.attrs['future'] or frame.attrs.get('future')\n"
        "    return 'future' in frame.attrs\n"
    )
    found = shape_checks(source, "forecast.panel")
    assert len(found) == 8, found  # 2 isinstance, 2 comparisons, 1 dict, 3 attrs
    assert len(shape_checks(source, SHAPE_OWNER)) == 3  # the owner: isinstance and "" only


def test_one_shape_for_one_series_or_many() -> None:
    """Inside the package one series or many is a `SeriesSet` (its `lone` flag says which),
    the future rows its `future` field: no module decides by `isinstance(x, dict)`, the
    lone key or a `""` key, or reads `attrs["future"]` (docs: ARCHITECTURE.md)."""
    found = [
        line
        for module, path in module_files().items()
        for line in shape_checks(path.read_text(), module)
    ]
    assert not found, "old shapes of one series or many:\n" + "\n".join(found)
