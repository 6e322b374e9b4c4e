"""Capture real gluster outputs (plain and --xml) from a running simulated cluster as test vectors.

Usage (as root, with `simcluster up` done and glusterd started on every node with peers probed):
    python tests/vectors/capture_live.py tests/vectors/10.3-live
Creates throwaway volumes of each type on /mnt/usb/vec-*, captures, then stops and deletes them
(their brick directories are removed too, so the capture can be repeated).
"""

from __future__ import annotations

import sys
from pathlib import Path

from simcluster import SimCluster

VOLUMES = {
    "gv": "replica 2 rpi0:/mnt/usb/vec-gv rpi1:/mnt/usb/vec-gv rpi2:/mnt/usb/vec-gv "
          "rpi3:/mnt/usb/vec-gv",
    "arb": "replica 3 arbiter 1 rpi0:/mnt/usb/vec-arb rpi1:/mnt/usb/vec-arb rpi2:/mnt/usb/vec-arb",
    "disp": "disperse 3 redundancy 1 rpi1:/mnt/usb/vec-disp rpi2:/mnt/usb/vec-disp "
            "rpi3:/mnt/usb/vec-disp",
    "dist": "rpi0:/mnt/usb/vec-dist rpi3:/mnt/usb/vec-dist",
}


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    cluster = SimCluster.from_state()

    def gluster(*args: str, node: str = "rpi0", check: bool = True) -> str:
        result = cluster.exec(node, ["gluster", "--mode=script", *args], check=check)
        return result.stdout + result.stderr

    def save(name: str, *args: str) -> None:
        (out / f"{name}.txt").write_text(gluster(*args, check=False))
        (out / f"{name}.xml").write_text(gluster("--xml", *args, check=False))

    (out / "version.txt").write_text(gluster("--version"))
    save("peer-status", "peer", "status")
    (out / "pool-list.txt").write_text(gluster("pool", "list"))
    save("volume-info-none", "volume", "info")
    for name, layout in VOLUMES.items():
        gluster("volume", "create", name, *layout.split())
        gluster("volume", "start", name)
    save("volume-info", "volume", "info")
    save("volume-status", "volume", "status")
    save("heal-info-gv", "volume", "heal", "gv", "info")
    save("heal-info-dist", "volume", "heal", "dist", "info")
    (out / "heal-count-gv.txt").write_text(gluster("volume", "heal", "gv", "statistics", "heal-count"))
    cluster.kill_glusterd("rpi3", bricks=True)
    save("volume-status-rpi3-down", "volume", "status", "gv")
    save("heal-info-gv-rpi3-down", "volume", "heal", "gv", "info")
    (out / "heal-count-gv-rpi3-down.txt").write_text(
        gluster("volume", "heal", "gv", "statistics", "heal-count", check=False))
    save("peer-status-rpi3-down", "peer", "status")
    cluster.exec("rpi3", ["/usr/sbin/glusterd", "-p", "/run/glusterd.pid"])
    for name in VOLUMES:
        gluster("volume", "stop", name, "force")
        gluster("volume", "delete", name)
    for node in cluster.config.names:
        cluster.exec(node, ["sh", "-c", "rm -rf /mnt/usb/vec-*"])


if __name__ == "__main__":
    main()
