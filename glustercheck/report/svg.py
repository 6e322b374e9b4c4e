"""A volume's topology as inline SVG: one column per node, one band per replica/disperse set,
one rect per brick; offline bricks and sets with two bricks on one server are marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

COLUMN = 170
BRICK_W, BRICK_H = 150, 40
BAND_PAD = 10
HEADER = 34
LEFT = 84

COLOURS = {"online": ("#dff3e4", "#2e7d32"), "offline": ("#fde0dc", "#c62828"),
           "unknown": ("#eceff1", "#607d8b")}


def brick_state(volume: str, brick: Mapping[str, Any], status: Mapping[str, Any] | None) -> str:
    """online / offline / unknown (no `volume status` answer for this volume)."""
    if not status or volume not in status:
        return "unknown"
    for b in status[volume]["bricks"]:
        if (b["host"], b["path"]) == (brick["host"], brick["path"]):
            return "online" if b["online"] else "offline"
    return "offline"  # absent from status: its node's glusterd did not answer


def node_of(brick: Mapping[str, Any], columns: Sequence[str], by_address: Mapping[str, str],
            by_uuid: Mapping[str, str]) -> str:
    """Which column a brick sits in: by hostUuid first (aliases), then name, then address."""
    uuid = brick.get("host_uuid")
    if uuid and uuid in by_uuid:
        return by_uuid[uuid]
    host = str(brick["host"])
    if host in columns:
        return host
    return by_address.get(host, host)


def topology_svg(name: str, volume: Mapping[str, Any], status: Mapping[str, Any] | None,
                 nodes: Sequence[str], *, by_address: Mapping[str, str] | None = None,
                 by_uuid: Mapping[str, str] | None = None) -> str:
    """`volume` is a plain Volume (see model.cluster_facts_plain), with `groups` of brick names."""
    by_address, by_uuid = by_address or {}, by_uuid or {}
    bricks = {b["host"] + ":" + b["path"]: b for b in volume["bricks"]}
    columns = list(nodes)
    placed = {n: node_of(b, columns, by_address, by_uuid) for n, b in bricks.items()}
    columns += [c for c in dict.fromkeys(placed.values()) if c not in columns]
    groups = volume.get("groups") or [[n] for n in bricks]
    grouped = len(groups[0]) > 1 if groups else False
    parts, y = [], HEADER
    for column, node in enumerate(columns):
        x = LEFT + column * COLUMN
        parts.append(f'<text x="{x + BRICK_W / 2}" y="20" text-anchor="middle" class="node" '
                     f'font-weight="bold">{escape(node)}</text>')
    for index, group in enumerate(groups):
        per_node: dict[str, int] = {}
        for brick in group:
            per_node[placed[brick]] = per_node.get(placed[brick], 0) + 1
        same_server = grouped and any(c > 1 for c in per_node.values())
        rows = max(per_node.values(), default=1)
        height = rows * (BRICK_H + 6) - 6 + 2 * BAND_PAD
        width = len(columns) * COLUMN - (COLUMN - BRICK_W) + 2 * BAND_PAD
        label = f"set {index + 1}" if grouped else f"brick {index + 1}"
        cls = "group same-server" if same_server else "group"
        stroke = ' stroke="#c62828" stroke-width="3" stroke-dasharray="8 4"' if same_server else \
            ' stroke="#90a4ae" stroke-width="1"'
        parts.append(f'<rect class="{cls}" x="{LEFT - BAND_PAD}" y="{y}" width="{width}" '
                     f'height="{height}" rx="8" fill="#fafafa"{stroke}/>')
        parts.append(f'<text x="8" y="{y + height / 2 + 5}" class="set-label">{label}</text>')
        if same_server:
            parts.append(f'<text x="8" y="{y + height / 2 + 21}" class="same-server-label" '
                         f'fill="#c62828" font-weight="bold">same server!</text>')
        used: dict[str, int] = {}
        for brick_name in group:
            brick = bricks[brick_name]
            column = columns.index(placed[brick_name])
            row = used.get(placed[brick_name], 0)
            used[placed[brick_name]] = row + 1
            state = brick_state(name, brick, status)
            fill, edge = COLOURS[state]
            bx = LEFT + column * COLUMN
            by = y + BAND_PAD + row * (BRICK_H + 6)
            path = brick["path"]
            short = path if len(path) <= 20 else "…" + path[-19:]
            arbiter = " (arbiter)" if brick.get("is_arbiter") else ""
            parts.append(
                f'<rect class="brick {state}" data-brick="{escape(brick_name)}" x="{bx}" y="{by}" '
                f'width="{BRICK_W}" height="{BRICK_H}" rx="4" fill="{fill}" stroke="{edge}" '
                f'stroke-width="2"><title>{escape(brick_name)}: {state}{arbiter}</title></rect>')
            parts.append(f'<text x="{bx + 6}" y="{by + 16}" class="brick-path">{escape(short)}</text>')
            parts.append(f'<text x="{bx + 6}" y="{by + 32}" class="brick-state" fill="{edge}">'
                         f'{state}{arbiter}</text>')
        y += height + 8
    total_w = LEFT + len(columns) * COLUMN + BAND_PAD
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="topology" role="img" '
            f'aria-label="topology of volume {escape(name)}" width="{total_w}" height="{y + 4}" '
            f'viewBox="0 0 {total_w} {y + 4}" font-family="sans-serif" font-size="13">'
            + "".join(parts) + "</svg>")
