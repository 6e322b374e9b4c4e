"""Load ssh_config files once, then look hosts up in them: `SshConfig.load(...).lookup("rpi2")`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import values
from .errors import SshConfigError
from .evaluate import Collected, evaluate, final_hostname
from .files import ConfigFile, read_config
from .values import HostKeyChecking

SYSTEM_CONFIG = Path("/etc/ssh/ssh_config")


@dataclass(frozen=True)
class HostConfig:
    """What the ssh_config files say about one host; None or () where they say nothing.

    Values with %tokens are kept raw (`identity_files`, `proxy_command`, known-hosts files):
    their tokens need the final user and port, which the caller may still override.
    """

    host: str  # the name looked up
    hostname: str  # HostName with %h expanded (else the name), lowercased unless an address
    user: str | None = None
    port: int | None = None
    identity_files: tuple[str, ...] = ()
    identities_only: bool | None = None
    identity_agent: str | None = None
    proxy_jump: str | None = None  # "none" disables; else a comma chain of [user@]host[:port]
    proxy_command: str | None = None  # "none" disables (ProxyJump also sets it to "none")
    user_known_hosts_files: tuple[str, ...] = ()
    global_known_hosts_files: tuple[str, ...] = ()
    strict_host_key_checking: HostKeyChecking | None = None
    connect_timeout: float | None = None  # also None for "ConnectTimeout none": no limit of its own
    host_key_alias: str | None = None
    hash_known_hosts: bool | None = None


class SshConfig:
    """The files ssh would read, read once; `lookup` evaluates them for one host."""

    def __init__(self, files: list[ConfigFile], *, local_user: str) -> None:
        self.files = files
        self.local_user = local_user

    @classmethod
    def load(cls, path: Path | None, *, home: Path, local_user: str,
             system: Path | None = SYSTEM_CONFIG) -> SshConfig:
        """`path` given: that file only, which must exist (as `ssh -F`). Else ~/.ssh/config
        (refused if others may write it, as ssh does) and then the system-wide file."""
        if path is not None:
            config = read_config(path.expanduser(), user_config=True, check_permissions=False, home=home)
            if config is None:
                raise SshConfigError(f"cannot read ssh_config {path}: no such file")
            return cls([config], local_user=local_user)
        found = [read_config(home / ".ssh" / "config", user_config=True, check_permissions=True, home=home)]
        if system is not None:
            found.append(read_config(system, user_config=False, check_permissions=False, home=home))
        return cls([f for f in found if f is not None], local_user=local_user)

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.files]

    def lookup(self, host: str) -> HostConfig:
        c = evaluate(self.files, host, self.local_user)
        return _host_config(c, host)


def _host_config(c: Collected, host: str) -> HostConfig:
    port = c.first.get("port")
    identities_only = c.first.get("identitiesonly")
    hashed = c.first.get("hashknownhosts")
    checking = c.first.get("stricthostkeychecking")
    timeout = c.first.get("connecttimeout")
    alias = c.value("hostkeyalias")
    return HostConfig(
        host=host,
        hostname=final_hostname(c, host),
        user=c.value("user"),
        port=values.port(port) if port else None,
        identity_files=tuple(line.args[0] for line in c.identity_files),
        identities_only=values.yes_no(identities_only) if identities_only else None,
        identity_agent=c.value("identityagent"),
        proxy_jump=c.proxy_jump,
        proxy_command=c.proxy_command,
        user_known_hosts_files=_files(c, "userknownhostsfile"),
        global_known_hosts_files=_files(c, "globalknownhostsfile"),
        strict_host_key_checking=values.host_key_checking(checking) if checking else None,
        connect_timeout=values.seconds(timeout) if timeout else None,
        host_key_alias=alias.lower() if alias and alias.lower() != "none" else None,
        hash_known_hosts=values.yes_no(hashed) if hashed else None,
    )


def _files(c: Collected, keyword: str) -> tuple[str, ...]:
    line = c.first.get(keyword)
    return line.args if line is not None else ()
