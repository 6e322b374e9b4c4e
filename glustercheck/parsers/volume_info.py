"""`gluster volume info`, plain and XML, every era from 3.7 to 11.x.

The shape always comes from the counts, never from the type string (11.0 calls a `1 x 2 = 2`
volume Distributed-Replicate) nor from XML `distCount` (its meaning changed between releases).
"""

from __future__ import annotations

import re
from dataclasses import replace

from glustercheck.parsers._common import fail, split_brick, to_int
from glustercheck.parsers._text import Lines
from glustercheck.parsers._xml import Node, load_ok
from glustercheck.parsers.models import Brick, Volume
from glustercheck.volume_shape import VolumeShape, shape_from_counts

VOLUME_INFO = "gluster volume info"
VOLUME_INFO_XML = "gluster --xml volume info"

STATUSES = ("Created", "Started", "Stopped")
TRANSPORTS = ("tcp", "rdma", "tcp,rdma")  # XML <transport> is the index
_BASE_TYPES = ("Distribute", "Replicate", "Disperse", "Stripe", "Striped-Replicate")

_NAME = re.compile(r"Volume Name: (\S+)")
_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9 -]*): (.*)")
_BRICK = re.compile(r"Brick([0-9]+): (\S+?)( \(arbiter\))?")
_OPTION = re.compile(r"([^\s:]+):(?: (.*))?")
# `N`, `S x R = N`, `S x (D + R) = N`, and 3.x stripes `S x T x R = N`, `S x T x (R + A) = N`
_DISTRIBUTE = re.compile(r"([0-9]{1,9})", re.ASCII)
_GROUPED = re.compile(
    r"(?P<groups>[0-9]{1,9}) x (?:(?P<stripe>[0-9]{1,9}) x )?"
    r"(?:(?P<size>[0-9]{1,9})|\((?P<first>[0-9]{1,9}) \+ (?P<second>[0-9]{1,9})\))"
    r" = (?P<total>[0-9]{1,9})",
    re.ASCII,
)
_REQUIRED = ("Type", "Volume ID", "Status", "Number of Bricks", "Transport-type")


def base_type(type_name: str) -> str:
    """`Distributed-Stripe [NOT SUPPORTED from v6.0]` -> `Stripe`."""
    name = type_name.removesuffix(" [NOT SUPPORTED from v6.0]")
    return name.removeprefix("Distributed-")


def shape_from_count_string(type_name: str, counts: str) -> VolumeShape | None:
    """Read the `Number of Bricks:` string in the light of the type; None if they do not fit."""
    base = base_type(type_name)
    if base == "Distribute":
        found = _DISTRIBUTE.fullmatch(counts)
        return VolumeShape(int(found[1])) if found and int(found[1]) > 0 else None
    found = _GROUPED.fullmatch(counts)
    if found is None or base not in _BASE_TYPES:
        return None
    if (found["stripe"] is not None) != base.startswith("Striped"):
        return None
    size, first, second = found["size"], found["first"], found["second"]
    if base == "Disperse":
        if size is not None:
            return None
        shape = VolumeShape(0, disperse=int(first) + int(second), redundancy=int(second))
    elif base == "Stripe":
        if size is None:
            return None
        shape = VolumeShape(0, stripe=int(size))
    else:  # Replicate, Striped-Replicate; a pair is (replica - arbiter + arbiter)
        replica = int(size) if size is not None else int(first) + int(second)
        arbiter = 0 if size is not None else int(second)
        shape = VolumeShape(0, replica=replica, arbiter=arbiter, stripe=int(found["stripe"] or 0))
    total = int(found["total"])
    if total < 1 or shape.group_size * int(found["groups"]) != total:
        return None
    return replace(shape, brick_count=total)


def parse_volume_info(text: str) -> list[Volume]:
    """Plain `gluster volume info [NAME]`; `No volumes present` gives []."""
    lines = Lines(text, VOLUME_INFO)
    lines.skip_blank()
    if lines.peek() == "No volumes present":
        lines.take()
        lines.skip_blank()
        if lines.peek() is not None:
            raise lines.error("end of output after 'No volumes present'")
        return []
    volumes = [_plain_volume(lines, lines.start(_NAME, "'Volume Name: NAME'")[1])]
    lines.skip_blank()
    while lines.peek() is not None:
        volumes.append(_plain_volume(lines, lines.expect(_NAME, "'Volume Name: NAME'")[1]))
        lines.skip_blank()
    return volumes


