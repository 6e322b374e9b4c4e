"""Volumes: as declared, replica sets spread over servers (by hostUuid), bricks and self-heal
daemons online, no pending heal or split-brain."""

from __future__ import annotations

import time

import pytest

from glustercheck.actions import SetupReport
from glustercheck.declared import layout_difference
from glustercheck.diagnose import Cause, Diagnosis
from glustercheck.facts import ClusterFacts
from glustercheck.layout import same_server_groups
from glustercheck.parsers import HealInfo, Volume
from glustercheck.run import GlusterRun
from glustercheck.spec import ClusterSpec, VolumeSpec
from pytest_glustercheck.messages import fail

# A heal that makes no progress for this long is not waited for any longer.
HEAL_STALL_SECONDS = 6.0


def _volume(cluster: ClusterFacts, volume: str, converged: SetupReport,
            diagnosis: Diagnosis) -> Volume:
    if "volume info" in cluster.errors:
        fail(cluster.source, [f"cannot read volume info: {cluster.errors['volume info']}"],
             causes=[diagnosis.node(cluster.source)])
    found = cluster.volumes.get(volume)
    if found is None:
        fail(cluster.source, [f"volume {volume} does not exist"], causes=[diagnosis.volume(volume)],
             report=converged, keys=[f"volume={volume}"], steps=("volumes",),
             fix="`pytest --apply` creates it as the spec declares")
    assert found is not None
    return found


def _owner(spec: ClusterSpec, host: str) -> str:
    node = spec.node_for_host(host)
    return node.name if node is not None else host


def test_volume_started_as_declared(volume: str, volume_spec: VolumeSpec, spec: ClusterSpec,
                                    cluster: ClusterFacts, converged: SetupReport,
                                    diagnosis: Diagnosis) -> None:
    found = _volume(cluster, volume, converged, diagnosis)
    problems = layout_difference(volume_spec, volume_spec.brick_list(spec.nodes), found)
    if found.status != "Started":
        problems.insert(0, f"status {found.status}, expected Started")
    started_only = found.status != "Started" and len(problems) == 1
    fail(f"volume {volume}", problems, causes=[diagnosis.volume(volume)] if started_only else [],
         report=converged, keys=[f"volume={volume}"], steps=("volumes",),
         fix="a volume's layout is never changed by this suite: fix the spec or the volume by hand")


def test_replica_sets_on_distinct_servers(volume: str, cluster: ClusterFacts,
                                          converged: SetupReport, diagnosis: Diagnosis) -> None:
    found = _volume(cluster, volume, converged, diagnosis)
    bricks = [b.name for b in found.bricks]
    server = {b.name: b.host_uuid or b.host for b in found.bricks}  # hostUuid catches aliases
    groups = found.shape.groups(bricks)
    bad = same_server_groups(groups, server.__getitem__)
    fail(f"volume {volume}", [f"replica set {i + 1} ({' '.join(groups[i])}) has two bricks on one "
                              "server: losing that server loses the set" for i in bad],
         fix="recreate the volume with bricks ordered so each set spans servers "
             "(gluster-plan suggests an order)")


def test_every_brick_online(volume: str, cluster: ClusterFacts, spec: ClusterSpec, run: GlusterRun,
                            converged: SetupReport, diagnosis: Diagnosis) -> None:
    found = _volume(cluster, volume, converged, diagnosis)
    status = cluster.status.get(volume)
    if status is None:
        why = cluster.errors.get(f"volume status {volume}", "unknown reason")
        fail(f"volume {volume}", [f"no volume status ({why})"],
             causes=[diagnosis.volume(volume), *(diagnosis.node(n) for n in run.names)])
        return
    online = {(b.host, b.path) for b in status.bricks if b.online}
    offline = [b for b in found.bricks if (b.host, b.path) not in online]
    fail(f"volume {volume}", [f"brick {b.name} is offline" for b in offline],
         causes=[diagnosis.brick(volume, b.host, b.path, _owner(spec, b.host)) for b in offline],
         fix="on the brick's node: check glusterd runs and the brick filesystem is mounted, then "
             f"`gluster volume start {volume} force` restarts only missing brick processes")


