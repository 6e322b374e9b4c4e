"""Run the verification suite (checks/) as a subprocess against the simulated cluster and read back
what it did: the outcome and message of every test id (from its JUnit XML) and the setup summary.

Also `ConvergedCluster`: one converged, healthy cluster for the whole e2e session (built once, by
the suite's own --apply), with a snapshot of its state, a health wait and a restore for fault tests.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as ET
import jsonschema
import pytest

from glustercheck.errors import GlusterCheckError
from glustercheck.parsers import (
    parse_heal_info_xml,
    parse_peer_status_xml,
    parse_volume_info_xml,
    parse_volume_status_xml,
)
from simcluster import SimCluster, SimClusterError, SimConfig

ROOT = Path(__file__).resolve().parents[2]
SUMMARY_SCHEMA = json.loads(
    (resources.files("glustercheck.report") / "summary.schema.json").read_text())
SPEC = SimConfig().spec_file
NODES = SimConfig().names
ALL_CHECKS = 45  # 9 per node x 4, 3 cluster-wide, 6 per volume: the how-to's spec
SUITE_TIMEOUT = 300.0
HEALTH_TIMEOUT = 120.0
STEADY = 3.0  # seconds healthy on end before a test goes on (see wait_healthy)
CONNECT_TIMEOUT = 5.0  # the simulated cluster's spec: [connection] connect_timeout
_SUMMARY = re.compile(r"^setup steps \((apply|check-only), [0-9.]+ s\): (\d+) change\(s\)$", re.M)


@dataclass(frozen=True)
class Outcome:
    test_id: str  # e.g. "test_glusterd_running_and_enabled[rpi2]" (function name and parameters)
    status: str  # passed, failed, error, skipped
    message: str  # the failure/error/skip text, "" when passed


@dataclass
class SuiteRun:
    args: list[str]
    rc: int
    stdout: str
    stderr: str
    seconds: float
    results: dict[str, Outcome] = field(default_factory=dict)
    report_dir: str = ""

    def ids(self, status: str) -> set[str]:
        return {t for t, o in self.results.items() if o.status == status}

    @property
    def failed(self) -> set[str]:
        return self.ids("failed") | self.ids("error")

    @property
    def passed(self) -> set[str]:
        return self.ids("passed")

    def message(self, test_id: str) -> str:
        return self.results[test_id].message

    @property
    def changes(self) -> int:
        """The change count of the "setup steps" terminal section (exactly one must be printed)."""
        found = _SUMMARY.findall(self.stdout)
        assert len(found) == 1, f"expected one setup summary line, found {found}\n{self.describe()}"
        return int(found[0][1])

    @property
    def summary(self) -> str:
        """The "setup steps" section of the terminal output."""
        match = re.search(r"=+ setup steps =+\n(.*?)(?:\n=+ |\Z)", self.stdout, re.S)
        return match.group(1) if match else ""

    @property
    def verdict_line(self) -> str:
        """The first line under the terminal's "cluster verdict" header."""
        match = re.search(r"=+ cluster verdict =+\n(.*)", self.stdout)
        return match.group(1) if match else ""

    @property
    def summary_json(self) -> dict[str, Any]:
        """This run's summary.json (each run writes its own report directory)."""
        data: dict[str, Any] = json.loads((Path(self.report_dir) / "summary.json").read_text())
        return data

    def describe(self) -> str:
        """For assertion messages: what ran, how it ended, the end of its output."""
        return (f"`pytest {' '.join(self.args)}` rc={self.rc} in {self.seconds:.1f} s\n"
                f"--- stdout (tail) ---\n{self.stdout[-6000:]}\n--- stderr (tail) ---\n"
                f"{self.stderr[-2000:]}")


def _parse_junit(path: Path) -> dict[str, Outcome]:
    results = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        test_id = case.get("name", "")
        status, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                status = {"failure": "failed"}.get(child.tag, child.tag)
                message = (child.text or child.get("message", "")).strip()
                break
        results[test_id] = Outcome(test_id, status, message)
    return results


