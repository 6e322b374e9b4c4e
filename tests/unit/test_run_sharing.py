"""GlusterRun (offline, with a fake node): under xdist each fact script runs once per run and the
other workers read its output; failures are not shared; forgetting facts asks the nodes again. And
work on a node waits only for that node's probe."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from glustercheck.errors import CommandTimeout, GlusterCheckError, UnreachableError
from glustercheck.facts import MARK
from glustercheck.remote import CommandResult, ConnectOptions
from glustercheck.run import GlusterRun
from glustercheck.spec import loads_spec

SPEC = loads_spec('[[nodes]]\nname = "rpi0"\naddress = "10.0.1.0"\n'
                  '[[nodes]]\nname = "rpi1"\naddress = "10.0.1.1"\n'
                  '[[volumes]]\nname = "gv"\nreplica = 2\n')


class FakeNodes:
    """Stands in for SSH: answers scripts, counts calls, can fail or be slow per node."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail: dict[str, Exception] = {}

    def run(self, name: str, command: str, **_: object) -> CommandResult:
        self.calls.append((name, command))
        if name in self.fail:
            raise self.fail[name]
        return CommandResult(name, command, 0, f"output of {command} on {name}", "", 0.01)


def worker(monkeypatch: pytest.MonkeyPatch, nodes: FakeNodes, share: Path | None,
           tmp_path: Path) -> GlusterRun:
    run = GlusterRun(SPEC, ConnectOptions(), tmp_path / "cluster.lock")
    monkeypatch.setattr(run, "run", nodes.run)
    monkeypatch.setattr(run, "first_command", nodes.run)
    run.share_dir = share
    return run


