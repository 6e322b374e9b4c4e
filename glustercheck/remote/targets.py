"""Who to connect to and how: targets, options, and their resolution through ssh_config."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from glustercheck.errors import UnreachableError

DEFAULT_KNOWN_HOSTS = Path("~/.ssh/known_hosts")


@dataclass(frozen=True)
class SshTarget:
    """One node. Unset fields come from the ssh_config file, then from defaults.

    `port=22` counts as "not given": a `Port` line in ssh_config overrides it.
    """

    name: str
    hostname: str | None = None
    user: str | None = None
    port: int = 22
    identity_file: Path | None = None
    sudo: bool = False


@dataclass(frozen=True)
class ConnectOptions:
    ssh_config: Path | None = None
    known_hosts: Path | None = None
    strict_host_keys: bool = True
    connect_timeout: float = 5.0
    command_timeout: float = 60.0


@dataclass(frozen=True)
class ResolvedTarget:
    """A target with every connection parameter decided."""

    name: str
    hostname: str
    user: str
    port: int
    identity_file: Path | None
    sudo: bool
    known_hosts: tuple[Path, ...] = field(default=())

    @property
    def label(self) -> str:
        """How messages name the node: `rpi2 (10.0.1.2:22)`."""
        return f"{self.name} ({self.hostname}:{self.port})"

    @property
    def is_root(self) -> bool:
        return self.user == "root"


def _lookup(ssh_config: Path | None, name: str) -> dict[str, object]:
    if ssh_config is None:
        return {}
    path = ssh_config.expanduser()
    try:
        config = paramiko.SSHConfig.from_path(str(path))
    except OSError as exc:
        raise UnreachableError(f"{name}: cannot read ssh_config {path}: {exc.strerror}") from exc
    return dict(config.lookup(name))


def resolve(target: SshTarget, options: ConnectOptions) -> ResolvedTarget:
    """Explicit target fields win over ssh_config, which wins over defaults."""
    found = _lookup(options.ssh_config, target.name)
    hostname = target.hostname or str(found.get("hostname") or target.name)
    user = target.user or str(found.get("user") or getpass.getuser())
    port = target.port
    if port == 22 and "port" in found:
        port = int(str(found["port"]))
    identity = target.identity_file
    if identity is None and found.get("identityfile"):
        # paramiko gives a list (IdentityFile may repeat); the first is the one ssh tries first.
        identity = Path(str(next(iter(found["identityfile"]))))  # type: ignore[call-overload]
    if identity is not None:
        identity = identity.expanduser()
    return ResolvedTarget(
        name=target.name,
        hostname=hostname,
        user=user,
        port=port,
        identity_file=identity,
        sudo=target.sudo,
        known_hosts=_known_hosts_files(options, found),
    )


def _known_hosts_files(options: ConnectOptions, found: dict[str, object]) -> tuple[Path, ...]:
    if options.known_hosts is not None:
        return (options.known_hosts.expanduser(),)
    configured = found.get("userknownhostsfile")
    if configured:
        return tuple(Path(p).expanduser() for p in str(configured).split())
    return (DEFAULT_KNOWN_HOSTS.expanduser(),)
