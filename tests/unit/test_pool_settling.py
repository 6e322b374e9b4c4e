"""A pool that settles late: a peer glusterd does not reconnect to by itself gets its glusterd
restarted by the peers wait (once, after NUDGE_AFTER seconds), and a volume command glusterd
refuses over a peer that dropped after the peers step sends the run back to that step, once.
Offline: scripted `peer status` views, a stand-in clock, the driver with stand-in steps."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from glustercheck.actions import (
    CLUSTER,
    Action,
    Command,
    Plan,
    RestartGlusterd,
    SetupReport,
    pool_waits,
)
from glustercheck.actions.model import POOL_UNSETTLED
from glustercheck.actions.pool_waits import (
    NUDGE_AFTER,
    STEADY_FOR,
    PeersConnected,
    PoolSteady,
    PoolView,
    one_sided_disconnects,
)
from glustercheck.actions.record import SetupError
from glustercheck.errors import CommandTimeout, UnreachableError
from glustercheck.parsers import Peer
from glustercheck.remote import CommandResult
from glustercheck_setup_steps import converge
from glustercheck_setup_steps import driver as driver_module
from tests.unit.test_setup_driver import FakeRun
from tests.unit.test_setup_steps import CONVERGED, NAMES, SPEC, VECTORS, cluster_facts

IN = "Peer in Cluster"


def _peer(name: str, connected: bool = True, state: str = IN, by_address: bool = False) -> Peer:
    address = str(next(n.address for n in SPEC.nodes if n.name == name))
    return Peer(f"uuid-{name}", address if by_address else name, (), state, connected)


def _whole_pool(**changed: dict[str, Peer]) -> PoolView:
    """Every node sees the others connected, except the entries given: node -> {peer: entry}."""
    return PoolView({node: tuple(changed.get(node, {}).get(p, _peer(p)) for p in NAMES if p != node)
                     for node in NAMES}, {})


@pytest.mark.parametrize(("views", "expected"), [
    (_whole_pool(), []),
    # rpi1 holds rpi3 disconnected while rpi3 holds rpi1 connected: rpi1 does not reconnect
    (_whole_pool(rpi1={"rpi3": _peer("rpi3", connected=False)}), [("rpi1", "rpi3")]),
    # the other side's entry names rpi1 by address (a probed node records its prober so)
    (_whole_pool(rpi1={"rpi0": _peer("rpi0", connected=False)},
                 rpi0={"rpi1": _peer("rpi1", by_address=True)}), [("rpi1", "rpi0")]),
    # both sides disconnected: a peer down or unreachable, nothing to restart
    (_whole_pool(rpi1={"rpi3": _peer("rpi3", connected=False)},
                 rpi3={"rpi1": _peer("rpi1", connected=False)}), []),
    # the other side still mid-probe (not yet in the pool): a probe under way, not a stuck peer
    (_whole_pool(rpi0={"rpi3": _peer("rpi3", connected=False)},
                 rpi3={"rpi0": _peer("rpi0", state="Accepted peer request")}), []),
    # a node with no entry at all for the peer is a missing probe, not a disconnect
    (PoolView({**_whole_pool().peers, "rpi2": (_peer("rpi0"), _peer("rpi1"))}, {}), []),
], ids=["whole", "one-sided", "by-address", "both-sides", "mid-probe", "absent"])
def test_one_sided_disconnects_are_the_ones_only_one_side_sees(
        views: PoolView, expected: list[tuple[str, str]]) -> None:
    assert one_sided_disconnects(views, SPEC) == expected


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Remedies:
    restarts: list[tuple[str, str]]
    after: Any = None  # called after a restart: the pool it brings about

    def restart_glusterd(self, node: str, why: str) -> None:
        self.restarts.append((node, why))
        if self.after:
            self.after()


def _scripted(monkeypatch: pytest.MonkeyPatch, views: Iterator[PoolView]) -> None:
    monkeypatch.setattr(pool_waits, "pool_view", lambda _run, _nodes: next(views))


def _wait(clock: Clock, remedies: Remedies, wait: type = PeersConnected) -> str:
    return wait(tuple(NAMES)).wait(SimpleNamespace(spec=SPEC), remedies,  # type: ignore[no-any-return]
                                   clock=clock, sleep=clock.sleep)


def test_a_peer_that_does_not_reconnect_gets_glusterd_restarted_once_after_the_grace(
        monkeypatch: pytest.MonkeyPatch) -> None:
    stuck = _whole_pool(rpi1={"rpi3": _peer("rpi3", connected=False)})
    state = {"pool": stuck}

    def views() -> Iterator[PoolView]:
        while True:
            yield state["pool"]
    _scripted(monkeypatch, views())
    clock = Clock()
    remedies = Remedies([], after=lambda: state.update(pool=_whole_pool()))
    note = _wait(clock, remedies)
    # not before the grace, and not much after
    assert remedies.restarts == [("rpi1", "it held rpi3 'Peer in Cluster (Disconnected)' while "
                                          f"rpi3 saw it connected, for {NUDGE_AFTER:.0f} s")]
    assert note.endswith("(glusterd restarted on rpi1)")


def test_a_disconnect_both_sides_see_is_waited_out_not_restarted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    down = _whole_pool(rpi1={"rpi3": _peer("rpi3", connected=False)},
                       rpi3={"rpi1": _peer("rpi1", connected=False)})
    _scripted(monkeypatch, iter([down] * 50 + [_whole_pool()]))
    remedies = Remedies([])
    assert _wait(Clock(), remedies).startswith("all peers connected after 25.0 s")
    assert remedies.restarts == []


def test_a_pool_that_never_settles_ends_the_wait_with_what_each_node_sees(
        monkeypatch: pytest.MonkeyPatch) -> None:
    stuck = _whole_pool(rpi1={"rpi3": _peer("rpi3", connected=False)},
                        rpi0={"rpi3": _peer("rpi3", state="Probe Sent to Peer")})
    stuck = PoolView({n: p for n, p in stuck.peers.items() if n != "rpi2"},
                     {"rpi2": "rpi2: `gluster --xml peer status` failed: opRet -22"},
                     )
    _scripted(monkeypatch, iter([stuck] * 1000))
    remedies = Remedies([])
    with pytest.raises(SetupError) as raised:
        _wait(Clock(), remedies)
    message = str(raised.value)
    assert "every node sees 3 peers in 'Peer in Cluster (Connected)': still not true after" in message
    assert "rpi1 sees rpi3 'Peer in Cluster' (Disconnected)" in message
    assert "rpi0 sees rpi3 'Probe Sent to Peer' (Connected)" in message
    assert "rpi2: peer status failed: rpi2: `gluster --xml peer status` failed: opRet -22" in message
    # once each, however long it lasts; rpi2's glusterd answered an error, so it is restarted too
    assert [node for node, _ in remedies.restarts] == ["rpi1", "rpi2"]


def test_the_pool_is_steady_once_no_view_changed_for_the_whole_stretch(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Detached, then whole again: each change restarts the stretch; readable or not counts too."""
    moving = [_whole_pool(),
              _whole_pool(rpi0={"rpi3": _peer("rpi3", state="Probe Sent to Peer")}),
              PoolView({n: p for n, p in _whole_pool().peers.items() if n != "rpi3"},
                       {"rpi3": "opRet -22"})]
    polls = iter([*moving, *[_whole_pool()] * 100])
    seen: list[PoolView] = []

    def view(_run: object, _nodes: object) -> PoolView:
        seen.append(next(polls))
        return seen[-1]
    monkeypatch.setattr(pool_waits, "pool_view", view)
    clock = Clock()
    note = _wait(clock, Remedies([]), PoolSteady)
    # changes at 0, 0.5, 1.0 (the refused one), then whole from 1.5 s: steady at 1.5 + STEADY_FOR
    assert note == "the pool stopped changing 1.5 s into the wait"
    assert clock.now - 1000.0 == pytest.approx(1.5 + STEADY_FOR)
    assert len(seen) == 3 + int(STEADY_FOR / 0.5) + 1


