"""Fixtures shared by test files: a local Ray cluster for the distributed tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from ray_local import LocalRayCluster, cluster_env

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`-n 2 --dist loadgroup`, the README's test command) the tests on
    the local Ray cluster run on one worker, so one cluster serves them all."""
    for item in items:
        if "ray_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("ray_cluster"))


@pytest.fixture(scope="session")
def env() -> dict[str, str]:
    return cluster_env(ROOT)


@pytest.fixture(scope="session")
def ray_cluster(env):
    """A head node on 127.0.0.1 with 2 CPUs, its own temp dir and token, owned by this test
    session: stopped by its own processes, never `ray stop` (tests/ray_local.py)."""
    pytest.importorskip("ray")
    cluster = LocalRayCluster(env, cpus=2).start()
    try:
        yield cluster
    finally:
        cluster.stop()
