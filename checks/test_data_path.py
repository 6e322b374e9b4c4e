"""Data path: files written through a mount on one node read back identically on another, and each
file sits on every brick of exactly one replica set. Leaves nothing behind (files, mounts).

Nothing is written unless the volume is healthy enough that gluster has nothing to repair
afterwards (glustercheck.datapath_trial); otherwise the check says why it did not write, and names
the cause. In one process the trial started in the background once the setup steps were done
(conftest.py); this check judges what it brought back.
"""

from __future__ import annotations

from concurrent.futures import Future

from glustercheck.datapath import MOUNT_FAILED, DataPathRun, parse_read, parse_sums, placement_problems
from glustercheck.datapath_trial import FILES, Refused, Trial, attempt
from glustercheck.diagnose import Diagnosis
from glustercheck.facts import ClusterFacts
from glustercheck.remote import CommandResult, quote
from glustercheck.run import GlusterRun
from glustercheck.spec import ClusterSpec
from pytest_glustercheck.messages import fail


def _mount_failed(side: DataPathRun, result: CommandResult) -> None:
    fail(side.node, [f"cannot mount volume {side.volume}: {result.reason}"],
         fix="install glusterfs-client on this node (mount.glusterfs), then read "
             f"/var/log/glusterfs/{side.mount.strip('/').replace('/', '-')}.log there")


def test_written_on_one_node_reads_back_on_another(
        volume: str, run: GlusterRun, spec: ClusterSpec, diagnosis: Diagnosis,
        data_path_started: dict[str, Future[Refused | Trial]]) -> None:
    """The writer mounted, wrote, synced and summed the files; the reader mounted, summed them,
    read their placement from gluster's pathinfo and removed them. The trial the run started
    early, or one made now (xdist workers; a run that started none)."""
    started = data_path_started.pop(volume, None)
    trial = started.result() if started is not None else attempt(run, spec, volume, lambda: diagnosis)
    if isinstance(trial, Refused):
        fail(f"volume {volume}", trial.reasons, causes=trial.causes)
        return
    writer, reader, wrote = trial.writer, trial.reader, trial.wrote
    if wrote.rc == MOUNT_FAILED:
        _mount_failed(writer, wrote)
    if wrote.rc != 0 or trial.read is None:
        fail(writer.node, [f"writing {FILES} test files through a mount of {volume} failed: {wrote.reason}"])
        return
    read = trial.read
    if read.rc == MOUNT_FAILED:
        _mount_failed(reader, read)
    written = parse_sums(wrote.stdout)
    back = parse_read(read.stdout)
    names = writer.names
    problems = [f"{name}: written on {writer.node} as {written.get(name, 'not written')[:12]}, read "
                f"on {reader.node} as {back.sums.get(name, 'missing')[:12]}"
                for name in names if back.sums.get(name) != written.get(name)]
    cluster = run.cluster_facts()
    if back.placement is not None:  # a file getfattr could not read is on no brick it knows of
        placement = {name: back.placement.get(name, frozenset()) for name in names}
        problems += placement_problems(placement, _replica_sets(run, cluster, volume))
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
