"""Typed values the parsers return. Plain and XML output of the same state give equal values,
except `Brick.host_uuid`, which only the XML carries."""

from __future__ import annotations

from dataclasses import dataclass, field

from glustercheck.versions import NEWEST_SUPPORTED, OLDEST_SUPPORTED
from glustercheck.volume_shape import VolumeShape

_UNSUPPORTED_SUFFIX = " [NOT SUPPORTED from v6.0]"


@dataclass(frozen=True)
class Peer:
    """One entry of `gluster peer status` (the node asked is not listed)."""

    uuid: str
    hostname: str
    other_names: tuple[str, ...]
    state: str  # e.g. "Peer in Cluster", "Peer Rejected"
    connected: bool

    @property
    def names(self) -> tuple[str, ...]:
        return (self.hostname, *self.other_names)


@dataclass(frozen=True)
class PoolEntry:
    """One row of `gluster pool list`; the node asked is listed last as `localhost`."""

    uuid: str
    hostname: str
    connected: bool


@dataclass(frozen=True)
class Brick:
    host: str
    path: str
    host_uuid: str | None  # XML only: the alias-proof key for "same server"
    is_arbiter: bool

    @property
    def name(self) -> str:
        return f"{self.host}:{self.path}"


@dataclass(frozen=True)
class Volume:
    name: str
    volume_id: str
    type_name: str  # exactly as printed, mislabels and suffixes included
    status: str  # Created, Started or Stopped
    shape: VolumeShape
    transport: str  # tcp, rdma or tcp,rdma
    bricks: tuple[Brick, ...]
    options: dict[str, str] = field(hash=False)  # "Options Reconfigured" only
    snapshot_count: int | None  # None before 3.8.4

    @property
    def true_type(self) -> str:
        """The type derived from the brick counts (corrects the 11.0 "Distributed-" mislabel).

        Stripe-era names carry the v6.0 suffix only when the printed name does, so a 3.x volume
        compares equal to its own label.
        """
        era = NEWEST_SUPPORTED if self.type_name.endswith(_UNSUPPORTED_SUFFIX) else OLDEST_SUPPORTED
        return self.shape.type_name(era)

    @property
    def count_string(self) -> str:
        return self.shape.count_string()


@dataclass(frozen=True)
class BrickStatus:
    host: str
    path: str
    port: int | None  # None for N/A (offline) and 0
    rdma_port: int | None  # None for N/A and 0 (no RDMA), so plain and XML agree
    online: bool
    pid: int | None  # None for N/A (-1 in XML)

    @property
    def name(self) -> str:
        return f"{self.host}:{self.path}"


@dataclass(frozen=True)
class DaemonStatus:
    name: str  # "Self-heal Daemon", "NFS Server", "Quota Daemon", ...
    host: str  # as gluster prints it: "localhost" for the node asked
    port: int | None
    online: bool
    pid: int | None


@dataclass(frozen=True)
class VolumeStatus:
    """`gluster volume status`: bricks of nodes whose glusterd is down are absent, not offline.

    Bricks are in brick order; daemons sorted by (name, host), since gluster lists them in the
    order the nodes happened to answer.
    """

    volume: str
    bricks: tuple[BrickStatus, ...]
    daemons: tuple[DaemonStatus, ...]


@dataclass(frozen=True)
class HealBrick:
    host: str  # "-" when glfsheal could not get the brick's name
    path: str
    connected: bool
    status: str  # "Connected", "Transport endpoint is not connected", ...
    entries: int | None  # None for "-"
    entry_paths: tuple[str, ...]  # status suffixes (" - Is in split-brain") removed


@dataclass(frozen=True)
class HealInfo:
    volume: str
    applicable: bool  # False for volumes that are neither replicate nor disperse
    bricks: tuple[HealBrick, ...]
    # True when from `heal VOLUME statistics heal-count`: the self-heal daemons' index counts, with
    # no entry names and no split-brain verdict (asked when a client would wait for a dead server).
    counted_only: bool = False

    @property
    def pending_entries(self) -> int | None:
        """Total entries to heal; None if a brick's count is unknown (0 when not applicable)."""
        total = 0
        for brick in self.bricks:
            if brick.entries is None:
                return None
            total += brick.entries
        return total
