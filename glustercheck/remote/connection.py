"""One lazily opened, reused SSH connection to one node."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import paramiko

from glustercheck.errors import CommandTimeout, RemoteError, UnreachableError

from .channel import run_on_channel
from .connect_errors import explain
from .hostkeys import RejectUnknownKey, load_known_hosts
from .quoting import to_shell, wrap_command
from .result import CommandFailed, CommandResult, sudo_problem
from .targets import ConnectOptions, SshTarget, resolve

# paramiko's transport thread logs each failed handshake as an ERROR with a traceback, for
# failures that we raise as one clear UnreachableError. Its records go to this logger, kept
# quiet by default; set its level to DEBUG to see paramiko's details.
PARAMIKO_LOG = "glustercheck.remote.paramiko"
logging.getLogger(PARAMIKO_LOG).setLevel(logging.CRITICAL)

# How long past its own timeout we wait for the remote `timeout` to report the kill.
_GRACE = 3.0
# `timeout --signal=KILL` kills its own process group, itself included: the login shell
# then reports 137, or (when it exec'd timeout) sshd sends exit-signal and paramiko gives -1.
_KILLED = (137, -1)


class Connection:
    """An SSH connection to `target`: opened on first use, shared by every command.

    Safe to use from several threads (each command gets its own channel).
    """

    def __init__(self, target: SshTarget, options: ConnectOptions | None = None) -> None:
        self.target = target
        self.options = options or ConnectOptions()
        self.resolved = resolve(target, self.options)
        self._client: paramiko.SSHClient | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def label(self) -> str:
        return self.resolved.label

    @property
    def transport(self) -> paramiko.Transport | None:
        """The live transport, or None before the first command or after a close."""
        client = self._client
        return client.get_transport() if client is not None else None

    def open(self) -> paramiko.Transport:
        """Connect now if not connected (or if the transport died); raise UnreachableError."""
        with self._lock:
            transport = self.transport
            if transport is not None and transport.is_active():
                return transport
            self._close_locked()
            self._client = self._connect()
            transport = self._client.get_transport()
            assert transport is not None
            return transport

    def _connect(self) -> paramiko.SSHClient:
        t, o = self.resolved, self.options
        client = paramiko.SSHClient()
        client.set_log_channel(PARAMIKO_LOG)
        if o.strict_host_keys:
            load_known_hosts(client, t)
            client.set_missing_host_key_policy(RejectUnknownKey(t))
        else:
            # Explicitly asked for: accept any key, remember it for this process only.
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(
                t.hostname,
                port=t.port,
                username=t.user,
                key_filename=str(t.identity_file) if t.identity_file else None,
                timeout=o.connect_timeout,
                banner_timeout=o.connect_timeout,
                auth_timeout=o.connect_timeout,
                channel_timeout=o.connect_timeout,
                allow_agent=False,
                look_for_keys=t.identity_file is None,
            )
        except Exception as exc:
            client.close()
            raise explain(exc, t, o.connect_timeout) from exc
        return client

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _channel(self) -> paramiko.Channel:
        """A new session channel; reconnects once if the old transport turned out dead."""
        for attempt in range(2):
            transport = self.open()
            try:
                return transport.open_session(timeout=self.options.connect_timeout)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                with self._lock:
                    if self._client is not None and self._client.get_transport() is transport:
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
        stdin: str | None = None,
    ) -> CommandResult:
        """Run `command` and return its result whatever the exit status.

        Raises CommandTimeout (the remote process group is killed), UnreachableError, or
        RemoteError when sudo was needed but could not be used.
        """
        shown = to_shell(command)
        limit = self.options.command_timeout if timeout is None else timeout
        use_sudo = (self.target.sudo if sudo is None else sudo) and not self.resolved.is_root
        line = wrap_command(shown, timeout=limit, sudo=use_sudo)
        channel = self._channel()
        start = time.monotonic()
        try:
            outcome = run_on_channel(channel, line, (stdin or "").encode(), deadline=start + limit + _GRACE)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise UnreachableError(
                f"{self.label} unreachable: connection lost while starting `{shown}`: {exc}"
            ) from exc
        duration = time.monotonic() - start
        if outcome.rc is None or (outcome.rc in _KILLED and duration >= limit * 0.98):
            raise CommandTimeout(f"{self.name}: `{shown}` did not finish within {limit:g} s and was killed")
        result = CommandResult(
            host=self.name,
            command=shown,
            rc=outcome.rc,
            stdout=outcome.stdout.decode("utf-8", errors="replace"),
            stderr=outcome.stderr.decode("utf-8", errors="replace"),
            duration=duration,
        )
        if use_sudo:
            user = self.resolved.user
            problem = sudo_problem(result.rc, result.stderr, host=self.name, user=user)
            if problem:
                raise RemoteError(problem)
        return result

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
