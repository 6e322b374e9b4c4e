"""PID 1 of a simulated node. Runs inside the node's own namespaces; never imported by the host.

Started by the host as
    ip netns exec gvsim-NAME unshare --mount --uts --ipc --pid --fork --mount-proc \\
        --propagation private python3 node_init.py NODE_DIR
with NODE_DIR/boot.json saying the node's name, its image and its USB stick's loop device. It boots
like a Pi: mounts the node's overlay (image below, NODE_DIR/upper above) with /proc, /sys, a minimal
/dev, tmpfs /run and /tmp, pivot_roots into it, mounts /etc/fstab (the USB stick at /mnt/usb),
starts sshd, starts glusterd if it was enabled (as systemd would at boot), then reaps orphans.
Killing this process with SIGKILL powers the node off: the kernel kills everything in its PID
namespace and its mounts vanish with its mount namespace.

Everything here is imported before pivot_root: the host's Python keeps running from memory, and
every command after it is the node's own (its mount, sshd, glusterd).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

GLUSTERD_ENABLED_LINK = Path("/etc/systemd/system/multi-user.target.wants/glusterd.service")
# The device nodes a node needs (FUSE for gluster mounts, loop-control for losetup); the USB stick
# is added as /dev/sda1 from its loop device's numbers.
DEVICES = ("null", "zero", "full", "random", "urandom", "tty", "fuse", "loop-control")
USB_NODE_DEVICE = "sda1"
MNT_DETACH = 2


def sh(*args: str) -> None:
    subprocess.run(args, check=True, timeout=30)


def set_hostname(name: str, host_uts: str) -> None:
    """Only in a UTS namespace of its own: setting it in the host's would rename the machine."""
    if os.readlink("/proc/self/ns/uts") == host_uts:
        raise RuntimeError("refusing to set the hostname: this process shares the host's UTS "
                           "namespace (start it under `unshare --uts`)")
    socket.sethostname(name)


def make_dev(root: Path, usb_device: str | None) -> None:
    dev = root / "dev"
    sh("mount", "-t", "tmpfs", "-o", "mode=755,size=1m,nosuid", "tmpfs", str(dev))
    for name in DEVICES:
        if Path("/dev", name).exists():
            (dev / name).touch()
            sh("mount", "--bind", f"/dev/{name}", str(dev / name))
    if usb_device:
        plug_usb(dev, usb_device)
    (dev / "pts").mkdir()
    sh("mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=620", "devpts", str(dev / "pts"))
    (dev / "shm").mkdir(mode=0o1777)
    sh("mount", "-t", "tmpfs", "-o", "mode=1777,size=64m", "tmpfs", str(dev / "shm"))
    for link, target in (("ptmx", "pts/ptmx"), ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        (dev / link).symlink_to(target)


def plug_usb(dev: Path, loop_device: str) -> None:
    """The stick appears as /dev/sda1: a block device node with the loop device's numbers."""
    rdev = os.stat(loop_device).st_rdev
    os.mknod(dev / USB_NODE_DEVICE, stat.S_IFBLK | 0o660, rdev)


def mount_root(node_dir: Path, lower: str) -> Path:
    root = node_dir / "rootfs"
    sh("mount", "-t", "overlay", "overlay", "-o",
       f"lowerdir={lower},upperdir={node_dir / 'upper'},workdir={node_dir / 'work'}", str(root))
    return root


def pivot_into(root: Path) -> None:
    for fstype, target, options in (("proc", "proc", "nosuid,nodev,noexec"),
                                    ("sysfs", "sys", "ro,nosuid,nodev,noexec"),
                                    ("tmpfs", "run", "mode=755,size=64m,nosuid,nodev"),
                                    ("tmpfs", "tmp", "mode=1777,size=256m,nosuid,nodev")):
        sh("mount", "-t", fstype, "-o", options, fstype, str(root / target))
    os.chdir(root)
    sh("pivot_root", ".", ".")  # the old root ends up stacked on the new one: detach it
    if ctypes.CDLL(None, use_errno=True).umount2(b".", MNT_DETACH) != 0:
        raise OSError(ctypes.get_errno(), "umount2 of the old root failed")
    os.chdir("/")


def mount_fstab() -> None:
    """As systemd at boot: mount what /etc/fstab lists; a `nofail` entry that fails (the stick
    unplugged) leaves its mount point a plain directory on the root filesystem."""
    result = subprocess.run(["mount", "--all"], capture_output=True, text=True, timeout=60,
                            check=False)
    if result.returncode != 0 or result.stderr:
        print(f"mount --all (rc {result.returncode}): {result.stderr.strip()}", flush=True)


def boot(node_dir: Path, settings: dict[str, Any]) -> None:
    set_hostname(str(settings["name"]), str(settings["host_uts"]))
    root = mount_root(node_dir, str(settings["rootfs"]))
    make_dev(root, settings.get("usb_device"))
    pivot_into(root)
    mount_fstab()
    for directory in ("/run/sshd", "/run/lock", "/run/gluster"):
        os.makedirs(directory, mode=0o755, exist_ok=True)
    os.chmod("/run/lock", 0o1777)  # as Debian mounts it: any user may keep a lock file there
    sh("ip", "link", "set", "lo", "up")
    # -E: its log in a file (as Debian before journald; a node has no syslog), VERBOSE: one line
    # per connection, login and session, which benchmarks count (sshd_log.py).
    sh("/usr/sbin/sshd", *settings["sshd_args"])
    if GLUSTERD_ENABLED_LINK.exists():
        start_glusterd()


def start_glusterd() -> None:
    """As systemd does for an enabled unit: a glusterd that will not start (e.g. its store left
    half-written by a power loss) is a failed service on a node that still boots, with sshd up."""
    result = subprocess.run(["/usr/sbin/glusterd", "-p", "/run/glusterd.pid"], timeout=30,
                            check=False)
    if result.returncode != 0:
        print(f"glusterd.service: failed to start (rc {result.returncode}); see "
              "/var/log/glusterfs/glusterd.log", flush=True)


def reap_forever() -> None:
    def power_off(_signum: int, _frame: object) -> None:
        os.kill(-1, signal.SIGKILL)  # from PID 1 of a PID namespace: every other process in it
        os._exit(0)

    signal.signal(signal.SIGTERM, power_off)
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            time.sleep(0.5)


def main() -> None:
    node_dir = Path(sys.argv[1])
    settings = json.loads((node_dir / "boot.json").read_text())
    # Report to the host through files it reads (a line in one of them: booted, or why not). Both
    # are opened before pivot_root, which hides the host's filesystem from this process.
    booted = os.open(node_dir / "booted", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    failed = os.open(node_dir / "boot-failed", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        boot(node_dir, settings)
    except Exception as exc:  # report to the host, then power off
        os.write(failed, f"{type(exc).__name__}: {exc}\n".encode())
        raise
    os.write(booted, f"{time.time()}\n".encode())
    os.close(booted)
    reap_forever()


if __name__ == "__main__":
    main()
