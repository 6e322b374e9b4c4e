"""The isolated bridge and one network namespace per node. No uplink, no default route, no IPv6:
no packet from a node can leave the machine."""

from __future__ import annotations

import ipaddress
import json
import time
from pathlib import Path

from simcluster.config import BRIDGE_ADDRESS, SUBNET, SimConfig
from simcluster.host import run


def addresses_in_use(config: SimConfig) -> list[str]:
    """Host interfaces other than our bridge that hold an address inside the cluster subnet."""
    found = []
    for link in json.loads(run(["ip", "-j", "addr", "show"]).stdout or "[]"):
        if link.get("ifname") == config.bridge:
            continue
        for info in link.get("addr_info", []):
            if info.get("family") != "inet":
                continue
            network = ipaddress.IPv4Network(f"{info['local']}/{info['prefixlen']}", strict=False)
            if network.overlaps(SUBNET):
                found.append(f"{link['ifname']} has {info['local']}/{info['prefixlen']}")
    return found


def routes_in_use(config: SimConfig) -> list[str]:
    found = []
    for route in json.loads(run(["ip", "-j", "route", "show"]).stdout or "[]"):
        dst = route.get("dst", "")
        if dst == "default" or route.get("dev") == config.bridge:
            continue
        try:
            if ipaddress.IPv4Network(dst, strict=False).overlaps(SUBNET):
                found.append(f"route {dst} via {route.get('dev')}")
        except ValueError:
            continue
    return found


def bridge_exists(config: SimConfig) -> bool:
    return Path(f"/sys/class/net/{config.bridge}").exists()


def netns_exists(name: str) -> bool:
    return Path(f"/run/netns/{name}").exists()


def create_bridge(config: SimConfig) -> None:
    run(["ip", "link", "add", config.bridge, "type", "bridge"])
    Path(f"/proc/sys/net/ipv6/conf/{config.bridge}/disable_ipv6").write_text("1")
    run(["ip", "addr", "add", f"{BRIDGE_ADDRESS}/{SUBNET.prefixlen}", "dev", config.bridge])
    run(["ip", "link", "set", config.bridge, "up"])


STALE_LINK_TIMEOUT = 10.0


def clear_stale_link(name: str) -> None:
    """Delete a host link left by an earlier cluster. Measured: after `down` of 64 nodes the host
    ends of veth pairs lingered ~2 min (their namespaces wait for TIME_WAIT sockets) and creating
    them again failed with `RTNETLINK answers: File exists`."""
    path = Path(f"/sys/class/net/{name}")
    deadline = time.monotonic() + STALE_LINK_TIMEOUT
    while path.exists():
        run(["ip", "link", "delete", name], check=False)
        if time.monotonic() > deadline:
            raise RuntimeError(f"the host link {name} of an earlier simulated cluster cannot be "
                               f"deleted (tried for {STALE_LINK_TIMEOUT:g} s); wait a few minutes "
                               f"or delete it with `ip link delete {name}`, then run `up` again")
        time.sleep(0.1)


def create_node_network(config: SimConfig, index: int) -> None:
    name = config.names[index]
    ns, veth = config.netns(name), config.host_veth(index)
    clear_stale_link(veth)
    run(["ip", "netns", "add", ns])
    run(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns])
    Path(f"/proc/sys/net/ipv6/conf/{veth}/disable_ipv6").write_text("1")
    run(["ip", "link", "set", veth, "master", config.bridge, "up"])
    in_ns = ["ip", "-n", ns]
    run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"])
    # As systemd's 50-default.conf does on Debian and Raspberry Pi OS: any user may ping. trixie's
    # ping relies on it (the image carries no cap_net_raw on /usr/bin/ping), and so does `pi`.
    run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647"])
    run([*in_ns, "addr", "add", f"{config.address(index)}/{SUBNET.prefixlen}", "dev", "eth0"])
    run([*in_ns, "link", "set", "eth0", "up"])
    run([*in_ns, "link", "set", "lo", "up"])


def set_link(config: SimConfig, index: int, up: bool) -> None:
    run(["ip", "link", "set", config.host_veth(index), "up" if up else "down"])


def set_node_link(config: SimConfig, name: str, up: bool) -> None:
    """The node's own interface (eth0 in its namespace): down while the node is powered off."""
    run(["ip", "-n", config.netns(name), "link", "set", "eth0", "up" if up else "down"])


def link_is_up(config: SimConfig, index: int) -> bool:
    path = Path(f"/sys/class/net/{config.host_veth(index)}/operstate")
    return path.exists() and path.read_text().strip() != "down"


def leftover_netns() -> list[str]:
    root = Path("/run/netns")
    return sorted(p.name for p in root.iterdir() if p.name.startswith("gvsim-")) if root.exists() else []


def leftover_links() -> list[str]:
    return sorted(p.name for p in Path("/sys/class/net").iterdir() if p.name.startswith("gvsim"))


def remove_all() -> None:
    """Delete every namespace and link of ours; safe when none exist."""
    for ns in leftover_netns():
        run(["ip", "netns", "delete", ns], check=False)
    for link in leftover_links():  # veth host ends vanish with their netns; the bridge does not
        run(["ip", "link", "delete", link], check=False)


# The kernel's neighbour (ARP) table is shared by every network namespace. Measured: a full mesh of
# 64 nodes overflowed the default gc_thresh3 of 1024 (`neighbor table overflow`, ssh timeouts).
NEIGHBOUR_SYSCTLS = Path("/proc/sys/net/ipv4/neigh/default")
GC_THRESHOLDS = ("gc_thresh1", "gc_thresh2", "gc_thresh3")


def neighbour_thresholds(count: int, current: dict[str, int]) -> dict[str, int]:
    """Thresholds that fit `count` nodes each knowing every other and the bridge, never lower than
    the current ones: gc_thresh1 (no garbage collection below) = the entries a full mesh needs."""
    entries = count * (count + 1)
    wanted = {"gc_thresh1": entries, "gc_thresh2": 2 * entries, "gc_thresh3": 4 * entries}
    return {key: max(current[key], wanted[key]) for key in GC_THRESHOLDS}


def size_neighbour_table(count: int, saved: Path) -> None:
    """Raise the thresholds for `count` nodes, keeping the old values in `saved` for `down`."""
    current = {key: int((NEIGHBOUR_SYSCTLS / key).read_text()) for key in GC_THRESHOLDS}
    wanted = neighbour_thresholds(count, current)
    if wanted == current:
        return
    if not saved.exists():  # a crashed run's file holds the machine's real values: keep those
        saved.write_text(json.dumps(current) + "\n")
    for key in ("gc_thresh3", "gc_thresh2", "gc_thresh1"):  # largest first: they must stay ordered
        (NEIGHBOUR_SYSCTLS / key).write_text(f"{wanted[key]}\n")


def restore_neighbour_table(saved: Path) -> None:
    if not saved.exists():
        return
    values = json.loads(saved.read_text())
    for key in GC_THRESHOLDS:  # smallest first
        (NEIGHBOUR_SYSCTLS / key).write_text(f"{values[key]}\n")
    saved.unlink()
