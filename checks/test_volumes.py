"""Volumes: as declared, replica sets spread over servers (by hostUuid), bricks and self-heal
daemons online, no pending heal or split-brain."""

from __future__ import annotations

import time

import pytest

from glustercheck.actions import SetupReport
from glustercheck.declared import layout_difference
from glustercheck.facts import ClusterFacts
from glustercheck.layout import same_server_groups
from glustercheck.parsers import Volume
from glustercheck.run import GlusterRun
from glustercheck.spec import ClusterSpec, VolumeSpec
from pytest_glustercheck.messages import fail


def _volume(cluster: ClusterFacts, volume: str, converged: SetupReport) -> Volume:
    if "volume info" in cluster.errors:
        fail(cluster.source, [f"cannot read volume info: {cluster.errors['volume info']}"])
    found = cluster.volumes.get(volume)
    if found is None:
        fail(cluster.source, [f"volume {volume} does not exist"], report=converged,
             keys=[f"volume={volume}"], fix="declare it in the spec and run `pytest --apply`")
    return found


def test_volume_started_as_declared(volume: str, volume_spec: VolumeSpec, spec: ClusterSpec,
                                    cluster: ClusterFacts, converged: SetupReport) -> None:
    found = _volume(cluster, volume, converged)
    problems = layout_difference(volume_spec, volume_spec.brick_list(spec.nodes), found)
    if found.status != "Started":
        problems.insert(0, f"status {found.status}, expected Started")
    fail(f"volume {volume}", problems, report=converged, keys=[f"volume={volume}"],
         fix=f"gluster volume start {volume}" if found.status != "Started" else
         "a volume's layout is never changed by this suite: fix the spec or the volume by hand")


def test_replica_sets_on_distinct_servers(volume: str, cluster: ClusterFacts,
                                          converged: SetupReport) -> None:
    found = _volume(cluster, volume, converged)
    bricks = [b.name for b in found.bricks]
    server = {b.name: b.host_uuid or b.host for b in found.bricks}  # hostUuid catches aliases
    groups = found.shape.groups(bricks)
    bad = same_server_groups(groups, server.__getitem__)
    fail(f"volume {volume}", [f"replica set {i + 1} ({' '.join(groups[i])}) has two bricks on one "
                              "server: losing that server loses the set" for i in bad],
         fix="recreate the volume with bricks ordered so each set spans servers "
             "(gluster-plan suggests an order)")


def test_every_brick_online(volume: str, cluster: ClusterFacts, converged: SetupReport) -> None:
    found = _volume(cluster, volume, converged)
    status = cluster.status.get(volume)
    if status is None:
        why = cluster.errors.get(f"volume status {volume}", "unknown reason")
        fail(f"volume {volume}", [f"no volume status ({why})"])
    online = {(b.host, b.path) for b in status.bricks if b.online}
    fail(f"volume {volume}", [f"brick {b.name} is offline" for b in found.bricks
                              if (b.host, b.path) not in online],
         fix="on the brick's node: check glusterd runs and the brick filesystem is mounted, then "
             f"`gluster volume start {volume} force` restarts only missing brick processes")


def test_self_heal_daemons_online(volume: str, cluster: ClusterFacts, spec: ClusterSpec,
                                  converged: SetupReport) -> None:
    found = _volume(cluster, volume, converged)
    if found.shape.is_distribute_only:
        pytest.skip(f"not applicable: {volume} is {found.true_type}, it has no self-heal daemon")
    status = cluster.status.get(volume)
    daemons = [d for d in (status.daemons if status else ()) if d.name == "Self-heal Daemon"]
    hosts = {b.host for b in found.bricks}
    online = {cluster.source if d.host == "localhost" else d.host for d in daemons if d.online}
    fail(f"volume {volume}", [f"self-heal daemon on {h} is not online" for h in sorted(hosts - online)])


def test_no_pending_heal_or_split_brain(volume: str, run: GlusterRun, cluster: ClusterFacts,
                                        converged: SetupReport,
                                        request: pytest.FixtureRequest) -> None:
    _volume(cluster, volume, converged)
    deadline = time.monotonic() + request.config.option.heal_wait
    heal = cluster.heal.get(volume)
    while True:
        if heal is None:
            fail(f"volume {volume}", [f"cannot read heal info: {cluster.errors.get(f'heal info {volume}')}"])
        if not heal.applicable:
            pytest.skip(f"not applicable: {volume} is a distribute volume (no replicas to heal)")
        pending = heal.pending_entries
        # None: a brick is not connected, so no heal can finish while we wait; report it now.
        if pending is None or pending == 0 or time.monotonic() > deadline:
            break
        time.sleep(2)  # a heal in progress: look again until the deadline
        run.forget_facts()
        cluster = run.cluster_facts()
        heal = cluster.heal.get(volume)
    problems = []
    for brick in heal.bricks:
        if not brick.connected:
            unreachable = " (its server is unreachable)" if run.is_unreachable_host(brick.host) else ""
            problems.append(f"brick {brick.host}:{brick.path}: {brick.status}{unreachable}")
        elif brick.entries:
            shown = ", ".join(brick.entry_paths[:5]) + (" ..." if len(brick.entry_paths) > 5 else "")
            problems.append(f"brick {brick.host}:{brick.path}: {brick.entries} entries pending heal"
                            + (f" ({shown})" if shown else ""))
    if heal.counted_only:
        problems.append("split-brain not checked: a brick's server is unreachable, so pending heal "
                        "was counted by the self-heal daemons (`heal info` would wait for that server)")
    fail(f"volume {volume}", problems,
         fix=f"gluster volume heal {volume}; for split-brain files see "
             f"`gluster volume heal {volume} info split-brain`")
