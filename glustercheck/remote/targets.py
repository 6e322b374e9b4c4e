"""Who to connect to and how: targets, options, and the fully decided result of resolving them.

Precedence, one rule for every value: a field given on the SshTarget (the command line, else the
spec file: `first_given(command_line, spec)` layers them) > ssh_config (read as OpenSSH reads it)
> defaults. None on an SshTarget or ConnectOptions field means "not given".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from .sshconfig import HostKeyChecking

DEFAULT_CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class SshTarget:
    """One node, as the caller knows it. Unset (None) fields come from ssh_config, then defaults.

    `name` is how the node is called in messages and what ssh_config's Host lines match.
    `proxy_jump` is a ProxyJump value ("none" or `[user@]host[:port]` chain) that wins over
    ssh_config's. `sudo_user`: commands that need root run as this user instead (`sudo -u`).
    """

    name: str
    hostname: str | None = None
    user: str | None = None
    port: int | None = None
    identity_file: Path | None = None
    sudo: bool | None = None
    sudo_user: str | None = None
    connect_timeout: float | None = None
    proxy_jump: str | None = None


def first_given(*layers: SshTarget) -> SshTarget:
    """One target from several descriptions of the same node, highest precedence first:
    each field is taken from the first layer that gives it (not None)."""
    if not layers:
        raise ValueError("first_given needs at least one target")
    merged = layers[-1]
    for layer in reversed(layers[:-1]):
        given = {f.name: getattr(layer, f.name) for f in dataclasses.fields(layer)
                 if getattr(layer, f.name) is not None}
        merged = dataclasses.replace(merged, **given)
    return merged


@dataclass(frozen=True)
class ConnectOptions:
    """Settings for every connection of a run; None means "not given" (ssh_config decides).

    ssh_config: None reads ~/.ssh/config and then `system_ssh_config`, as ssh does; a path reads
    only that file (as `ssh -F`; `/dev/null` for none). known_hosts replaces UserKnownHostsFile.
    strict_host_keys: True/False or a HostKeyChecking; None: StrictHostKeyChecking from
    ssh_config, else strict (this tool never asks, so "ask" is strict too).
    """

    ssh_config: Path | None = None
    known_hosts: Path | None = None
    strict_host_keys: bool | HostKeyChecking | None = None
    connect_timeout: float | None = None
    command_timeout: float = 60.0
    allow_agent: bool = True
    system_ssh_config: Path | None = Path("/etc/ssh/ssh_config")
    # For targets that do not say (sudo None): run through `sudo -n` when the login is not root,
    # as the how-to types `sudo gluster ...` on a Pi where root may not log in.
    sudo_when_not_root: bool = False

    @property
    def host_key_checking(self) -> HostKeyChecking | None:
        value = self.strict_host_keys
        if isinstance(value, bool):
            return HostKeyChecking.YES if value else HostKeyChecking.NO
        return value


class AgentSource(StrEnum):
    """Where the agent socket came from, for messages."""

    ENV = "SSH_AUTH_SOCK"
    CONFIG = "IdentityAgent"


@dataclass(frozen=True)
class ResolvedTarget:
    """A target with every connection parameter decided (tokens expanded, defaults applied)."""

    name: str
    hostname: str
    user: str
    port: int
    identity_files: tuple[Path, ...] = ()
    sudo: bool = False
    known_hosts: tuple[Path, ...] = ()  # UserKnownHostsFile: checked, and accept-new writes the first
    global_known_hosts: tuple[Path, ...] = ()  # GlobalKnownHostsFile: checked only
    identities_only: bool = False
    default_identities: bool = False  # identity_files are ssh's ~/.ssh/id_* defaults
    agent_socket: str | None = None  # None: no ssh-agent is asked
    agent_source: AgentSource | None = None
    proxy_command: str | None = None  # tokens expanded, run through the shell
    via: ResolvedTarget | None = None  # the jump host this node is reached through
    host_key_checking: HostKeyChecking = HostKeyChecking.YES
    host_key_alias: str | None = None
    hash_known_hosts: bool = False  # accept-new writes the name hashed (HashKnownHosts yes)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    sudo_user: str | None = None
    config_files: tuple[Path, ...] = field(default=(), compare=False)

    @property
    def label(self) -> str:
        """How messages name the node: `rpi2 (10.0.1.2:22)`."""
        return f"{self.name} ({self.hostname}:{self.port})"

    @property
    def is_root(self) -> bool:
        return self.user == "root"

    @property
    def identity_file(self) -> Path | None:
        """The first identity file (the one ssh tries first), if any."""
        return self.identity_files[0] if self.identity_files else None

    @property
    def known_hosts_name(self) -> str:
        """The name a known_hosts line must carry (HostKeyAlias, else as OpenSSH writes it)."""
        if self.host_key_alias:
            return self.host_key_alias
        if self.port == 22:
            return self.hostname
        return f"[{self.hostname}]:{self.port}"

    @property
    def jumps(self) -> tuple[ResolvedTarget, ...]:
        """The jump hosts, first connected first."""
        chain: list[ResolvedTarget] = []
        hop = self.via
        while hop is not None:
            chain.append(hop)
            hop = hop.via
        return tuple(reversed(chain))


def resolve(target: SshTarget, options: ConnectOptions) -> ResolvedTarget:
    """Decide every connection parameter of `target` (see the module docstring for precedence).

    Raises UnreachableError (SshConfigError) for an ssh_config that cannot be used.
    """
    from .resolver import Resolver

    return Resolver(options).resolve(target)
