"""Which replica/disperse sets sit on one server, and an order of the bricks that avoids it.

Shared by the create-time validator and the checks on running volumes (keyed by hostUuid there).
Bricks form consecutive groups of `group_size`; the last group may be partial.

A spread order exists iff, with k groups and r bricks in the last one, no server holds more than
k bricks and at most r servers hold exactly k (those need a brick in every group, the last one
included). Filling slots row by row (first brick of every group, then the second, ...) with the
bricks sorted by server, busiest first, then always succeeds: a run of at most k bricks of one
server never wraps onto a group it already used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence

ServerOf = Callable[[str], Hashable] | Mapping[str, Hashable]


def _key(server_of: ServerOf) -> Callable[[str], Hashable]:
    return server_of.__getitem__ if isinstance(server_of, Mapping) else server_of


def cut(bricks: Sequence[str], group_size: int) -> list[tuple[str, ...]]:
    """Consecutive groups of `group_size` (the last one may be shorter)."""
    size = max(group_size, 1)
    return [tuple(bricks[i : i + size]) for i in range(0, len(bricks), size)]


def same_server_groups(groups: Sequence[Sequence[str]], server_of: ServerOf) -> list[int]:
    """Indexes of the groups holding two or more bricks of one server."""
    key = _key(server_of)
    return [i for i, grp in enumerate(groups) if len({key(b) for b in grp}) < len(grp)]


def spread_blocker(bricks: Sequence[str], group_size: int, server_of: ServerOf) -> str | None:
    """Why no order puts every group on distinct servers, or None when one exists."""
    key = _key(server_of)
    return _blocker([key(b) for b in bricks], group_size)


def _blocker(servers: list[Hashable], group_size: int) -> str | None:
    n = len(servers)
    if group_size <= 1 or n == 0:
        return None
    k = -(-n // group_size)
    last = n - (k - 1) * group_size
    counts = Counter(servers)
    server, most = counts.most_common(1)[0]
    if most > k:
        return (
            f"server {server} holds {most} of the {n} bricks but there {'is' if k == 1 else 'are'} "
            f"only {k} set{'' if k == 1 else 's'} of {group_size}, and a set may use each server "
            "once: add bricks on other servers"
        )
    full = sorted(str(s) for s, c in counts.items() if c == k)
    if len(full) > last:
        return (
            f"servers {', '.join(full)} each hold {k} bricks, one for every set, but the last set "
            f"has only {last} brick(s): use a brick count that is a multiple of {group_size}"
        )
    return None


def suggest_order(
    bricks: Sequence[str], group_size: int, server_of: ServerOf, *, arbiter: bool = False
) -> tuple[str, ...] | None:
    """A permutation of `bricks` whose groups all sit on distinct servers, changing little.

    None when every group is already fine or when no such order exists (see spread_blocker).
    Groups that are fine are kept; only the offending groups are rebuilt, widened to more groups
    when they cannot be fixed among themselves. With `arbiter`, the last brick of each group is
    an arbiter and stays an arbiter whenever that is possible.
    """
    bricks = tuple(bricks)
    n = len(bricks)
    if group_size <= 1 or n == 0:
        return None
    key = _key(server_of)
    servers = [key(b) for b in bricks]
    starts = range(0, n, group_size)
    bad = _bad_groups(servers, group_size)
    if not bad or _blocker(servers, group_size):
        return None
    bad_set = set(bad)
    good = [g for g in range(len(starts)) if g not in bad_set]
    pool, step = bad, len(bad)
    while True:
        placed = _fill(pool, n, servers, group_size, arbiter)
        if placed is None and arbiter and not good:
            placed = _fill(pool, n, servers, group_size, False)
        if placed is not None:
            break
        if not good:  # cannot happen when _blocker found no blocker
            return None
        pool = sorted(pool + good[:step])
        good, step = good[step:], step * 2
    order = list(bricks)
    for g, members in placed.items():
        order[g * group_size : g * group_size + len(members)] = [bricks[i] for i in members]
    return tuple(order)


def _bad_groups(servers: list[Hashable], size: int) -> list[int]:
    """Indexes of the groups with a repeated server (column-wise zip: this runs per brick)."""
    full = len(servers) // size
    rows = zip(*(servers[j : full * size : size] for j in range(size)), strict=True)
    bad = [g for g, row in enumerate(rows) if len(set(row)) < size]
    tail = servers[full * size :]
    if len(set(tail)) < len(tail):
        bad.append(full)
    return bad


def _fill(
    pool: list[int], n: int, servers: list[Hashable], size: int, arbiter: bool
) -> dict[int, list[int]] | None:
    """Re-deal the bricks of the `pool` groups among them; None if some group still repeats."""
    last = (n - 1) // size
    # the partial group (if pooled) goes last: it is the column that the short rows skip
    pool = [g for g in pool if g != last] + [g for g in pool if g == last]
    full = [g for g in pool if (g + 1) * size <= n]
    split = arbiter and size > 1
    cut_arbiter = set(full) if split else set()
    columns = [range(g * size, min(g * size + size, n) - (g in cut_arbiter)) for g in pool]
    members = dict(zip(pool, _deal(columns, servers), strict=True))
    if split and not _place_arbiters([g * size + size - 1 for g in full], full, members, servers):
        return None
    at = servers.__getitem__
    if any(len(set(map(at, got))) < len(got) for got in members.values()):
        return None
    return members


def _deal(columns: list[range], servers: list[Hashable]) -> list[list[int]]:
    """Deal the bricks of `columns` (sizes non-increasing) back, row by row, busiest server first."""
    by_server: dict[Hashable, list[int]] = {}
    for col in columns:
        for i in col:
            by_server.setdefault(servers[i], []).append(i)
    runs = sorted(by_server.values(), key=len, reverse=True)  # stable: first seen first on ties
    items = [i for run in runs for i in run]
    sizes = [len(c) for c in columns]
    k = len(columns)
    if sizes and sizes[0] == sizes[-1]:  # all columns equally long: deal by slicing
        out = [sorted(items[c::k]) for c in range(k)]
        return out
    out = [[] for _ in columns]
    pos = 0
    for row in range(sizes[0] if sizes else 0):
        active = sum(1 for s in sizes if s > row) if sizes[-1] <= row else len(sizes)
        for c, i in enumerate(items[pos : pos + active]):
            out[c].append(i)
        pos += active
    for got in out:
        got.sort()
    return out


def _place_arbiters(
    arbiters: list[int], targets: list[int], members: dict[int, list[int]], servers: list[Hashable]
) -> bool:
    """Give each target group one arbiter from another server than its data bricks (greedy).

    Groups are bucketed by their data servers; each server's arbiters drain the largest
    compatible buckets first.
    """
    buckets: dict[frozenset[Hashable], list[int]] = {}
    for g in targets:
        buckets.setdefault(frozenset(servers[i] for i in members[g]), []).append(g)
    runs: dict[Hashable, list[int]] = {}
    for a in arbiters:
        runs.setdefault(servers[a], []).append(a)
    for server, run in sorted(runs.items(), key=lambda item: len(item[1]), reverse=True):
        fits = sorted((k for k in buckets if server not in k), key=lambda k: len(buckets[k]), reverse=True)
        slots = (g for k in fits for g in buckets[k])
        taken: list[int] = []
        for a in run:
            slot = next(slots, None)
            if slot is None:
                return False
            g = slot
            members[g].append(a)
            taken.append(g)
        gone = set(taken)
        for k in fits:
            buckets[k] = [g for g in buckets[k] if g not in gone]
    return True
