"""Host-key checking: strict by default, with messages that say which key and which file."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import paramiko

from glustercheck.errors import UnreachableError

from .targets import ResolvedTarget


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style `SHA256:...` fingerprint, comparable with `ssh-keygen -lf`."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(target: ResolvedTarget) -> str:
    """The name a known_hosts line must carry for this target (as OpenSSH writes it)."""
    if target.port == 22:
        return target.hostname
    return f"[{target.hostname}]:{target.port}"


def _files(target: ResolvedTarget) -> str:
    names = [f"{p}" if Path(p).is_file() else f"{p} (missing)" for p in target.known_hosts]
    return ", ".join(names) or "(no known_hosts file)"


class RejectUnknownKey(paramiko.MissingHostKeyPolicy):
    """Like paramiko's RejectPolicy, but the error names the key and what to do about it."""

    def __init__(self, target: ResolvedTarget) -> None:
        self.target = target

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey):
        t = self.target
        file = t.known_hosts[0] if t.known_hosts else "~/.ssh/known_hosts"
        raise UnreachableError(
            f"{t.label} unreachable: unknown host key {key.get_name()} {fingerprint(key)} "
            f"(no entry for {hostname} in {_files(t)}). Compare it with the node's "
            f"`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub`, then add it: "
            f"ssh-keyscan -p {t.port} {t.hostname} >> {file}"
        )


def mismatch_error(target: ResolvedTarget, exc: paramiko.BadHostKeyException) -> UnreachableError:
    name = known_hosts_name(target)
    return UnreachableError(
        f"{target.label} unreachable: host key MISMATCH: the node offered "
        f"{exc.key.get_name()} {fingerprint(exc.key)}, but {_files(target)} has "
        f"{exc.expected_key.get_name()} {fingerprint(exc.expected_key)} for {name}. "
        f"Either the node was reinstalled or someone is intercepting the connection; "
        f"if you are sure it is the former: ssh-keygen -R '{name}' -f <file>"
    )


def load_known_hosts(client: paramiko.SSHClient, target: ResolvedTarget) -> None:
    """Load the files as "system" keys: paramiko then never writes to them."""
    for path in target.known_hosts:
        if Path(path).is_file():
            try:
                client.load_system_host_keys(str(path))
            except (OSError, paramiko.SSHException) as exc:
                raise UnreachableError(f"{target.label}: cannot read known_hosts file {path}: {exc}") from exc
