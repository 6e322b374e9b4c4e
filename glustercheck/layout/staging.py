"""Rules glusterd applies after the CLI, in `glusterd_op_stage_create_volume` (staging), taken from
the glusterfs sources at v10.3 and v11.1 (identical there); file and function are named at each
rule. Messages are glusterd's own text where it has one that says what is wrong, ours otherwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Hashable, Mapping, Sequence

from glustercheck.glusterd_limits import BRICK_ADDR_BUFFER, too_long, volfile_too_long
from glustercheck.layout.options import Findings
from glustercheck.layout.request import CreateRequest

Parsed = tuple[str, str, str] | None  # (host, path as typed, canonical path), as in bricks.py


def check_lengths(req: CreateRequest, parsed: Sequence[Parsed], out: Findings) -> None:
    """glusterd-store.c `glusterd_store_is_valid_brickpath` and glusterd-utils.c
    `glusterd_brickinfo_new_from_brick`: "brick path %s is too long."; glusterd-volgen.c
    `glusterd_is_valid_volfpath`: "Volume file path for volume %s and brick path %s is too long."
    (glusterd_limits.py has the arithmetic)."""
    failed = f"volume create: {req.volume}: failed: "
    for parts in parsed:
        if parts is None:
            continue
        host, _, path = parts
        brick = f"{host}:{path}"
        why = too_long(req.volume, host, path)
        if why:
            out.reasons.append(f"{failed}brick path {brick} is too long. ({why})")
            continue
        why = volfile_too_long(req.volume, host, path)
        if why:
            out.reasons.append(f"{failed}Volume file path for volume {req.volume} and brick path "
                               f"{brick} is too long. ({why})")


def check_order_buffer(req: CreateRequest, parsed: Sequence[Parsed], kind: str | None,
                       out: Findings) -> None:
    """glusterd-utils.c `glusterd_check_brick_order` (run without force for replicate/disperse):
    `strncpy(brick_addr, brick, sizeof(brick_addr)); brick_addr[addrlen] = '\\0';` with
    `char brick_addr[128]`: a host of 128+ characters is compared unterminated and the NUL is
    written past the buffer, undefined behaviour in glusterd."""
    if kind is None or req.force:
        return
    for parts in parsed:
        if parts is not None and len(parts[0]) >= BRICK_ADDR_BUFFER:
            out.reasons.append(
                f"brick host {parts[0][:40]}... has {len(parts[0])} characters: glusterd's "
                f"brick-order check copies hosts into a {BRICK_ADDR_BUFFER}-byte buffer and writes "
                "past it; use a shorter name or the address")
            return


def _never_a_peer(host: str) -> str | None:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "the unspecified address"
    if isinstance(ip, ipaddress.IPv4Address) and (ip.is_reserved or ip.packed == b"\xff" * 4):
        return "a broadcast/reserved address"
    return None


def check_peer_hosts(parsed: Sequence[Parsed], out: Findings) -> None:
    """glusterd-utils.c `glusterd_new_brick_validate` -> `glusterd_resolve_brick` ->
    glusterd-peer-utils.c `glusterd_hostname_to_uuid`: a brick host must be this node or a peer,
    matched by name or resolved address; no peer can have a multicast, unspecified, broadcast or
    reserved address, so staging always answers "Host %s is not in 'Peer in Cluster' state"."""
    seen: set[str] = set()
    for parts in parsed:
        if parts is None or parts[0] in seen:
            continue
        seen.add(parts[0])
        what = _never_a_peer(parts[0])
        if what:
            out.reasons.append(f"Host {parts[0]} is not in 'Peer in Cluster' state (it is {what}, "
                               "which no peer can have: use the server's cluster name or address)")


def _is_inside(inner: str, outer: str) -> bool:
    return inner != outer and inner.startswith(outer.rstrip("/") + "/")


def check_nesting(req: CreateRequest, parsed: Sequence[Parsed], server_of: Callable[[str], str],
                  out: Findings) -> None:
    """Bricks of one command nested on one server. glusterd-utils.c
    `glusterd_validate_and_create_brickpath` -> `glusterd_check_and_set_brick_xattr` ->
    `glusterd_is_path_in_use` stages bricks in command order, setting each one's volume-id: a
    brick inside one staged before it is refused ("parent directory %s is already part of a
    volume") unless force is given; a brick listed before the one containing it is not caught (the
    check looks at a path and its parents only), and glusterd creates a volume with one brick
    inside another. `glusterd_is_brickpath_available` refuses the same against existing volumes
    ("Brick may be containing or be contained by an existing brick")."""
    where: dict[str, list[tuple[int, str, str]]] = {}
    for i, parts in enumerate(parsed):
        if parts is not None:
            where.setdefault(server_of(parts[0]), []).append((i, parts[0], parts[2]))
    for bricks in where.values():
        for i, host, path in bricks:
            outer = next(((j, h, p) for j, h, p in bricks if _is_inside(path, p)), None)
            if outer is None:
                continue
            j, outer_host, outer_path = outer
            staged = (f"glusterd refuses it in staging (\"parent directory {outer_path} is already "
                      "part of a volume\")" if j < i and not req.force else
                      "glusterd does not catch it in this order" if j > i else
                      "force makes glusterd accept it")
            out.reasons.append(
                f"brick {host}:{path} is inside brick {outer_host}:{outer_path} on the same server: "
                f"{staged}; one brick's directory would hold another's files and .glusterfs. Use "
                "sibling directories")


def order_check_conflict(servers: Sequence[Hashable], size: int) -> tuple[int, int] | None:
    """The first pair of brick indexes glusterd-utils.c `glusterd_check_brick_order` finds on one
    server, or None. Its loop compares each brick with the rest of its set, walking a circular
    list whose head (no address) follows the last brick: a partial last set is compared with the
    list head and then with the first bricks, which can refuse a layout whose sets are all fine."""
    n = len(servers)
    sub = min(size, n)
    if sub <= 1:
        return None
    ring: list[Hashable | None] = [*servers, None]  # None: the list head, which matches nothing
    for e in range(n):
        position = e % sub
        if position == sub - 1:
            continue
        for step in range(1, sub - position):
            other = ring[(e + step) % (n + 1)]
            if other is not None and other == servers[e]:
                return e, (e + step) % (n + 1)
    return None


def staging_refusal(req: CreateRequest, bricks: Sequence[str], size: int,
                    server_of: Mapping[str, str]) -> tuple[int, int] | None:
    """Where glusterd's brick-order check refuses `bricks` (data bricks, create order) in sets of
    `size`, for a request without force; None if it lets them through."""
    if req.force or size <= 1:
        return None
    return order_check_conflict([server_of[b] for b in bricks], size)
