"""Run a plan's actions, wait for what they bring about, record what changed.

One executor for every step: gluster CLI arguments go through `run_gluster` (`--mode=script`, the
cluster lock, retries while glusterd is busy), everything else runs under the node's command
timeout. After an action, the facts it touched are forgotten, so the next plan reads them afresh.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from glustercheck.actions.model import UNCHANGED, Action, Plan
from glustercheck.actions.peer_store import RestartGlusterd
from glustercheck.actions.record import PoolUnsettled, SetupError, SetupReport
from glustercheck.actions.waits import Settle
from glustercheck.remote import GlusterError, run_gluster

if TYPE_CHECKING:
    from glustercheck.run import GlusterRun

Progress = Callable[[str, str, float | None], None]
"""progress(node or key, what, seconds): seconds None when it starts, else how long it took.
(An `apt-get install` may take minutes per node: the operator sees it start and end.)"""


def _quiet(_where: str, _what: str, _seconds: float | None) -> None:
    return None


class Executor:
    def __init__(self, run: GlusterRun, report: SetupReport, progress: Progress = _quiet) -> None:
        self.run = run
        self.report = report
        self.progress = progress

    def perform(self, plan: Plan) -> bool:
        """Every action in order (a run of side-by-side ones at once), then each distinct wait once.
        False when an action found on its node that what the plan was made from had changed, and
        left it alone: the plan was stale, and its actions were not all carried out."""
        carried_out = True
        for batch in side_by_side_batches(plan.actions):
            if len(batch) == 1:
                carried_out &= self.execute(batch[0])
                continue
            with ThreadPoolExecutor(max_workers=min(16, len(batch))) as pool:
                started = [pool.submit(self.execute, action) for action in batch]
            for future in started:  # each one ran (its change recorded); the first failure is raised
                carried_out &= future.result()
        settles = [a.settle for a in plan.actions if a.settle is not None]
        for settle in dict.fromkeys([*settles, *plan.waits]):
            self.wait(settle)
        return carried_out

    def execute(self, action: Action) -> bool:
        """Run `action`; whether it changed anything (False: found changed, left alone)."""
        command = action.command()
        what = action.title
        self.progress(action.node, what, None)
        started = time.monotonic()
        changed = True
        if command.gluster:
            try:
                run_gluster(self.run.connection(action.node), command.argv, write=True,
                            timeout=command.timeout, lock=self.run.lock,
                            transient=command.transient)
            except GlusterError as exc:
                if command.unsettled and re.search(command.unsettled, str(exc), re.IGNORECASE):
                    raise PoolUnsettled(str(exc)) from exc
                raise
        else:
            body = command.script if command.script is not None else command.argv
            result = self.run.run(action.node, body, timeout=command.timeout, stdin=command.stdin)
            if result.rc != 0:
                raise SetupError(action.failure(result))
            # A script that found, on the node, that what it was planned from had changed did
            # nothing and says so: nothing is recorded, and the next plan reads the node afresh.
            changed = UNCHANGED not in result.stdout
        self.progress(action.node, what if changed else f"{what}: found changed, left alone",
                      time.monotonic() - started)
        for line in action.done() if changed else ():
            self.report.add_changed(action.key, line)
        self.run.forget_facts([action.node], cluster=action.stale_cluster)
        return changed

    def restart_glusterd(self, node: str, why: str) -> None:
        """The remedy a peers wait may take (see RestartGlusterd), run and recorded as a change."""
        self.execute(RestartGlusterd(node, why, self.run.node_facts(node).systemd))

    def wait(self, settle: Settle) -> None:
        self.progress(settle.key, f"waiting until {settle.what}", None)
        started = time.monotonic()
        note = settle.wait(self.run, self)
        self.progress(settle.key, f"waited until {settle.what}", time.monotonic() - started)
        self.report.add_inspected(settle.key, note)
        self.run.forget_facts(cluster=True)  # the state moved while we waited


def side_by_side_batches(actions: Sequence[Action]) -> Iterator[list[Action]]:
    """The actions in order, a run of the same side-by-side kind on distinct nodes as one batch
    (every other action alone). At 16 nodes the create records, one after another, took 0.7 s
    before `volume create`, and their removal 0.2 s after it."""
    batch: list[Action] = []
    for action in actions:
        if batch and not (action.side_by_side and type(action) is type(batch[0])
                          and all(a.node != action.node for a in batch)):
            yield batch
            batch = []
        batch.append(action)
    if batch:
        yield batch


def record_missing(report: SetupReport, actions: Sequence[Action], step: str | None = None) -> None:
    """Check-only mode: what would have been done, as "not configured" notes; nothing runs."""
    for action in actions:
        text = action.missing()
        if text is not None:
            report.add_missing(action.missing_key, text, step)
