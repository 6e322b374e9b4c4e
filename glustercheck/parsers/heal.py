"""`gluster volume heal VOLUME info`, plain and XML (printed by glfsheal), and
`gluster volume heal VOLUME statistics heal-count` (plain only; answered by the self-heal daemons).

heal info, per brick: `Brick HOST:/PATH`, one line per entry, `Status: ...`, `Number of entries: N`.
A brick that cannot be reached shows its error as the status and `-` entries. Distribute volumes
get a message instead, which is not an error here: heal does not apply to them.

heal-count starts no client of its own (heal info does, and that client waits up to 10 s for a
server that does not answer), so it is the way to count pending heal while a brick's server is
dead. Per brick: `Brick HOST:/PATH`, an optional `Status: ...`, then `Number of entries: N` or
`No gathered input for this brick` (its daemon did not answer: the brick's server is down).
"""

from __future__ import annotations

import re

from glustercheck.parsers._common import (
    GlusterError,
    fail,
    heal_not_applicable,
    split_brick,
    to_int,
    unexpected,
)
from glustercheck.parsers._text import Lines
from glustercheck.parsers._xml import Node, load
from glustercheck.parsers.models import HealBrick, HealInfo

_BRICK = re.compile(r"Brick (\S+)")
_NO_BRICK_INFO = "Brick - Not able to get brick information"
_STATUS = re.compile(r"Status: (.+)")
_COUNT = re.compile(r"Number of entries: (-|[0-9]+)", re.ASCII)
_ENTRY = re.compile(r"(/.*|<gfid:.*|[0-9a-f]{8}-[0-9a-f-]{27})")  # path, <gfid:..> or bare gfid
_ENTRY_SUFFIX = re.compile(r"(?: - Is in split-brain| - Possibly undergoing heal)$")
# Reached a brick but not all of its index: the count follows (glfs-heal.c). Plain text puts it
# on the next line, XML runs it into <status> and has no <numberOfEntries>.
_FAILED_XML = re.compile(
    r"(Failed to process entries completely\. \(.*\))Number of entries: ([0-9]+)", re.ASCII
)


_COUNT_HEADER = re.compile(
    r"Gathering count of entries to be healed on volume (\S+) has been successful\s*"
)
_COUNT_FAILED = re.compile(r"Gathering count of entries to be healed on volume \S+ has been unsuccessful:")
_NO_INPUT = "No gathered input for this brick"


def heal_command(volume: str, xml: bool = False) -> str:
    return f"gluster {'--xml ' if xml else ''}volume heal {volume or 'VOLUME'} info"


def parse_heal_info(text: str, volume: str) -> HealInfo:
    """Plain `gluster volume heal VOLUME info`."""
    lines = Lines(text, heal_command(volume))
    lines.skip_blank()
    if not _BRICK.match(lines.peek() or ""):
        if heal_not_applicable(text)[0]:
            return HealInfo(volume, False, ())
        rest = "\n".join(lines.lines[lines.pos :])
        raise unexpected(lines.command, lines.where(), "'Brick HOST:/PATH'", rest)
    bricks = []
    while lines.peek() is not None:
        bricks.append(_plain_brick(lines))
        lines.skip_blank()
    return HealInfo(volume, True, tuple(bricks))


def _plain_brick(lines: Lines) -> HealBrick:
    if lines.peek() == _NO_BRICK_INFO:
        host, path = "-", "-"
        lines.take()
    else:
        name = lines.expect(_BRICK, "'Brick HOST:/PATH'")[1]
        host, path = split_brick(name, lines.command, f"line {lines.pos}")
    paths = []
    while not _STATUS.fullmatch(line := lines.peek() or ""):
        if line:  # 3.x printed a blank line after a split-brain entry
            if not _ENTRY.fullmatch(line):
                raise lines.error(f"an entry (/PATH or <gfid:...>) or 'Status: ...' of {host}")
            paths.append(_ENTRY_SUFFIX.sub("", line))
        elif lines.peek() is None:
            raise lines.error(f"'Status: ...' of brick {host}:{path}")
        lines.take()
    status = lines.expect(_STATUS, "'Status: ...'")[1]
    count = lines.expect(_COUNT, "'Number of entries: N' or '-'")[1]
    entries = None if count == "-" else to_int(count, lines.command, lines.where(), "a count")
    return HealBrick(host, path, status == "Connected", status, entries, tuple(paths))


def parse_heal_info_xml(text: str, volume: str = "") -> HealInfo:
    """`gluster --xml volume heal VOLUME info`. The XML does not name the volume: pass it."""
    root, error = load(text, heal_command(volume, xml=True))
    if error is not None:
        applicable, named = heal_not_applicable(error.message)
        if not applicable:
            raise error
        return HealInfo(volume or named or "", False, ())
    bricks = root.child("healInfo").child("bricks").children("brick")
    return HealInfo(volume, True, tuple(_xml_brick(node) for node in bricks))


def _xml_brick(node: Node) -> HealBrick:
    name = node.text("name")
    if name == "-:-":  # glfsheal could not get the brick's name
        host, path = "-", "-"
    else:
        host, path = split_brick(name, node.command, node.where("name"))
    paths = tuple(item.value for item in node.children("file"))
    status = node.text("status")
    failed = _FAILED_XML.fullmatch(status)
    if failed:
        status, count = failed[1], failed[2]
    else:
        count = node.text("numberOfEntries")
    if count == "-":
        entries = None
    else:
        entries = to_int(count, node.command, node.where("numberOfEntries"), "a count or -")
        if entries < 0:
            raise fail(node.command, node.where("numberOfEntries"), "a count or -", count)
    return HealBrick(host, path, status == "Connected", status, entries, paths)


def heal_count_command(volume: str) -> str:
    return f"gluster volume heal {volume or 'VOLUME'} statistics heal-count"


def parse_heal_count(text: str, volume: str = "") -> HealInfo:
    """`gluster volume heal VOLUME statistics heal-count`. Gluster refuses it for volumes that are
    not replicated (disperse included) and when the self-heal daemon is off: a GlusterError."""
    lines = Lines(text, heal_count_command(volume))
    lines.skip_blank()
    first = lines.peek() or ""
    if _COUNT_FAILED.match(first):
        lines.take()
        message = " ".join(line.strip() for line in lines.lines[lines.pos :] if line.strip())
        raise GlusterError(lines.command, "line 1", "the per-brick counts", message or first)
    named = lines.start(_COUNT_HEADER, "'Gathering count of entries ... has been successful'")[1]
    lines.skip_blank()
    bricks = []
    while lines.peek() is not None:
        name = lines.expect(_BRICK, "'Brick HOST:/PATH'")[1]
        host, path = split_brick(name, lines.command, lines.where())
        stated = _STATUS.fullmatch(lines.peek() or "")
        status = lines.expect(_STATUS, "'Status: ...'")[1] if stated else ""
        if lines.peek() == _NO_INPUT:
            lines.take()
            entries = None
            status = status or _NO_INPUT
        else:
            count = lines.expect(_COUNT, f"'Number of entries: N' or {_NO_INPUT!r} of {host}:{path}")[1]
            entries = to_int(count, lines.command, lines.where(), "a count")
        bricks.append(HealBrick(host, path, entries is not None, status or "Connected", entries, ()))
        lines.skip_blank()
    return HealInfo(named, True, tuple(bricks), counted_only=True)
