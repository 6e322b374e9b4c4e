"""Rules on individual bricks: syntax, loopback hosts, duplicates, paths, resolution, mounts."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection, Mapping

from glustercheck.layout.options import Findings, v
from glustercheck.layout.parse import BRICK_FORMAT, canonical_path
from glustercheck.layout.request import CreateRequest
from glustercheck.versions import BRICK_IN_GLUSTERD_DIR_REFUSED, GlusterVersion

LOOPBACK = (
    "Please provide a valid hostname/ip other than localhost, 127.0.0.1 or loopback address "
    "(0.0.0.0 to 0.255.255.255)."
)
_GUESS = re.compile(r"/(mnt/|media/|root|home|tmp|var|usr|opt|etc|boot)")
_SPACE = re.compile(r"\s")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\Z")
_SYSTEM_DIRS = frozenset({"root", "home", "tmp", "var", "usr", "opt", "etc", "boot"})


def server_identity(same_server: Mapping[str, str] | None) -> Callable[[str], str]:
    """host -> server identity. Declared aliases are joined transitively and case-insensitively."""
    parent: dict[str, str] = {}

    def find(name: str) -> str:
        while parent.get(name, name) != name:
            name = parent[name]
        return name

    for name, ident in (same_server or {}).items():
        a, b = find(name.lower()), find(str(ident).lower())
        if a != b:
            parent[a] = b
    cache: dict[str, str] = {}
    return lambda host: cache.get(host) or cache.setdefault(host, find(host.lower()))


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _valid_host(host: str) -> bool:
    return _ip(host) is not None or (len(host) <= 255 and all(_LABEL.match(p) for p in host.split(".")))


def check_host(host: str, out: Findings) -> None:
    ip = _ip(host)
    if host in ("localhost", "127.0.0.1") or (
        isinstance(ip, ipaddress.IPv4Address) and host.startswith("0.")
    ):
        out.reasons.append(LOOPBACK)
    elif (
        host.lower().startswith("localhost")
        or host.lower() == "ip6-localhost"
        or (ip and ip.version == 6 and ip.is_loopback)
    ):
        out.reasons.append(
            f"brick host {host} is this machine's loopback name, which every node reads as itself "
            "(gluster only refuses the exact strings localhost and 127.0.0.1): use the server's cluster name"
        )
    elif ip is not None and ip.is_loopback:
        out.warnings.append(
            f"brick host {host} is a loopback address (Debian maps a node's own name to 127.0.1.1 in "
            "/etc/hosts); gluster accepts it, but every node reads it as itself: use the cluster address"
        )
    elif not _valid_host(host):
        out.warnings.append(f"internet address '{host}' does not conform to standards")


Parsed = tuple[str, str, str] | None
"""(host, path as typed, canonical path) of a brick, None if it is not HOST:/path."""


def split_all(bricks: tuple[str, ...]) -> list[Parsed]:
    # same rule as parse.split_brick, inlined: this runs once per brick of large layouts
    return [
        (host, path, path if "//" not in path and path[-1] != "/" else canonical_path(path))
        if sep and host and path[:1] == "/"
        else None
        for host, sep, path in (brick.rpartition(":") for brick in bricks)
    ]


def _has_space(text: str) -> bool:
    # str methods first (this runs per brick); only non-printable text can hide other whitespace
    return (" " in text or not text.isprintable()) and _SPACE.search(text) is not None


def check_bricks(
    req: CreateRequest,
    parsed: list[Parsed],
    version: GlusterVersion,
    server_of: Callable[[str], str],
    resolvable: Mapping[str, bool] | None,
    *,
    out: Findings,
) -> dict[str, str]:
    """Check every brick; return host -> server identity for the hosts seen."""
    ids: dict[str, str] = {}
    places: dict[tuple[str, str], tuple[str, str]] = {}  # (server, path) -> (brick, host)
    for brick, parts in zip(req.bricks, parsed, strict=True):
        if parts is None:
            out.reasons.append(BRICK_FORMAT.format(brick))
            continue
        host, raw_path, path = parts
        sid = ids.get(host)
        if sid is None:
            sid = ids[host] = server_of(host)
            check_host(host, out)
            if resolvable is not None and resolvable.get(host, resolvable.get(host.lower(), True)) is False:
                out.reasons.append(
                    f"brick host {host} does not resolve: glusterd then silently skips its check for "
                    "two bricks of a set on one server, and the create fails later. Add it to DNS or "
                    "/etc/hosts on every node"
                )
        entry = (brick, host)
        other = places.setdefault((sid, path), entry)
        if other is not entry:
            if other[1] == host:
                out.reasons.append(f"Found duplicate exports {brick}")
                continue
            out.reasons.append(
                f"{other[0]} and {brick} are the same directory on the same server: gluster takes it "
                "twice (with force) and the two copies would be one. Use one name per server"
            )
        if _has_space(raw_path) or path == "/" or path.startswith("/var/lib/glusterd"):
            _check_path(req, version, host, raw_path, path, out=out)
    return ids


def _check_path(
    req: CreateRequest, version: GlusterVersion, host: str, raw: str, path: str, *, out: Findings
) -> None:
    failed = f"volume create: {req.volume}: failed: "
    if _SPACE.search(raw):
        out.reasons.append(
            f"brick path {raw!r} on {host} contains a space: glusterd silently cuts the path at the "
            "space and uses another directory. Use a path without spaces"
        )
    if path == "/":
        out.reasons.append(f"brick {host}:/ is the server's root directory: use a directory on a data disk")
    elif path.startswith("/var/lib/glusterd") and not req.volume.startswith("gluster_shared_storage"):
        out.reasons.append(
            failed + "Brick isn't allowed to be created inside glusterd's working directory."
            if BRICK_IN_GLUSTERD_DIR_REFUSED.applies(version)
            else f"brick {host}:{path} is inside /var/lib/glusterd, glusterd's own state directory: "
            f"gluster {v(version)} accepts it (5.0+ refuses), but volume changes then clobber the data"
        )


def check_mounts(
    req: CreateRequest,
    parsed: list[Parsed],
    server_of: Callable[[str], str],
    mounts: Mapping[str, Collection[str]] | None,
    out: Findings,
) -> None:
    """Root-partition and mount-point rules: exact when the mount points are known, else a hint."""
    failed = f"volume create: {req.volume}: failed: "
    for parts in parsed:
        if parts is None:
            continue
        host, _, path = parts
        known = None if mounts is None else mounts.get(host, mounts.get(server_of(host)))
        if known is None:
            if _GUESS.match(path):
                _guess_mount(host, path, out)
            continue
        points = {canonical_path(m) for m in known} | {"/"}
        parent = path.rsplit("/", 1)[0] or "/"
        if path in points - {"/"}:
            msg = (
                f"The brick {host}:{path} is a mount point. Please create a sub-directory under the "
                "mount point and use that as the brick directory. Or use 'force' at the end of the "
                "command if you want to override this behavior."
            )
            (out.warnings if req.force else out.reasons).append(msg if req.force else failed + msg)
        elif (
            max((m for m in points if parent == m or parent.startswith(m.rstrip("/") + "/")), key=len) == "/"
        ):
            msg = (
                f"The brick {host}:{path} is being created in the root partition. It is recommended "
                "that you don't use the system's root partition for storage backend. Or use 'force' "
                "at the end of the command if you want to override this behavior."
            )
            (out.warnings if req.force else out.reasons).append(msg if req.force else failed + msg)


def _guess_mount(host: str, path: str, out: Findings) -> None:
    parts = path.strip("/").split("/")
    if parts[0] in ("mnt", "media") and len(parts) == 2:
        out.warnings.append(
            f"brick {host}:{path} looks like a mount point itself: gluster refuses that without "
            f"force; use a sub-directory such as {path}/brick"
        )
    elif parts[0] in _SYSTEM_DIRS:
        out.warnings.append(
            f"brick {host}:{path} is likely on the root partition: gluster refuses that without "
            "force; put bricks on a separate disk"
        )
