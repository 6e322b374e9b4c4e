"""Drive one SSH channel: write stdin then EOF, read both streams, honour a deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paramiko

_CHUNK = 65536


@dataclass
class Outcome:
    rc: int | None  # None: no exit status before the deadline
    stdout: bytes
    stderr: bytes


def _reader(read: Callable[[int], bytes], sink: list[bytes]) -> None:
    try:
        while chunk := read(_CHUNK):
            sink.append(chunk)
    except (OSError, EOFError, paramiko.SSHException):
        pass  # the channel was closed under us (deadline); keep what we have


def _writer(channel: paramiko.Channel, data: bytes) -> None:
    try:
        if data:
            channel.sendall(data)
        # EOF on stdin: a prompt then reads "no input" instead of waiting forever.
        channel.shutdown_write()
    except (OSError, EOFError, paramiko.SSHException):
        pass


def run_on_channel(channel: paramiko.Channel, command: str, stdin: bytes, deadline: float) -> Outcome:
    """Run `command`, wait until `deadline` (time.monotonic()) at most, always close the channel.

    Threads read stdout and stderr so neither stream can fill its window and stall the other.
    """
    out: list[bytes] = []
    err: list[bytes] = []
    try:
        channel.exec_command(command)
        threads = [
            threading.Thread(target=_reader, args=(channel.recv, out), daemon=True),
            threading.Thread(target=_reader, args=(channel.recv_stderr, err), daemon=True),
            threading.Thread(target=_writer, args=(channel, stdin), daemon=True),
        ]
        for t in threads:
            t.start()
        finished = channel.status_event.wait(max(0.0, deadline - time.monotonic()))
        # After the exit status only buffered output is left (unless a background child
        # keeps the streams open: the deadline bounds that too).
        for t in threads[:2]:
            t.join(max(0.0, deadline - time.monotonic()))
        rc = channel.exit_status if finished else None
        return Outcome(rc, b"".join(out), b"".join(err))
    finally:
        channel.close()
