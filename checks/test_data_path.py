"""Data path: files written through a mount on one node read back identically on another, and each
file sits on every brick of exactly one replica set. Leaves nothing behind (files, mounts).

Check-only means read-only for gluster too: files written through a degraded replica set must be
healed later (the next run would then report the heal this one caused), so nothing is written
unless the volume is started, every brick is online, every node's glusterd is up and nothing waits
to be healed. Otherwise the check says why it did not write, and names the cause.
"""

from __future__ import annotations

import uuid

import pytest

from glustercheck.datapath import MOUNT_FAILED, DataPathRun, parse_read, parse_sums, placement_problems
from glustercheck.diagnose import Cause, Diagnosis
from glustercheck.errors import GlusterCheckError
from glustercheck.facts import ClusterFacts
from glustercheck.remote import CommandResult, quote
from glustercheck.run import GlusterRun
from glustercheck.spec import ClusterSpec
from pytest_glustercheck.messages import fail

FILES = 8


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
def sides(run: GlusterRun, volume: str, spec: ClusterSpec, diagnosis: Diagnosis,
          converged: object) -> tuple[str, str]:
    """(writer, reader): the last two reachable nodes in spec order, so that the first node (it
    told the volume state and holds the cluster lock) and the second (it told the heal state)
    send no command of the data path."""
    nodes = run.reachable()
    if len(nodes) < 2:
        pytest.fail("the data path check needs two reachable nodes", pytrace=False)
    try:
        cluster = run.cluster_facts()
    except GlusterCheckError as exc:
        fail(f"volume {volume}", [f"data path not tested: no node reports the volume state ({exc})"],
             causes=[diagnosis.node(n) for n in run.names])
    reasons, causes = _why_not_write(run, cluster, spec, volume, diagnosis)
    fail(f"volume {volume}", reasons, causes=causes)
    return nodes[-1], nodes[-2]


def _side(node: str, volume: str, names: tuple[str, ...]) -> DataPathRun:
    return DataPathRun(node, volume, f"/mnt/glustercheck-{volume}-{uuid.uuid4().hex[:8]}", names)


def _mount_failed(side: DataPathRun, result: CommandResult) -> None:
    fail(side.node, [f"cannot mount volume {side.volume}: {result.reason}"],
         fix="install glusterfs-client on this node (mount.glusterfs), then read "
             f"/var/log/glusterfs/{side.mount.strip('/').replace('/', '-')}.log there")


def test_written_on_one_node_reads_back_on_another(volume: str, sides: tuple[str, str],
                                                   run: GlusterRun) -> None:
    """One command on the writer (mount, write, sync, checksums, unmount), one on the reader
    (mount, checksums, placement from gluster's pathinfo, remove the files, unmount)."""
    tag = f"glustercheck-{uuid.uuid4().hex[:12]}"
    names = tuple(f"{tag}-{i}" for i in range(FILES))
    writer, reader = (_side(node, volume, names) for node in sides)
    wrote = run.run(writer.node, writer.write_script(), timeout=180)
    if wrote.rc == MOUNT_FAILED:
        _mount_failed(writer, wrote)
    if wrote.rc != 0:
        fail(writer.node, [f"writing {FILES} test files through a mount of {volume} failed: {wrote.reason}"])
    written = parse_sums(wrote.stdout)
    read = run.run(reader.node, reader.read_script(), timeout=180)
    if read.rc == MOUNT_FAILED:
        run.run(writer.node, writer.cleanup_script(), timeout=120)  # the files it left for the reader
        _mount_failed(reader, read)
    back = parse_read(read.stdout)
    problems = [f"{name}: written on {writer.node} as {written.get(name, 'not written')[:12]}, read "
                f"on {reader.node} as {back.sums.get(name, 'missing')[:12]}"
                for name in names if back.sums.get(name) != written.get(name)]
    cluster = run.cluster_facts()
    if back.placement is not None:
        problems += placement_problems(back.placement, _replica_sets(run, cluster, volume))
    else:
        problems += _placement_on_bricks(run, cluster, volume, list(names))
    fail(f"volume {volume}", problems,
         fix=f"check `gluster volume heal {volume} info` and the brick logs in /var/log/glusterfs/bricks")


def _replica_sets(run: GlusterRun, cluster: ClusterFacts, volume: str) -> list[frozenset[tuple[str, str]]]:
    """The volume's replica sets as pathinfo names their bricks: (server's own hostname, path)."""
    found = cluster.volumes[volume]
    if found.shape.disperse or found.shape.is_distribute_only:
        return []  # disperse stores fragments; distribute has one copy by definition
    facts = run.all_node_facts()

    def hostname(host: str) -> str:
        owner = run.spec.node_for_host(host)
        known = facts.get(owner.name) if owner else None
        return known.hostname if known else host

    by_name = {b.name: (hostname(b.host), b.path) for b in found.bricks}
    return [frozenset(by_name[name] for name in group)
            for group in found.shape.groups([b.name for b in found.bricks])]


def _placement_on_bricks(run: GlusterRun, cluster: ClusterFacts, volume: str,
                         names: list[str]) -> list[str]:
    """Without getfattr on the reader (no pathinfo): each file must be on every brick of one
    replica set and on no other brick, as the brick servers list them (DHT link files, zero-byte
    pointers with only the sticky bit set, are not copies). One command per brick server."""
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
