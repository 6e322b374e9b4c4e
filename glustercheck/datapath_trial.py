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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from glustercheck.datapath import DO_NOT_READ, MOUNT_FAILED, READ_NOW, DataPathRun
from glustercheck.diagnose import Cause, Diagnosis
from glustercheck.errors import GlusterCheckError
from glustercheck.facts import ClusterFacts
from glustercheck.remote import CommandResult
from glustercheck.run import GlusterRun
from glustercheck.spec import ClusterSpec

FILES = 8
COMMAND_TIMEOUT = 180.0  # the writer's mount, work and unmount (the reader: its own after that)
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


def attempt(run: GlusterRun, spec: ClusterSpec, volume: str, diagnosis: Diagnosis) -> Refused | Trial:
    """Refused, or the trial on the last two reachable nodes in spec order (the first node told
    the volume state and holds the cluster lock, the second told the heal state: neither sends a
    command of the data path)."""
    nodes = run.reachable()
    if len(nodes) < 2:
        return Refused(("the data path check needs two reachable nodes",), ())
    try:
        cluster = run.cluster_facts()
    except GlusterCheckError as exc:
        return Refused((f"data path not tested: no node reports the volume state ({exc})",),
                       tuple(diagnosis.node(n) for n in run.names))
    reasons, causes = why_not_write(run, cluster, spec, volume, diagnosis)
    if reasons:
        return Refused(tuple(reasons), tuple(causes))
    return write_and_read(run, volume, writer=nodes[-1], reader=nodes[-2])


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


def write_and_read(run: GlusterRun, volume: str, *, writer: str, reader: str) -> Trial:
    """Both commands at once: the writer mounts, writes, syncs, sums and unmounts; the reader
    mounts meanwhile and, once the writer is done, is told to sum the files, read their placement
    from gluster's pathinfo and remove them (or, when the writer failed, to unmount and leave)."""
    tag = f"glustercheck-{uuid.uuid4().hex[:12]}"
    names = tuple(f"{tag}-{i}" for i in range(FILES))
    writing, reading = (DataPathRun(node, volume, f"/mnt/glustercheck-{volume}-{uuid.uuid4().hex[:8]}",
                                    names) for node in (writer, reader))
    verdict: Future[str] = Future()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-path-reader") as side:
        # The reader waits for the writer: its time limit covers the writer's, then its own.
        read_later = side.submit(run.run, reading.node, reading.read_script(),
                                 timeout=2 * COMMAND_TIMEOUT, stdin=verdict.result)
        wrote: CommandResult | None = None
        try:
            wrote = run.run(writing.node, writing.write_script(), timeout=COMMAND_TIMEOUT)
        finally:  # whatever happened to the writer, the reader is told
            verdict.set_result(f"{READ_NOW if wrote is not None and wrote.rc == 0 else DO_NOT_READ}\n")
        read = read_later.result()
    if wrote.rc != 0:
        return Trial(writing, reading, wrote, None)
    if read.rc == MOUNT_FAILED:  # the files the writer left for the reader
        run.run(writing.node, writing.cleanup_script(), timeout=CLEANUP_TIMEOUT)
    return Trial(writing, reading, wrote, read)
