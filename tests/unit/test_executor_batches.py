"""Executor.perform: a run of side-by-side actions (the create records) goes to all its nodes at
once; everything else keeps the plan's order, one at a time (offline, with a stand-in run)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from contextlib import nullcontext

import pytest

from glustercheck.actions import (
    Executor,
    ForgetCreate,
    Plan,
    RecordCreate,
    SetupError,
    SetupReport,
    StartGlusterd,
)
from glustercheck.actions.executor import side_by_side_batches
from glustercheck.remote import CommandResult

NODES = ("rpi0", "rpi1", "rpi2", "rpi3")


class SlowNodes:
    """Each command takes 0.2 s; notes how many ran at once, in what order they started. With
    `meet`, each command first waits (5 s at most) until `meet` commands are under way together:
    run one after another, the first one's wait breaks instead of the test timing anything."""

    def __init__(self, fail: str | None = None, meet: int = 0) -> None:
        self.fail = fail
        self.meeting = threading.Barrier(meet, timeout=5) if meet else None
        self.started: list[tuple[str, str]] = []
        self.running = self.most = 0
        self.guard = threading.Lock()
        self.lock = nullcontext()

    def run(self, name: str, command: str | Sequence[str], **_: object) -> CommandResult:
        shown = command if isinstance(command, str) else " ".join(command)
        with self.guard:
            self.started.append((name, shown))
            self.running += 1
            self.most = max(self.most, self.running)
        if self.meeting is not None:
            self.meeting.wait()
        time.sleep(0.2)
        with self.guard:
            self.running -= 1
        rc = 1 if name == self.fail else 0
        return CommandResult(name, shown, rc, "", "no space left on device" if rc else "", 0.2)

    def forget_facts(self, nodes: Sequence[str] | None = None, *, cluster: bool = True) -> None:
        return None


def _records() -> list[RecordCreate]:
    return [RecordCreate(node, "gv", ("/mnt/usb/gv",)) for node in NODES]


def test_create_records_on_four_nodes_are_written_at_once() -> None:
    nodes = SlowNodes(meet=4)
    plan = Plan()
    plan.add(*_records())
    Executor(nodes, SetupReport(apply=True)).perform(plan)  # type: ignore[arg-type]
    assert nodes.most == 4
    assert sorted(name for name, _ in nodes.started) == sorted(NODES)


def test_other_actions_keep_the_plans_order_one_at_a_time() -> None:
    nodes = SlowNodes()
    plan = Plan()
    plan.add(*(StartGlusterd(node, systemd=False, start=True, enable=True) for node in NODES[:2]))
    Executor(nodes, SetupReport(apply=True)).perform(plan)  # type: ignore[arg-type]
    assert nodes.most == 1
    assert [name for name, _ in nodes.started] == ["rpi0", "rpi1"]


def test_a_failed_record_stops_the_plan_after_its_batch_naming_the_node() -> None:
    nodes = SlowNodes(fail="rpi2")
    plan = Plan()
    plan.add(*_records(), ForgetCreate("rpi0", "other"))
    with pytest.raises(SetupError, match=r"rpi2: .*no space left on device"):
        Executor(nodes, SetupReport(apply=True)).perform(plan)  # type: ignore[arg-type]
    assert len(nodes.started) == 4  # the batch ran everywhere; the next action did not start


@pytest.mark.parametrize(("actions", "sizes"), [
    ([*_records()], [4]),
    ([*_records(), ForgetCreate("rpi0", "gv")], [4, 1]),  # another kind starts a new batch
    ([_records()[0], _records()[0]], [1, 1]),  # the same node twice: in order
    ([ForgetCreate(n, "gv") for n in NODES[:2]] + _records()[:2], [2, 2]),
])
def test_batches(actions: list[RecordCreate | ForgetCreate], sizes: list[int]) -> None:
    assert [len(b) for b in side_by_side_batches(actions)] == sizes