def run_suite(workdir: Path, *args: str, spec: Path = SPEC, hosts: str | None = "rpi0..rpi3",
              timeout: float = SUITE_TIMEOUT, env: dict[str, str] | None = None) -> SuiteRun:
    """`python -m pytest checks --spec SPEC [--hosts H] ARGS` in the project root, results parsed."""
    return start_suite(workdir, *args, spec=spec, hosts=hosts, timeout=timeout, env=env).wait()


@dataclass
class RunningSuite:
    """A suite run going on in the background (a controller process of its own)."""

    proc: subprocess.Popen[str]
    argv: list[str]
    junit: Path
    reports: str
    started: float
    timeout: float

    def wait(self) -> SuiteRun:
        try:
            stdout, stderr = self.proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            stdout, stderr = self.kill()
            pytest.fail(f"`pytest {' '.join(self.argv)}` did not finish within {self.timeout:g} s"
                        f"\n--- stdout (tail) ---\n{stdout[-6000:]}\n--- stderr (tail) ---\n"
                        f"{stderr[-2000:]}")
        seconds = time.monotonic() - self.started
        run = SuiteRun(self.argv, self.proc.returncode, stdout, stderr, seconds, report_dir=self.reports)
        summary = Path(self.reports) / "summary.json"
        if summary.exists():  # every summary an e2e run writes must match the shipped schema
            jsonschema.validate(json.loads(summary.read_text()), SUMMARY_SCHEMA)
        if not self.junit.exists():
            pytest.fail(f"the suite wrote no JUnit XML\n{run.describe()}")
        run.results = _parse_junit(self.junit)
        return run

    def kill(self) -> tuple[str, str]:
        """The controller dies at once (SIGKILL: no cleanup of its own), as when a laptop's
        battery runs out; its SSH sessions end with it. Returns what it had printed."""
        self.proc.kill()
        stdout, stderr = self.proc.communicate(timeout=30)
        return stdout or "", stderr or ""


