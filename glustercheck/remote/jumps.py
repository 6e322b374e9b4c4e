"""ProxyJump values: a comma chain of `[user@]host[:port]` or `ssh://[user@]host[:port]`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sshconfig import SshConfigError

_URI = re.compile(r"^ssh://(?:(?P<user>[^@/]+)@)?(?P<host>\[[^\]]+\]|[^:/@\[\]]+)(?::(?P<port>[^/]*))?/?$")


@dataclass(frozen=True)
class JumpHop:
    user: str | None
    host: str
    port: int | None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port is not None else ""
        return f"{user}{host}{port}"


def parse_proxy_jump(value: str, *, where: str = "ProxyJump") -> tuple[JumpHop, ...]:
    """The hops in the order they are connected to; () for `none`."""
    if value.strip().lower() == "none":
        return ()
    return tuple(_hop(part.strip(), value, where) for part in value.split(","))


def _hop(text: str, whole: str, where: str) -> JumpHop:
    if text.startswith("ssh://"):
        match = _URI.match(text)
        if match is None:
            raise _invalid(whole, where, f"{text!r} is not ssh://[user@]host[:port]")
        user, host, port = match.group("user"), match.group("host"), match.group("port")
    else:
        user, at, rest = text.rpartition("@")
        user = user if at else None
        if at and not user:
            raise _invalid(whole, where, f"empty user name in {text!r}")
        host, port = _host_port(rest, whole, where)
    if host.startswith("["):
        host = host[1:-1]
    if not host:
        raise _invalid(whole, where, f"no host in {text!r}")
    return JumpHop(user or None, host, _port(port, whole, where) if port else None)


def _host_port(text: str, whole: str, where: str) -> tuple[str, str | None]:
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or (end + 1 < len(text) and text[end + 1] != ":"):
            raise _invalid(whole, where, f"bad bracketed address in {text!r}")
        return text[: end + 1], text[end + 2:] or None
    host, colon, port = text.partition(":")
    if ":" in port:
        raise _invalid(whole, where, f"{text!r}: an IPv6 address needs brackets, e.g. [fe80::1]:22")
    return host, port if colon else None


def _port(text: str, whole: str, where: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise _invalid(whole, where, f"bad port {text!r}")
    return int(text)


def _invalid(whole: str, where: str, why: str) -> SshConfigError:
    return SshConfigError(f"{where}: invalid ProxyJump {whole!r}: {why}")