def test_a_pool_that_keeps_changing_is_an_error_naming_what_it_saw(
        monkeypatch: pytest.MonkeyPatch) -> None:
    flapping = [_whole_pool(), _whole_pool(rpi1={"rpi3": _peer("rpi3", connected=False)})]
    _scripted(monkeypatch, iter(flapping * 200))
    with pytest.raises(SetupError) as raised:
        _wait(Clock(), Remedies([]), PoolSteady)
    # the last of 122 looks (t = 60.5 s) was the flapped one, and the message says what it showed
    assert str(raised.value) == ("every node's peer list stays the same for 6 s: it still changed "
                                 "after 60 s: rpi1 sees rpi3 'Peer in Cluster' (Disconnected)")


def test_a_glusterd_that_keeps_refusing_peer_status_is_restarted_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _whole_pool().peers
    refused = PoolView({n: p for n, p in whole.items() if n != "rpi2"},
                       {"rpi2": "rpi2: peer status: opRet -22"})
    _scripted(monkeypatch, iter([refused] * 61 + [_whole_pool()]))
    remedies = Remedies([])
    note = _wait(Clock(), remedies)
    assert remedies.restarts == [("rpi2", "its `peer status` kept failing (rpi2: peer status: "
                                          "opRet -22), for 20 s")]
    assert note == "all peers connected after 30.5 s (glusterd restarted on rpi2)"


