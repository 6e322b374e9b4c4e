"""Turn the many ways a connect can fail into one clear UnreachableError each."""

from __future__ import annotations

import errno
import socket

import paramiko

from glustercheck.errors import UnreachableError

from .hostkeys import mismatch_error
from .routes import ShellProxy, Stream
from .targets import ResolvedTarget


def _errnos(exc: BaseException) -> set[int]:
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        return {e.errno for e in exc.errors.values() if isinstance(e, OSError) and e.errno is not None}
    return {exc.errno} if isinstance(exc, OSError) and exc.errno is not None else set()


def explain(exc: BaseException, target: ResolvedTarget, timeout: float,
            stream: Stream | None = None) -> UnreachableError:
    """The operator-facing reason `exc` (raised while connecting to `target`) happened."""
    if isinstance(exc, UnreachableError):
        return exc
    head = f"{target.label} unreachable"
    if isinstance(stream, ShellProxy) and (ended := stream.failure()):
        # The proxy's own words say more than "connection closed" ever could.
        return UnreachableError(f"{head}: {ended}")
    if isinstance(exc, paramiko.BadHostKeyException):
        return mismatch_error(target, exc)
    if isinstance(exc, socket.gaierror):
        return UnreachableError(
            f"{head}: name {target.hostname!r} does not resolve ({exc.strerror}) - "
            f"check DNS, /etc/hosts or HostName in ssh_config"
        )
    codes = _errnos(exc)
    if errno.ECONNREFUSED in codes:
        return UnreachableError(f"{head}: connection refused - is sshd running?")
    if codes & {errno.EHOSTUNREACH, errno.ENETUNREACH}:
        return UnreachableError(f"{head}: no route to host - is the node up and on the network?")
    if isinstance(exc, TimeoutError | socket.timeout) or errno.ETIMEDOUT in codes:
        return UnreachableError(
            f"{head}: no answer within {timeout:g} s - is the node powered and on the network?"
        )
    if isinstance(exc, paramiko.PasswordRequiredException):
        return UnreachableError(
            f"{head}: identity file {target.identity_file} is passphrase-protected; "
            f"give a key without a passphrase for unattended runs",
            fix="load that key into ssh-agent (ssh-add), or give a key without a passphrase",
        )
    if isinstance(exc, paramiko.AuthenticationException):
        keys = ", ".join(str(p) for p in target.identity_files) or "the default keys in ~/.ssh"
        return UnreachableError(
            f"{head}: authentication failed for {target.user}@{target.hostname} with keys: {keys} - "
            f"is one of their public keys in ~{target.user}/.ssh/authorized_keys on {target.name}?"
        )
    # A silent peer ends as a banner timeout or, when paramiko's handshake wait runs out
    # first, as "No existing session": both mean the SSH handshake never completed.
    if isinstance(exc, paramiko.SSHException) and (
        "banner" in str(exc).lower() or "no existing session" in str(exc).lower()
    ):
        reached = ("its ProxyCommand runs" if target.proxy_command is not None else "TCP connected")
        return UnreachableError(
            f"{head}: {reached}, but the SSH handshake did not complete within {timeout:g} s "
            f"- is sshd on port {target.port} hung or overloaded, or is something else listening?"
        )
    if isinstance(exc, EOFError | ConnectionResetError):
        return UnreachableError(f"{head}: the server closed the connection during the handshake")
    if isinstance(exc, FileNotFoundError) and target.identity_file is not None:
        return UnreachableError(f"{head}: identity file {target.identity_file} does not exist",
                                fix="correct the identity file's path (IdentityFile in ssh_config, "
                                    "identity_file in the spec, --ssh-identity-file)")
    return UnreachableError(f"{head}: {type(exc).__name__}: {exc}")
