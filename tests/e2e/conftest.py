"""End-to-end fixtures: one simulated cluster for the whole test session, brought up on demand,
and the suite as a user installs it (the wheel in a fresh virtual environment, built once)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import filelock
import pytest

from simcluster import SimCluster, SimConfig
from tests.e2e.suite_runner import converged_cluster, healthy  # noqa: F401  (fixtures)

# CI runs the e2e suite twice: on bookworm nodes (gluster 10.3) and on trixie nodes (11.1).
DEFAULT_OS = os.environ.get("GLUSTERCHECK_E2E_OS", "bookworm")


def default_config() -> SimConfig:
    return SimConfig(os=DEFAULT_OS)


class SimClusterManager:
    """Owns the session's simulated cluster; tests that tear it down leave it to be rebuilt."""

    def __init__(self) -> None:
        self.cluster = SimCluster(default_config())

    def ensure_up(self) -> SimCluster:
        if not self.cluster.is_running():
            self.cluster.up()
        return self.cluster

    def fresh(self) -> SimCluster:
        """A cluster of bare nodes (no glusterd state), as after first boot."""
        self.cluster.down()
        self.cluster.up()
        return self.cluster

    def replace(self, config: SimConfig) -> SimCluster:
        """Nodes of another kind (suite, image variant, stick filesystem, count) in place of the
        session's cluster; `reset()` goes back to the default nodes."""
        self.cluster.down()
        self.cluster = SimCluster(config)
        self.cluster.up()
        return self.cluster

    def reset(self) -> None:
        """Back to the default nodes (full image of DEFAULT_OS): taken down if others are up."""
        if self.cluster.config != default_config():
            self.cluster.down()
            self.cluster = SimCluster(default_config())

    def down(self) -> None:
        self.cluster.down()


# One simulated cluster fits on a machine (it owns 10.0.0.0/16): concurrent e2e sessions queue.
MACHINE_LOCK = "/run/glustercheck-e2e.lock"


@pytest.fixture(scope="session")
def sim() -> Iterator[SimClusterManager]:
    if os.geteuid() != 0:
        pytest.fail("end-to-end tests need root: they run a simulated cluster in namespaces")
    with filelock.FileLock(MACHINE_LOCK, timeout=3600):
        existing = SimCluster(SimConfig())
        if existing.is_running():
            pytest.fail("a simulated cluster is already up; run `simcluster down` before the e2e "
                        "tests (they bring up their own)")
        manager = SimClusterManager()
        try:
            yield manager
        finally:
            manager.down()


@pytest.fixture
def cluster(sim: SimClusterManager) -> SimCluster:
    return sim.ensure_up()


# ----- the suite as a user gets it ---------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Installed:
    """The wheel installed (with its `ansible` extra) into a fresh virtual environment; `pytest`
    runs its pytest in a directory of the caller's, with only PATH, HOME, LANG and `env` set."""

    venv: Path
    home: Path

    def pytest(self, workdir: Path, *args: str, timeout: float = 300, home: Path | None = None,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        environment = {"PATH": f"{self.venv / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin",
                       "HOME": str(home or self.home), "LANG": "C.UTF-8", **(env or {})}
        return subprocess.run([str(self.venv / "bin" / "pytest"), "-p", "no:cacheprovider", *args],
                              cwd=workdir, env=environment, capture_output=True, text=True,
                              timeout=timeout, check=False)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Built and installed once per session: every test that runs the installed suite shares it."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                   check=True, timeout=600, capture_output=True)
    (wheel,) = dist.glob("gluster_verify-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # [ansible]: --ansible-inventory runs the ansible-inventory this installs next to pytest.
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"{wheel}[ansible]"], check=True,
                   timeout=600, capture_output=True)
    home = base / "home"
    home.mkdir()
    return Installed(venv, home)
