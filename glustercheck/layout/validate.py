"""validate(): would gluster create this volume, would it be sound, and how to fix the brick order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from glustercheck.layout.bricks import Parsed, check_bricks, check_mounts, server_identity, split_all
from glustercheck.layout.options import (
    Counts,
    Findings,
    check_counts,
    check_multiple,
    check_name,
    count_warnings,
)
from glustercheck.layout.reorder import cut, same_server_groups, spread_blocker, suggest_order
from glustercheck.layout.request import CreateRequest
from glustercheck.layout.staging import (
    check_lengths,
    check_nesting,
    check_order_buffer,
    check_peer_hosts,
    staging_refusal,
)
from glustercheck.versions import (
    LATE_MULTIPLE_FAILURE,
    NEWEST_SUPPORTED,
    SAME_SERVER_DETAIL,
    GlusterVersion,
)
from glustercheck.volume_shape import VolumeShape

MAX_LISTED = 5  # offending sets named one by one before "and N more"


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    shape: VolumeShape
    type_name: str
    count_string: str
    groups: tuple[tuple[str, ...], ...]
    same_server_groups: tuple[int, ...]
    suggestion: tuple[str, ...] | None


def _same_server_message(name: str, kind: str, version: GlusterVersion) -> str:
    middle = (
        " Bricks should be on different nodes to have best fault tolerant configuration."
        if SAME_SERVER_DETAIL.applies(version)
        else ""
    )
    return (
        f"volume create: {name}: failed: Multiple bricks of a {kind} volume are present on the same "
        f"server. This setup is not optimal.{middle} Use 'force' at the end of the command if you "
        "want to override this behavior."
    )


def validate(
    request: CreateRequest,
    version: GlusterVersion = NEWEST_SUPPORTED,
    same_server: Mapping[str, str] | None = None,
    resolvable: Mapping[str, bool] | None = None,
    mounts: Mapping[str, Collection[str]] | None = None,
) -> Verdict:
    """Judge `request` for gluster `version`.

    `same_server` maps host names/addresses to a server identity (aliases: {"10.0.1.0": "rpi0"});
    `resolvable` maps hosts to whether they resolve (missing = assume yes); `mounts` maps a host
    or server identity to its mount points, which makes the root-partition rules exact.
    """
    out = Findings(warnings=list(request.notes))
    ident = server_identity(same_server)
    check_name(request.volume, version, out)
    name_read = not out.reasons  # the CLI stops at a bad name: glusterd never sees it
    counts = check_counts(request, version, out)
    parsed = split_all(request.bricks)
    ids = check_bricks(request, parsed, version, ident, resolvable, out=out)
    server_of = {b: ids[p[0]] if p else b for b, p in zip(request.bricks, parsed, strict=True)}
    staged = _staged_refusal(request, counts, version, server_of, resolvable)
    check_multiple(request, counts, version, out, refused_in_staging=staged is not None)
    check_mounts(request, parsed, ident, mounts, out)
    _glusterd_rules(request, parsed, counts, ident, out, name_read=name_read)
    groups, bad, suggestion = _placement(request, counts, version, server_of, out)
    if staged is not None and not bad:
        _wraparound(request, counts, version, staged, out)
    count_warnings(request, counts, version, out)
    shape = counts.shape
    return Verdict(
        accepted=not out.reasons,
        reasons=tuple(dict.fromkeys(out.reasons)),
        warnings=tuple(dict.fromkeys(out.warnings)),
        shape=shape,
        type_name=shape.type_name(version),
        count_string=shape.count_string(),
        groups=groups,
        same_server_groups=tuple(bad),
        suggestion=suggestion,
    )


def _glusterd_rules(request: CreateRequest, parsed: list[Parsed], counts: Counts,
                    ident: Callable[[str], str], out: Findings, *, name_read: bool) -> None:
    """What glusterd refuses after the CLI (staging.py names the source of each rule)."""
    if name_read:
        check_lengths(request, parsed, out)
    check_peer_hosts(parsed, out)
    check_order_buffer(request, parsed, counts.kind, out)
    check_nesting(request, parsed, ident, out)


def _staged_refusal(request: CreateRequest, counts: Counts, version: GlusterVersion,
                    server_of: Mapping[str, str], resolvable: Mapping[str, bool] | None
                    ) -> tuple[int, int] | None:
    """Where glusterd's brick-order check refuses a layout with a partial last set (10.x+: the
    CLI no longer refuses it up front), or None. An unresolvable host makes glusterd skip the
    check (getaddrinfo fails, the function returns success), so then nothing is predicted."""
    n = len(request.data_bricks)
    if (counts.kind != "replicate" or not LATE_MULTIPLE_FAILURE.applies(version)
            or counts.set_size <= 1 or n % counts.set_size == 0):
        return None
    if resolvable is not None and not all(resolvable.get(b.rpartition(":")[0], True)
                                          for b in request.data_bricks):
        return None
    return staging_refusal(request, request.data_bricks, counts.set_size, server_of)


def _wraparound(request: CreateRequest, counts: Counts, version: GlusterVersion,
                staged: tuple[int, int], out: Findings) -> None:
    first, second = sorted(staged)
    bricks = request.data_bricks
    out.reasons.append(_same_server_message(request.volume, counts.kind or "replicate", version))
    out.reasons.append(
        f"every set is on distinct servers, but glusterd's brick-order check compares the last, "
        f"partial set with the first bricks (it wraps around): {bricks[first]} and "
        f"{bricks[second]} share a server, so staging refuses the volume before the brick count "
        f"fails. Give a multiple of {counts.set_size} bricks")


def _placement(
    req: CreateRequest, counts: Counts, version: GlusterVersion, server_of: dict[str, str], out: Findings
) -> tuple[tuple[tuple[str, ...], ...], list[int], tuple[str, ...] | None]:
    bricks = req.data_bricks
    groups = tuple(cut(bricks, counts.set_size))
    if counts.kind is None or counts.set_size <= 1:
        return groups, [], None

    bad = same_server_groups(groups, server_of)
    if not bad:
        return groups, bad, None
    listing = out.warnings if req.force else out.reasons
    if not req.force:
        out.reasons.append(_same_server_message(req.volume, counts.kind, version))
    for i in bad[:MAX_LISTED]:
        seen = Counter(server_of[b] for b in groups[i])
        hosts = sorted(s for s, c in seen.items() if c > 1)
        listing.append(
            f"set {i + 1} ({' '.join(groups[i])}) has more than one brick on {', '.join(hosts)}"
            + (": force makes gluster accept it, but losing that server loses the set" if req.force else "")
        )
    if len(bad) > MAX_LISTED:
        listing.append(f"... and {len(bad) - MAX_LISTED} more sets like that")
    arbiter = counts.shape.arbiter == 1
    suggestion = suggest_order(bricks, counts.set_size, server_of, arbiter=arbiter)
    if suggestion is None:
        blocker = spread_blocker(bricks, counts.set_size, server_of)
        listing.append(f"no order of these bricks puts every set on distinct servers: {blocker}")
    else:
        listing.append("the same bricks in another order avoid this: see the suggested order")
        if arbiter and _moved_arbiters(bricks, suggestion, counts.set_size):
            out.warnings.append(
                "the suggested order turns some arbiter bricks into data bricks: check they are big enough"
            )
    return groups, bad, suggestion


def _moved_arbiters(before: tuple[str, ...], after: tuple[str, ...], size: int) -> bool:
    return set(before[size - 1 :: size]) != set(after[size - 1 :: size])
