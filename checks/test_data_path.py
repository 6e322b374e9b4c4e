"""Data path: files written through a mount on one node read back identically on another, and each
file sits on every brick of exactly one replica set. Leaves nothing behind (files, mounts)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from glustercheck.errors import GlusterCheckError
from glustercheck.facts import ClusterFacts
from glustercheck.remote import quote
from glustercheck.run import GlusterRun
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
            fail(node, [f"cannot mount volume {volume}: {result.stderr.strip()}"],
                 fix="install glusterfs-client and check the volume is started")

    def sh(self, command: str) -> str:
        result = self.run.run(self.node, f"cd {quote(self.path)} && {command}", timeout=120)
        if result.rc != 0:
            fail(self.node, [f"`{command}` in the mount failed: {result.stderr.strip()}"])
        return result.stdout

    def close(self) -> None:
        self.run.run(self.node, f"umount {quote(self.path)} && rmdir {quote(self.path)}", timeout=60)


def _refuse_degraded(run: GlusterRun, cluster: ClusterFacts, volume: str) -> None:
    """No test writes while a brick's server is unreachable: a client would wait for it (gluster
    waits up to 10 s per mount), and every file written would then need healing onto it."""
    found = cluster.volumes.get(volume)
    bricks = [b for b in found.bricks if run.is_unreachable_host(b.host)] if found else []
    fail(f"volume {volume}", [
        f"data path not tested while brick {b.name}'s server is unreachable: test files written "
        "now would have to be healed onto it when it returns" for b in bricks],
        fix=f"bring {', '.join(sorted({b.host for b in bricks}))} back; its own checks say what is wrong")


@pytest.fixture
def mounts(run: GlusterRun, volume: str, converged: object) -> Iterator[tuple[Mount, Mount]]:
    nodes = run.reachable()
    if len(nodes) < 2:
        pytest.fail("the data path check needs two reachable nodes", pytrace=False)
    with contextlib.suppress(GlusterCheckError):  # no volume state: the mount will say why
        _refuse_degraded(run, run.cluster_facts(), volume)
    # Mount on both nodes at once (each mount takes a moment to connect to every brick).
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = [pool.submit(Mount, run, node, volume) for node in nodes[:2]]
        done = [f for f in pending if f.exception() is None]
    if len(done) < 2:
        for future in done:
            future.result().close()
        raise next(f.exception() for f in pending if f.exception() is not None)
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
         fix="check `gluster volume heal {volume} info` and the brick logs in /var/log/glusterfs/bricks")


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
