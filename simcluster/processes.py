"""The host's view of a simulated cluster's processes: find node inits (also after a crash lost
the state file), kill and wait for them, read the marker files a booting node writes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

NODE_INIT = Path(__file__).with_name("node_init.py")


def is_node_init(pid: int, node_dir: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(NODE_INIT).encode() in cmdline and str(node_dir).encode() in cmdline


def pids_with_args(*words: bytes) -> list[int]:
    """Processes of this machine whose argument vector holds every one of `words` (whole
    arguments): how simcluster finds what it started, also after a crash lost its state file."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if all(word in argv for word in words):
                pids.append(int(proc.name))
    return pids


def all_node_inits(state_dir: Path) -> list[int]:
    found = []
    for pid in pids_with_args(str(NODE_INIT).encode()):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(state_dir).encode() in arg for arg in argv) and b"unshare" not in argv[0]:
            found.append(pid)
    return found


def has_text(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def kill_and_wait(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                break
        except OSError:
            break
        time.sleep(0.02)
