"""A local Ray cluster that a test owns, and stops without touching anyone else's.

`LocalRayCluster.start()` runs `ray start --head --block` in a new session (its own process
group) with its own `--temp-dir`, its own auth token and free ports; every process Ray starts
for it (GCS, raylet, agents, workers) inherits that session id. `stop()` sends SIGTERM to the
`ray start` process (which shuts down what it started), then SIGKILL to whatever is left in
its session, and removes the temp dir. `ray stop` is never run: it kills every Ray process of
this user on the host, other people's clusters included.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

RAY = [sys.executable, "-m", "ray.scripts.scripts"]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_of(pid: int) -> int | None:
    """The session id of process `pid` (field 6 of /proc/PID/stat), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[3])  # after "pid (comm)": state ppid pgrp sid


def members(session: int) -> list[int]:
    """The pids of the live processes in session `session`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and session_of(int(entry.name)) == session:
            found.append(int(entry.name))
    return found


@dataclass
class LocalRayCluster:
    """A head node on 127.0.0.1 with `cpus` CPUs, owned by this process."""

    env: dict[str, str]
    cpus: int = 2
    temp: str = ""
    address: str = ""
    leader: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, timeout: float = 180) -> LocalRayCluster:
        """Start the head and wait until it is up (its address file written)."""
        self.temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # Ray's socket paths: short
        port = free_port()
        self.address = f"127.0.0.1:{port}"
        ports = {
            "ray-client-server-port": free_port(), "dashboard-port": free_port(),
            "dashboard-agent-listen-port": free_port(), "runtime-env-agent-port": free_port(),
            "metrics-export-port": free_port(),
        }  # fmt: skip
        command = [
            *RAY, "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
            f"--num-cpus={self.cpus}", "--num-gpus=0", "--include-dashboard=false",
            "--disable-usage-stats", f"--temp-dir={self.temp}",
            *(f"--{name}={value}" for name, value in ports.items()),
        ]  # fmt: skip
        log = open(Path(self.temp) / "ray_start.log", "w")
        self.leader = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        ready = Path(self.temp) / "ray_current_cluster"
        deadline = time.monotonic() + timeout
        while not ready.is_file():
            if self.leader.poll() is not None or time.monotonic() > deadline:
                text = (Path(self.temp) / "ray_start.log").read_text()[-3000:]
                self.stop()
                raise RuntimeError(f"ray start failed:\n{text}")
            time.sleep(0.5)
        return self

    def pids(self) -> list[int]:
        """The live processes of this cluster (its session), workers included."""
        return members(self.leader.pid) if self.leader else []

    def stop(self, grace: float = 20) -> None:
        """SIGTERM the `ray start` process, then SIGKILL what is left of its session."""
        if self.leader is None:
            return
        session = self.leader.pid
        if self.leader.poll() is None:
            self.leader.send_signal(signal.SIGTERM)
            try:
                self.leader.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + grace
        while (left := members(session)) and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid in members(session):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.leader.poll() is None:
            self.leader.kill()
        self.leader.wait(30)
        deadline = time.monotonic() + 10
        while members(session) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = members(session)
        self.leader = None
        shutil.rmtree(self.temp, ignore_errors=True)
        if left:
            raise RuntimeError(f"Ray processes still alive after stop: {left}")


def cluster_env(root: Path) -> dict[str, str]:
    """The environment of a test's Ray processes: its own auth token (not ~/.ray/auth_token,
    which other Ray instances share), TensorFlow quiet, this checkout on PYTHONPATH."""
    found = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": "tensorflow"}
    found.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32))
    found["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), found.get("PYTHONPATH")]))
    return found
