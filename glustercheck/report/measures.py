"""The quantities monitoring systems ask of a gluster cluster, read from a summary dict: per brick
space and inodes used, heal pending per brick, peers connected and reachability per node.

Nagios perfdata and the Prometheus textfile both render these, so both show the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from glustercheck.report.model import UNREACHABLE


@dataclass(frozen=True)
class BrickUsage:
    node: str
    volume: str
    brick: str  # host:/path as the volume lists it
    used_percent: float
    inodes_used_percent: float


@dataclass(frozen=True)
class NodeState:
    node: str
    reachable: bool
    glusterd_up: bool | None  # None: not known (unreachable)
    peers_connected: int | None  # None: not known


def _node_of(summary: Mapping[str, Any], host: str, host_uuid: str | None) -> str:
    for name, facts in (summary.get("nodes") or {}).items():
        if host_uuid and facts.get("uuid") == host_uuid:
            return str(name)
    for node in (summary.get("spec") or {}).get("nodes", []):
        if host in (node["name"], node.get("address")):
            return str(node["name"])
    return host


def brick_usage(summary: Mapping[str, Any]) -> Iterator[BrickUsage]:
    cluster = summary.get("cluster") or {}
    nodes = summary.get("nodes") or {}
    for vname, volume in sorted((cluster.get("volumes") or {}).items()):
        for brick in volume["bricks"]:
            node = _node_of(summary, brick["host"], brick.get("host_uuid"))
            disk = (nodes.get(node) or {}).get("disks", {}).get(brick["path"])
            if not disk:
                continue
            used = 100.0 * disk["used"] / disk["size"] if disk["size"] else 0.0
            inodes = 100.0 * disk["inodes_used"] / disk["inodes"] if disk["inodes"] else 0.0
            yield BrickUsage(node, vname, f"{brick['host']}:{brick['path']}", used, inodes)


def heal_pending(summary: Mapping[str, Any]) -> Iterator[tuple[str, str, int]]:
    """(volume, brick, entries) for every brick whose pending count is known."""
    cluster = summary.get("cluster") or {}
    for vname, heal in sorted((cluster.get("heal") or {}).items()):
        if not heal.get("applicable"):
            continue
        for brick in heal.get("bricks", []):
            if brick.get("entries") is not None:
                yield vname, f"{brick['host']}:{brick['path']}", int(brick["entries"])


def node_states(summary: Mapping[str, Any]) -> Iterator[NodeState]:
    nodes = summary.get("nodes") or {}
    errors = summary.get("node_errors") or {}
    for node in (summary.get("spec") or {}).get("nodes", []):
        name = node["name"]
        facts = nodes.get(name)
        unreachable = str(errors.get(name, "")).startswith(UNREACHABLE)  # sudo refused: it answers
        if facts is None:
            yield NodeState(name, not unreachable, None, None)
            continue
        peers = facts.get("peers")
        connected = None if peers is None else sum(
            1 for p in peers if p["connected"] and p["state"] == "Peer in Cluster")
        yield NodeState(name, True, bool(facts.get("glusterd_running")), connected)
