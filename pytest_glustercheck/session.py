"""The run's state in one registered plugin object, on the controller and on every xdist worker.

As pytest-xdist keeps its scheduling state in a registered `DSession`, the suite keeps the run here
(spec, connections, facts), the directory its processes share, and the nightly deadline. The
controller creates the shared directory and passes it, with the deadline, to workers through
xdist's `workerinput`; nothing travels through environment variables.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from glustercheck.errors import HostRangeError, RemoteError, SpecError
from glustercheck.hostrange import expand_hosts
from glustercheck.run import GlusterRun, connect_options
from glustercheck.spec import ClusterSpec, default_spec, load_spec, with_hosts

PLUGIN_NAME = "glustercheck-session"
WORKER_INPUT = "glustercheck"
NO_CLUSTER = ("no cluster given: use --hosts=rpi0..rpi3 (how-to defaults) or --spec=FILE; "
              "for the simulated cluster: --spec=/var/lib/simcluster/cluster.toml")


def is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def spec_from_options(config: pytest.Config) -> ClusterSpec:
    """The cluster from --spec and/or --hosts; a bad value is a usage error naming it."""
    try:
        hosts = expand_hosts(config.option.hosts) if getattr(config.option, "hosts", None) else []
        spec = (with_hosts(load_spec(config.option.spec), hosts) if config.option.spec
                else default_spec(hosts))
    except (SpecError, HostRangeError) as exc:
        raise pytest.UsageError(str(exc)) from None
    if not spec.nodes:
        raise pytest.UsageError(NO_CLUSTER)
    return spec


class GlusterSession:
    """Registered as PLUGIN_NAME when a cluster is given (--hosts or --spec)."""

    def __init__(self, config: pytest.Config, spec: ClusterSpec) -> None:
        self.config = config
        worker: dict[str, Any] = getattr(config, "workerinput", {}).get(WORKER_INPUT, {})
        if worker:
            self.shared_dir = Path(worker["shared_dir"])
            self.deadline: float | None = worker["deadline"]
            self._owns_shared_dir = False
        else:
            self.shared_dir = Path(tempfile.mkdtemp(prefix="glustercheck-run-"))
            self.deadline = (time.time() + 60 * config.option.max_minutes
                             if config.option.nightly else None)
            self._owns_shared_dir = True
        options = connect_options(spec, strict_host_keys=False if config.option.no_host_key_check
                                  else None)
        lock_dir = Path(os.environ.get("GLUSTERCHECK_LOCK_DIR", "/tmp"))
        try:
            self.run = GlusterRun(spec, options, lock_dir / "glustercheck-cluster.lock")
        except RemoteError as exc:  # e.g. too few open files allowed for this many hosts
            raise pytest.UsageError(str(exc)) from None
        if worker:  # each fact script once per run, not once per worker
            self.run.share_dir = self.shared_dir

    @property
    def spec(self) -> ClusterSpec:
        return self.run.spec

    # ----- hooks ------------------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Checks taking `node` run once per node, `volume` once per declared volume."""
        if "node" in metafunc.fixturenames:
            names = self.run.names
            metafunc.parametrize("node", names, ids=names)
        if "volume" in metafunc.fixturenames:
            volumes = [v.name for v in self.spec.volumes]
            metafunc.parametrize("volume", volumes, ids=[f"volume={v}" for v in volumes])

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist controller: hand every worker the shared directory and the deadline."""
        node.workerinput[WORKER_INPUT] = {"shared_dir": str(self.shared_dir),
                                          "deadline": self.deadline}

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.deadline is not None and time.time() > self.deadline:
            reason = f"nightly deadline of {self.config.option.max_minutes:g} min reached"
            item.session.shouldstop = reason
            pytest.skip(reason)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.run.close()
        if self._owns_shared_dir:
            shutil.rmtree(self.shared_dir, ignore_errors=True)


def gluster_session(config: pytest.Config) -> GlusterSession:
    found = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if not isinstance(found, GlusterSession):
        raise pytest.UsageError(NO_CLUSTER)
    return found
