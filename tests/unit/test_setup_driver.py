"""converge(): plan, act, plan again until settled; check-only never runs anything (offline, with a
stand-in run whose facts change the way the nodes would)."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from glustercheck.actions import CLUSTER, UNCHANGED, SetupReport
from glustercheck.facts import ClusterFacts, NodeFacts
from glustercheck.remote import CommandResult
from glustercheck_setup_steps import converge
from tests.unit.test_setup_steps import BARE, CONVERGED, NAMES, SPEC, cluster_facts


class FakeRun:
    """Serves recorded facts; each command may change them, as the node would."""

    def __init__(self, nodes: dict[str, NodeFacts], cluster: ClusterFacts, *,
                 effective: bool = True, stale_first: bool = False) -> None:
        self.spec, self.names = SPEC, list(NAMES)
        self.nodes, self.cluster = dict(nodes), cluster
        self.effective = effective
        # Each node's first command finds the node moved on since its facts were read: it
        # leaves it alone and says so, as the peer-record scripts do.
        self.stale_first = stale_first
        self.commands: list[tuple[str, str]] = []
        self.lock = nullcontext()

    def probe(self) -> dict[str, Exception]:
        return {}

    def reachable(self) -> list[str]:
        return list(self.names)

    def node_facts(self, name: str) -> NodeFacts:
        return self.nodes[name]

    def all_node_facts(self) -> dict[str, NodeFacts]:
        return dict(self.nodes)

    def cluster_facts(self) -> ClusterFacts:
        return self.cluster

    def volume_state(self) -> ClusterFacts:
        return self.cluster

    def forget_facts(self, nodes: Sequence[str] | None = None, *, cluster: bool = True) -> None:
        return None

    def connection(self, name: str) -> Any:
        return _Connection(self, name)

    def run(self, name: str, command: str | Sequence[str], *, timeout: float | None = None,
            stdin: str | None = None) -> CommandResult:
        shown = command if isinstance(command, str) else " ".join(command)
        first = all(n != name for n, _ in self.commands)
        self.commands.append((name, shown))
        if self.stale_first and first:
            return CommandResult(name, shown, 0, f"{UNCHANGED} found changed", "", 0.01)
        if self.effective:
            self._effect(name, shown, stdin)
        return CommandResult(name, shown, 0, "", "", 0.01)

    def _effect(self, name: str, command: str, stdin: str | None) -> None:
        facts = self.nodes[name]
        if "base64 -d" in command and stdin is not None:
            facts = dataclasses.replace(facts, hosts_file=base64.b64decode(stdin).decode())
        if "/usr/sbin/glusterd" in command:
            facts = dataclasses.replace(facts, glusterd_running=True, glusterd_enabled=True,
                                        peers=CONVERGED[name].peers, uuid=CONVERGED[name].uuid)
        self.nodes[name] = facts


@dataclasses.dataclass
class _Connection:
    run_: FakeRun
    name: str

    def run(self, command: Sequence[str], **_: object) -> CommandResult:
        return self.run_.run(self.name, list(command))


def test_check_only_on_bare_nodes_runs_nothing_and_says_what_is_missing() -> None:
    run = FakeRun(BARE, cluster_facts())
    report = converge(run, apply=False)  # type: ignore[arg-type]
    assert run.commands == []
    assert report.changed == {}
    for node in NAMES:
        assert report.missing[node] == [
            "not configured: /etc/hosts does not map rpi0 to 10.0.1.0, rpi1 to 10.0.1.1, rpi2 to "
            "10.0.1.2, rpi3 to 10.0.1.3; run with --apply",
            "not configured: glusterd not running and not enabled at boot; run with --apply"]
    assert CLUSTER not in report.errors  # peers and volumes are simply not planned yet


def test_apply_from_bare_nodes_acts_then_settles_with_the_last_plans_notes() -> None:
    run = FakeRun(BARE, cluster_facts())
    report = converge(run, apply=True, replace_hosts_conflicts=True)  # type: ignore[arg-type]
    assert report.errors == {}
    assert report.change_count == 4 * 4  # hosts block, Debian's line, started, enabled per node
    for node in NAMES:
        commands = [c for n, c in run.commands if n == node]
        assert len(commands) == 2
        assert "base64 -d" in commands[0]
        assert "glusterd" in commands[1]
        # the notes come from the plan that found nothing left to do
        assert "glusterd running, enabled at boot" in report.inspected[node]
    assert report.inspected["volume=gv"] == ["exists as declared (2 x 2 = 4)"]


def test_an_action_that_does_not_take_effect_is_reported_not_repeated() -> None:
    run = FakeRun(BARE, cluster_facts(), effective=False)
    report = converge(run, apply=True)  # type: ignore[arg-type]
    for node in NAMES:
        assert len([c for n, c in run.commands if n == node]) == 1  # run once, not retried
        (error,) = report.errors[node]
        assert error.startswith("hosts_file: did not take effect, so it was not run again: set -e;")
    assert report.errors[CLUSTER] == ["peers and volumes not set up: some node is unreachable or "
                                      "its earlier steps failed (see the node's errors)"]


def test_an_action_left_alone_on_a_moved_node_is_planned_and_run_again_not_reported() -> None:
    """A script that found its node changed since the facts were read did nothing: the plan was
    stale, so the same action planned afresh is run, not refused as one that did not take effect."""
    run = FakeRun(BARE, cluster_facts(), stale_first=True)
    report = converge(run, apply=True)  # type: ignore[arg-type]
    for node in NAMES:
        hosts = [c for n, c in run.commands if n == node and "base64 -d" in c]
        assert len(hosts) == 2, run.commands  # left alone, then run again on fresh facts
        assert node not in report.errors, report.errors
    assert report.errors == {}


def test_apply_on_a_converged_cluster_changes_nothing() -> None:
    run = FakeRun(CONVERGED, cluster_facts())
    report = converge(run, apply=True)  # type: ignore[arg-type]
    assert run.commands == []
    assert report.change_count == 0
    assert report.errors == {}
    assert report.missing == {}
    assert isinstance(report, SetupReport)
