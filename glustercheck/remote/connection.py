"""One lazily opened, reused SSH connection to one node (directly, by ProxyCommand, or through
jump hosts), and the jump-host connections that such connections share."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import paramiko

from glustercheck.errors import CommandTimeout, RemoteError, SudoError, UnreachableError

from . import tcp
from .auth import authenticate
from .channel import NoAnswer, run_on_channel, start_command
from .connect_errors import explain
from .hostkeys import prefer_known_key_types, verify_host_key
from .quoting import to_shell, wrap_command
from .result import CommandFailed, CommandResult
from .routes import JumpHosts, Stream, open_stream
from .sudo import DIAGNOSE, SudoFailure, classify, explain_sudo, sudo_target
from .targets import ConnectOptions, ResolvedTarget, SshTarget, resolve

# paramiko's transport thread logs each failed handshake as an ERROR with a traceback, for
# failures that we raise as one clear UnreachableError. Its records go to this logger, kept
# quiet by default; set its level to DEBUG to see paramiko's details.
PARAMIKO_LOG = "glustercheck.remote.paramiko"
logging.getLogger(PARAMIKO_LOG).setLevel(logging.CRITICAL)
# Every remote command, once, with its node, duration and exit status (`--log-cli-level=DEBUG`).
# What goes to a command's stdin (a hosts file) is never logged; commands carry no secrets.
COMMAND_LOG = logging.getLogger("glustercheck.remote.commands")
# SSH handshakes (key exchange, host key, login) under way at once, per process: each costs CPU on
# both ends, and at 64 nodes 32 at once on a 2-core controller ran past the connect timeout (40
# live nodes called unreachable). TCP connects are not limited (a dead node is found out side by
# side), and a handshake's own timeouts start when it gets its turn.
HANDSHAKES = threading.BoundedSemaphore(8)


def _first_line(command: str) -> str:
    lines = [line for line in command.splitlines() if line.strip()]
    first = lines[0].strip() if lines else ""
    first = first if len(first) <= 160 else first[:157] + "..."
    return first + (f" (+{len(lines) - 1} more lines)" if len(lines) > 1 else "")

# How long past its own timeout we wait for the remote `timeout` to report the kill.
_GRACE = 3.0
# `timeout --signal=KILL` kills its own process group, itself included: the login shell
# then reports 137, or (when it exec'd timeout) sshd sends exit-signal and paramiko gives -1.
_KILLED = (137, -1)


class Connection:
    """An SSH connection to `target`: opened on first use, shared by every command.

    Safe to use from several threads (each command gets its own channel). Jump hosts come from
    `jumps` (a pool shares them between nodes); without it the connection keeps its own.
    """

    def __init__(self, target: SshTarget, options: ConnectOptions | None = None, *,
                 resolved: ResolvedTarget | None = None, jumps: JumpHosts | None = None,
                 dialed: Future[socket.socket] | None = None) -> None:
        self.target = target
        self.options = options or ConnectOptions()
        self.resolved = resolved or resolve(target, self.options)
        self._own_jumps: JumpConnections | None = None
        if jumps is None:
            jumps = self._own_jumps = JumpConnections(self.options)
        self._jumps = jumps
        self._transport: paramiko.Transport | None = None
        self._stream: Stream | None = None
        self._lock = threading.Lock()
        self._opened = threading.Event()  # set while a transport is up (see `wait_opened`)
        self._sudo_diagnosis: str | None = None
        # A TCP connection to a direct target dialed before paramiko was loaded (tcp.py): the first
        # connect uses it (or raises what dialing raised), later ones dial afresh.
        self._dialed = dialed
        self._spare: paramiko.Channel | None = None  # opened ahead by `warm`, for the next command

    @classmethod
    def to(cls, resolved: ResolvedTarget, options: ConnectOptions,
           jumps: JumpHosts | None = None) -> Connection:
        """A connection to an already resolved target (a jump host)."""
        return cls(SshTarget(resolved.name), options, resolved=resolved, jumps=jumps)

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def label(self) -> str:
        return self.resolved.label

    @property
    def transport(self) -> paramiko.Transport | None:
        """The live transport, or None before the first command or after a close."""
        return self._transport

    def open(self) -> paramiko.Transport:
        """Connect now if not connected (or if the transport died); raise UnreachableError."""
        with self._lock:
            transport = self._transport
            if transport is not None and transport.is_active():
                return transport
            self._close_locked()
            self._transport = self._connect()
            self._opened.set()
            return self._transport

    def wait_opened(self, timeout: float) -> bool:
        """Whether a transport is up, waiting up to `timeout` s for one being opened by another
        thread (this opens nothing)."""
        return self._opened.wait(timeout)

    def _connect(self) -> paramiko.Transport:
        t = self.resolved
        dialed, self._dialed = self._dialed, None
        try:
            stream = dialed.result() if dialed is not None else open_stream(t, self._jumps)
        except Exception as exc:
            raise explain(exc, t, t.connect_timeout) from exc
        transport = paramiko.Transport(stream)
        try:
            with HANDSHAKES:
                self._handshake(transport)
        except Exception as exc:
            transport.close()
            raise explain(exc, t, t.connect_timeout, stream) from exc
        self._stream = stream
        return transport

    def _handshake(self, transport: paramiko.Transport) -> None:
        t = self.resolved
        transport.set_log_channel(PARAMIKO_LOG)
        # Each stage of the login gets the connect timeout, per hop (hops connect the same way).
        transport.banner_timeout = transport.handshake_timeout = t.connect_timeout
        transport.auth_timeout = t.connect_timeout
        prefer_known_key_types(transport, t)
        transport.start_client(timeout=t.connect_timeout)
        key = transport.get_remote_server_key()
        verify_host_key(t, key)
        authenticate(transport, t)

    def close(self) -> None:
        with self._lock:
            self._close_locked()
            if self._dialed is not None:  # never used: its socket is closed once dialing ends
                tcp.discard(self._dialed)
                self._dialed = None
        if self._own_jumps is not None:
            self._own_jumps.close_all()

    def _close_locked(self) -> None:
        self._opened.clear()
        if self._spare is not None:
            self._spare.close()
            self._spare = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def start(self, command: str, *, timeout: float, sudo: bool | None = None) -> paramiko.Channel:
        """Start `command` (under `timeout` and sudo as `run` would) and return its open channel,
        for commands that live as long as the caller holds them (a lock held on the node for the
        life of the session). The caller closes the channel; the remote command then sees EOF."""
        wanted = self.resolved.sudo if sudo is None else sudo
        as_user = sudo_target(self.resolved.user, wanted, self.resolved.sudo_user)
        line = wrap_command(command, timeout=timeout, sudo=as_user is not None, sudo_user=as_user)
        channel = self._channel()
        try:
            start_command(channel, line, time.monotonic() + self.resolved.connect_timeout)
        except NoAnswer as exc:
            raise self._went_silent(command, channel) from exc
        except (paramiko.SSHException, OSError, EOFError) as exc:
            channel.close()
            raise UnreachableError(f"{self.label} unreachable: connection lost while starting "
                                   f"`{_first_line(command)}`: {exc}") from exc
        COMMAND_LOG.debug("%s: `%s` started (held)", self.name, _first_line(command))
        return channel

    def warm(self) -> None:
        """Open a session channel now, for the next command to start on: a node about to get a
        second command (the heal state's) then starts it without the channel's round trip. A
        failure is left for that command to meet and report."""
        with self._lock:
            if self._spare is not None or self._transport is None:
                return
        try:
            channel = self._new_channel()
        except (RemoteError, paramiko.SSHException, OSError, EOFError):
            return
        with self._lock:
            kept = self._spare is None
            if kept:
                self._spare = channel
        if not kept:
            channel.close()

    def _channel(self) -> paramiko.Channel:
        """The warm channel if one is open on the live transport, else a new one."""
        with self._lock:
            spare, self._spare = self._spare, None
            live = self._transport
        if spare is not None:
            if spare.get_transport() is live and spare.active and not spare.closed:
                return spare
            spare.close()
        return self._new_channel()

    def _new_channel(self) -> paramiko.Channel:
        """A new session channel; reconnects once if the old transport turned out dead."""
        for attempt in range(2):
            transport = self.open()
            try:
                return transport.open_session(timeout=self.resolved.connect_timeout)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                with self._lock:
                    if self._transport is transport:
                        self._close_locked()
                if attempt:
                    raise UnreachableError(
                        f"{self.label} unreachable: connection lost and reopened, "
                        f"but no session could be started: {exc}"
                    ) from exc
        raise AssertionError("unreachable")

    def run(
        self,
        command: str | Sequence[str],
        *,
        timeout: float | None = None,
        sudo: bool | None = None,
        stdin: str | Callable[[], str] | None = None,
    ) -> CommandResult:
        """Run `command` and return its result whatever the exit status. `stdin`: what it reads,
        or a function whose answer it reads when that comes (a command that waits for another).

        sudo (default: the target's): run it as root, or as the target's sudo_user, through
        `sudo -n` unless logged in as that user already. Raises CommandTimeout (the remote
        process group is killed), UnreachableError, or SudoError (a RemoteError) when sudo
        was needed but could not be used.
        """
        shown = to_shell(command)
        limit = self.options.command_timeout if timeout is None else timeout
        wanted = self.resolved.sudo if sudo is None else sudo
        as_user = sudo_target(self.resolved.user, wanted, self.resolved.sudo_user)
        line = wrap_command(shown, timeout=limit, sudo=as_user is not None, sudo_user=as_user)
        result = self._execute(shown, line, limit, stdin)
        if as_user is not None and (kind := classify(result.rc, result.stderr)) is not None:
            message, fix = self._sudo_problem(kind, as_user)
            raise SudoError(message, fix=fix)
        return result

    def _execute(self, shown: str, line: str, limit: float,
                 stdin: str | Callable[[], str] | None) -> CommandResult:
        channel = self._channel()
        start = time.monotonic()
        data: bytes | Callable[[], bytes] = ((lambda: stdin().encode()) if callable(stdin)
                                             else (stdin or "").encode())
        try:
            outcome = run_on_channel(channel, line, data, deadline=start + limit + _GRACE,
                                     answer_by=start + self.resolved.connect_timeout)
        except NoAnswer as exc:
            raise self._went_silent(shown, channel) from exc
        except (paramiko.SSHException, OSError, EOFError) as exc:
            COMMAND_LOG.debug("%s: `%s`: connection lost after %.2f s", self.name, _first_line(shown),
                              time.monotonic() - start)
            raise UnreachableError(
                f"{self.label} unreachable: connection lost while starting `{shown}`: {exc}"
            ) from exc
        duration = time.monotonic() - start
        if outcome.rc is None or (outcome.rc in _KILLED and duration >= limit * 0.98):
            COMMAND_LOG.debug("%s: `%s`: killed at its %g s timeout", self.name, _first_line(shown), limit)
            raise CommandTimeout(f"{self.name}: `{shown}` did not finish within {limit:g} s and was killed")
        COMMAND_LOG.debug("%s: `%s` -> rc %s in %.2f s", self.name, _first_line(shown), outcome.rc,
                          duration)
        return CommandResult(
            host=self.name,
            command=shown,
            rc=outcome.rc,
            stdout=outcome.stdout.decode("utf-8", errors="replace"),
            stderr=outcome.stderr.decode("utf-8", errors="replace"),
            duration=duration,
        )

    def _went_silent(self, command: str, channel: paramiko.Channel) -> UnreachableError:
        """The node took no new command within the connect timeout: the connection is dropped (the
        next command connects afresh, and fails in one connect timeout if the node is gone)."""
        with self._lock:
            if self._transport is channel.get_transport():
                self._close_locked()
        COMMAND_LOG.debug("%s: `%s`: no answer, connection dropped", self.name, _first_line(command))
        return UnreachableError(
            f"{self.label} unreachable: no answer within {self.resolved.connect_timeout:g} s to "
            f"starting `{_first_line(command)}` on a connection that had worked - is the node "
            "powered and on the network?")

    def _sudo_problem(self, kind: SudoFailure, as_user: str) -> tuple[str, str]:
        """One message per node: sudo's "password required" is looked into once (DIAGNOSE)."""
        if kind is SudoFailure.PASSWORD and self._sudo_diagnosis is None:
            with contextlib.suppress(UnreachableError, CommandTimeout):
                self._sudo_diagnosis = self._execute(DIAGNOSE, DIAGNOSE, 10.0, None).stdout
        diagnosis = self._sudo_diagnosis if kind is SudoFailure.PASSWORD else None
        return explain_sudo(kind, diagnosis, host=self.name, user=self.resolved.user, as_user=as_user)

    def check(
        self,
        command: str | Sequence[str],
        *,
        timeout: float | None = None,
        sudo: bool | None = None,
        stdin: str | None = None,
    ) -> CommandResult:
        """`run`, then raise CommandFailed (a RemoteError) on a non-zero exit status."""
        result = self.run(command, timeout=timeout, sudo=sudo, stdin=stdin)
        if result.rc != 0:
            raise CommandFailed(result)
        return result

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Connection({self.label}, user={self.resolved.user})"


class JumpConnections:
    """Connections to jump hosts, one per hop: every node behind a bastion shares its one SSH
    connection (one channel each), which matters with 16 nodes behind one Pi."""

    def __init__(self, options: ConnectOptions) -> None:
        self.options = options
        self._connections: dict[ResolvedTarget, Connection] = {}
        self._lock = threading.Lock()

    def transport(self, hop: ResolvedTarget) -> paramiko.Transport:
        with self._lock:
            conn = self._connections.get(hop)
            if conn is None:
                conn = self._connections[hop] = Connection.to(hop, self.options, jumps=self)
        return conn.open()  # outside the map's lock: each hop connects under its own lock

    @property
    def open_count(self) -> int:
        """How many jump-host connections are open (for tests and reports)."""
        with self._lock:
            conns = list(self._connections.values())
        return sum(1 for c in conns if c.transport is not None and c.transport.is_active())

    def close_all(self) -> None:
        with self._lock:
            conns, self._connections = list(self._connections.values()), {}
        # Nodes behind a hop first, so no channel outlives its carrier.
        for conn in sorted(conns, key=lambda c: -len(c.resolved.jumps)):
            conn.close()

    def forget(self) -> None:
        """Drop every connection without closing it (a forked child must not touch the parent's)."""
        with self._lock:
            self._connections = {}
