"""Fixtures shared by test files: a local Ray cluster for the distributed tests; the order the
tests run in (the longest first, so two pytest-xdist workers end together)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ray_local import LocalRayCluster, cluster_env

ROOT = Path(__file__).resolve().parents[1]


def weight(item: pytest.Item) -> int:
    """How long a test runs, roughly: 2 for a test on a Ray cluster (the longest: a minute and
    more), 1 for one marked slow (a fresh process, a CLI training), 0 for the others."""
    if "ray_cluster" in getattr(item, "fixturenames", ()):
        return 2
    return 1 if item.get_closest_marker("slow") else 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first: files by their heaviest test, and in a file its heaviest tests
    first (otherwise in file order). The README's `-n 2 --dist loadgroup` hands tests out one by
    one to the worker that is free, so when the long ones go first the last tests handed out
    are short and both workers end at about the same time. A file's tests stay together, so a
    module-scoped fixture is still set up once per worker."""
    heaviest: dict[str, int] = {}  # file -> its heaviest test's weight, files in file order
    for item in items:
        heaviest[item.path.name] = max(heaviest.get(item.path.name, 0), weight(item))
    files = sorted(heaviest, key=lambda name: -heaviest[name])  # stable: else in file order
    rank = {name: number for number, name in enumerate(files)}
    items.sort(key=lambda item: (rank[item.path.name], -weight(item)))
    last = max((n for n, item in enumerate(items) if weight(item) == 2), default=-1)
    _RAY_SPAN.update(item.nodeid for item in items[: last + 1])


@pytest.fixture(scope="session")
def env() -> dict[str, str]:
    return cluster_env(ROOT)


_CLUSTER: list[LocalRayCluster] = []  # this session's local Ray cluster, once started
_RAY_SPAN: set[str] = set()  # the tests up to the last one on a Ray cluster, in run order


@pytest.fixture
def ray_cluster(env) -> LocalRayCluster:
    """A head node on 127.0.0.1 with 2 CPUs, its own temp dir and token, owned by this test
    session: stopped by its own processes, never `ray stop` (tests/ray_local.py). Under
    pytest-xdist (`-n 2`, the README's test command) each worker is a session of its own and
    starts its own cluster when one of its tests first asks: the Ray tests, the slowest of the
    suite, spread over both workers instead of queueing on one. The Ray tests run first; the
    cluster is stopped once the worker's next test comes after the last of them (an idle
    cluster costs about 2 % of a core), and started again should one still ask."""
    pytest.importorskip("ray")
    if not _CLUSTER:
        _CLUSTER.append(LocalRayCluster(env, cpus=2).start())
    return _CLUSTER[0]


def _stop_cluster() -> None:
    while _CLUSTER:
        _CLUSTER.pop().stop()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if _CLUSTER and (nextitem is None or nextitem.nodeid not in _RAY_SPAN):
        _stop_cluster()


def pytest_sessionfinish() -> None:
    _stop_cluster()
