"""pytest wiring: options, in-place `--hosts` range expansion, per-node and per-volume
parametrisation, the run's fixtures, and fail-fast for unreachable nodes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glustercheck.errors import GlusterCheckError, HostRangeError, RemoteError, SpecError
from glustercheck.facts import ClusterFacts, NodeFacts
from glustercheck.hostrange import expand_hosts
from glustercheck.spec import ClusterSpec, VolumeSpec, default_spec, load_spec, with_hosts
from pytest_glustercheck.session import GlusterRun, connect_options

RUN_KEY = pytest.StashKey[GlusterRun]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("glustercheck", "GlusterFS cluster verification")
    group.addoption("--spec", default=os.environ.get("GLUSTERCHECK_SPEC"), metavar="FILE",
                    help="cluster spec (TOML): nodes, volumes, how to connect "
                         "[env GLUSTERCHECK_SPEC]; --hosts alone means the how-to's defaults")
    group.addoption("--apply", action="store_true",
                    help="converge the cluster to the spec (hosts file, glusterd, peers, volumes); "
                         "without it the run only checks and changes nothing")
    group.addoption("--replace-hosts-conflicts", action="store_true",
                    help="with --apply: comment out /etc/hosts lines that map a cluster name to "
                         "another address (e.g. Debian's 127.0.1.1 <own name>) instead of reporting")
    group.addoption("--no-host-key-check", action="store_true",
                    help="accept unknown SSH host keys (default: refuse, as ssh StrictHostKeyChecking)")
    group.addoption("--heal-wait", type=float, default=60.0, metavar="SECONDS",
                    help="how long the heal check waits for pending heals to finish (default 60)")
    group.addoption("--capacity-warn", type=float, default=80.0, metavar="PERCENT")
    group.addoption("--capacity-critical", type=float, default=90.0, metavar="PERCENT")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Expand `rpi0..rpi3` in pytest-testinfra's own --hosts option before it reads it."""
    config.addinivalue_line("markers", "cluster: a check that looks at the cluster as a whole")
    raw = getattr(config.option, "hosts", None)
    if raw:
        try:
            config.option.hosts = ",".join(expand_hosts(raw))
        except HostRangeError as exc:
            raise pytest.UsageError(str(exc)) from None
    if raw or getattr(config.option, "spec", None):
        gluster_run(config)  # a bad spec or too low a file limit is a usage error now, not per module


def _spec_from_options(config: pytest.Config) -> ClusterSpec | None:
    hosts = expand_hosts(config.option.hosts) if getattr(config.option, "hosts", None) else []
    try:
        if config.option.spec:
            return with_hosts(load_spec(config.option.spec), hosts)
        return default_spec(hosts) if hosts else None
    except SpecError as exc:
        raise pytest.UsageError(str(exc)) from None


def gluster_run(config: pytest.Config) -> GlusterRun:
    """The run's state, created on first use (so `pytest tests/` never needs a spec)."""
    if RUN_KEY not in config.stash:
        spec = _spec_from_options(config)
        if spec is None or not spec.nodes:
            raise pytest.UsageError(
                "no cluster given: use --hosts=rpi0..rpi3 (how-to defaults) or --spec=FILE; "
                "for the simulated cluster: --spec=/var/lib/simcluster/cluster.toml")
        options = connect_options(spec, strict_host_keys=False if config.option.no_host_key_check
                                  else None)
        lock_dir = Path(os.environ.get("GLUSTERCHECK_LOCK_DIR", "/tmp"))
        try:
            config.stash[RUN_KEY] = GlusterRun(spec, options, lock_dir / "glustercheck-cluster.lock")
        except RemoteError as exc:  # e.g. too few open files allowed for this many hosts
            raise pytest.UsageError(str(exc)) from None
    return config.stash[RUN_KEY]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Checks taking `node` run once per node, `volume` once per declared volume; ids are names."""
    if "node" in metafunc.fixturenames:
        names = gluster_run(metafunc.config).names
        metafunc.parametrize("node", names, ids=names)
    if "volume" in metafunc.fixturenames:
        volumes = [v.name for v in gluster_run(metafunc.config).spec.volumes]
        metafunc.parametrize("volume", volumes, ids=[f"volume={v}" for v in volumes])


def pytest_unconfigure(config: pytest.Config) -> None:
    if RUN_KEY in config.stash:
        config.stash[RUN_KEY].close()


@pytest.fixture(scope="session")
def run(request: pytest.FixtureRequest) -> GlusterRun:
    return gluster_run(request.config)


@pytest.fixture(scope="session")
def spec(run: GlusterRun) -> ClusterSpec:
    return run.spec


@pytest.fixture
def reachable(run: GlusterRun, node: str) -> str:
    """Fail at once, with the probe's message, when the node could not be reached."""
    error = run.probe().get(node)
    if error is not None:
        pytest.fail(f"{node} unreachable: {error}", pytrace=False)
    return node


@pytest.fixture
def facts(run: GlusterRun, converged: None, reachable: str) -> NodeFacts:
    # Every node's facts at once: one by one, each node would wait out its own ping/TCP timeouts
    # towards a dead peer in turn.
    run.all_node_facts()
    try:
        return run.node_facts(reachable)
    except GlusterCheckError as exc:
        pytest.fail(f"{reachable}: could not gather facts: {exc}", pytrace=False)


@pytest.fixture
def all_facts(run: GlusterRun, converged: None) -> dict[str, NodeFacts]:
    return run.all_node_facts()


@pytest.fixture
def cluster(run: GlusterRun, converged: None) -> ClusterFacts:
    try:
        return run.cluster_facts()
    except GlusterCheckError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def volume_spec(spec: ClusterSpec, volume: str) -> VolumeSpec:
    return next(v for v in spec.volumes if v.name == volume)
