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


def _writer(channel: paramiko.Channel, data: bytes | Callable[[], bytes]) -> None:
    try:
        if callable(data):
            data = data()  # what the command reads is not known yet: wait for it here
        if data:
            channel.sendall(data)
        # EOF on stdin: a prompt then reads "no input" instead of waiting forever.
        channel.shutdown_write()
    except (OSError, EOFError, paramiko.SSHException):
        pass


class NoAnswer(TimeoutError):
    """The server did not answer the request to start a command: the link went silent."""


def start_command(channel: paramiko.Channel, command: str, answer_by: float) -> None:
    """`channel.exec_command`, given up at `answer_by` (time.monotonic()) with NoAnswer.

    paramiko waits for the server's answer without a timeout. On a connection that died silently
    (a node powered off, a cable cut: no reset comes) that is until TCP gives up, a quarter of an
    hour; an --apply waiting for a powered-off peer hung past a drill's 300 s bound so (CI, stop
    22). Closing the channel ends paramiko's wait."""
    fired = threading.Event()

    def give_up() -> None:
        fired.set()
        channel.close()  # sets the event paramiko waits on: exec_command raises "Channel closed."

    timer = threading.Timer(max(0.0, answer_by - time.monotonic()), give_up)
    timer.daemon = True
    timer.start()
    try:
        channel.exec_command(command)
    except paramiko.SSHException:
        if fired.is_set():
            raise NoAnswer("the server did not take the command") from None
        raise
    finally:
        timer.cancel()
    if fired.is_set():  # answered at the very moment it was given up: the channel is closed now
        raise NoAnswer("the server took the command only as it was given up")


def run_on_channel(channel: paramiko.Channel, command: str, stdin: bytes | Callable[[], bytes],
                   deadline: float, answer_by: float | None = None) -> Outcome:
    """Run `command`, wait until `deadline` (time.monotonic()) at most, always close the channel;
    NoAnswer if the server has not taken the command by `answer_by` (default: the deadline).
    `stdin` may be a function: the command starts at once and reads what it returns, when it
    returns (then EOF).

    Threads read stdout and stderr so neither stream can fill its window and stall the other.
    """
    out: list[bytes] = []
    err: list[bytes] = []
    try:
        start_command(channel, command, min(deadline, answer_by or deadline))
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