def start_suite(workdir: Path, *args: str, spec: Path = SPEC, hosts: str | None = "rpi0..rpi3",
                timeout: float = SUITE_TIMEOUT, env: dict[str, str] | None = None) -> RunningSuite:
    workdir.mkdir(parents=True, exist_ok=True)
    number = len(list(workdir.glob("run-*.started")))
    (workdir / f"run-{number}.started").touch()
    base = workdir / f"run-{number}"
    junit = workdir / f"run-{number}.xml"
    argv = [str(ROOT / "checks"), f"--spec={spec}", "-p", "no:cacheprovider", f"--junitxml={junit}",
            f"--basetemp={base}", "-o", "junit_family=legacy", "-rfE"]
    if not any(a.startswith("--report-dir") for a in args):
        argv.append(f"--report-dir={base}-reports")
    if hosts is not None:
        argv.append(f"--hosts={hosts}")
    argv += list(args)
    # The outer pytest's variables (PYTEST_CURRENT_TEST, xdist's, GLUSTERCHECK_SPEC) must not leak in.
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("PYTEST_", "GLUSTERCHECK_SPEC"))} | (env or {})
    proc = subprocess.Popen([sys.executable, "-m", "pytest", *argv], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reports = next((a.split("=", 1)[1] for a in argv if a.startswith("--report-dir=")), "")
    return RunningSuite(proc, argv, junit, reports, time.monotonic(), timeout)


def write_spec(path: Path, extra: str = "", *, replace: tuple[str, str] | None = None) -> Path:
    """A copy of the simulated cluster's spec, optionally edited, with more TOML appended."""
    text = SPEC.read_text()
    if replace is not None:
        assert replace[0] in text, f"{replace[0]!r} not in the spec"
        text = text.replace(replace[0], replace[1])
    path.write_text(text + "\n" + extra)
    return path


# ----- looking into the nodes (direct, not through the suite) -----------------------------------

def sh(cluster: SimCluster, node: str, script: str, *, timeout: float = 60,
       check: bool = True, stdin: str | None = None) -> str:
    return cluster.exec(node, ["sh", "-c", script], timeout=timeout, check=check,
                        input_text=stdin).stdout


def gluster(cluster: SimCluster, node: str, *args: str, timeout: float = 60,
            check: bool = True) -> str:
    """`gluster --mode=script ARGS` in the node; its stderr (CLI errors) folded into the output."""
    command = f"timeout {timeout:g} gluster --mode=script {' '.join(args)} 2>&1"
    return sh(cluster, node, command, timeout=timeout + 10, check=check)


def cluster_state(cluster: SimCluster) -> dict[str, dict[str, object]]:
    """/etc/hosts, `gluster volume info` and `gluster peer status` as every node sees them. Volumes
    parsed without their options (a restarted 11.1 glusterd stops listing defaults such as
    nfs.disable) and peer records as (uuid, known by its name, state): a restarted glusterd lists
    them in another order, and 11.1 may add an address beside a name, with the same meaning."""
    return {node: {
        "hosts": sh(cluster, node, "cat /etc/hosts"),
        "volume info": [dataclasses.replace(v, options={}) for v in parse_volume_info_xml(
            gluster(cluster, node, "--xml", "volume", "info"))],
        "peer status": sorted((p.uuid, any(n in NODES for n in p.names), p.state, p.connected)
                              for p in parse_peer_status_xml(
                                  gluster(cluster, node, "--xml", "peer", "status"))),
    } for node in NODES}


def health_problems(cluster: SimCluster, volume: str = "gv") -> list[str]:
    """Why the cluster is not healthy: powered off, peers, bricks, self-heal daemons, pending heal."""
    problems = []
    for node in NODES:
        if cluster.init_pid(node) is None:
            return [f"{node} is powered off"]
        peers = parse_peer_status_xml(gluster(cluster, node, "--xml", "peer", "status", check=False)
                                      or "<cliOutput/>") if _glusterd_up(cluster, node) else None
        if peers is None:
            problems.append(f"{node}: glusterd not running")
        elif len(peers) != len(NODES) - 1 or not all(p.connected and p.state == "Peer in Cluster"
                                                     for p in peers):
            problems.append(f"{node}: peers {[(p.hostname, p.state, p.connected) for p in peers]}")
    if problems:
        return problems
    status = parse_volume_status_xml(gluster(cluster, NODES[0], "--xml", "volume", "status", volume))
    bricks = [b for s in status for b in s.bricks]
    if len(bricks) != len(NODES) or not all(b.online for b in bricks):
        problems.append(f"bricks {[(b.host, b.online) for b in bricks]}")
    shd = [d for s in status for d in s.daemons if d.name == "Self-heal Daemon" and d.online]
    if len(shd) != len(NODES):
        problems.append(f"{len(shd)} self-heal daemons online")
    if not problems:
        heal = parse_heal_info_xml(gluster(cluster, NODES[0], "--xml", "volume", "heal", volume,
                                           "info"), volume)
        if heal.pending_entries:
            problems.append(f"{heal.pending_entries} entries pending heal")
    return problems


def _glusterd_up(cluster: SimCluster, node: str) -> bool:
    return cluster.exec(node, ["pgrep", "-x", "glusterd"], check=False, timeout=10).returncode == 0


def wait_healthy(cluster: SimCluster, timeout: float = HEALTH_TIMEOUT, steady: float = STEADY) -> float:
    """Wait until the cluster is healthy and stays so for `steady` seconds; return the seconds taken.

    Why steady: a glusterd that starts again stops its node's self-heal daemon and starts a new one
    once it has shaken hands with its peers, about a second later. Read in between, every peer is
    connected and the old daemon is still online; a run started right after saw "self-heal daemon
    on rpi2 is not online" (CI, stop 21). Every repair that restarts a daemon settles the same way.
    """
    started = time.monotonic()
    healthy_since: float | None = None
    while True:
        try:
            problems = health_problems(cluster)
        except (GlusterCheckError, SimClusterError) as exc:  # e.g. "Locking failed on rpi3" while
            problems = [str(exc)]                            # a reconnected peer settles: look again
        now = time.monotonic()
        if problems:
            healthy_since = None
        elif healthy_since is None:
            healthy_since = now
        elif now - healthy_since >= steady:
            return now - started
        if now - started > timeout:
            raise AssertionError(f"cluster not healthy (for {steady:g} s on end) after {timeout:g} s: "
                                 f"{'; '.join(problems) or 'healthy, but not for long enough'}")
        time.sleep(0.5)


# ----- the session's converged cluster ----------------------------------------------------------

class ConvergedCluster:
    """The how-to's cluster converged by `pytest --apply`, built once and restored after faults."""

    def __init__(self, sim: object, workdir: Path) -> None:
        self.sim = sim  # tests/e2e/conftest.py's SimClusterManager
        self.workdir = workdir
        self.snapshot: dict[str, dict[str, object]] | None = None
        self.nodes: dict[str, int | None] = {}  # node -> init pid when last known converged
        self.builds = 0

    @property
    def cluster(self) -> SimCluster:
        return self.sim.cluster  # type: ignore[attr-defined]

    def invalidate(self) -> None:
        """A test is about to take the cluster apart (e.g. sim.fresh()): rebuild before the next."""
        self.snapshot = None

    def adopt(self) -> None:
        """A test converged the cluster itself and checked it: take it as the session's."""
        wait_healthy(self.cluster)
        self.snapshot = cluster_state(self.cluster)
        self.nodes = self._init_pids()

    def _init_pids(self) -> dict[str, int | None]:
        return {n: self.cluster.init_pid(n) for n in self.cluster.config.names}

    def ensure(self) -> SimCluster:
        # Other test modules may have replaced the nodes (sim.fresh(), a direct SimCluster.up()):
        # new init processes mean new, bare nodes.
        if self.snapshot is None or not self.cluster.is_running() or self._init_pids() != self.nodes:
            self.build()
        return self.cluster

    def build(self) -> None:
        self.snapshot = None
        self.sim.fresh()  # type: ignore[attr-defined]
        result = run_suite(self.workdir / f"build-{self.builds}", "--apply",
                           "--replace-hosts-conflicts")
        self.builds += 1
        assert result.rc == 0, result.describe()
        assert not result.failed, result.describe()
        self.adopt()

    def restore(self) -> None:
        """After a fault test: wait until healthy and exactly as converged, else rebuild."""
        if self.snapshot is None:
            return
        try:
            wait_healthy(self.cluster)
            now = cluster_state(self.cluster)
            differs = {f"{n}: {k} {self.snapshot[n][k]!r} -> {v[k]!r}"
                       for n, v in now.items() for k in v if v[k] != self.snapshot[n][k]}
            assert not differs, f"differs from the converged snapshot: {', '.join(sorted(differs))}"
            self.nodes = self._init_pids()  # a node powered off and on again is the same node
        except Exception as exc:  # the next test must start from a healthy cluster: rebuild it now
            print(f"cluster not restored ({exc}); rebuilding it")
            self.build()


@pytest.fixture(scope="session")
def converged_cluster(sim: object, tmp_path_factory: pytest.TempPathFactory) -> ConvergedCluster:
    return ConvergedCluster(sim, tmp_path_factory.mktemp("converged"))


@pytest.fixture
def healthy(converged_cluster: ConvergedCluster) -> Iterator[SimCluster]:
    """A converged, healthy cluster; restored (or rebuilt) after the test, whatever it broke."""
    yield converged_cluster.ensure()
    converged_cluster.restore()
