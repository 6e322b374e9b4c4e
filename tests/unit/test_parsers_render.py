"""Renderers: parsed values back to gluster's plain and XML formats (10.x/11.x flavour).

They mirror the printf formats of cli-rpc-ops.c, cli-xml-output.c and glfs-heal.c. The round-trip
property test and the benchmark build their inputs with them; the tests at the bottom prove they
reproduce the hand-written and the live vectors byte for byte, so the round trip is anchored to
gluster's real formats rather than to the parsers' own idea of them.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from glustercheck.parsers import (
    HealInfo,
    Peer,
    PoolEntry,
    Volume,
    VolumeStatus,
    parse_peer_status,
    parse_pool_list,
    parse_volume_info,
)

VECTORS = Path(__file__).parents[1] / "vectors"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput>\n'
XML_OK = "  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n"
PEER_STATES = {  # glusterd_friend_sm_state_name_get order
    "Establishing Connection": 0,
    "Probe Sent to Peer": 1,
    "Probe Received from Peer": 2,
    "Peer in Cluster": 3,
    "Accepted peer request": 4,
    "Sent and Received peer request": 5,
    "Peer Rejected": 6,
}
TYPE_CODES = {  # vol_type_str[] index, without the " [NOT SUPPORTED from v6.0]" suffix
    "Distribute": 0,
    "Stripe": 1,
    "Replicate": 2,
    "Striped-Replicate": 3,
    "Disperse": 4,
    "Distributed-Stripe": 6,
    "Distributed-Replicate": 7,
    "Distributed-Striped-Replicate": 8,
    "Distributed-Disperse": 9,
}
STATUS_CODES = {"Created": 0, "Started": 1, "Stopped": 2}
TRANSPORT_CODES = {"tcp": 0, "rdma": 1, "tcp,rdma": 2}


def fake_uuid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_OID, "/".join(map(str, parts))))


# --- peers -------------------------------------------------------------------------------------


def render_peer_status(peers: list[Peer]) -> str:
    out = [f"Number of Peers: {len(peers)}\n"]
    for peer in peers:
        connection = "Connected" if peer.connected else "Disconnected"
        out.append(f"\nHostname: {peer.hostname}\nUuid: {peer.uuid}\nState: {peer.state} ({connection})\n")
        if peer.other_names:
            out.append("Other names:\n" + "".join(f"{name}\n" for name in peer.other_names))
    return "".join(out)


def render_peer_status_xml(peers: list[Peer]) -> str:
    out = [XML_HEAD, XML_OK, "  <peerStatus>\n"]
    for peer in peers:
        names = "".join(f"        <hostname>{escape(n)}</hostname>\n" for n in peer.names)
        out.append(
            f"    <peer>\n      <uuid>{peer.uuid}</uuid>\n"
            f"      <hostname>{escape(peer.hostname)}</hostname>\n"
            f"      <hostnames>\n{names}      </hostnames>\n"
            f"      <connected>{int(peer.connected)}</connected>\n"
            f"      <state>{PEER_STATES.get(peer.state, 3)}</state>\n"
            f"      <stateStr>{escape(peer.state)}</stateStr>\n    </peer>\n"
        )
    out.append("  </peerStatus>\n</cliOutput>\n")
    return "".join(out)


def render_pool_list(entries: list[PoolEntry]) -> str:
    width = max(8, *(len(e.hostname) for e in entries))
    rows = "".join(
        f"{e.uuid}\t{e.hostname:<{width}}\t{'Connected' if e.connected else 'Disconnected'} \n"
        for e in entries
    )
    return f"UUID\t\t\t\t\t{'Hostname':<{width}}\tState\n" + rows


# --- volume info -------------------------------------------------------------------------------


def render_volume_info(volumes: list[Volume]) -> str:
    if not volumes:
        return "No volumes present\n"
    out = []
    for vol in volumes:
        out.append(f" \nVolume Name: {vol.name}\nType: {vol.type_name}\nVolume ID: {vol.volume_id}\n")
        out.append(f"Status: {vol.status}\n")
        if vol.snapshot_count is not None:
            out.append(f"Snapshot Count: {vol.snapshot_count}\n")
        out.append(f"Number of Bricks: {vol.count_string}\nTransport-type: {vol.transport}\nBricks:\n")
        for i, brick in enumerate(vol.bricks, start=1):
            out.append(f"Brick{i}: {brick.name}{' (arbiter)' if brick.is_arbiter else ''}\n")
        if vol.options:
            out.append("Options Reconfigured:\n" + "".join(f"{k}: {v}\n" for k, v in vol.options.items()))
    return "".join(out)


def render_volume_info_xml(volumes: list[Volume]) -> str:
    out = [XML_HEAD, XML_OK, "  <volInfo>\n    <volumes>\n"]
    for vol in volumes:
        shape = vol.shape
        counts = {
            "brickCount": shape.brick_count,
            "distCount": shape.group_count,  # 10.x+: the number of subvolumes
            "replicaCount": shape.replica or 1,
            "arbiterCount": shape.arbiter,
            "disperseCount": shape.disperse,
            "redundancyCount": shape.redundancy,
            "type": TYPE_CODES[vol.type_name.removesuffix(" [NOT SUPPORTED from v6.0]")],
        }
        if shape.stripe:
            counts["stripeCount"] = shape.stripe
        out.append(
            f"      <volume>\n        <name>{vol.name}</name>\n        <id>{vol.volume_id}</id>\n"
            f"        <status>{STATUS_CODES[vol.status]}</status>\n"
            f"        <statusStr>{vol.status}</statusStr>\n"
        )
        if vol.snapshot_count is not None:
            out.append(f"        <snapshotCount>{vol.snapshot_count}</snapshotCount>\n")
        out.extend(f"        <{tag}>{value}</{tag}>\n" for tag, value in counts.items())
        out.append(
            f"        <typeStr>{escape(vol.type_name)}</typeStr>\n"
            f"        <transport>{TRANSPORT_CODES[vol.transport]}</transport>\n        <bricks>\n"
        )
        for brick in vol.bricks:
            host_uuid = brick.host_uuid or fake_uuid(brick.host)
            name = escape(brick.name)
            out.append(
                f'          <brick uuid="{host_uuid}">{name}<name>{name}</name>'
                f"<hostUuid>{host_uuid}</hostUuid><isArbiter>{int(brick.is_arbiter)}</isArbiter></brick>\n"
            )
        out.append(f"        </bricks>\n        <optCount>{len(vol.options)}</optCount>\n        <options>\n")
        for key, value in vol.options.items():
            out.append(
                f"          <option>\n            <name>{escape(key)}</name>\n"
                f"            <value>{escape(value)}</value>\n          </option>\n"
            )
        out.append("        </options>\n      </volume>\n")
    out.append(f"      <count>{len(volumes)}</count>\n    </volumes>\n  </volInfo>\n</cliOutput>\n")
    return "".join(out)


# --- volume status -----------------------------------------------------------------------------


def status_row(name: str, port: int | None, rdma: int | None, online: bool, pid: int | None) -> str:
    """cli_print_brick_status: a 43-character name field, longer names cut into 43-char lines."""
    lines = []
    while len(name) > 43:
        lines.append(name[:43] + "\n")
        name = name[43:]
    pid_text = "N/A" if pid is None else str(pid)
    flag = "Y" if online else "N"
    if online and (port or rdma):
        columns = f"{port or 0:<10}{rdma or 0:<11}{flag:<8}{pid_text:<5}"
    else:
        columns = f"{'N/A':<10}{'N/A':<11}{flag:<8}{pid_text:<5}"
    return "".join(lines) + f"{name:<43} {columns}\n"


def render_volume_status(statuses: list[VolumeStatus]) -> str:
    out = []
    for status in statuses:
        rule = "-" * 78 + "\n"
        out.append(f"Status of volume: {status.volume}\n")
        out.append(f"{'Gluster process':<43} TCP Port  RDMA Port  Online  Pid\n{rule}")
        for b in status.bricks:
            out.append(status_row(f"Brick {b.host}:{b.path}", b.port, b.rdma_port, b.online, b.pid))
        for d in status.daemons:
            out.append(status_row(f"{d.name} on {d.host}", d.port, None, d.online, d.pid))
        out.append(f" \nTask Status of Volume {status.volume}\n{rule}There are no active volume tasks\n \n")
    return "".join(out)


def _status_node(
    hostname: str, path: str, *, online: bool, port: int | None, rdma: int | None, pid: int | None
) -> str:
    shown = str(port) if online and port else "N/A"
    rdma_shown = str(rdma) if online and rdma else "N/A"
    return (
        f"        <node>\n          <hostname>{escape(hostname)}</hostname>\n"
        f"          <path>{escape(path)}</path>\n          <peerid>{fake_uuid(hostname)}</peerid>\n"
        f"          <status>{int(online)}</status>\n          <port>{shown}</port>\n"
        f"          <ports>\n            <tcp>{shown}</tcp>\n            <rdma>{rdma_shown}</rdma>\n"
        f"          </ports>\n          <pid>{-1 if pid is None else pid}</pid>\n        </node>\n"
    )


def render_volume_status_xml(statuses: list[VolumeStatus]) -> str:
    out = [XML_HEAD, XML_OK, "  <volStatus>\n    <volumes>\n"]
    for status in statuses:
        count = len(status.bricks) + len(status.daemons)
        out.append(
            f"      <volume>\n        <volName>{status.volume}</volName>\n"
            f"        <nodeCount>{count}</nodeCount>\n"
        )
        out.extend(
            _status_node(b.host, b.path, online=b.online, port=b.port, rdma=b.rdma_port, pid=b.pid)
            for b in status.bricks
        )
        out.extend(
            _status_node(d.name, d.host, online=d.online, port=d.port, rdma=None, pid=d.pid)
            for d in status.daemons
        )
        out.append("        <tasks/>\n      </volume>\n")
    out.append("    </volumes>\n  </volStatus>\n</cliOutput>\n")
    return "".join(out)


# --- heal info ---------------------------------------------------------------------------------

FAILED_PREFIX = "Failed to process entries completely."


def render_heal_info(info: HealInfo) -> str:
    if not info.applicable:
        return (
            "This command is supported for only volumes of replicate/disperse type. "
            f"Volume {info.volume} is not of type replicate/disperse\nVolume heal failed.\n"
        )
    out = []
    for brick in info.bricks:
        out.append(f"Brick {brick.host}:{brick.path}\n" + "".join(f"{p} \n" for p in brick.entry_paths))
        count = "-" if brick.entries is None else brick.entries
        out.append(f"Status: {brick.status}\nNumber of entries: {count}\n\n")
    return "".join(out)


def render_heal_info_xml(info: HealInfo) -> str:
    if not info.applicable:
        message = (
            "This command is supported for only volumes of replicate/disperse type. "
            f"Volume {info.volume} is not of type replicate/disperse"
        )
        return (
            f"{XML_HEAD}  <healInfo>\n    <bricks/>\n  </healInfo>\n  <opRet>-1</opRet>\n"
            f"  <opErrno>22</opErrno>\n  <opErrstr>{escape(message)}</opErrstr>\n</cliOutput>\n"
        )
    out = [XML_HEAD, "  <healInfo>\n    <bricks>\n"]
    for brick in info.bricks:
        host_uuid = fake_uuid(brick.host) if brick.connected else "-"
        out.append(
            f'      <brick hostUuid="{host_uuid}">\n'
            f"        <name>{escape(brick.host)}:{escape(brick.path)}</name>\n"
        )
        out.extend(f'        <file gfid="{fake_uuid(p)}">{escape(p)}</file>\n' for p in brick.entry_paths)
        count = "-" if brick.entries is None else brick.entries
        if brick.status.startswith(FAILED_PREFIX):  # glfsheal runs the count into <status>
            out.append(f"        <status>{escape(brick.status)}Number of entries: {count}</status>\n")
        else:
            out.append(f"        <status>{escape(brick.status)}</status>\n")
            out.append(f"        <numberOfEntries>{count}</numberOfEntries>\n")
        out.append("      </brick>\n")
    out.append("    </bricks>\n  </healInfo>\n" + XML_OK + "</cliOutput>\n")
    return "".join(out)


# --- the renderers reproduce the vectors -------------------------------------------------------

PLAIN_RENDERERS = {
    "peer-status": (parse_peer_status, render_peer_status),
    "pool-list": (parse_pool_list, render_pool_list),
    "volume-info": (parse_volume_info, render_volume_info),
}


def _plain_vectors() -> list[Path]:
    return sorted(
        path
        for path in VECTORS.glob("*/*.txt")
        if any(path.stem == c or path.stem.startswith(c + "-") for c in PLAIN_RENDERERS)
    )


@pytest.mark.parametrize("path", _plain_vectors(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_render_reproduces_vector(path: Path) -> None:
    command = next(c for c in PLAIN_RENDERERS if path.stem == c or path.stem.startswith(c + "-"))
    parse, render = PLAIN_RENDERERS[command]
    text = path.read_text()
    assert render(parse(text)) == text
