"""Fixtures shared by test files: a local Ray cluster for the distributed tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from ray_local import LocalRayCluster, cluster_env

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def env() -> dict[str, str]:
    return cluster_env(ROOT)


@pytest.fixture(scope="session")
def ray_cluster(env):
    """A head node on 127.0.0.1 with 2 CPUs, its own temp dir and token, owned by this test
    session: stopped by its own processes, never `ray stop` (tests/ray_local.py). Under
    pytest-xdist (`-n 2`, the README's test command) each worker is a session of its own and
    starts its own cluster when one of its tests first asks: the Ray tests, the slowest of the
    suite, spread over both workers instead of queueing on one."""
    pytest.importorskip("ray")
    cluster = LocalRayCluster(env, cpus=2).start()
    try:
        yield cluster
    finally:
        cluster.stop()
