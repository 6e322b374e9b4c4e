"""Naming and addressing of a simulated cluster, derived from a prefix and a node count."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from simcluster.os_choice import parse_os_choice

DEFAULT_STATE_DIR = Path(os.environ.get("SIMCLUSTER_STATE_DIR", "/var/lib/simcluster"))
# Node images and the local package repository, built once and kept across clusters.
DEFAULT_CACHE_DIR = Path(os.environ.get("SIMCLUSTER_CACHE_DIR", "/var/cache/simcluster"))
MAX_NODES = 254
VARIANTS = ("full", "fresh")  # full: glusterfs-server installed; fresh: as a Pi after first boot
FILESYSTEMS = {"ext4": 16, "xfs": 300}  # the USB stick's filesystem -> its smallest size in MB
DEFAULT_DISK_MB = 128  # sparse: costs only what is written

# The whole /16 belongs to the simulated cluster: nodes are 10.0.1.N (as in the how-to, so 10.0.1.0
# is a valid host address), the host side of the bridge is 10.0.255.254. Nothing routes out of it.
SUBNET = ipaddress.IPv4Network("10.0.0.0/16")
BRIDGE_ADDRESS = ipaddress.IPv4Address("10.0.255.254")
REPO_PORT = 8642  # the local package repository, served on BRIDGE_ADDRESS only


MAX_LATENCY_MS = 10_000.0
MAX_CPU = 64.0


def check_model(latency_ms: float, jitter_ms: float, cpu: float | None) -> None:
    """Latency, jitter and CPU share a node model can have; a ValueError says which is wrong."""
    if not 0 <= latency_ms <= MAX_LATENCY_MS:
        raise ValueError(f"latency {latency_ms:g} ms must be between 0 and {MAX_LATENCY_MS:g} ms")
    if not 0 <= jitter_ms <= latency_ms:
        raise ValueError(f"jitter {jitter_ms:g} ms must be between 0 and the latency "
                         f"({latency_ms:g} ms): a delay never goes below zero")
    if cpu is not None and not 0.01 <= cpu <= MAX_CPU:
        raise ValueError(f"CPU share {cpu:g} must be between 0.01 and {MAX_CPU:g} CPUs per node")


@dataclass(frozen=True)
class SimConfig:
    prefix: str = "rpi"
    count: int = 4
    state_dir: Path = field(default=DEFAULT_STATE_DIR)
    disk_size_mb: int | None = None  # None: DEFAULT_DISK_MB, or the filesystem's minimum if larger
    login_user: str = "pi"
    os: str = "bookworm"  # the --os syntax: `trixie`, `rpi0=bookworm,rpi1=trixie`
    variant: str = "full"
    fs: str = "ext4"
    cache_dir: Path = field(default=DEFAULT_CACHE_DIR)
    # Modelling real Pis (simcluster/latency.py, cpu_cap.py): round-trip latency and its jitter
    # between this machine and each node, and each node's CPU share (None: uncapped).
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    cpu: float | None = None
    # Behind a bastion: every node but the first refuses SSH from the controller (BRIDGE_ADDRESS),
    # so only ProxyJump through the first node reaches them (as with Pis behind one gateway Pi).
    bastion: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,10}", self.prefix):
            raise ValueError(
                f"node prefix {self.prefix!r} must be 1-11 lowercase letters, digits or '-', "
                "starting with a letter"
            )
        if not 1 <= self.count <= MAX_NODES:
            raise ValueError(f"node count {self.count} must be between 1 and {MAX_NODES}")
        if self.variant not in VARIANTS:
            raise ValueError(f"image variant {self.variant!r} must be one of {', '.join(VARIANTS)}")
        if self.fs not in FILESYSTEMS:
            raise ValueError(f"USB stick filesystem {self.fs!r} must be one of {', '.join(FILESYSTEMS)}")
        if self.disk_size_mb is not None and self.disk_size_mb < FILESYSTEMS[self.fs]:
            raise ValueError(f"USB stick size {self.disk_size_mb} MB is too small for {self.fs} "
                             f"(min {FILESYSTEMS[self.fs]} MB)")
        check_model(self.latency_ms, self.jitter_ms, self.cpu)
        self.suites  # noqa: B018  (parse --os now: a bad value is an error before anything starts)

    @property
    def disk_mb(self) -> int:
        if self.disk_size_mb is not None:
            return self.disk_size_mb
        return max(DEFAULT_DISK_MB, FILESYSTEMS[self.fs])

    @property
    def suites(self) -> dict[str, str]:
        """Node name -> the Debian suite it boots (bookworm, trixie)."""
        return parse_os_choice(self.os, self.names)

    @property
    def names(self) -> list[str]:
        return [f"{self.prefix}{i}" for i in range(self.count)]

    @property
    def bridge(self) -> str:
        return "gvsimbr0"

    def address(self, index: int) -> str:
        return f"10.0.1.{index}"

    @property
    def bastion_node(self) -> str | None:
        """The node the others are reached through (None when every node is reached directly)."""
        return self.names[0] if self.bastion else None

    def behind_bastion(self, name: str) -> bool:
        return self.bastion and name != self.names[0]

    def netns(self, name: str) -> str:
        return f"gvsim-{name}"

    def host_veth(self, index: int) -> str:
        return f"gvsim{index}h"  # interface names are limited to 15 characters

    @property
    def nodes_dir(self) -> Path:
        return self.state_dir / "nodes"

    def node_dir(self, name: str) -> Path:
        return self.nodes_dir / name

    @property
    def ssh_dir(self) -> Path:
        return self.state_dir / "ssh"

    @property
    def ssh_config(self) -> Path:
        return self.ssh_dir / "ssh_config"

    @property
    def known_hosts(self) -> Path:
        return self.ssh_dir / "known_hosts"

    @property
    def client_key(self) -> Path:
        return self.ssh_dir / "id_ed25519"

    @property
    def spec_file(self) -> Path:
        return self.state_dir / "cluster.toml"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"
