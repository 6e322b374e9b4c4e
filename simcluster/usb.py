"""The node's USB stick: a sparse file with a real filesystem, attached to a loop device on the host
and shown in the node as /dev/sda1 (node_files.NODE_USB_DEVICE), mounted at /mnt/usb by its fstab.

A stick stays attached while its node is powered off (it is still plugged into the Pi). Unplugged,
the node boots without /dev/sda1: the fstab line (nofail) fails quietly and /mnt/usb is a plain
directory on the root filesystem, the how-to's classic failure. Measured: creating a 128 MB ext4
stick takes ~0.05 s (sparse file, mkfs writes ~4 MB), attaching it ~0.01 s.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from simcluster.host import run


def create(image: Path, size_mb: int, fs: str) -> None:
    with image.open("wb") as f:
        f.truncate(size_mb * 1024 * 1024)
    if fs == "xfs":
        run(["mkfs.xfs", "-q", "-f", "-L", "usb", str(image)], timeout=60)
    else:
        run(["mkfs.ext4", "-q", "-F", "-L", "usb", str(image)], timeout=60)


def attached(image: Path) -> str | None:
    """The loop device this stick is attached to, if any."""
    for device in _loop_devices():
        if device.get("back-file", "").removesuffix(" (deleted)") == str(image):
            return device["name"]
    return None


def attach(image: Path) -> str:
    return attached(image) or run(["losetup", "--find", "--show", str(image)]).stdout.strip()


def detach(image: Path, timeout: float = 10.0) -> None:
    """Detach the stick's loop device. A just-killed node's mount namespace may still hold its
    filesystem for a moment (the kernel tears it down asynchronously): retry until it lets go."""
    deadline = time.monotonic() + timeout
    while (device := attached(image)) is not None:
        result = run(["losetup", "--detach", device], check=False)
        if result.returncode == 0 and attached(image) is None:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"loop device {device} of {image} stays busy: {result.stderr.strip()}")
        time.sleep(0.1)


def leftover_devices(root: Path) -> list[tuple[str, str]]:
    """Loop devices attached to files under `root` (a crashed run's sticks): (device, file)."""
    prefix = str(root) + "/"
    return [(d["name"], d["back-file"]) for d in _loop_devices()
            if d.get("back-file", "").startswith(prefix)]


def _loop_devices() -> list[dict[str, str]]:
    out = run(["losetup", "--list", "--json", "--output", "NAME,BACK-FILE"], check=False).stdout
    return json.loads(out).get("loopdevices", []) if out.strip() else []