def test_second_worker_reads_the_first_workers_output(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    nodes = FakeNodes()
    first, second = (worker(monkeypatch, nodes, tmp_path, tmp_path) for _ in range(2))
    a = first.fact_output("rpi0", "facts script")
    b = second.fact_output("rpi0", "facts script")
    assert a == b
    assert nodes.calls == [("rpi0", "facts script")]
    second.fact_output("rpi1", "facts script")  # another node, another script: asked
    second.fact_output("rpi0", "other script")
    assert len(nodes.calls) == 3


def test_failures_are_not_shared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    nodes = FakeNodes()
    nodes.fail["rpi0"] = CommandTimeout("rpi0: `facts script` timed out after 60 s")
    first, second = (worker(monkeypatch, nodes, tmp_path, tmp_path) for _ in range(2))
    with pytest.raises(CommandTimeout):
        first.fact_output("rpi0", "facts script")
    del nodes.fail["rpi0"]
    assert second.fact_output("rpi0", "facts script").stdout == "output of facts script on rpi0"
    assert len(nodes.calls) == 2


def test_forgotten_facts_are_asked_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    nodes = FakeNodes()
    run = worker(monkeypatch, nodes, tmp_path, tmp_path)
    run.fact_output("rpi0", "facts script")
    run.forget_facts()  # e.g. waiting for a heal to finish: the state has changed since
    run.fact_output("rpi0", "facts script")
    assert len(nodes.calls) == 2


def test_without_a_shared_directory_a_process_asks_once(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    nodes = FakeNodes()
    run = worker(monkeypatch, nodes, None, tmp_path)
    run.fact_output("rpi0", "s")
    run.fact_output("rpi0", "s")
    assert len(nodes.calls) == 1
    assert not list(tmp_path.glob("glustercheck-output-*"))
    run.forget_facts()
    run.fact_output("rpi0", "s")
    assert len(nodes.calls) == 2


def test_reaching_a_node_is_its_facts_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The probe sends the facts script (the first node's with the volume state): the facts are
    then read from that answer, so a node costs one command, however many checks read it."""
    nodes = FakeNodes()
    run = worker(monkeypatch, nodes, None, tmp_path)
    try:
        assert run.probe() == {}
        assert sorted(name for name, _ in nodes.calls) == ["rpi0", "rpi1"]
        first = dict(nodes.calls)["rpi0"]
        assert "# glustercheck: facts of rpi0" in first
        assert "s info; g 30 --xml volume info" in first  # the first node tells the volume state
        assert "volume info" not in dict(nodes.calls)["rpi1"]
        with pytest.raises(GlusterCheckError):  # the fake's answer is no fact output
            run.node_facts("rpi0")
        assert len(nodes.calls) == 2  # read from the probe's answer, not asked again
    finally:
        run.close()


def test_a_node_waits_only_for_its_own_probe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    released = threading.Event()

    def first_command(name: str, command: str, **_: object) -> CommandResult:
        if name == "rpi1":
            released.wait(10)  # a dead node: its connect timeout
            raise UnreachableError("rpi1 (10.0.1.1:22) unreachable: timed out")
        return CommandResult(name, command, 0, "", "", 0.01)

    run = GlusterRun(SPEC, ConnectOptions(), tmp_path / "cluster.lock")
    monkeypatch.setattr(run, "first_command", first_command)
    try:
        started = time.monotonic()
        assert run.probe_result("rpi0") is None
        assert time.monotonic() - started < 5  # did not wait for rpi1
        assert run.unreachable == {}  # rpi1's probe still under way: nothing known yet
        released.set()
        assert set(run.probe()) == {"rpi1"}
        assert run.reachable() == ["rpi0"]
        assert run.is_unreachable_host("rpi1")
        assert run.is_unreachable_host("10.0.1.1")  # a brick named by address
        assert not run.is_unreachable_host("rpi0")
    finally:
        released.set()
        run.close()


def test_a_new_shared_directory_asks_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """After --apply acted, every process moves to a fresh shared directory: what it was told
    before (the probe's facts, gathered before the steps changed the nodes) is not reused."""
    nodes = FakeNodes()
    run = worker(monkeypatch, nodes, None, tmp_path)
    run.fact_output("rpi0", "facts script")
    run.use_share_dir(tmp_path / "after-setup")
    run.fact_output("rpi0", "facts script")
    assert nodes.calls == [("rpi0", "facts script")] * 2
    assert len(list((tmp_path / "after-setup").glob("glustercheck-output-*.json"))) == 1


def test_starting_afresh_forgets_shared_answers_for_later_workers(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    """The controller reached the nodes, then waited for another run's lock: workers started
    after that must not read what the nodes told before the other run changed them."""
    nodes = FakeNodes()
    controller = worker(monkeypatch, nodes, tmp_path, tmp_path)
    controller.fact_output("rpi0", "facts script")
    controller.start_afresh()
    later = worker(monkeypatch, nodes, tmp_path, tmp_path)
    later.fact_output("rpi0", "facts script")
    controller.fact_output("rpi0", "facts script")  # the answer `later` fetched: not asked again
    assert nodes.calls.count(("rpi0", "facts script")) == 2


def test_after_apply_the_last_plans_answers_are_kept_and_shared(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    """--apply's last plan read the nodes after the last change: the checks (in this process and,
    through the new shared directory, in the others) read that, not the nodes once more."""
    nodes = FakeNodes()
    acting = worker(monkeypatch, nodes, None, tmp_path)
    acting.fact_output("rpi0", "facts script")  # read while planning
    acting.forget_facts()  # a change ran on it
    acting.fact_output("rpi0", "facts script")  # the last plan reads it again
    acting.use_share_dir(tmp_path / "after-setup", keep_current=True)
    other = worker(monkeypatch, nodes, tmp_path / "after-setup", tmp_path)
    for run in (acting, other):
        assert run.fact_output("rpi0", "facts script").stdout == "output of facts script on rpi0"
    assert len(nodes.calls) == 2


def test_a_node_still_telling_its_facts_on_an_open_connection_counts_as_reachable(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """rpi1's facts command runs long (its glusterd hangs): the heal plan and the data path ask
    whether its bricks' server is reachable, and must not wait for that command to end."""
    released = threading.Event()

    def first_command(name: str, command: str, **_: object) -> CommandResult:
        if name == "rpi1":
            released.wait(10)
        return CommandResult(name, command, 0, "", "", 0.01)

    run = GlusterRun(SPEC, ConnectOptions(), tmp_path / "cluster.lock")
    monkeypatch.setattr(run, "first_command", first_command)
    connected = {"rpi1": False}
    monkeypatch.setattr(run, "_connected", lambda name: connected.get(name, False))
    try:
        run.start_probes()
        connected["rpi1"] = True  # its SSH connection is open, its command under way
        started = time.monotonic()
        assert not run.is_unreachable_host("rpi1")
        assert time.monotonic() - started < 1
        assert not run._probes["rpi1"].done()
    finally:
        released.set()
        run.close()


class _Transport:
    def __init__(self, active: bool) -> None:
        self.active = active

    def is_active(self) -> bool:
        return self.active


class _Pool:
    """Stands in for the connection pool: the connection it hands out, or the error it raises."""

    def __init__(self, found: object) -> None:
        self.found = found

    def get(self, _target: object) -> object:
        if isinstance(self.found, Exception):
            raise self.found
        return self.found

    def close_all(self) -> None:
        return None


@pytest.mark.parametrize(("pool", "expected"), [
    (None, False),  # nothing connected yet
    (_Pool(UnreachableError("rpi1: its ssh_config cannot be used")), False),
    (_Pool(type("Conn", (), {"transport": None})()), False),  # not opened
    (_Pool(type("Conn", (), {"transport": _Transport(False)})()), False),  # closed, or lost
    (_Pool(type("Conn", (), {"transport": _Transport(True)})()), True),
], ids=["no pool", "unusable config", "no transport", "inactive", "active"])
def test_connected_means_an_active_ssh_transport(pool: object, expected: bool,
                                                 tmp_path: Path) -> None:
    """What the test above stands in for: `_connected` itself, on each state of the connection."""
    run = GlusterRun(SPEC, ConnectOptions(), tmp_path / "cluster.lock")
    run._pool = pool  # type: ignore[assignment]
    assert run._connected("rpi1") is expected


class StateTellingNodes(FakeNodes):
    """The first node's facts answer carries the volume state, as node_script prints it."""

    def run(self, name: str, command: str, **kwargs: object) -> CommandResult:
        answer = super().run(name, command, **kwargs)
        return CommandResult(name, command, 0, f"{answer.stdout}\n{MARK}info\n<volInfo/>\n", "", 0.01)


@pytest.mark.parametrize(("change", "asked_again"), [
    ({"nodes": ["rpi1"], "cluster": False}, False),  # another node's step: rpi0's answer still true
    ({"nodes": ["rpi0"], "cluster": False}, True),   # rpi0's own step (glusterd started there)
    ({"nodes": ["rpi1"], "cluster": True}, True),    # a pool or volume change, wherever it ran
    ({"nodes": None, "cluster": True}, True),        # a wait: everything moved
])
def test_the_volume_state_is_read_from_the_newest_answer_after_the_last_change(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, change: dict[str, Any], asked_again: bool) -> None:
    """--apply's node steps move the generation on once per node: the state the first node told
    right after its own step is still true after the others' steps, and is not asked for again
    (at 16 nodes that second facts command held up the first peer probe by 1.2 s)."""
    nodes = StateTellingNodes()
    run = worker(monkeypatch, nodes, None, tmp_path)
    script = run._facts_script("rpi0")
    try:
        run.fact_output("rpi0", script)
        run.forget_facts(change["nodes"], cluster=change["cluster"])
        state = run._state_gathered("rpi0")
        assert state is not None
        assert f"{MARK}info\n" in state
        assert nodes.calls.count(("rpi0", script)) == (2 if asked_again else 1)
        run.forget_facts(["rpi1"], cluster=False)
        run._state_gathered("rpi0")  # the answer read after the change serves from now on
        assert nodes.calls.count(("rpi0", script)) == (2 if asked_again else 1)
    finally:
        run.close()


def test_kept_answers_tell_the_volume_state_in_the_new_shared_directory(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    nodes = StateTellingNodes()
    run = worker(monkeypatch, nodes, None, tmp_path)
    script = run._facts_script("rpi0")
    try:
        run.forget_facts(["rpi0"], cluster=True)
        run.fact_output("rpi0", script)  # the last plan's read, after the last change
        run.use_share_dir(tmp_path / "after-setup", keep_current=True)
        # Generation 0 again, the kept answer with it: it counts as read after the last change.
        assert run._facts_told_since_changed("rpi0") is not None
        assert run._state_gathered("rpi0") is not None
        assert nodes.calls.count(("rpi0", script)) == 1
    finally:
        run.close()


def test_answers_from_before_a_change_are_let_go(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    """--apply changes each node several times: what a node told before its last change is never
    read again and is not kept (at 64 nodes every answer of every step was, 6 MB of peak RSS),
    while an untouched node's answer still serves the volume state without a second command."""
    nodes = StateTellingNodes()
    run = worker(monkeypatch, nodes, None, tmp_path)
    script = run._facts_script("rpi0")
    try:
        run.fact_output("rpi0", script)
        for _ in range(20):  # rpi1's steps, one change after another
            run.fact_output("rpi1", run._facts_script("rpi1"))
            run.forget_facts(["rpi1"], cluster=False)
        assert len(run._outputs) == 1  # rpi0's answer: rpi1's older ones are gone
        assert run._state_gathered("rpi0") is not None
        assert nodes.calls.count(("rpi0", script)) == 1
        run.forget_facts(["rpi0"], cluster=True)  # a volume change: every earlier answer is stale
        assert run._outputs == {}
        assert run._state_gathered("rpi0") is not None
        assert nodes.calls.count(("rpi0", script)) == 2
    finally:
        run.close()
