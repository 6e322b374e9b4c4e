"""The data path trial: decide whether test files may be written now, then write them through a
mount on one node and read them back through a mount on another (glustercheck.datapath's two
scripts). Judging what came back is the check's (checks/test_data_path.py).

Check-only means read-only for gluster too: files written through a degraded replica set must be
healed later (the next run would then report the heal this one caused), so nothing is written
unless the volume is started, every brick is online, every node's glusterd is up and nothing waits
to be healed. Otherwise the trial is refused, with why and the root causes.

A trial touches nothing the other checks read, so a single-process run starts it in the
background as soon as the setup steps are done (checks/conftest.py): its two commands, a few
tenths of a second of mounts and writes, then overlap the other checks instead of following them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from glustercheck.datapath import GO_ON, MOUNT_FAILED, STOP, DataPathRun
from glustercheck.diagnose import Cause, Diagnosis, diagnose
from glustercheck.errors import GlusterCheckError
from glustercheck.facts import ClusterFacts
from glustercheck.remote import CommandResult
from glustercheck.run import GlusterRun
from glustercheck.spec import ClusterSpec

FILES = 8
COMMAND_TIMEOUT = 180.0  # the writer's mount, work and unmount (the reader: its own after that)
DECISION_TIMEOUT = 150.0  # the heal state the decision waits for (asked with a 120 s limit)
CLEANUP_TIMEOUT = 120.0


@dataclass(frozen=True)
class Refused:
    """Nothing written: why (one line each), and the root causes that explain it."""

    reasons: tuple[str, ...]
    causes: tuple[Cause | None, ...]


@dataclass(frozen=True)
class Trial:
    """What the writer and the reader answered (`read` is None when the writer failed: the
    reader was told not to read). When the reader could not mount, the writer's files are
    already gone."""

    writer: DataPathRun
    reader: DataPathRun
    wrote: CommandResult
    read: CommandResult | None


def attempt(run: GlusterRun, spec: ClusterSpec, volume: str,
            diagnosis: Callable[[], Diagnosis]) -> Refused | Trial:
    """Refused, or the trial on the last two reachable nodes in spec order (the first node told
    the volume state and holds the cluster lock, the second told the heal state: neither sends a
    command of the data path). When the volume state alone allows the write, both sides mount
    while the heal state is asked; the decision itself waits for it, as before."""
    nodes = run.reachable()
    if len(nodes) < 2:
        return Refused(("the data path check needs two reachable nodes",), ())
    with Sides(run, volume, writer=nodes[-1], reader=nodes[-2]) as sides:
        if _writable_before_heal(run, spec, volume):
            sides.start()
        try:
            cluster = run.cluster_facts()
        except GlusterCheckError as exc:
            return Refused((f"data path not tested: no node reports the volume state ({exc})",),
                           tuple(diagnosis().node(n) for n in run.names))
        reasons, causes = why_not_write(run, cluster, spec, volume, diagnosis())
        if reasons:
            return Refused(tuple(reasons), tuple(causes))
        return sides.trial()


def _writable_before_heal(run: GlusterRun, spec: ClusterSpec, volume: str) -> bool:
    """Whether the volume state and the nodes' facts, before the heal state is in, allow the
    write: then mounting now costs nothing if the heal state forbids it after all (a mount
    and unmount leave gluster nothing to repair)."""
    try:
        state = run.volume_state()
    except GlusterCheckError:
        return False
    early = diagnose(spec, run.all_node_facts(), run.probe(), state)
    return not why_not_write(run, state, spec, volume, early)[0]


def why_not_write(run: GlusterRun, cluster: ClusterFacts, spec: ClusterSpec, volume: str,
                  diagnosis: Diagnosis) -> tuple[list[str], list[Cause | None]]:
    """What stops a write that would leave nothing for gluster to repair (empty: write)."""
    found = cluster.volumes.get(volume)
    if found is None or found.status != "Started":
        state = "does not exist" if found is None else f"is {found.status}"
        return [f"data path not tested: volume {volume} {state}"], [diagnosis.volume(volume)]
    reasons: list[str] = []
    causes: list[Cause | None] = []
    for brick in found.bricks:
        if run.is_unreachable_host(brick.host):
            owner = spec.node_for_host(brick.host)
            reasons.append(f"data path not tested while brick {brick.name}'s server is unreachable: "
                           "test files written now would have to be healed onto it when it returns")
            causes.append(diagnosis.node(owner.name if owner else brick.host))
    status = cluster.status.get(volume)
    online = {(b.host, b.path) for b in status.bricks if b.online} if status else set()
    for brick in found.bricks:
        if (brick.host, brick.path) not in online and not run.is_unreachable_host(brick.host):
            owner = spec.node_for_host(brick.host)
            reasons.append(f"data path not tested: brick {brick.name} is offline, so its replica set "
                           "would need healing afterwards")
            where = owner.name if owner else brick.host
            causes.append(diagnosis.brick(volume, brick.host, brick.path, where))
    for node in spec.nodes:
        cause = diagnosis.node(node.name)
        if cause is not None and cause.key.startswith(("glusterd-down:", "package-missing:")):
            reasons.append(f"data path not tested: glusterd is not running on {node.name}")
            causes.append(cause)
    heal = cluster.heal.get(volume)
    if not reasons and heal is not None and heal.applicable and heal.pending_entries:
        reasons.append(f"data path not tested: {heal.pending_entries} entries of {volume} wait to be "
                       "healed; a write now would mix the test with that heal")
        causes.append(diagnosis.heal(volume))
    return reasons, causes


class Sides:
    """The writer's and the reader's commands, run side by side: each mounts, then waits to be
    told on its stdin. The writer, told to go, writes, syncs, sums and unmounts; the reader, told
    to go once the writer is done, sums the files, reads their placement from gluster's pathinfo
    and removes them. A side not told by the end (a refusal, a failed writer) is told to stop:
    it unmounts and leaves."""

    def __init__(self, run: GlusterRun, volume: str, *, writer: str, reader: str) -> None:
        tag = f"glustercheck-{uuid.uuid4().hex[:12]}"
        names = tuple(f"{tag}-{i}" for i in range(FILES))
        self.writing, self.reading = (
            DataPathRun(node, volume, f"/mnt/glustercheck-{volume}-{uuid.uuid4().hex[:8]}", names)
            for node in (writer, reader))
        self._run = run
        self._write_now: Future[str] = Future()
        self._read_now: Future[str] = Future()
        self._sides = ThreadPoolExecutor(max_workers=2, thread_name_prefix="data-path")
        self._commands: tuple[Future[CommandResult], Future[CommandResult]] | None = None

    def start(self) -> tuple[Future[CommandResult], Future[CommandResult]]:
        """Both commands, started now (once): the writer's and the reader's."""
        if self._commands is None:
            # Each side's limit covers the wait to be told (the decision, then for the reader
            # also the writer's work) and then its own work.
            self._commands = (
                self._sides.submit(self._run.run, self.writing.node, self.writing.write_script(),
                                   timeout=DECISION_TIMEOUT + COMMAND_TIMEOUT,
                                   stdin=self._write_now.result),
                self._sides.submit(self._run.run, self.reading.node, self.reading.read_script(),
                                   timeout=DECISION_TIMEOUT + 2 * COMMAND_TIMEOUT,
                                   stdin=self._read_now.result))
        return self._commands

    def trial(self) -> Trial:
        writing, reading = self.start()
        wrote: CommandResult | None = None
        try:
            self._write_now.set_result(f"{GO_ON}\n")
            wrote = writing.result()
        finally:  # whatever happened to the writer, the reader is told
            self._read_now.set_result(f"{GO_ON if wrote is not None and wrote.rc == 0 else STOP}\n")
        read = reading.result()
        if wrote.rc != 0:
            return Trial(self.writing, self.reading, wrote, None)
        if read.rc == MOUNT_FAILED:  # the files the writer left for the reader
            self._run.run(self.writing.node, self.writing.cleanup_script(), timeout=CLEANUP_TIMEOUT)
        return Trial(self.writing, self.reading, wrote, read)

    def __enter__(self) -> Sides:
        return self

    def __exit__(self, *exc: object) -> None:
        for told in (self._write_now, self._read_now):
            if not told.done():
                told.set_result(f"{STOP}\n")
        self._sides.shutdown(wait=True)  # each side unmounts before its command ends
