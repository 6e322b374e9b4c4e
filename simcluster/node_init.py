"""PID 1 of a simulated node. Runs inside the node's own namespaces; never imported by the host.

Started by the host as
    ip netns exec gvsim-NAME unshare --mount --uts --ipc --pid --fork --mount-proc \
        --propagation private python3 node_init.py NAME NODE_DIR
it gives the node its private filesystem view (an overlay over /etc, its own /var/lib/glusterd,
logs, /root, /home, /mnt with the brick disk at /mnt/usb, and tmpfs /run and /tmp), starts sshd,
starts glusterd if it was enabled (as systemd would at boot), then reaps orphans forever.
Killing this process with SIGKILL powers the node off: the kernel kills everything in its PID
namespace and its mounts vanish with its mount namespace.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

GLUSTERD_ENABLED_LINK = Path("/etc/systemd/system/multi-user.target.wants/glusterd.service")


def sh(*args: str) -> None:
    subprocess.run(args, check=True, timeout=30)


def bind(source: Path, target: str) -> None:
    sh("mount", "--bind", str(source), target)


def prepare_filesystem(node_dir: Path) -> None:
    sh(
        "mount", "-t", "overlay", "overlay", "-o",
        f"lowerdir=/etc,upperdir={node_dir / 'etc-upper'},workdir={node_dir / 'etc-work'}",
        "/etc",
    )
    bind(node_dir / "glusterd", "/var/lib/glusterd")
    bind(node_dir / "log", "/var/log/glusterfs")
    bind(node_dir / "root", "/root")
    bind(node_dir / "home", "/home")
    bind(node_dir / "mnt", "/mnt")
    bind(node_dir / "disk", "/mnt/usb")  # the node's "USB stick": a filesystem of its own
    sh("mount", "-t", "tmpfs", "-o", "mode=755,size=64m", "tmpfs", "/run")
    sh("mount", "-t", "tmpfs", "-o", "mode=1777,size=256m", "tmpfs", "/tmp")
    for directory in ("/run/sshd", "/run/lock", "/run/gluster"):
        os.makedirs(directory, mode=0o755, exist_ok=True)


def boot(name: str, node_dir: Path) -> None:
    sh("hostname", name)
    prepare_filesystem(node_dir)
    sh("ip", "link", "set", "lo", "up")
    sh("/usr/sbin/sshd", "-f", str(node_dir / "sshd_config"))
    if GLUSTERD_ENABLED_LINK.exists():
        sh("/usr/sbin/glusterd", "-p", "/run/glusterd.pid")


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
    name, node_dir = sys.argv[1], Path(sys.argv[2])
    booted = node_dir / "booted"
    booted.unlink(missing_ok=True)
    try:
        boot(name, node_dir)
    except Exception as exc:  # report to the host, then power off
        (node_dir / "boot-failed").write_text(f"{type(exc).__name__}: {exc}\n")
        raise
    booted.write_text(f"{time.time()}\n")
    reap_forever()


if __name__ == "__main__":
    main()
