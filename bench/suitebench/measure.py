"""Run one command and measure it: wall time, exit status, peak RSS, all under a hard time limit.

Peak RSS two ways: the largest single process of the command's tree (the kernel's `ru_maxrss`
from wait4, exact: for a single pytest process that is the controller), and the sum over the
whole tree (sampled every 0.1 s from /proc: xdist's controller and workers together).
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_EVERY = 0.1


@dataclass
class Measured:
    argv: list[str]
    seconds: float
    rc: int
    stdout: str
    stderr: str
    peak_rss_kb: int  # the largest single process of the tree
    tree_rss_kb: int  # the largest sampled sum over the tree
    timed_out: bool = False

    def tail(self, chars: int = 3000) -> str:
        return f"rc={self.rc}\n--- stdout ---\n{self.stdout[-chars:]}\n--- stderr ---\n{self.stderr[-chars:]}"


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(p) for p in (task / "children").read_text().split()]
    return found


def tree_rss_kb(root: int) -> int:
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
        todo += _children(pid)
    return total


class TreeSampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.root, self.peak = root, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(SAMPLE_EVERY):
            self.peak = max(self.peak, tree_rss_kb(self.root))

    def stop(self) -> int:
        self._done.set()
        self.join(timeout=5)
        return self.peak


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_measured(argv: Sequence[str], *, timeout: float, cwd: Path | None = None,
                 env: Mapping[str, str] | None = None, stdin: str | None = None) -> Measured:
    """Run `argv` in a session of its own; past `timeout` the whole session is killed (every
    process of it is ours) and the result says so."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryFile() as inp:
        inp.write((stdin or "").encode())
        inp.seek(0)
        started = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env) if env is not None else None,
                                stdin=inp, stdout=out, stderr=err, start_new_session=True)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            _kill_group(proc.pid)

        killer = threading.Timer(timeout, kill)
        killer.daemon = True  # never what keeps the bench from exiting
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted (SIGTERM, Ctrl-C): the command's session goes too
            killer.cancel()
            sampler.stop()
            _kill_group(proc.pid)
            raise
        seconds = time.perf_counter() - started
        killer.cancel()
        timed_out = fired.is_set()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        tree = sampler.stop()
        _kill_group(proc.pid)  # stragglers of the session (none when the command cleans up)
        out.seek(0)
        err.seek(0)
        return Measured(list(argv), seconds, proc.returncode, out.read().decode(errors="replace"),
                        err.read().decode(errors="replace"), usage.ru_maxrss, tree, timed_out)


@dataclass
class Stats:
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def low(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def high(self) -> float:
        return max(self.values) if self.values else float("nan")


def machine_state() -> dict[str, object]:
    """What else the machine was doing: load averages and the busy share of its CPUs."""
    load = Path("/proc/loadavg").read_text().split()[:3]
    return {"loadavg": [float(x) for x in load], "cpus": os.cpu_count(),
            "cpu_jiffies": cpu_jiffies()}


def cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot: two readings give the busy share between."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0
