"""Gluster CLI calls: `--mode=script`, one writer at a time, retry while glusterd is busy."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from glustercheck.errors import RemoteError

from .quoting import quote, to_shell
from .result import CommandResult, tail

# glusterd serialises cluster operations; a concurrent one fails with one of these
# ("Locking failed on rpi1. Another transaction is in progress..." included).
BUSY_PATTERN = r"another transaction (is |could be )?in progress"
_BUSY = re.compile(BUSY_PATTERN, re.IGNORECASE)
# Concurrent reads (`volume status gv` from several xdist workers) also get a bare "Locking failed
# on rpi2. Please check log file for details.": harmless to ask again for a read. A `grep -iE`
# pattern, for the fact scripts that retry on the node itself.
READ_BUSY_PATTERN = BUSY_PATTERN + "|locking failed on"


class Runner(Protocol):
    """What run_gluster needs from a connection (a Connection, or a fake in tests)."""

    def run(
        self,
        command: str | Sequence[str],
        *,
        timeout: float | None = None,
        sudo: bool | None = None,
        stdin: str | None = None,
    ) -> CommandResult: ...


class ClusterLock:
    """A lock file on the controller: one gluster writer at a time across all local processes
    (pytest-xdist workers included). Re-entrant within a thread."""

    def __init__(self, path: Path, timeout: float = 900.0) -> None:
        # Imported here (~12 ms): this module's script helpers are read by every run, the lock
        # only by one that changes the cluster.
        import filelock

        self.path = Path(path)
        self.timeout = timeout
        self._lock = filelock.FileLock(str(self.path), timeout=timeout)
        self._timed_out = filelock.Timeout

    @property
    def is_locked(self) -> bool:
        return self._lock.is_locked

    def __enter__(self) -> ClusterLock:
        try:
            self._lock.acquire()
        except self._timed_out as exc:
            raise RemoteError(
                f"cluster lock {self.path} still held by another process after "
                f"{self.timeout:g} s; is a stuck test run still going?"
            ) from exc
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class GlusterError(RemoteError):
    """A gluster command failed; `.result` holds the last attempt (with `.attempts`)."""

    def __init__(self, result: CommandResult) -> None:
        self.result = result
        message = tail(result.stderr) or tail(result.stdout) or "(no output)"
        tries = f" after {result.attempts} attempts" if result.attempts > 1 else ""
        super().__init__(
            f"{result.host}: `{result.command}` failed (exit status {result.rc}){tries}: {message}"
        )


def is_busy(result: CommandResult) -> bool:
    """glusterd refused because another cluster operation holds its lock: worth retrying."""
    return result.rc != 0 and bool(_BUSY.search(result.stderr) or _BUSY.search(result.stdout))


# A retry is not started with less time than this left of the command's bound.
MIN_ATTEMPT = 1.0


def backoff_delays(retries: int, backoff: tuple[float, float]) -> list[float]:
    """Exponential waits between attempts: first, 2*first, ... capped at the second value."""
    first, cap = backoff
    return [min(cap, first * 2**i) for i in range(retries)]


def retrying_gluster_sh(retries: int = 5, backoff: tuple[float, float] = (0.3, 4.8)) -> str:
    """A POSIX sh function for scripts: `g TIMEOUT ARGS` prints `gluster --mode=script ARGS`'s
    output (stderr folded in), asking again while glusterd says it is busy. For reads: with --xml
    gluster exits 0 even then, and concurrent readers (xdist workers) do collide."""
    delays = " ".join(f"{d:g}" for d in backoff_delays(retries, backoff))
    # A glusterd that hangs (or a peer's, that it waits for) answers nothing: say so, naming the
    # command, instead of printing nothing for the parsers to puzzle over.
    return (f'g() {{ t=$1; shift; for d in {delays} 0; do '
            'out=$(timeout "$t" gluster --mode=script "$@" 2>&1); rc=$?; '
            '[ $rc = 124 ] && out="gluster $*: no answer within ${t} s (glusterd hung, or waiting '
            'for a peer'"'"'s)"; '
            f"printf '%s' \"$out\" | grep -qiE {quote(READ_BUSY_PATTERN)} || break; "
            '[ "$d" = 0 ] || sleep "$d"; done; printf \'%s\\n\' "$out"; }\n')


def gluster_command(args: Sequence[str]) -> list[str]:
    """`gluster --mode=script ARGS`: never a y/n prompt (without it stop/delete may answer
    "no" on EOF and exit 0 having done nothing)."""
    return ["gluster", "--mode=script", *args]


def run_gluster(
    conn: Runner,
    args: Sequence[str],
    *,
    write: bool,
    timeout: float | None = None,
    lock: ClusterLock | None = None,
    retries: int = 5,
    backoff: tuple[float, float] = (0.5, 8.0),
    sudo: bool | None = None,
    sleep: Callable[[float], None] = time.sleep,
    transient: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CommandResult:
    """Run a gluster CLI command; writes hold `lock` for all their attempts.

    Reads may add `--xml` to `args` themselves. Retries (at most `retries` times) only
    while glusterd says another transaction is in progress, or its answer matches `transient`
    (a regex the caller knows is worth asking again, for a command safe to repeat). `timeout`
    bounds all attempts together: a `peer probe` of a node that lost power answered "Transport
    endpoint is not connected" only after minutes, and six such attempts outlasted any bound a
    caller had set. Returns the successful result (`.attempts` says how many it took); raises
    GlusterError with gluster's own message.
    """
    command = gluster_command(args)
    shown = to_shell(command)
    delays = backoff_delays(retries, backoff)
    guard = lock if (write and lock is not None) else nullcontext()
    with guard:
        start = clock()
        attempt = 0
        while True:
            attempt += 1
            left = None if timeout is None else timeout - (clock() - start)
            result = conn.run(command, timeout=left, sudo=sudo)
            # duration covers every attempt and wait, so reports show the real cost.
            result = replace(result, command=shown, attempts=attempt, duration=clock() - start)
            if result.rc == 0:
                return result
            again = is_busy(result) or (transient is not None and re.search(
                transient, result.stdout + result.stderr, re.IGNORECASE) is not None)
            if not again or attempt > len(delays):
                raise GlusterError(result)
            if timeout is not None and clock() - start + delays[attempt - 1] + MIN_ATTEMPT > timeout:
                raise GlusterError(result)  # no time left for another attempt within the bound
            sleep(delays[attempt - 1])
