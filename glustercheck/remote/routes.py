"""The byte stream an SSH session runs over: a TCP socket, a ProxyCommand, or a channel opened
through a jump host's connection ("direct-tcpip", as `ssh -J` / `ssh -W` do)."""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import signal
import socket
import subprocess
import threading
from typing import Protocol

import paramiko

from glustercheck.errors import UnreachableError

from . import tcp
from .targets import ResolvedTarget

Stream = socket.socket | paramiko.Channel | paramiko.ProxyCommand

# Channel-open failure codes (RFC 4254 5.1) and what they mean on a jump host.
_OPEN_FAILURES = {
    1: "it does not allow TCP forwarding (AllowTcpForwarding / PermitOpen in its sshd_config)",
    2: "it could not connect there (refused, unreachable, or the name does not resolve on it)",
}


class JumpHosts(Protocol):
    """Gives the live transport of a jump host (shared within a pool, or private)."""

    def transport(self, hop: ResolvedTarget) -> paramiko.Transport: ...


class ShellProxy(paramiko.ProxyCommand):
    """ProxyCommand run as ssh runs it (`$SHELL -c "exec CMD"`), which also reports EOF and keeps
    the command's stderr for the error message. paramiko's own spins on EOF until a timeout."""

    def __init__(self, command: str) -> None:
        shell = os.environ.get("SHELL") or "/bin/sh"
        super().__init__(f"{shlex.quote(shell)} -c {shlex.quote('exec ' + command)}")
        self.command = command
        self._stopped_by_close = False
        self._ended_output = False
        self._stderr: list[bytes] = []
        self._reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._reader.start()

    def _drain_stderr(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        while chunk := stream.read(4096):
            self._stderr.append(chunk)
            del self._stderr[:-16]  # keep the tail only

    def recv(self, size: int) -> bytes:
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], self.timeout)
        if not ready:
            raise TimeoutError("ProxyCommand sent nothing")
        data = os.read(stdout.fileno(), size)  # b"" at EOF: the transport then sees the end
        self._ended_output = self._ended_output or not data
        return data

    def close(self) -> None:
        if self._ended_output and self.process.poll() is None:
            # It closed its output, so it is ending by itself: let it, its status is the reason.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(0.5)
        if self.process.poll() is None:
            # Stopped by us (paramiko closes the stream when a handshake fails or times out): its
            # exit status is then our signal's, not a reason; failure() does not report it.
            self._stopped_by_close = True
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(2)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()

    def failure(self) -> str | None:
        """Why the command ended, if it ended by itself: its exit status and the tail of its stderr."""
        try:
            status = self.process.wait(0.5)
        except subprocess.TimeoutExpired:
            return None
        if self._stopped_by_close:
            return None
        self._reader.join(0.5)
        stderr = b"".join(self._stderr).decode("utf-8", errors="replace").strip()
        tail = " | ".join(stderr.splitlines()[-3:])
        return f"ProxyCommand `{self.command}` exited with status {status}" + (f": {tail}" if tail else "")


def open_stream(target: ResolvedTarget, jumps: JumpHosts) -> Stream:
    """Connect the byte stream for `target`; raise OSError (direct) or UnreachableError."""
    if target.via is not None:
        return _through(target, target.via, jumps)
    if target.proxy_command is not None:
        proxy = ShellProxy(target.proxy_command)
        proxy.settimeout(target.connect_timeout)
        return proxy
    return tcp.connect(target)


def _through(target: ResolvedTarget, hop: ResolvedTarget, jumps: JumpHosts) -> paramiko.Channel:
    """A channel from the jump host to the node: the node sees the jump host connecting."""
    for attempt in range(2):
        try:
            transport = jumps.transport(hop)
        except UnreachableError as exc:
            reason = str(exc).removeprefix(f"{hop.label} unreachable: ")
            raise UnreachableError(
                f"{target.label} unreachable: via jump host {hop.label}: {reason}") from exc
        try:
            return transport.open_channel("direct-tcpip", (target.hostname, target.port), ("127.0.0.1", 0),
                                          timeout=target.connect_timeout)
        except paramiko.ChannelException as exc:
            why = _OPEN_FAILURES.get(exc.code, exc.text)
            raise UnreachableError(
                f"{target.label} unreachable: via jump host {hop.label}: it could not open a connection "
                f"to {target.hostname}:{target.port}: {why}") from exc
        except (paramiko.SSHException, OSError, EOFError) as exc:
            if attempt or transport.is_active():
                raise UnreachableError(
                    f"{target.label} unreachable: via jump host {hop.label}: no answer to opening "
                    f"a connection to {target.hostname}:{target.port} within "
                    f"{target.connect_timeout:g} s ({exc or type(exc).__name__})") from exc
            # The shared jump connection had died since its last use: reopen it once.
    raise AssertionError("unreachable")
