"""The output parsers on a live glusterd 10.3: plain and --xml output of one state give equal values.

Four started volumes (gv replica 2 over 4 nodes, arb replica 3 arbiter 1, disp disperse 3
redundancy 1, dist 2 bricks); `peer status`, `pool list`, `volume info`, `volume status` and
`volume heal VOL info`, with every node up and again with rpi3's glusterd and bricks killed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from glustercheck.parsers import (
    parse_heal_info,
    parse_heal_info_xml,
    parse_peer_status,
    parse_peer_status_xml,
    parse_pool_list,
    parse_volume_info,
    parse_volume_info_xml,
    parse_volume_status,
    parse_volume_status_xml,
)
from simcluster import SimCluster
from tests.e2e.live_gluster import gluster, gluster_cluster, remove_paths, start_glusterd, wait_for
from tests.unit.test_parsers_vectors import comparable

pytestmark = pytest.mark.e2e

ROOT = "/mnt/usb/pl-"
VOLUMES = {
    "gv": ["replica", "2", *(f"rpi{i}:{ROOT}gv" for i in range(4))],
    "arb": ["replica", "3", "arbiter", "1", *(f"rpi{i}:{ROOT}arb" for i in range(3))],
    "disp": ["disperse", "3", "redundancy", "1", *(f"rpi{i}:{ROOT}disp" for i in (1, 2, 3))],
    "dist": [f"rpi{i}:{ROOT}dist" for i in (0, 3)],
}
HEALED = ("gv", "arb", "disp", "dist")  # dist: heal does not apply, both formats must say so


def brick_count(name: str) -> int:
    return sum(":/" in word for word in VOLUMES[name])


@pytest.fixture(scope="module")
def volumes(sim) -> Iterator[SimCluster]:
    with gluster_cluster(sim.fresh()) as cluster:
        try:
            for name, layout in VOLUMES.items():
                gluster(cluster, "volume", "create", name, *layout)
                gluster(cluster, "volume", "start", name)
            wait_for(lambda: all_online(cluster), 60, "every brick and self-heal daemon online")
            yield cluster
        finally:
            for node in cluster.config.names:
                start_glusterd(cluster, node)
            wait_for(lambda: connected_peers(cluster) == 3, 60, "rpi0 sees 3 connected peers")
            for name in VOLUMES:
                gluster(cluster, "volume", "stop", name, "force", check=False)
                gluster(cluster, "volume", "delete", name, check=False)
            remove_paths(cluster, f"{ROOT}*")
            listed = gluster(cluster, "volume", "list")
            listing = (listed.stdout + listed.stderr).strip()
            assert listing == "No volumes present in cluster", listing


def connected_peers(cluster: SimCluster) -> int:
    peers = parse_peer_status_xml(gluster(cluster, "peer", "status", xml=True).stdout)
    return sum(peer.connected for peer in peers)


def all_online(cluster: SimCluster) -> bool:
    result = gluster(cluster, "volume", "status", xml=True, check=False)
    if result.returncode != 0:
        return False
    statuses = {s.volume: s for s in parse_volume_status_xml(result.stdout)}
    return set(statuses) == set(VOLUMES) and all(
        len(s.bricks) == brick_count(name) and all(b.online for b in s.bricks)
        and all(d.online for d in s.daemons)
        for name, s in statuses.items()
    )


def both(cluster: SimCluster, parse: Callable, parse_xml: Callable, *args: str, node: str = "rpi0"):
    """Plain and XML output of one state, parsed: plain, XML, plain again until nothing moved."""
    for _ in range(5):
        before = gluster(cluster, *args, node=node, check=False)
        xml = gluster(cluster, *args, node=node, xml=True, check=False)
        after = gluster(cluster, *args, node=node, check=False)
        if parse(before.stdout) == parse(after.stdout):
            return parse(before.stdout), parse_xml(xml.stdout)
    command = " ".join(args)
    raise AssertionError(f"gluster {command} on {node} kept changing:\n{before.stdout}\n{after.stdout}")


def own_uuid(cluster: SimCluster, node: str) -> str:
    info = cluster.exec(node, ["cat", "/var/lib/glusterd/glusterd.info"]).stdout
    return next(line.split("=", 1)[1] for line in info.splitlines() if line.startswith("UUID="))


def check_peers(cluster: SimCluster, nodes: list[str], expect_connected: dict[str, bool]) -> None:
    uuids = {node: own_uuid(cluster, node) for node in cluster.config.names}
    for node in nodes:
        plain, xml = both(cluster, parse_peer_status, parse_peer_status_xml, "peer", "status", node=node)
        assert plain == xml, node
        assert {p.uuid for p in plain} == {u for n, u in uuids.items() if n != node}
        by_uuid = {uuid: name for name, uuid in uuids.items()}
        assert {by_uuid[p.uuid]: p.connected for p in plain} == {
            n: c for n, c in expect_connected.items() if n != node
        }
        pool = parse_pool_list(gluster(cluster, "pool", "list", node=node).stdout)
        assert pool[-1].hostname == "localhost"
        assert (pool[-1].uuid, pool[-1].connected) == (uuids[node], True)
        assert sorted((e.uuid, e.hostname, e.connected) for e in pool[:-1]) == sorted(
            (p.uuid, p.hostname, p.connected) for p in plain
        ), node


def check_status(cluster: SimCluster) -> dict[str, object]:
    plain, xml = both(cluster, parse_volume_status, parse_volume_status_xml, "volume", "status")
    assert plain == xml
    assert sorted(s.volume for s in plain) == sorted(VOLUMES)
    for name in VOLUMES:
        one, one_xml = both(cluster, parse_volume_status, parse_volume_status_xml, "volume", "status", name)
        assert one == one_xml == [s for s in plain if s.volume == name]
    return {s.volume: s for s in plain}


def check_heal(cluster: SimCluster) -> dict[str, object]:
    found = {}
    for name in HEALED:
        plain, xml = both(cluster, lambda t, n=name: parse_heal_info(t, n),
                          lambda t, n=name: parse_heal_info_xml(t, n), "volume", "heal", name, "info")
        assert plain == xml, name
        assert plain.applicable == (name != "dist")
        found[name] = plain
    return found


def test_plain_and_xml_agree_with_every_node_up(volumes: SimCluster) -> None:
    cluster = volumes
    check_peers(cluster, cluster.config.names, dict.fromkeys(cluster.config.names, True))

    plain, xml = both(cluster, parse_volume_info, parse_volume_info_xml, "volume", "info")
    assert plain == comparable(xml)  # Brick.host_uuid is XML-only
    assert all(brick.host_uuid for v in xml for brick in v.bricks)
    assert [(v.name, v.type_name, v.count_string, v.status) for v in plain] == [  # sorted by name
        ("arb", "Replicate", "1 x (2 + 1) = 3", "Started"),
        ("disp", "Disperse", "1 x (2 + 1) = 3", "Started"),
        ("dist", "Distribute", "2", "Started"),
        ("gv", "Distributed-Replicate", "2 x 2 = 4", "Started"),
    ]
    for volume in plain:
        assert [b.name for b in volume.bricks] == [w for w in VOLUMES[volume.name] if ":/" in w]

    statuses = check_status(cluster)
    for name, status in statuses.items():
        assert len(status.bricks) == brick_count(name)
        assert all(b.online and b.port and b.pid for b in status.bricks)

    heal = check_heal(cluster)
    assert all(b.connected and b.entries == 0 for h in heal.values() for b in h.bricks)
    assert [b.path for b in heal["gv"].bricks] == [f"{ROOT}gv"] * 4


def test_plain_and_xml_agree_with_rpi3_glusterd_and_bricks_killed(volumes: SimCluster) -> None:
    cluster = volumes
    cluster.kill_glusterd("rpi3", bricks=True)
    wait_for(lambda: connected_peers(cluster) == 2, 15, "rpi0 sees rpi3 disconnected")
    up = ["rpi0", "rpi1", "rpi2"]
    check_peers(cluster, up, {node: node != "rpi3" for node in cluster.config.names})

    statuses = check_status(cluster)
    for name, status in statuses.items():  # rpi3's bricks are absent, not offline
        expected = [w.partition(":")[0] for w in VOLUMES[name] if ":/" in w and not w.startswith("rpi3:")]
        assert [b.host for b in status.bricks] == expected, name
        assert all(b.online for b in status.bricks)
        assert not {"rpi3", "10.0.1.3"} & {d.host for d in status.daemons}, status.daemons

    heal = check_heal(cluster)
    for name in ("gv", "disp"):
        down = [b for b in heal[name].bricks if b.host == "rpi3"]
        assert len(down) == 1, name
        assert (down[0].connected, down[0].entries) == (False, None), down[0]
        assert heal[name].pending_entries is None
