"""Converge: plan each step from fresh facts, act (with --apply) or record (check-only), repeat.

Per-node steps run side by side on every node; the cluster steps run once every node is fine. With
--apply a step is planned again after its actions ran (and the facts they touched were gathered
anew) until its plan is empty: the notes of that last plan describe the converged state. An action
planned again after it ran did not take effect, which is reported instead of retried forever.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial

from glustercheck.actions import (
    CLUSTER,
    Action,
    Executor,
    PeersConnected,
    Plan,
    PoolSteady,
    PoolUnsettled,
    Progress,
    SetupError,
    SetupReport,
    record_missing,
)
from glustercheck.errors import GlusterCheckError, SudoError
from glustercheck.report.model import SUDO_REFUSED, UNREACHABLE
from glustercheck.run import GlusterRun

from . import daemon, hosts_file, package, peers, volumes
from .context import NodeStep, Observed, Step, StepContext

NODE_STEPS: tuple[NodeStep, ...] = (hosts_file, package, daemon)
CLUSTER_STEPS: tuple[Step, ...] = (peers, volumes)
MAX_ROUNDS = 8  # create -> options/start -> settled is 3; probe -> probe back -> settled is 3
MAX_RESETTLES = 2  # back to the peers step after glusterd refused a volume command over a peer


def converge(run: GlusterRun, *, apply: bool, replace_hosts_conflicts: bool = False,
             progress: Progress | None = None) -> SetupReport:
    started = time.monotonic()
    report = SetupReport(apply=apply)
    tell = progress or _quiet
    executor = Executor(run, report, tell) if apply else None
    ctx = StepContext(run.spec, replace_hosts_conflicts=apply and replace_hosts_conflicts)
    for name, error in run.probe().items():
        why = SUDO_REFUSED if isinstance(error, SudoError) else UNREACHABLE
        report.add_error(name, f"{why}, not set up: {error}", "probe")
    nodes = run.reachable()
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(nodes)))) as pool:
        fine = all(list(pool.map(
            lambda n: _converge_node(run, n, ctx, report, executor=executor, tell=tell), nodes)))
    if fine and len(nodes) == len(run.names) and not report.missing:
        _converge_cluster(run, ctx, report, executor, tell, apply=apply)
    elif apply or not fine:
        report.add_error(CLUSTER, "peers and volumes not set up: some node is unreachable or its "
                                  "earlier steps failed (see the node's errors)")
    # Every change and every wait made the run forget what it touched, and each step planned again
    # after acting: what the run holds now was read after the last change (the checks read it).
    report.seconds = time.monotonic() - started
    return report


def _converge_cluster(run: GlusterRun, ctx: StepContext, report: SetupReport,
                      executor: Executor | None, tell: Progress, *, apply: bool) -> None:
    """The cluster steps in order. A volume command glusterd refused because the pool changed
    after the peers step read it (a node back from a power loss is still being detached, rejoined
    or handshaked) sends the run back to the peers step once the pool has stopped changing."""
    resettled = 0
    index = 0
    while index < len(CLUSTER_STEPS):
        step = CLUSTER_STEPS[index]
        try:
            with _stage(tell, CLUSTER, step.NAME, report, enabled=apply):
                _settle(partial(_plan_cluster, run, step, ctx), report, executor, step.NAME)
        except PoolUnsettled as exc:
            if executor is None or resettled == MAX_RESETTLES:
                report.add_error(CLUSTER, f"{step.NAME}: {exc}", step.NAME)
                return
            resettled += 1
            report.add_inspected(CLUSTER, f"{step.NAME}: {exc}; the pool changed after the peers "
                                          "step read it: planned again once it stopped changing")
            try:
                executor.wait(PoolSteady(tuple(run.names)))
            except GlusterCheckError as still:
                report.add_error(CLUSTER, f"{step.NAME}: {exc}; then {still}", step.NAME)
                return
            index = 0
            continue
        except GlusterCheckError as exc:
            report.add_error(CLUSTER, f"{step.NAME}: {exc}", step.NAME)
            return
        index += 1
    if executor is not None:
        try:
            _reconnected(run, executor)
        except GlusterCheckError as exc:
            report.add_error(CLUSTER, f"peers: {exc}", "peers")


def _reconnected(run: GlusterRun, executor: Executor) -> None:
    """The pool as the checks will read it (the volumes step's last plan read it after the last
    change). A node back from a power loss: each peer finds its old connection to it dead only
    when it next sends (a volume command does), so it shows 'Disconnected' until glusterd
    reconnects (every 3 s). Seen in a drill: a check right after `volume start` read that."""
    names = tuple(run.names)
    if not peers.pool_whole(run.all_node_facts(), names):
        executor.wait(PeersConnected(names, "peers reconnected after the volume changes"))


def _quiet(_where: str, _what: str, _seconds: float | None) -> None:
    return None


@contextmanager
def _stage(tell: Progress, where: str, step: str, report: SetupReport, *,
           enabled: bool) -> Iterator[None]:
    """`rpi2: package ...` as a step starts, `rpi2: package: 1 change (7.9 s)` as it ends."""
    if not enabled:
        yield
        return
    # Changes are recorded under the node's key (or `cluster`): counting only those keeps nodes
    # converging side by side from counting each other's.
    before, started = len(report.changed.get(where, [])), time.monotonic()
    tell(where, step, None)
    try:
        yield
    finally:
        changes = len(report.changed.get(where, [])) - before
        tell(where, f"{step}: {changes} change(s)" if changes else f"{step}: nothing to change",
             time.monotonic() - started)


def _converge_node(run: GlusterRun, node: str, ctx: StepContext, report: SetupReport, *,
                   executor: Executor | None, tell: Progress) -> bool:
    for step in NODE_STEPS:
        try:
            with _stage(tell, node, step.NAME, report, enabled=executor is not None):
                _settle(partial(_plan_node, run, node, step, ctx), report, executor, step.NAME)
        except GlusterCheckError as exc:
            report.add_error(node, f"{step.NAME}: {exc}", step.NAME)
            return False
    return True


def _plan_node(run: GlusterRun, node: str, step: NodeStep, ctx: StepContext) -> Plan:
    return step.plan(run.node_facts(node), ctx)


def _plan_cluster(run: GlusterRun, step: Step, ctx: StepContext) -> Plan:
    # The volume state only: steps plan from volume info and status, not the heal state.
    observed = Observed(run.all_node_facts(), run.volume_state() if step.NEEDS_CLUSTER else None)
    return step.plan(observed, ctx)


def _settle(plan_now: Callable[[], Plan], report: SetupReport, executor: Executor | None,
            step: str) -> None:
    """Plan, act, plan again until nothing is left; record the last plan's notes."""
    done: set[Action] = set()
    for _ in range(MAX_ROUNDS):
        plan = plan_now()
        if executor is None or plan.settled:
            _record_notes(report, plan, step)
            if executor is None:
                record_missing(report, plan.actions, step)
            return
        again = [a for a in plan.actions if a in done]
        if again:
            _record_notes(report, plan, step)
            raise SetupError("did not take effect, so it was not run again: "
                             + "; ".join(a.command().shown.splitlines()[0] for a in again))
        if executor.perform(plan):
            done.update(plan.actions)
        # else the plan was stale (a node had moved on since its facts were read, and a script
        # left it alone): none of its actions counts as tried, the next plan reads the nodes
        # afresh (a record of the newcomer turning 'Peer Rejected' between the facts and the
        # set-aside, seen in CI). MAX_ROUNDS still bounds it.
    raise SetupError(f"still had work left after {MAX_ROUNDS} rounds of planning and acting")


def _record_notes(report: SetupReport, plan: Plan, step: str) -> None:
    for key, text in plan.inspected:
        report.add_inspected(key, text)
    for key, text in plan.problems:
        report.add_problem(key, text, step)
    for key, text in plan.errors:
        report.add_error(key, text, step)
