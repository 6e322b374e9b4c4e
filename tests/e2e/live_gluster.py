"""Helpers for end-to-end tests that drive glusterd on the simulated cluster (not a test module)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from simcluster import SimCluster

BUSY = "Another transaction is in progress"
COMMAND_TIMEOUT = 60.0


def hosts_file(cluster: SimCluster) -> str:
    """The how-to's /etc/hosts: every node by name, no `127.0.1.1 <own name>` line."""
    names = cluster.config.names
    return "127.0.0.1\tlocalhost\n" + "".join(
        f"{cluster.config.address(i)}\t{name}\n" for i, name in enumerate(names)
    )


def peer_states(cluster: SimCluster, node: str) -> list[str]:
    out = cluster.exec(node, ["gluster", "peer", "status"], check=False, timeout=30).stdout
    return [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("State: ")]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.2)


def start_glusterd(cluster: SimCluster, node: str) -> None:
    script = "pgrep -x glusterd >/dev/null || /usr/sbin/glusterd -p /run/glusterd.pid"
    cluster.exec(node, ["sh", "-c", script])


@contextmanager
def gluster_cluster(cluster: SimCluster) -> Iterator[SimCluster]:
    """glusterd enabled and running on every node, peers probed from the first node by address,
    every node naming the others through /etc/hosts. The nodes' /etc/hosts is restored after."""
    names = cluster.config.names
    saved = {node: cluster.exec(node, ["cat", "/etc/hosts"]).stdout for node in names}
    try:
        for node in names:
            cluster.exec(node, ["sh", "-c", "cat > /etc/hosts"], input_text=hosts_file(cluster))
            cluster.exec(node, ["sh", "-c", "mkdir -p /etc/systemd/system/multi-user.target.wants && "
                                "ln -sf /lib/systemd/system/glusterd.service "
                                "/etc/systemd/system/multi-user.target.wants/glusterd.service"])
            start_glusterd(cluster, node)
        first, others = names[0], range(1, len(names))
        for index in others:
            gluster(cluster, "peer", "probe", cluster.config.address(index), node=first)
        for node in names:
            wait_for(lambda n=node: peer_states(cluster, n).count("Peer in Cluster (Connected)")
                     == len(names) - 1, 60, f"{node} sees every peer connected")
        yield cluster
    finally:
        for node, text in saved.items():
            cluster.exec(node, ["sh", "-c", "cat > /etc/hosts"], input_text=text, check=False)


def gluster(cluster: SimCluster, *args: str, node: str = "rpi0", check: bool = True,
            xml: bool = False) -> subprocess.CompletedProcess[str]:
    """`gluster --mode=script [--xml] ARGS` on `node`; retries glusterd's "busy" answer with back-off."""
    argv = ["gluster", "--mode=script", *(["--xml"] if xml else []), *args]
    delay = 0.2
    for _ in range(8):
        result = cluster.exec(node, argv, check=False, timeout=COMMAND_TIMEOUT)
        if BUSY not in result.stdout + result.stderr:
            break
        time.sleep(delay)
        delay *= 2
    if check and result.returncode != 0:
        raise AssertionError(f"on {node}: {' '.join(argv)} -> rc {result.returncode}\n"
                             f"{result.stdout}{result.stderr}")
    return result


def remove_paths(cluster: SimCluster, *patterns: str) -> None:
    """`rm -rf` shell patterns on every node (brick directories keep their volume-id xattr)."""
    for node in cluster.config.names:
        cluster.exec(node, ["sh", "-c", "rm -rf " + " ".join(patterns)])
