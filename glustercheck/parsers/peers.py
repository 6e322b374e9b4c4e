"""`gluster peer status` (plain and XML) and `gluster pool list`."""

from __future__ import annotations

import re

from glustercheck.parsers._common import fail
from glustercheck.parsers._text import Lines
from glustercheck.parsers._xml import load_ok
from glustercheck.parsers.models import Peer, PoolEntry

PEER_STATUS = "gluster peer status"
PEER_STATUS_XML = "gluster --xml peer status"
POOL_LIST = "gluster pool list"

_NO_PEERS = "peer status: No peers present"
_COUNT = re.compile(r"Number of Peers: ([0-9]{1,9})", re.ASCII)
_HOSTNAME = re.compile(r"Hostname: (\S+)")
_UUID = re.compile(r"Uuid: (\S+)")
_STATE = re.compile(r"State: (.+) \((Connected|Disconnected)\)")
_NAME = re.compile(r"\S+")
_HEADER = re.compile(r"UUID\s+Hostname\s+State")
_CONNECTION = {"Connected": True, "Disconnected": False}


def parse_peer_status(text: str) -> list[Peer]:
    """Plain `gluster peer status`: the peers of the node asked (itself excluded)."""
    lines = Lines(text, PEER_STATUS)
    if lines.lines and lines.lines[0].strip() == _NO_PEERS:
        return []
    count = int(lines.start(_COUNT, "'Number of Peers: N'").group(1))
    peers: list[Peer] = []
    while len(peers) < count:
        lines.skip_blank()
        hostname = lines.expect(_HOSTNAME, f"'Hostname: NAME' of peer {len(peers) + 1}")[1]
        uuid = lines.expect(_UUID, "'Uuid: UUID'")[1]
        state = lines.expect(_STATE, "'State: STATE (Connected|Disconnected)'")
        other: list[str] = []
        if lines.peek() == "Other names:":
            lines.take()
            while (line := lines.peek()) and _NAME.fullmatch(line):
                other.append(line)
                lines.take()
        peers.append(Peer(uuid, hostname, tuple(other), state[1], _CONNECTION[state[2]]))
    lines.skip_blank()
    if lines.peek() is not None:
        raise lines.error(f"end of output after {count} peers")
    return peers


def parse_peer_status_xml(text: str) -> list[Peer]:
    """`gluster --xml peer status`. `<hostnames>` lists every name, the primary included."""
    root = load_ok(text, PEER_STATUS_XML)
    peers = []
    for node in root.child("peerStatus").children("peer"):
        hostname = node.text("hostname")
        names = node.find("hostnames")
        listed = [name.value for name in names.children("hostname")] if names is not None else []
        other = tuple(name for name in listed if name != hostname)
        state = node.text("stateStr")
        peers.append(Peer(node.text("uuid"), hostname, other, state, node.flag("connected")))
    return peers


def parse_pool_list(text: str) -> list[PoolEntry]:
    """Plain `gluster pool list`: tab-separated, the node asked last as `localhost`."""
    lines = Lines(text, POOL_LIST)
    lines.start(_HEADER, "the header 'UUID  Hostname  State'")
    entries = []
    while (line := lines.take()) is not None:
        if not line:
            continue
        fields = line.split("\t")
        cells = [cell.strip() for cell in fields]
        if len(cells) != 3 or not all(cells) or cells[2] not in _CONNECTION:
            where = f"line {lines.pos}"
            raise fail(POOL_LIST, where, "'UUID<tab>HOSTNAME<tab>Connected|Disconnected'", line)
        entries.append(PoolEntry(cells[0], cells[1], _CONNECTION[cells[2]]))
    if not entries:
        raise lines.error("a row per node (the node asked at least)")
    return entries
