"""Data path: files written through a mount on one node read back identically on another, and each
file sits on every brick of exactly one replica set. Leaves nothing behind (files, mounts).

Check-only means read-only for gluster too: files written through a degraded replica set must be
healed later (the next run would then report the heal this one caused), so nothing is written
unless the volume is started, every brick is online, every node's glusterd is up and nothing waits
to be healed. Otherwise the check says why it did not write, and names the cause.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from glustercheck.diagnose import Cause, Diagnosis
from glustercheck.errors import GlusterCheckError
from glustercheck.facts import ClusterFacts
from glustercheck.remote import quote
from glustercheck.run import GlusterRun
from glustercheck.spec import ClusterSpec
from pytest_glustercheck.messages import fail

FILES = 8


class Mount:
    """A FUSE mount of the volume on one node, in a directory of its own, removed afterwards."""

    def __init__(self, run: GlusterRun, node: str, volume: str) -> None:
        self.run, self.node = run, node
        self.path = f"/mnt/glustercheck-{volume}-{uuid.uuid4().hex[:8]}"
        q = quote(self.path)
        result = run.run(node, f"mkdir -p {q} && mount -t glusterfs {quote(node)}:/{quote(volume)} {q}",
                         timeout=60)
        if result.rc != 0:
            run.run(node, f"rmdir {q}")
            fail(node, [f"cannot mount volume {volume}: {result.reason}"],
                 fix="install glusterfs-client on this node (mount.glusterfs), then read "
                     f"/var/log/glusterfs/{self.path.strip('/').replace('/', '-')}.log there")

    def sh(self, command: str) -> str:
        result = self.run.run(self.node, f"cd {quote(self.path)} && {command}", timeout=120)
        if result.rc != 0:
            fail(self.node, [f"`{command}` in the mount failed: {result.reason}"])
        return result.stdout

    def close(self) -> None:
        self.run.run(self.node, f"umount {quote(self.path)} && rmdir {quote(self.path)}", timeout=60)


def _why_not_write(run: GlusterRun, cluster: ClusterFacts, spec: ClusterSpec, volume: str,
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


@pytest.fixture
def mounts(run: GlusterRun, volume: str, spec: ClusterSpec, diagnosis: Diagnosis,
           converged: object) -> Iterator[tuple[Mount, Mount]]:
    nodes = run.reachable()
    if len(nodes) < 2:
        pytest.fail("the data path check needs two reachable nodes", pytrace=False)
    try:
        cluster = run.cluster_facts()
    except GlusterCheckError as exc:
        fail(f"volume {volume}", [f"data path not tested: no node reports the volume state ({exc})"],
             causes=[diagnosis.node(n) for n in run.names])
        return
    reasons, causes = _why_not_write(run, cluster, spec, volume, diagnosis)
    fail(f"volume {volume}", reasons, causes=causes)
    # Mount on both nodes at once (each mount takes a moment to connect to every brick).
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = [pool.submit(Mount, run, node, volume) for node in nodes[:2]]
        done = [f for f in pending if f.exception() is None]
    if len(done) < 2:
        for future in done:
            future.result().close()
        raise next(e for f in pending if (e := f.exception()) is not None)
    writer, reader = (f.result() for f in pending)
    yield writer, reader
    reader.close()
    writer.close()


def _sums(text: str) -> dict[str, str]:
    return {line.split()[1]: line.split()[0] for line in text.splitlines()}


def test_written_on_one_node_reads_back_on_another(volume: str, mounts: tuple[Mount, Mount],
                                                   run: GlusterRun) -> None:
    writer, reader = mounts
    tag = f"glustercheck-{uuid.uuid4().hex[:12]}"
    names = [f"{tag}-{i}" for i in range(FILES)]
    try:
        written = _sums(writer.sh(
            "for f in " + " ".join(names) + "; do head -c 65536 /dev/urandom > $f; done; "
            "sync; sha256sum " + " ".join(names)))
        read = _sums(reader.sh("sha256sum " + " ".join(names)))
        problems = [f"{name}: written on {writer.node} as {written[name][:12]}, read on "
                    f"{reader.node} as {read.get(name, 'missing')[:12]}"
                    for name in names if read.get(name) != written[name]]
        problems += _placement_problems(run, run.cluster_facts(), volume, names)
    finally:
        writer.sh(f"rm -f {tag}-*")
    fail(f"volume {volume}", problems,
         fix=f"check `gluster volume heal {volume} info` and the brick logs in /var/log/glusterfs/bricks")


def _placement_problems(run: GlusterRun, cluster: ClusterFacts, volume: str,
                        names: list[str]) -> list[str]:
    """Each file must be on every brick of one replica set and on no other brick (DHT link files,
    zero-byte pointers with only the sticky bit set, are not copies)."""
    found = cluster.volumes[volume]
    if found.shape.disperse or found.shape.is_distribute_only:
        return []  # disperse stores fragments; distribute has one copy by definition
    holders: dict[str, set[str]] = {name: set() for name in names}
    for brick in found.bricks:
        owner = run.spec.node_for_host(brick.host)
        node = owner.name if owner else brick.host
        listing = run.run(node, f"cd {quote(brick.path)} && stat -c '%A %s %n' {' '.join(names)} 2>/dev/null")
        for mode, size, name in (line.split(" ", 2) for line in listing.stdout.splitlines()):
            if mode == "---------T" and size == "0":
                continue  # a DHT link file (data placed elsewhere, e.g. this brick is nearly full)
            holders[name].add(brick.name)
    groups = [set(g) for g in found.shape.groups([b.name for b in found.bricks])]
    problems = []
    for name, where in holders.items():
        if where not in groups:
            problems.append(f"{name} is on bricks {sorted(where) or 'none'}, expected all bricks "
                            "of one replica set")
    return problems