def test_the_restart_is_recorded_with_why() -> None:
    action = RestartGlusterd("rpi1", "it held rpi3 'Peer in Cluster (Disconnected)' while rpi3 "
                                     "saw it connected, for 21 s", systemd=True)
    assert action.done() == ("rpi1: restarted glusterd: it held rpi3 'Peer in Cluster "
                             "(Disconnected)' while rpi3 saw it connected, for 21 s",)


@pytest.mark.parametrize(("answer", "unsettled"), [
    ("volume create: gv: failed: Host rpi3 not connected", True),
    ("volume create: gv: failed: Failed to find host rpi3", True),
    ("volume create: gv: failed: Host rpi3 is not in 'Peer in Cluster' state", True),
    ("volume create: gv: failed: /mnt/usb/gv is already part of a volume", False),
    ("volume create: gv: failed: Staging failed on rpi2. Error: Brick: rpi2:/mnt/usb/gv not "
     "available. Brick may be containing or be contained by an existing brick", False),
    ("peer probe: failed: Probe returned with Transport endpoint is not connected", False),
])
def test_pool_unsettled_answers_are_glusterds_refusals_over_a_brick_host(answer: str,
                                                                         unsettled: bool) -> None:
    assert bool(re.search(POOL_UNSETTLED, answer, re.IGNORECASE)) is unsettled


@dataclass(frozen=True)
class _Create(Action):
    node: str = "rpi0"

    @property
    def key(self) -> str:
        return CLUSTER

    def command(self) -> Command:
        return Command(argv=("volume", "create", "gv", "rpi0:/b", "rpi3:/b"), gluster=True,
                       unsettled=POOL_UNSETTLED)

    def done(self) -> tuple[str, ...]:
        return ("created volume gv",)

    def missing(self) -> str:
        return "volume gv does not exist"


class _Refusing(FakeRun):
    """glusterd refuses the create `refusals` times with `answer`, then creates it."""

    def __init__(self, refusals: int, answer: str) -> None:
        super().__init__(CONVERGED, cluster_facts())
        self.refusals, self.answer, self.created = refusals, answer, False

    def run(self, name: str, command: str | Sequence[str], **kwargs: Any) -> Any:
        result = super().run(name, command, **kwargs)
        if "volume create" not in result.command:
            return result
        if self.refusals:
            self.refusals -= 1
            return type(result)(name, result.command, 1, "", self.answer, 0.01)
        self.created = True
        return result


def _stand_in_steps(monkeypatch: pytest.MonkeyPatch, run: _Refusing) -> list[str]:
    planned: list[str] = []

    def peers(_observed: Any, _ctx: Any) -> Plan:
        planned.append("peers")
        return Plan()

    def volumes(_observed: Any, _ctx: Any) -> Plan:
        planned.append("volumes")
        plan = Plan()
        if not run.created:
            plan.add(_Create())
        return plan
    monkeypatch.setattr(driver_module, "CLUSTER_STEPS", (
        SimpleNamespace(NAME="peers", NEEDS_CLUSTER=False, plan=peers),
        SimpleNamespace(NAME="volumes", NEEDS_CLUSTER=False, plan=volumes)))
    return planned


