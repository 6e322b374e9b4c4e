"""Capture gluster outputs after the how-to's setup (probe by IP, then by name, then probe-back) on
an 11.1 or a mixed 10.3/11.1 simulated cluster, from one or more nodes, as test vectors.

Usage (as root, holding the machine lock, on a cluster just brought up with --os):
    simcluster up --os trixie
    python tests/vectors/capture_versions.py tests/vectors/11.1-live rpi0
    simcluster up --os rpi0=bookworm,rpi1=trixie,rpi2=bookworm,rpi3=trixie
    python tests/vectors/capture_versions.py tests/vectors/mixed-10.3-11.1 rpi0 rpi1
With more than one node, every file name ends in the node it was captured from (`-rpi1`).
`*.out` files are raw outputs no parser reads (yet): `volume get all cluster.op-version`,
and `cluster.max-op-version`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from simcluster import SimCluster

ENABLE = ("mkdir -p /etc/systemd/system/multi-user.target.wants && ln -sf "
          "/lib/systemd/system/glusterd.service "
          "/etc/systemd/system/multi-user.target.wants/glusterd.service && "
          "(pgrep -x glusterd >/dev/null || /usr/sbin/glusterd -p /run/glusterd.pid)")


def main() -> None:
    out, nodes = Path(sys.argv[1]), sys.argv[2:] or ["rpi0"]
    out.mkdir(parents=True, exist_ok=True)
    cluster = SimCluster.from_state()
    names = cluster.config.names
    hosts = "127.0.0.1\tlocalhost\n" + "".join(
        f"{cluster.config.address(i)}\t{n}\n" for i, n in enumerate(names))

    def sh(node: str, script: str, stdin: str | None = None) -> str:
        result = cluster.exec(node, ["sh", "-c", script], input_text=stdin, check=False)
        return result.stdout + result.stderr

    def gluster(node: str, *args: str) -> str:
        for _ in range(20):  # glusterd answers "Another transaction is in progress" while busy
            text = sh(node, "timeout 60 gluster --mode=script " + " ".join(args))
            if "Another transaction is in progress" not in text:
                return text
            time.sleep(0.5)
        return text

    for node in names:
        sh(node, "cat > /etc/hosts", stdin=hosts)
        sh(node, ENABLE)
    for node in names:
        wait(lambda n=node: "Connected" in gluster(n, "pool", "list"), f"glusterd on {node}")
    for index in range(1, len(names)):  # as the how-to: by IP, then by name
        gluster(names[0], "peer", "probe", cluster.config.address(index))
    for name in names[1:]:
        gluster(names[0], "peer", "probe", name)
    gluster(names[1], "peer", "probe", names[0])  # the probe-back: rpi0 known by name everywhere
    for node in names:
        wait(lambda n=node: gluster(n, "peer", "status").count("(Connected)") == len(names) - 1,
             f"{node} sees every peer connected")
    bricks = [f"{n}:/mnt/usb/gv" for n in names]
    print(gluster(names[0], "volume", "create", "gv", "replica", "2", *bricks))
    print(gluster(names[0], "volume", "start", "gv"))
    sh(names[0], "mkdir -p /mnt/gv && mount -t glusterfs localhost:/gv /mnt/gv && "
                 "echo hello > /mnt/gv/hello && cat /mnt/gv/hello")
    wait(lambda: gluster(names[0], "volume", "status", "gv").count(" Y ") >= 2 * len(names),
         "every brick and self-heal daemon online")
    for node in nodes:
        suffix = f"-{node}" if len(nodes) > 1 else ""

        def save(name: str, *args: str, xml: bool = True, node: str = node, suffix: str = suffix) -> None:
            (out / f"{name}{suffix}.txt").write_text(gluster(node, *args))
            if xml:
                (out / f"{name}{suffix}.xml").write_text(gluster(node, "--xml", *args))

        save("peer-status", "peer", "status")
        save("pool-list", "pool", "list", xml=False)
        save("volume-info", "volume", "info")
        save("volume-status", "volume", "status")
        save("heal-info-gv", "volume", "heal", "gv", "info")
        (out / f"version{suffix}.txt").write_text(gluster(node, "--version"))
        for option in ("cluster.op-version", "cluster.max-op-version"):
            (out / f"volume-get-{option.split('.')[1]}{suffix}.out").write_text(
                gluster(node, "volume", "get", "all", option))
    sh(names[0], "umount /mnt/gv")


def wait(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"not within {timeout:g} s: {what}")
        time.sleep(0.5)


if __name__ == "__main__":
    main()