def test_self_heal_daemons_online(volume: str, cluster: ClusterFacts, spec: ClusterSpec,
                                  converged: SetupReport, diagnosis: Diagnosis) -> None:
    found = _volume(cluster, volume, converged, diagnosis)
    if found.shape.is_distribute_only:
        pytest.skip(f"not applicable: {volume} is {found.true_type}, it has no self-heal daemon")
    status = cluster.status.get(volume)
    daemons = [d for d in (status.daemons if status else ()) if d.name == "Self-heal Daemon"]
    hosts = {b.host for b in found.bricks}
    online = {cluster.source if d.host == "localhost" else d.host for d in daemons if d.online}
    missing = sorted(hosts - online)
    fail(f"volume {volume}", [f"self-heal daemon on {h} is not online" for h in missing],
         causes=[diagnosis.volume(volume), diagnosis.heal(volume),
                 *(c for h in missing for c in (diagnosis.node(_owner(spec, h)),
                                                diagnosis.peer(_owner(spec, h))))])


def _heal_is_off(diagnosis: Diagnosis, volume: str) -> bool:
    cause = diagnosis.heal(volume)
    return cause is not None and cause.key.startswith("self-heal-off:")


def _heal_causes(diagnosis: Diagnosis, spec: ClusterSpec, volume: str, found: Volume,
                 heal: HealInfo | None) -> list[Cause | None]:
    causes: list[Cause | None] = [diagnosis.volume(volume), diagnosis.heal(volume)]
    if heal is None:  # unreadable: any node's own trouble may be why (a hung glusterd)
        causes += [diagnosis.node(n.name) for n in spec.nodes]
    for brick in found.bricks:
        causes.append(diagnosis.brick(volume, brick.host, brick.path, _owner(spec, brick.host)))
    return causes


def test_no_pending_heal_or_split_brain(volume: str, run: GlusterRun, cluster: ClusterFacts,
                                        spec: ClusterSpec, converged: SetupReport,
                                        diagnosis: Diagnosis,
                                        request: pytest.FixtureRequest) -> None:
    found = _volume(cluster, volume, converged, diagnosis)
    started = time.monotonic()
    deadline = started + request.config.option.heal_wait
    heal = cluster.heal.get(volume)
    waited = ""
    history: list[tuple[float, int]] = []
    while True:
        if heal is None:
            fail(f"volume {volume}", [f"cannot read heal info: {cluster.errors.get(f'heal info {volume}')}"],
                 causes=_heal_causes(diagnosis, spec, volume, found, heal))
            return
        if not heal.applicable:
            pytest.skip(f"not applicable: {volume} is a distribute volume (no replicas to heal)")
        pending = heal.pending_entries
        now = time.monotonic()
        if pending:
            history.append((now, pending))
        # Nothing will heal while we wait: a brick is down (pending unknown), the self-heal
        # daemons are off, or the count has not dropped for a while.
        stalled = [n for t, n in history if now - t >= HEAL_STALL_SECONDS]
        no_progress = bool(stalled) and pending is not None and stalled[-1] <= pending
        if not pending or now > deadline or _heal_is_off(diagnosis, volume) or no_progress:
            break
        time.sleep(2)  # a heal in progress: look again
        run.forget_facts()
        cluster = run.cluster_facts()
        heal = cluster.heal.get(volume)
    if len(history) > 1:
        waited = (f" (waited {time.monotonic() - started:.0f} s for the heal: "
                  f"{history[0][1]} -> {history[-1][1]} entries)")
    problems = []
    for brick in heal.bricks:
        if not brick.connected:
            unreachable = " (its server is unreachable)" if run.is_unreachable_host(brick.host) else ""
            problems.append(f"brick {brick.host}:{brick.path}: {brick.status}{unreachable}")
        elif brick.entries:
            shown = ", ".join(brick.entry_paths[:5]) + (" ..." if len(brick.entry_paths) > 5 else "")
            problems.append(f"brick {brick.host}:{brick.path}: {brick.entries} entries pending heal"
                            + (f" ({shown})" if shown else "") + waited)
    if heal.counted_only:
        problems.append("split-brain not checked: a brick's server is unreachable, so pending heal "
                        "was counted by the self-heal daemons (`heal info` would wait for that server)")
    fail(f"volume {volume}", problems, causes=_heal_causes(diagnosis, spec, volume, found, heal),
         fix=f"gluster volume heal {volume}; for split-brain files see "
             f"`gluster volume heal {volume} info split-brain`")
