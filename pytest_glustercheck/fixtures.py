"""The suite's fixtures: the run, the spec, reachability gates, facts, and running setup once."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from glustercheck.actions import SetupReport
from glustercheck.diagnose import Diagnosis, access_cause, diagnose
from glustercheck.errors import GlusterCheckError
from glustercheck.facts import ClusterFacts, NodeFacts
from glustercheck.run import GlusterRun
from glustercheck.spec import ClusterSpec, VolumeSpec
from pytest_glustercheck.messages import ClusterFailure
from pytest_glustercheck.session import gluster_session

if TYPE_CHECKING:
    from glustercheck.actions import Progress

SETUP_REPORT = "glustercheck-setup.json"
SETUP_LOG = logging.getLogger("glustercheck.setup")


def setup_report_path(shared_dir: Path) -> Path:
    return shared_dir / SETUP_REPORT


class SetupProgress:
    """Progress lines while the setup steps act: one as each step starts and ends on each node,
    and as each command or wait starts and ends, with elapsed time (`-q` keeps them quiet; they
    also go to the `glustercheck.setup` logger, which is what xdist workers can show)."""

    def __init__(self, config: pytest.Config) -> None:
        self.terminal = config.pluginmanager.get_plugin("terminalreporter")
        self.capture = config.pluginmanager.get_plugin("capturemanager")
        self.quiet = config.get_verbosity() < 0
        self.lock = threading.Lock()

    def __call__(self, where: str, what: str, seconds: float | None) -> None:
        text = f"{where}: {what} ..." if seconds is None else f"{where}: {what} ({seconds:.1f} s)"
        SETUP_LOG.info(text)
        if self.quiet or self.terminal is None:
            return
        with self.lock:
            # Setup runs inside a test's setup phase, while output is captured.
            guard = (self.capture.global_and_fixture_disabled() if self.capture is not None
                     else contextlib.nullcontext())
            with guard:
                self.terminal.write_line(f"setup {text}")


def setup_once(config: pytest.Config, converge: Callable[[Progress], SetupReport]) -> SetupReport:
    """Run `converge` once per pytest run, also under xdist: the first process to get here runs
    it, every other one reads its record. Check-only runs gather facts while the steps plan."""
    session = gluster_session(config)
    run = session.run
    path = setup_report_path(session.shared_dir)
    after = session.shared_dir / "after-setup"
    import filelock  # ~12 ms: only a run that checks needs it, not one that collects

    with filelock.FileLock(f"{path}.lock"):
        report = SetupReport.load(path)
        if report is None:
            if config.option.apply:
                # Facts gathered while acting are stale afterwards: share none of them.
                run.share_dir = None
            else:
                run.prefetch()
            report = converge(SetupProgress(config))
            if config.option.apply:
                # What the steps' last plan read came after the last change: the checks read
                # that (here and, through the shared directory, in every other process).
                run.use_share_dir(after, keep_current=True)
            report.save(path)
            return report
    if config.option.apply:
        run.use_share_dir(after)  # the converged state, as the process that acted shared it
    return report


@pytest.fixture(scope="session")
def converged(request: pytest.FixtureRequest) -> SetupReport:
    """Outside the checks (a user's own tests) no setup steps run: the record of the run's setup if
    the checks already made one, else an empty record. The checks' conftest overrides this."""
    session = gluster_session(request.config)
    found = SetupReport.load(setup_report_path(session.shared_dir))
    return found if found is not None else SetupReport(apply=request.config.option.apply)


@pytest.fixture(scope="session")
def run(request: pytest.FixtureRequest) -> GlusterRun:
    return gluster_session(request.config).run


@pytest.fixture(scope="session")
def spec(run: GlusterRun) -> ClusterSpec:
    return run.spec


@pytest.fixture
def reachable(run: GlusterRun, node: str) -> str:
    """Fail at once, with the probe's message, when the node could not be reached (or sudo there
    could not be used)."""
    error = run.probe().get(node)
    if error is not None:
        # One line, the probe's own message: it names the node, the reason and the fix.
        raise ClusterFailure(str(error), [access_cause(node, error)])
    return node


@pytest.fixture
def diagnosis(run: GlusterRun, converged: SetupReport, request: pytest.FixtureRequest) -> Diagnosis:
    """Root causes from everything gathered (it gathers what is missing, each node once)."""
    return diagnosis_of(run, request.config)


_DIAGNOSIS = pytest.StashKey[tuple[int, Diagnosis]]()


def diagnosis_of(run: GlusterRun, config: pytest.Config) -> Diagnosis:
    """One diagnosis per epoch of the run's facts: every check asks for it (151 times at 16
    nodes, measured ~3 ms each), and it changes only when facts are forgotten."""
    epoch = run.facts_epoch
    found = config.stash.get(_DIAGNOSIS, None)
    if found is not None and found[0] == epoch:
        return found[1]
    diagnosis = _diagnose(run, config)
    if run.facts_epoch == epoch:  # nothing was forgotten while it was worked out
        config.stash[_DIAGNOSIS] = (epoch, diagnosis)
    return diagnosis


def _diagnose(run: GlusterRun, config: pytest.Config) -> Diagnosis:
    nodes = run.all_node_facts()
    unreachable = run.probe()
    try:
        cluster: ClusterFacts | None = run.cluster_facts()
    except GlusterCheckError:
        cluster = None
    return diagnose(run.spec, nodes, unreachable, cluster,
                    capacity_critical=config.option.capacity_critical)


@pytest.fixture
def facts(run: GlusterRun, converged: SetupReport, reachable: str) -> NodeFacts:
    # Every node's facts at once: one by one, each node would wait out its own ping/TCP timeouts
    # towards a dead peer in turn.
    run.all_node_facts()
    try:
        return run.node_facts(reachable)
    except GlusterCheckError as exc:
        pytest.fail(f"{reachable}: could not gather facts: {exc}", pytrace=False)


@pytest.fixture
def all_facts(run: GlusterRun, converged: SetupReport) -> dict[str, NodeFacts]:
    return run.all_node_facts()


@pytest.fixture
def cluster(run: GlusterRun, converged: SetupReport) -> ClusterFacts:
    try:
        return run.cluster_facts()
    except GlusterCheckError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def volume_spec(spec: ClusterSpec, volume: str) -> VolumeSpec:
    return next(v for v in spec.volumes if v.name == volume)