def _plain_volume(lines: Lines, name: str) -> Volume:
    fields: dict[str, tuple[str, str]] = {}  # key -> (value, "line N")
    while lines.peek() != "Bricks:":
        found = _FIELD.fullmatch(lines.peek() or "")
        if found is None or found[1] in fields:
            raise lines.error(f"'Bricks:' or a 'Key: value' line of volume {name}")
        fields[found[1]] = (found[2], lines.where())
        lines.take()
    for key in _REQUIRED:
        if key not in fields:
            raise lines.error(f"'{key}: ...' of volume {name} before 'Bricks:'")

    def field(key: str, allowed: tuple[str, ...] = (), what: str = "") -> str:
        value, where = fields[key]
        if allowed and value not in allowed:
            raise fail(lines.command, where, f"{what} in {allowed}", value)
        return value

    type_name, counts = field("Type"), field("Number of Bricks")
    if base_type(type_name) == "Tier":
        raise fail(lines.command, fields["Type"][1], "a type other than Tier (unsupported)", type_name)
    shape = shape_from_count_string(type_name, counts)
    if shape is None:
        expected = f"a 'Number of Bricks' that fits type {type_name!r}"
        raise fail(lines.command, fields["Number of Bricks"][1], expected, counts)
    lines.take()  # Bricks:
    bricks = []
    for number in range(1, shape.brick_count + 1):
        found = _BRICK.fullmatch(lines.peek() or "")
        if found is None or int(found[1]) != number:
            raise lines.error(f"'Brick{number}: HOST:/PATH' of volume {name}")
        host, path = split_brick(found[2], lines.command, lines.where())
        bricks.append(Brick(host, path, None, found[3] is not None))
        lines.take()
    if (lines.peek() or "").startswith("Thin-arbiter-path: "):
        lines.take()  # 10.x+ replica 2 thin-arbiter 1; not part of the shape
    options: dict[str, str] = {}
    if lines.peek() == "Options Reconfigured:":
        lines.take()
        while (line := lines.peek()) and not _NAME.fullmatch(line):
            found = _OPTION.fullmatch(line)
            if found is None:
                raise lines.error(f"an option 'KEY: VALUE' of volume {name}")
            options[found[1]] = found[2] or ""
            lines.take()
    snapshots = None
    if "Snapshot Count" in fields:  # absent before 3.8.4
        value, where = fields["Snapshot Count"]
        snapshots = to_int(value, lines.command, where, "a snapshot count")
    return Volume(
        name=name,
        volume_id=field("Volume ID"),
        type_name=type_name,
        status=field("Status", STATUSES, "a status"),
        shape=shape,
        transport=field("Transport-type", TRANSPORTS, "a transport"),
        bricks=tuple(bricks),
        options=options,
        snapshot_count=snapshots,
    )


def parse_volume_info_xml(text: str) -> list[Volume]:
    """`gluster --xml volume info [NAME]`."""
    volumes_node = load_ok(text, VOLUME_INFO_XML).child("volInfo").child("volumes")
    volumes = [_xml_volume(node) for node in volumes_node.children("volume")]
    count = volumes_node.opt_int("count")
    if count is not None and count != len(volumes):
        raise volumes_node.error(f"{count} <volume> elements as <count> says", str(len(volumes)))
    return volumes


def _xml_volume(node: Node) -> Volume:
    brick_count = node.count("brickCount")
    shape = shape_from_counts(
        brick_count,
        replica=node.count("replicaCount"),
        arbiter=node.count("arbiterCount", optional=True),
        disperse=node.count("disperseCount"),
        redundancy=node.count("redundancyCount"),
        stripe=node.count("stripeCount", optional=True),  # 3.x only
    )
    if brick_count < 1 or brick_count % shape.group_size:
        raise node.error("a brick count that is a multiple of the group size", str(brick_count))
    bricks = [_xml_brick(brick) for brick in node.child("bricks").children("brick")]
    if len(bricks) != brick_count:
        raise node.error(f"{brick_count} <brick> elements as <brickCount> says", str(len(bricks)))
    type_name = node.text("typeStr")
    if base_type(type_name) == "Tier":
        raise node.error("a volume type other than Tier (not supported)", type_name, "typeStr")
    status = node.text("statusStr")
    if status not in STATUSES:
        raise node.error(f"a status in {STATUSES}", status, "statusStr")
    transport = node.int("transport")
    if not 0 <= transport < len(TRANSPORTS):
        raise node.error("0 (tcp), 1 (rdma) or 2 (tcp,rdma)", str(transport), "transport")
    options_node = node.find("options")
    options = {
        option.text("name"): option.text("value")
        for option in (options_node.children("option") if options_node is not None else [])
    }
    return Volume(
        name=node.text("name"),
        volume_id=node.text("id"),
        type_name=type_name,
        status=status,
        shape=shape,
        transport=TRANSPORTS[transport],
        bricks=tuple(bricks),
        options=options,
        snapshot_count=node.opt_int("snapshotCount"),  # absent before 3.8.4
    )


def _xml_brick(node: Node) -> Brick:
    name = node.opt_text("name") or node.value  # <brick uuid="..">host:/path<name>host:/path</name>
    host, path = split_brick(name, node.command, node.where("name"))
    arbiter = node.find("isArbiter") is not None and node.flag("isArbiter")
    return Brick(host, path, node.opt_text("hostUuid") or node.elem.get("uuid"), arbiter)
