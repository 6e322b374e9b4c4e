"""Public-key login as ssh does it: identity files, keys from ssh-agent, ssh's default keys.

Order (OpenSSH's pubkey_prepare): identity files the agent holds (signed by the agent), then the
agent's other keys (not with IdentitiesOnly), then the remaining identity files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from paramiko.pkey import PublicBlob, UnknownKeyType

from glustercheck.errors import UnreachableError

from .agent import AgentUnavailable, SocketAgent
from .hostkeys import blob_fingerprint
from .targets import AgentSource, ResolvedTarget


@dataclass(frozen=True)
class Offer:
    key: paramiko.PKey
    source: str  # a file name, "agent", or "FILE (agent)"

    def describe(self) -> str:
        return f"{self.source} ({self.key.get_name()} {blob_fingerprint(self.key.asbytes())})"


@dataclass
class Keys:
    """What can be offered for one login, and what could not (for the failure message)."""

    offers: list[Offer] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    agent_keys: int = 0
    agent_note: str | None = None
    agent: SocketAgent | None = None
    cut_off_after: int | None = None  # the server hung up after this many offers (MaxAuthTries)

    def close(self) -> None:
        if self.agent is not None:
            self.agent.close()


def gather(target: ResolvedTarget) -> Keys:
    keys = Keys()
    agent_keys = _agent_keys(target, keys)
    by_blob = {k.asbytes(): k for k in agent_keys}
    in_agent: list[Offer] = []
    files: list[Offer] = []
    for path in target.identity_files:
        public = _public_blob(path)
        if public is not None and public in by_blob:
            in_agent.append(Offer(by_blob.pop(public), f"{path} (agent)"))
            continue
        offer = _load_file(path, target, keys)
        if offer is not None:
            files.append(offer)
    # Agent keys that matched a file come first, in the agent's order (as ssh).
    order = {k.asbytes(): i for i, k in enumerate(agent_keys)}
    in_agent.sort(key=lambda o: order[o.key.asbytes()])
    rest = [] if target.identities_only else [Offer(k, "agent") for k in by_blob.values()]
    keys.offers = [*in_agent, *rest, *files]
    return keys


def _agent_keys(target: ResolvedTarget, keys: Keys) -> list[paramiko.AgentKey]:
    if target.agent_socket is None:
        keys.agent_note = ("no ssh-agent (SSH_AUTH_SOCK is not set)" if target.agent_source is AgentSource.ENV
                           else "ssh-agent not used")
        return []
    try:
        keys.agent = SocketAgent(target.agent_socket, target.connect_timeout)
    except AgentUnavailable as exc:
        keys.agent_note = str(exc)
        return []
    found = list(keys.agent.get_keys())
    keys.agent_keys = len(found)
    return found


def _public_blob(path: Path) -> bytes | None:
    """The public key next to a private key file (readable even when the private one is not)."""
    try:
        return PublicBlob.from_file(f"{path}.pub").key_blob
    except (OSError, ValueError, paramiko.SSHException):
        return None


def _load_file(path: Path, target: ResolvedTarget, keys: Keys) -> Offer | None:
    if not path.exists():
        if not target.default_identities:
            keys.skipped.append(f"{path} (does not exist)")
        return None
    try:
        return Offer(paramiko.PKey.from_path(path), str(path))
    except (TypeError, paramiko.PasswordRequiredException):
        # cryptography raises TypeError for an encrypted key loaded without a password.
        keys.skipped.append(f"{path} (passphrase-protected and not in the agent: ssh-add {path})")
    except UnknownKeyType:
        keys.skipped.append(f"{path} (key type not supported by paramiko)")
    except (OSError, ValueError, paramiko.SSHException) as exc:
        keys.skipped.append(f"{path} (cannot be read: {exc})")
    return None


def authenticate(transport: paramiko.Transport, target: ResolvedTarget) -> None:
    """Log in as target.user with the first key the server accepts; else UnreachableError."""
    keys = gather(target)
    try:
        for count, offer in enumerate(keys.offers, start=1):
            try:
                transport.auth_publickey(target.user, offer.key)
            except paramiko.BadAuthenticationType as exc:
                raise _no_publickey(target, exc.allowed_types) from exc
            except (paramiko.SSHException, EOFError) as exc:
                if not transport.is_active():
                    # sshd disconnects after MaxAuthTries (default 6) refused keys.
                    keys.cut_off_after = count
                    break
                if not isinstance(exc, paramiko.AuthenticationException):
                    keys.skipped.append(f"{offer.source} (could not sign: {exc})")
                continue
            if transport.is_authenticated():
                return
        raise auth_failed(target, keys)
    finally:
        keys.close()


def _no_publickey(target: ResolvedTarget, allowed: list[str]) -> UnreachableError:
    return UnreachableError(
        f"{target.label} unreachable: {target.user}@{target.hostname} may not log in with a key "
        f"(the server allows only: {', '.join(allowed) or 'nothing'}); this tool logs in with keys "
        f"only - enable PubkeyAuthentication in the node's sshd_config")


def auth_failed(target: ResolvedTarget, keys: Keys) -> UnreachableError:
    who = f"{target.user}@{target.hostname}"
    tried = ", ".join(o.describe() for o in keys.offers) or "none"
    agent = keys.agent_note or f"{keys.agent_keys} key{'s' if keys.agent_keys != 1 else ''}"
    looked = ", ".join(p.name for p in target.identity_files) if target.default_identities else ""
    parts = [f"{target.label} unreachable: authentication failed for {who} "
             f"with keys: {tried} (agent: {agent})"]
    if keys.skipped:
        parts.append(f"not offered: {'; '.join(keys.skipped)}")
    if not keys.offers and looked:
        parts.append(f"no default key in ~/.ssh ({looked})")
    if keys.cut_off_after is not None:
        parts.append(f"the server hung up after {keys.cut_off_after} of them (its MaxAuthTries), so "
                     "later keys were never tried: name the right key with IdentityFile and "
                     "IdentitiesOnly yes")
    fix = (f"add one of these public keys to ~{target.user}/.ssh/authorized_keys on {target.name} "
           f"(e.g. ssh-copy-id -i KEY.pub {who})" if keys.offers else "give a key")
    fix = (f"{fix}, or name the right key (IdentityFile in ssh_config, identity_file in the spec, "
           "--ssh-identity-file) or load it into ssh-agent")
    parts.append(f"fix: {fix}")
    return UnreachableError("; ".join(parts), fix=fix)
