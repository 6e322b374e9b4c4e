"""The run's state in one registered plugin object, on the controller and on every xdist worker.

As pytest-xdist keeps its scheduling state in a registered `DSession`, the suite keeps the run here
(spec, connections, facts), the directory its processes share, and the nightly deadline. The
controller creates the shared directory and passes it, with the deadline, to workers through
xdist's `workerinput`; nothing travels through environment variables.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from glustercheck import cluster_lock
from glustercheck.cluster_lock import ClusterBusy
from glustercheck.errors import HostRangeError, RemoteError, SpecError, UnreachableError
from glustercheck.hostrange import expand_hosts
from glustercheck.inventory import InventoryError, load_inventory
from glustercheck.run import GlusterRun, connect_options, with_ssh_addresses
from glustercheck.spec import ClusterSpec, VolumeSpec, load_spec, with_hosts, with_login, with_nodes
from pytest_glustercheck.options import NO_CLUSTER
from pytest_glustercheck.plugin import AUTO_IN_ONE_PROCESS, AUTO_WORKERS_NOTE

PLUGIN_NAME = "glustercheck-session"
WORKER_INPUT = "glustercheck"


def is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def has_xdist_workers(config: pytest.Config) -> bool:
    """Whether this run has pytest-xdist workers: this process is one, or will start them
    (xdist's own test: a distribution mode and somewhere to run)."""
    option = config.option
    return is_xdist_worker(config) or (getattr(option, "dist", "no") != "no"
                                       and bool(getattr(option, "tx", None)))


SSH_CONNECTIONS = (None, "paramiko", "ssh")


def spec_from_options(config: pytest.Config) -> ClusterSpec:
    """The cluster from --spec, --hosts (ranges, testinfra host specs), an Ansible inventory and
    testinfra's login options; a bad value is a usage error naming it.

    Precedence: a --hosts entry's own user/port/?sudo= > run-wide command-line options (--sudo,
    --sudo-user, --ssh-identity-file, --ssh-config) > the spec file > ssh_config > defaults.
    """
    option = config.option
    connection = getattr(option, "connection", None)
    if connection not in SSH_CONNECTIONS:
        raise pytest.UsageError(
            f"--connection={connection}: gluster-verify reaches nodes over SSH only "
            "(--connection=paramiko or ssh, or leave it out)")
    try:
        hosts = expand_hosts(option.hosts) if getattr(option, "hosts", None) else []
        spec = load_spec(option.spec) if option.spec else ClusterSpec((), (VolumeSpec(),))
        spec = with_login(spec, sudo=True if getattr(option, "sudo", False) else None,
                          sudo_user=getattr(option, "sudo_user", None),
                          identity_file=_path(getattr(option, "ssh_identity_file", None)),
                          ssh_config=_path(getattr(option, "ssh_config", None)))
        inventory_file = getattr(option, "ansible_inventory", None)
        if inventory_file:
            spec = _from_inventory(spec, Path(inventory_file), hosts)
        else:
            _refuse_inventory_patterns(hosts)
            spec = with_hosts(spec, hosts)
        if not spec.nodes:
            raise pytest.UsageError(NO_CLUSTER)
        return with_ssh_addresses(spec, connect_options(spec))
    except (SpecError, HostRangeError, InventoryError, UnreachableError) as exc:
        raise pytest.UsageError(str(exc)) from None


def _path(text: str | None) -> Path | None:
    return Path(text).expanduser() if text else None


def _from_inventory(spec: ClusterSpec, inventory_file: Path, hosts: list[str]) -> ClusterSpec:
    """--hosts=ansible://GROUP (or a bare group or host name) expands through the inventory."""
    inventory = load_inventory(inventory_file)
    patterns = [h.removeprefix("ansible://") for h in hosts] or ["all"]
    nodes = [node for pattern in patterns for node in inventory.nodes(pattern)]
    if not nodes:
        raise InventoryError(f"--ansible-inventory {inventory_file}: {', '.join(patterns)} has no hosts")
    return with_nodes(spec, nodes)


def _refuse_inventory_patterns(hosts: list[str]) -> None:
    for host in hosts:
        if host.startswith("ansible://"):
            raise pytest.UsageError(f"--hosts {host}: an Ansible group needs --ansible-inventory FILE")


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
        # Each fact script once per run, not once per process: under xdist the controller (which
        # reaches the nodes first, to take the cluster lock) and every worker read one answer.
        # A run in one process keeps its answers in memory only.
        if has_xdist_workers(config):
            self.run.share_dir = self.shared_dir
        self.lock: cluster_lock.HeldLock | None = None
        self.lock_note: str | None = None  # why the run went on without the cluster lock
        self.busy: str | None = None  # why the run stopped before its checks (lock held elsewhere)
        self._waited = False  # another run held the cluster lock when this one asked for it
        self._pending_lock: cluster_lock.PendingLock | None = None  # asked for, not yet waited for

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

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport,
                                                                            pytest.TestReport]:
        """A failure's root causes travel with its report (to the xdist controller too)."""
        report = yield
        causes = getattr(call.excinfo.value if call.excinfo else None, "causes", ())
        if causes:
            encoded = json.dumps([c.as_dict() for c in causes])
            report.user_properties = [*report.user_properties, ("causes", encoded)]
        return report

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        nodes = ", ".join(self.run.names)
        lines = [f"gluster cluster: {nodes} ({'--apply: converge' if config.option.apply else 'check only'})"]
        if config.stash.get(AUTO_IN_ONE_PROCESS, False):
            lines.append(AUTO_WORKERS_NOTE)
        if self.deadline is not None:
            stop = time.strftime("%H:%M:%S", time.localtime(self.deadline))
            lines.append(f"nightly deadline: no check starts after {stop} "
                         f"(--max-minutes {config.option.max_minutes:g})")
        return lines

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.deadline is not None and time.time() > self.deadline:
            reason = f"nightly deadline of {self.config.option.max_minutes:g} min reached"
            item.session.shouldstop = reason
            pytest.skip(reason)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """The controller reaches every node now (each node's first command tells its facts), so
        that pytest's collection, a fifth of a check-only run at 4 nodes, happens while the nodes
        work instead of before."""
        if is_xdist_worker(self.config) or self.config.option.collectonly:
            return
        self.run.start_probes()
        # The cluster lock is asked for as soon as the first node is connected, beside its
        # facts command: granted by the time the facts are in, it costs the run no round trip.
        apply = self.config.option.apply
        wait = 900.0 if apply else 60.0
        if self.deadline is not None:
            wait = max(10.0, min(600.0, self.deadline - time.time() - 60))
        first = self.run.names[0]
        self._pending_lock = cluster_lock.PendingLock(lambda: self.run.connected(first),
                                                      exclusive=apply, wait=wait)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Before the first check (under xdist: before any is handed out) the controller holds
        the cluster lock for the whole run: exclusive to converge, shared to check, so a check
        never reads a cluster another controller is converging. Facts told before it was granted
        are dropped when another run held it (see `_waiting`)."""
        pending, self._pending_lock = self._pending_lock, None
        if pending is None:  # an xdist worker, or --collect-only
            return
        first = self.run.names[0]
        try:
            self.lock = pending.result(on_wait=self._waiting)
        except (ClusterBusy, RemoteError) as exc:
            if self.run.probe_result(first) is not None:
                self.lock_note = f"cluster lock not taken: {first}, which holds it, is unreachable"
                return
            self.busy = f"cannot {'converge' if self.config.option.apply else 'check'}: {exc}"
            pytest.exit(self.busy, returncode=3)
        if self._waited:
            # Reaching the nodes already told their facts, but another run held the lock then and
            # has changed the cluster since: nothing told before now may be planned or checked from.
            self.run.start_afresh()

    def _waiting(self, holder: str) -> None:
        self._waited = True
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_line(f"waiting for the cluster lock on {self.run.names[0]}: {holder}")

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self._pending_lock is not None:  # the run ended before its checks
            self._pending_lock.abandon(self.run.close)
        if self.lock is not None:
            self.lock.release()
        self.run.close()
        if self._owns_shared_dir:
            shutil.rmtree(self.shared_dir, ignore_errors=True)


def gluster_session(config: pytest.Config) -> GlusterSession:
    found = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if not isinstance(found, GlusterSession):
        raise pytest.UsageError(NO_CLUSTER)
    return found
