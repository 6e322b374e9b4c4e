"""Host-key checking: strict unless told otherwise, with messages that say which key and file.

StrictHostKeyChecking yes (and ask, and absent): an unknown or changed key is refused.
accept-new: an unknown key is accepted and written to the first UserKnownHostsFile; a changed
key is still refused. no/off: any key is accepted (only when the caller or ssh_config says so).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from pathlib import Path

import paramiko

from glustercheck.errors import UnreachableError

from .known_hosts import append_key, keys_for
from .sshconfig import HostKeyChecking
from .targets import ResolvedTarget

log = logging.getLogger(__name__)

# Signature algorithms paramiko negotiates for a key type written in known_hosts.
_ALGORITHMS = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")}


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style `SHA256:...` fingerprint, comparable with `ssh-keygen -lf`."""
    return blob_fingerprint(key.asbytes())


def blob_fingerprint(blob: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def known_hosts_name(target: ResolvedTarget) -> str:
    """The name a known_hosts line must carry for this target (as OpenSSH writes it)."""
    return target.known_hosts_name


def _all_files(target: ResolvedTarget) -> tuple[Path, ...]:
    return (*target.known_hosts, *target.global_known_hosts)


def _files(target: ResolvedTarget) -> str:
    names = [f"{p}" if Path(p).is_file() else f"{p} (missing)" for p in target.known_hosts]
    return ", ".join(names) or "(no known_hosts file)"


def prefer_known_key_types(transport: paramiko.Transport, target: ResolvedTarget) -> None:
    """Ask the server for a key type we already know for it, as ssh does: otherwise a server
    offering ed25519 first looks "unknown" although known_hosts has its RSA key."""
    if target.host_key_checking is HostKeyChecking.NO:
        return
    known = [k.key_type for k in keys_for(target.known_hosts_name, _all_files(target)) if not k.revoked]
    wanted = [alg for t in dict.fromkeys(known) for alg in _ALGORITHMS.get(t, (t,))]
    options = transport.get_security_options()
    supported = list(options.key_types)
    first = [a for a in wanted if a in supported]
    if first:
        options.key_types = [*first, *(a for a in supported if a not in first)]


def verify_host_key(target: ResolvedTarget, key: paramiko.PKey) -> None:
    """Accept `key` for `target` or raise UnreachableError saying why not and what to do."""
    if target.host_key_checking is HostKeyChecking.NO:
        return
    name = target.known_hosts_name
    blob = key.asbytes()
    known = keys_for(name, _all_files(target))
    if any(k.revoked and k.blob == blob for k in known):
        revoked = next(k for k in known if k.revoked and k.blob == blob)
        raise UnreachableError(
            f"{target.label} unreachable: its host key {key.get_name()} {fingerprint(key)} is marked "
            f"@revoked in {revoked.where}; refusing to connect",
            fix=f"find out why that key was revoked ({revoked.where}) before connecting to "
                f"{target.name}; give the node a new host key if it was compromised")
    usable = [k for k in known if not k.revoked]
    if any(k.blob == blob for k in usable):
        return
    same_type = [k for k in usable if k.key_type == key.get_name()]
    if same_type:
        old = same_type[0]
        raise changed_key_error(target, key, old.key_type, old.blob, where=old.where, file=old.path)
    if target.host_key_checking is HostKeyChecking.ACCEPT_NEW and target.known_hosts:
        _remember(target, key)
        return
    raise unknown_key_error(target, key)


def _remember(target: ResolvedTarget, key: paramiko.PKey) -> None:
    path = target.known_hosts[0]
    try:
        append_key(path, target.known_hosts_name, key.get_name(), key.asbytes(),
                   hashed=target.hash_known_hosts)
    except OSError as exc:
        # ssh goes on too: the key is still new, it just is not remembered.
        log.warning("%s: accepted new host key %s but could not add it to %s: %s",
                    target.label, fingerprint(key), path, exc)


def unknown_key_error(target: ResolvedTarget, key: paramiko.PKey) -> UnreachableError:
    file = target.known_hosts[0] if target.known_hosts else "~/.ssh/known_hosts"
    scan = f"ssh-keyscan -p {target.port} {target.hostname} >> {file}"
    if target.via is not None:
        # Behind a jump host the controller cannot scan the node; the jump host can.
        scan = f"ssh {target.via.name} ssh-keyscan -p {target.port} {target.hostname} >> {file}"
    if target.host_key_alias:
        scan += f"  (then replace the host name on that line with {target.host_key_alias})"
    fix = f"compare it with the node's `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub`, then add it: {scan}"
    return UnreachableError(
        f"{target.label} unreachable: unknown host key {key.get_name()} {fingerprint(key)} "
        f"(no entry for {target.known_hosts_name} in {_files(target)}). {fix[0].upper()}{fix[1:]}",
        fix=fix)


def changed_key_error(target: ResolvedTarget, key: paramiko.PKey, known_type: str, known_blob: bytes,
                      *, where: str, file: Path | str) -> UnreachableError:
    name = target.known_hosts_name
    return UnreachableError(
        f"{target.label} unreachable: host key MISMATCH: the node offered "
        f"{key.get_name()} {fingerprint(key)}, but {where} has "
        f"{known_type} {blob_fingerprint(known_blob)} for {name}. "
        f"Either the node was reinstalled or someone is intercepting the connection; "
        f"if you are sure it is the former: ssh-keygen -R '{name}' -f {file}",
        fix=f"only if {target.name} was reinstalled (check its console): ssh-keygen -R '{name}' -f {file}, "
            "then add its new key; otherwise the connection is being intercepted",
    )


def mismatch_error(target: ResolvedTarget, exc: paramiko.BadHostKeyException) -> UnreachableError:
    """The MISMATCH message for paramiko's own exception (same wording as changed_key_error)."""
    expected = exc.expected_key
    return changed_key_error(target, exc.key, expected.get_name(), expected.asbytes(), where=_files(target),
                             file="<file>")


class RejectUnknownKey(paramiko.MissingHostKeyPolicy):
    """A paramiko policy for SSHClient users: refuse unknown keys with our message."""

    def __init__(self, target: ResolvedTarget) -> None:
        self.target = target

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise unknown_key_error(self.target, key)
