"""A pytest-testinfra host spec, parsed once into one typed value.

    parse_hostspec("ssh://pi@rpi0:2222?sudo=true&sudo_user=gluster&timeout=10")
    -> HostSpec(scheme="ssh", user="pi", host="rpi0", port=2222, options=HostSpecOptions(...))

Compatible with testinfra's `parse_hostspec` for what this tool can serve (SSH: `ssh://`,
`paramiko://` or no scheme; `[user@]host[:port]`, bracketed IPv6, percent-encoding; the
query keys sudo, sudo_user, timeout, ssh_config, ssh_identity_file), but stricter: any other
scheme, an unknown or repeated query key, a password, or a value testinfra would silently read
as false is an error naming the value and what is supported.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from glustercheck.errors import GlusterCheckError

from .targets import SshTarget

SUPPORTED_SCHEMES = ("ssh", "paramiko")
QUERY_KEYS = ("sudo", "sudo_user", "timeout", "ssh_config", "ssh_identity_file")
# testinfra's other query keys, and the backends that use them: named in the error.
_OTHER_BACKENDS_KEYS = {
    "ssl": "winrm", "no_ssl": "winrm", "no_verify_ssl": "winrm", "read_timeout_sec": "winrm",
    "operation_timeout_sec": "winrm", "force_ansible": "ansible", "ansible_inventory": "ansible",
    "namespace": "kubectl", "container": "kubectl/openshift", "kubeconfig": "kubectl/openshift",
    "context": "kubectl", "controlpersist": "ssh with ControlMaster",
}
_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_NAME = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9._-]*[A-Za-z0-9_])?$")
_USER = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$")


class HostSpecError(GlusterCheckError, ValueError):
    """A host spec that cannot be used: names the spec, the part and what is accepted."""


class UnsupportedSchemeError(HostSpecError):
    """A testinfra connection (docker://, local://, ansible:// ...) this SSH-only tool cannot serve."""

    def __init__(self, spec: str, scheme: str) -> None:
        self.spec = spec
        self.scheme = scheme
        super().__init__(
            f"host {spec!r}: the {scheme}:// connection is not supported - gluster-verify reaches "
            f"nodes over SSH only: write ssh://, paramiko:// or no scheme (e.g. pi@rpi0)")


@dataclass(frozen=True)
class HostSpecOptions:
    """The query part; None where the spec does not say."""

    sudo: bool | None = None
    sudo_user: str | None = None
    timeout: float | None = None  # connect timeout, seconds
    ssh_config: Path | None = None
    ssh_identity_file: Path | None = None


@dataclass(frozen=True)
class HostSpec:
    scheme: str | None  # "ssh", "paramiko" or None (no scheme written)
    user: str | None
    host: str  # IPv6 without brackets
    port: int | None
    options: HostSpecOptions = field(default_factory=HostSpecOptions)

    def target(self, name: str | None = None) -> SshTarget:
        """The SshTarget this spec describes (its ssh_config option is the caller's to apply).

        As in testinfra, sudo_user takes effect for commands run with sudo.
        """
        o = self.options
        return SshTarget(name or self.host, user=self.user, port=self.port, identity_file=o.ssh_identity_file,
                         sudo=o.sudo, sudo_user=o.sudo_user, connect_timeout=o.timeout)

    def __str__(self) -> str:
        scheme = f"{self.scheme}://" if self.scheme else ""
        user = f"{quote(self.user, safe='')}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port is not None else ""
        o = self.options
        pairs = [("sudo", None if o.sudo is None else str(o.sudo).lower()), ("sudo_user", o.sudo_user),
                 ("timeout", None if o.timeout is None else f"{o.timeout:g}"),
                 ("ssh_config", None if o.ssh_config is None else str(o.ssh_config)),
                 ("ssh_identity_file", None if o.ssh_identity_file is None else str(o.ssh_identity_file))]
        query = "&".join(f"{k}={quote(v, safe='/~')}" for k, v in pairs if v is not None)
        return f"{scheme}{user}{host}{port}" + (f"?{query}" if query else "")


def parse_hostspec(spec: str) -> HostSpec:
    """Parse one host spec; raise HostSpecError (UnsupportedSchemeError) naming what is wrong."""
    text = spec.strip()
    if not text:
        raise HostSpecError("empty host spec")
    scheme = None
    match = _SCHEME.match(text)
    if match:
        scheme = match.group(1).lower()
        if scheme not in SUPPORTED_SCHEMES:
            raise UnsupportedSchemeError(spec, match.group(1))
        text = text[match.end():]
    elif "://" in text:
        raise HostSpecError(f"host {spec!r}: {text.split('://')[0]!r} is not a scheme")
    if "#" in text:
        raise HostSpecError(f"host {spec!r}: a host spec has no #fragment")
    location, _, query = text.partition("?")
    if "/" in location:
        raise HostSpecError(f"host {spec!r}: a host spec has no /path (write [user@]host[:port])")
    user, host, port = _location(spec, location)
    return HostSpec(scheme, user, host, port, _options(spec, query))


def _location(spec: str, location: str) -> tuple[str | None, str, int | None]:
    user: str | None = None
    if "@" in location:
        user_part, _, location = location.rpartition("@")
        if ":" in user_part:
            shown = spec.replace(user_part, user_part.split(":")[0] + ":***")
            raise HostSpecError(f"host {shown!r}: passwords in host specs are not supported (this tool "
                                "logs in with keys: use ssh-agent, --ssh-identity-file or IdentityFile)")
        user = unquote(user_part)
        if not _USER.match(user):
            raise HostSpecError(f"host {spec!r}: {user!r} is not a user name")
    host, port_text = _host_and_port(spec, location)
    port = None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise HostSpecError(f"host {spec!r}: port {port_text!r} is not a number from 1 to 65535")
        port = int(port_text)
    return user, host, port


def _host_and_port(spec: str, location: str) -> tuple[str, str | None]:
    if location.startswith("["):
        inner, bracket, after = location[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise HostSpecError(f"host {spec!r}: write a bracketed IPv6 address as [fe80::1] or "
                                "[fe80::1]:22")
        address = unquote(inner)
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise HostSpecError(f"host {spec!r}: {address!r} in brackets is not an IPv6 address") from None
        return address, after[1:] if after else None
    host, colon, port = location.partition(":")
    if ":" in port:
        raise HostSpecError(f"host {spec!r}: an IPv6 address needs brackets, e.g. [{location}] "
                            "or [fe80::1]:22")
    host = unquote(host)
    if not host:
        raise HostSpecError(f"host {spec!r}: no host name")
    if not _NAME.match(host):
        raise HostSpecError(f"host {spec!r}: {host!r} is not a host name or address")
    return host, port if colon else None


def _options(spec: str, query: str) -> HostSpecOptions:
    if not query:
        return HostSpecOptions()
    values: dict[str, str] = {}
    for pair in query.split("&"):
        key, equals, raw = pair.partition("=")
        key = unquote(key)
        if key in values:
            raise HostSpecError(f"host {spec!r}: option {key!r} is given twice")
        if key not in QUERY_KEYS:
            raise HostSpecError(f"host {spec!r}: {_unknown(key)}; supported: {', '.join(QUERY_KEYS)}")
        if not equals or not raw:
            raise HostSpecError(f"host {spec!r}: option {key!r} has no value")
        values[key] = unquote(raw)
    return HostSpecOptions(
        sudo=_bool(spec, values["sudo"]) if "sudo" in values else None,
        sudo_user=_sudo_user(spec, values.get("sudo_user")),
        timeout=_timeout(spec, values["timeout"]) if "timeout" in values else None,
        ssh_config=Path(values["ssh_config"]).expanduser() if "ssh_config" in values else None,
        ssh_identity_file=(Path(values["ssh_identity_file"]).expanduser()
                           if "ssh_identity_file" in values else None),
    )


def _unknown(key: str) -> str:
    backend = _OTHER_BACKENDS_KEYS.get(key)
    if backend:
        return f"option {key!r} belongs to testinfra's {backend} connection, not SSH"
    return f"unknown option {key!r}"


def _bool(spec: str, value: str) -> bool:
    try:
        return _BOOLS[value.lower()]
    except KeyError:
        raise HostSpecError(
            f"host {spec!r}: sudo={value!r} is not one of true, false, 1, 0, yes, no") from None


def _sudo_user(spec: str, value: str | None) -> str | None:
    if value is not None and not _USER.match(value):
        raise HostSpecError(f"host {spec!r}: sudo_user={value!r} is not a user name")
    return value


def _timeout(spec: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise HostSpecError(f"host {spec!r}: timeout={value!r} is not a positive number of seconds")
    return seconds