def _apply(monkeypatch: pytest.MonkeyPatch, refusals: int,
           answer: str) -> tuple[_Refusing, list[str], SetupReport]:
    """--apply with stand-in steps, glusterd refusing the create `refusals` times with `answer`;
    returns the run, the steps planned and waits for a steady pool in order, and the report."""
    run = _Refusing(refusals, answer)
    planned = _stand_in_steps(monkeypatch, run)

    def steady(_self: PoolSteady, _run: object, _remedies: object) -> str:
        planned.append("steady")
        return "the pool stopped changing 0.0 s into the wait"
    monkeypatch.setattr(PoolSteady, "wait", steady)
    return run, planned, converge(run, apply=True)  # type: ignore[arg-type]


def test_a_create_refused_over_a_dropped_peer_goes_back_to_the_peers_step_once_steady(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, planned, report = _apply(monkeypatch, 1, "volume create: gv: failed: Host rpi3 not connected")
    assert planned == ["peers", "volumes", "steady", "peers", "volumes", "volumes"]
    assert report.errors == {}
    assert report.changed[CLUSTER] == ["created volume gv"]
    assert any(("Host rpi3 not connected; the pool changed after the peers step read it: "
                "planned again once it stopped changing") in line
               for line in report.inspected[CLUSTER])


def test_a_create_refused_again_and_again_is_an_error_naming_glusterds_answer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    run, planned, report = _apply(monkeypatch, 3, "volume create: gv: failed: Failed to find host rpi3")
    assert planned == ["peers", "volumes", "steady", "peers", "volumes", "steady", "peers", "volumes"]
    (error,) = report.errors[CLUSTER]
    assert error.startswith("volumes: rpi0: `gluster --mode=script volume create gv")
    assert error.endswith("Failed to find host rpi3")
    assert not run.created


def test_other_create_refusals_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    _, planned, report = _apply(monkeypatch, 1,
                                "volume create: gv: failed: /mnt/usb/gv is already part of a volume")
    assert planned == ["peers", "volumes"]
    (error,) = report.errors[CLUSTER]
    assert error.endswith("/mnt/usb/gv is already part of a volume")
    assert not any("the pool changed" in line for line in report.inspected.get(CLUSTER, []))


@pytest.mark.parametrize("flapped", [False, True])
def test_after_the_volume_steps_a_pool_that_is_not_whole_is_waited_for_before_the_checks(
        monkeypatch: pytest.MonkeyPatch, flapped: bool) -> None:
    """rpi2's old connection to a rebooted rpi3 broke when `volume start` used it: 'Disconnected'
    until glusterd reconnects. The checks read the pool after the wait, not the flap."""
    waited: list[str | None] = []

    def wait(self: PeersConnected, _run: object, _remedies: object) -> str:
        waited.append(self.purpose)
        return "all peers connected after 3.1 s"
    monkeypatch.setattr(PeersConnected, "wait", wait)
    run = _Refusing(0, "")
    if flapped:
        peers = tuple(dataclasses.replace(p, connected=not p.hostname.startswith("rpi3"))
                      for p in CONVERGED["rpi2"].peers or ())
        assert [p.hostname for p in peers if not p.connected] == ["rpi3"]
        run.nodes["rpi2"] = dataclasses.replace(run.nodes["rpi2"], peers=peers)
    _stand_in_steps(monkeypatch, run)
    report = converge(run, apply=True)  # type: ignore[arg-type]
    assert report.errors == {}
    assert waited == (["peers reconnected after the volume changes"] if flapped else [])


class _Answers:
    """A run whose nodes answer `peer status` as given: XML text, or an exception to raise."""

    spec = SPEC

    def __init__(self, answers: dict[str, str | Exception]) -> None:
        self.answers = answers

    def connection(self, node: str) -> Any:
        answer = self.answers[node]

        def run(command: Any, **_: object) -> CommandResult:
            if isinstance(answer, Exception):
                raise answer
            return CommandResult(node, "gluster", 0, answer, "", 0.01)
        return SimpleNamespace(run=run)


REFUSED = ("<?xml version=\"1.0\"?><cliOutput><opRet>-1</opRet><opErrno>-22</opErrno>"
           "<opErrstr></opErrstr></cliOutput>")


def _peers_xml() -> str:
    whole = (VECTORS / "converged" / "rpi0.txt").read_text()
    return whole[whole.index("<?xml"):whole.index("</cliOutput>") + len("</cliOutput>")]


def test_the_view_notes_a_glusterd_that_answered_an_error() -> None:
    answers: dict[str, str | Exception] = {"rpi0": _peers_xml(), "rpi1": REFUSED,
                                           "rpi2": _peers_xml(), "rpi3": _peers_xml()}
    view = pool_waits.pool_view(_Answers(answers), NAMES)  # type: ignore[arg-type]
    assert set(view.peers) == {"rpi0", "rpi2", "rpi3"}
    assert set(view.refused) == {"rpi1"}
    assert view.refused["rpi1"].endswith("gluster said: opRet -1, opErrno -22")


@pytest.mark.parametrize("trouble", [
    UnreachableError("rpi2 (10.0.1.2:22) unreachable: no answer within 5 s"),
    CommandTimeout("rpi2: `gluster --xml peer status` timed out after 10 s"),
], ids=["unreachable", "hung"])
def test_a_node_out_of_reach_or_a_hung_glusterd_ends_the_wait_at_once(trouble: Exception) -> None:
    """The run that lost a node says so in bounded time: waiting cannot mend it."""
    answers: dict[str, str | Exception] = {n: _peers_xml() for n in NAMES} | {"rpi2": trouble}
    with pytest.raises(type(trouble), match="rpi2"):
        PeersConnected(tuple(NAMES)).wait(_Answers(answers), Remedies([]))  # type: ignore[arg-type]


class _Silent(_Answers):
    """`peer status` on each node: silent (a timeout, ASK_TIMEOUT long) `silences[node]` times,
    then the answer given; the stand-in clock moves as the real one would."""

    def __init__(self, answers: dict[str, str | Exception], silences: dict[str, int],
                 clock: Clock) -> None:
        super().__init__(answers)
        self.silences = dict(silences)
        self.clock = clock
        self.asked: list[str] = []

    def connection(self, node: str) -> Any:
        answered = super().connection(node)

        def run(command: Any, **kwargs: object) -> CommandResult:
            self.asked.append(node)
            if self.silences.get(node, 0) != 0:
                self.silences[node] -= 1
                self.clock.now += pool_waits.ASK_TIMEOUT
                raise CommandTimeout(f"{node}: `gluster --xml peer status` timed out after 10 s")
            return answered.run(command, **kwargs)  # type: ignore[no-any-return]
        return SimpleNamespace(run=run)


def test_a_glusterd_busy_past_the_facts_5_s_is_waited_for_until_it_answers() -> None:
    """At 64 nodes rpi0's glusterd, just after probing 63 peers, stayed silent past the facts'
    5 s; --apply stopped there. Now it waits, and an error answer counts as an answer."""
    clock = Clock()
    run = _Silent({"rpi0": _peers_xml(), "rpi2": REFUSED}, {"rpi0": 3, "rpi2": 1}, clock)
    note = pool_waits.GlusterdAnswers(("rpi0", "rpi2")).wait(
        run, Remedies([]), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert note == "glusterd answered on rpi0, rpi2 after 41.5 s"
    assert run.asked == ["rpi0", "rpi2", "rpi0", "rpi2", "rpi0", "rpi0"]


def test_a_glusterd_that_never_answers_is_named_with_its_fix_at_the_deadline() -> None:
    clock = Clock()
    run = _Silent({"rpi1": _peers_xml(), "rpi3": _peers_xml()}, {"rpi1": 1, "rpi3": 99}, clock)
    with pytest.raises(SetupError) as raised:
        pool_waits.GlusterdAnswers(("rpi1", "rpi3")).wait(
            run, Remedies([]), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert str(raised.value) == (
        "rpi3: glusterd runs but does not answer: `gluster peer status` got no answer within "
        "10 s, 5 times over 62 s; fix: on rpi3: sudo systemctl restart glusterd (a glusterd "
        "stopped with SIGSTOP: sudo kill -CONT $(pidof glusterd))")
    assert clock.now - 1000.0 <= pool_waits.PEER_TIMEOUT + pool_waits.ASK_TIMEOUT + 1
