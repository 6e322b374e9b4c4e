"""`gluster volume status [NAME]`, plain and XML.

The plain table prints each process name in a 43-character field; a longer name is cut into
43-character lines and its columns follow the last piece. Daemons print as `NAME on HOST`.
"""

from __future__ import annotations

import re

from glustercheck.parsers._common import fail, split_brick, to_pid, to_port
from glustercheck.parsers._text import Lines
from glustercheck.parsers._xml import Node, load_ok
from glustercheck.parsers.models import BrickStatus, DaemonStatus, VolumeStatus

VOLUME_STATUS = "gluster volume status"
VOLUME_STATUS_XML = "gluster --xml volume status"

# The names glusterd gives its per-node daemons (cli-rpc-ops.c); anything else is a brick.
DAEMONS = (
    "Self-heal Daemon",
    "NFS Server",
    "Quota Daemon",
    "Snapshot Daemon",
    "Scrubber Daemon",
    "Bitrot Daemon",
)

NAME_WIDTH = 43  # CLI_VOL_STATUS_BRICK_LEN: longer names are cut into pieces this long
_TITLE = re.compile(r"Status of volume: (\S+)")
_HEADER = re.compile(r"Gluster process\s+TCP Port\s+RDMA Port\s+Online\s+Pid")
_RULE = re.compile(r"-+")
_ROW = re.compile(
    r"(?P<name>.*?)\s+(?P<port>[0-9]+|N/A)\s+(?P<rdma>[0-9]+|N/A)\s+(?P<online>[YN])"
    r"\s+(?P<pid>-?[0-9]+|N/A)",
    re.ASCII,
)
_DAEMON = re.compile(r"(?P<daemon>.+?) on (?P<host>\S+)")
_NOT_STARTED = re.compile(r"Volume \S+ is not started")
_TIER_HEADINGS = ("Hot Bricks:", "Cold Bricks:")  # 3.x tier volumes


def parse_volume_status(text: str) -> list[VolumeStatus]:
    """Plain `gluster volume status [NAME]`, one entry per started volume.

    With `volume status` (all volumes) a stopped volume prints `Volume X is not started` in
    place of its table; it is left out. On its own that message is gluster's error.
    """
    lines = Lines(text, VOLUME_STATUS)
    expected = "'Status of volume: NAME'"
    lines.skip_blank()
    while _NOT_STARTED.fullmatch(lines.peek() or "") and any(map(_TITLE.fullmatch, lines.lines)):
        lines.take()
        lines.skip_blank()
    statuses = [_plain_volume(lines, lines.start(_TITLE, expected)[1])]
    while (line := lines.take()) is not None:
        # Between tables: the task section, blank lines, other volumes' "not started".
        found = _TITLE.fullmatch(line)
        if found:
            statuses.append(_plain_volume(lines, found[1]))
    return statuses


def _plain_volume(lines: Lines, volume: str) -> VolumeStatus:
    lines.expect(_HEADER, "the header 'Gluster process  TCP Port  RDMA Port  Online  Pid'")
    lines.expect(_RULE, "a line of dashes")
    bricks: list[BrickStatus] = []
    daemons: list[DaemonStatus] = []
    pieces: list[str] = []  # a wrapped name so far
    while (line := lines.peek()) or pieces:
        if line is None:
            raise lines.error("the columns 'PORT RDMA-PORT Y|N PID' of a wrapped name")
        if line in _TIER_HEADINGS and not pieces:
            lines.take()
            continue
        row = _ROW.fullmatch(line)
        if row is None:
            if len(line) != NAME_WIDTH:
                raise lines.error(
                    f"a row 'NAME PORT RDMA-PORT Y|N PID' or a {NAME_WIDTH}-character piece of a long name"
                )
            pieces.append(line)
            lines.take()
            continue
        where = lines.where()
        name = "".join(pieces) + row["name"]
        pieces = []
        port = to_port(row["port"], lines.command, where)
        pid = to_pid(row["pid"], lines.command, where)
        online = row["online"] == "Y"
        if name.startswith("Brick "):
            host, path = split_brick(name[len("Brick ") :], lines.command, where)
            rdma = to_port(row["rdma"], lines.command, where)
            bricks.append(BrickStatus(host, path, port, rdma, online, pid))
        else:
            daemon = _DAEMON.fullmatch(name)
            if daemon is None or daemon["daemon"] not in DAEMONS:
                raise fail(lines.command, where, "'Brick HOST:/PATH' or 'DAEMON on HOST'", name)
            daemons.append(DaemonStatus(daemon["daemon"], daemon["host"], port, online, pid))
        lines.take()
    return _status(volume, bricks, daemons)


def _status(volume: str, bricks: list[BrickStatus], daemons: list[DaemonStatus]) -> VolumeStatus:
    # Daemon rows come in the order the nodes answered, which differs from call to call.
    return VolumeStatus(volume, tuple(bricks), tuple(sorted(daemons, key=lambda d: (d.name, d.host))))


def parse_volume_status_xml(text: str) -> list[VolumeStatus]:
    """`gluster --xml volume status [NAME]`."""
    volumes = load_ok(text, VOLUME_STATUS_XML).child("volStatus").child("volumes")
    return [_xml_volume(node) for node in volumes.children("volume")]


def _xml_volume(node: Node) -> VolumeStatus:
    bricks: list[BrickStatus] = []
    daemons: list[DaemonStatus] = []
    for item in node.children("node"):
        hostname, path = item.text("hostname"), item.text("path")
        port = to_port(item.text("port"), item.command, item.where("port"))
        pid = to_pid(item.text("pid"), item.command, item.where("pid"))
        online = item.flag("status")
        if hostname in DAEMONS:  # then <path> is the node the daemon runs on
            daemons.append(DaemonStatus(hostname, path, port, online, pid))
            continue
        host, path = split_brick(f"{hostname}:{path}", item.command, item.where("path"))
        ports = item.find("ports")  # <ports><tcp/><rdma/></ports>, absent before 3.7
        rdma_text = ports.opt_text("rdma") if ports is not None else None
        rdma = to_port(rdma_text or "N/A", item.command, item.where("ports/rdma"))
        bricks.append(BrickStatus(host, path, port, rdma, online, pid))
    return _status(node.text("volName"), bricks, daemons)
