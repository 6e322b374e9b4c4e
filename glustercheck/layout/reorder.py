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
    n = len(bricks)
    if group_size <= 1 or n == 0:
        return None
    key = _key(server_of)
    k = -(-n // group_size)
    last = n - (k - 1) * group_size
    counts = Counter(key(b) for b in bricks)
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
    key = _key(server_of)
    servers = [key(b) for b in bricks]
    groups = [
        list(range(i, min(i + group_size, len(bricks)))) for i in range(0, len(bricks), max(group_size, 1))
    ]
    bad = [g for g, members in enumerate(groups) if len({servers[i] for i in members}) < len(members)]
    if group_size <= 1 or not bad or spread_blocker(bricks, group_size, key):
        return None
    bad_set = set(bad)
    good = [g for g in range(len(groups)) if g not in bad_set]
    pool, step = list(bad), len(bad)
    while True:
        placed = _fill(sorted(pool), groups, servers, group_size, arbiter)
        if placed is None and len(pool) == len(groups) and arbiter:
            placed = _fill(sorted(pool), groups, servers, group_size, False)
        if placed is not None:
            break
        if len(pool) == len(groups):  # cannot happen when spread_blocker found no blocker
            return None
        pool += good[:step]
        good, step = good[step:], step * 2
    order = list(range(len(bricks)))
    for g, members in placed.items():
        for pos, brick in zip(groups[g], members, strict=True):
            order[pos] = brick
    return tuple(bricks[i] for i in order)


def _fill(
    pool: list[int], groups: list[list[int]], servers: list[Hashable], size: int, arbiter: bool
) -> dict[int, list[int]] | None:
    """Re-deal the bricks of the `pool` groups among them; None if some group still repeats."""
    # the partial group (if pooled) goes last, so it is the column that short rows skip
    pool = sorted(pool, key=lambda g: -len(groups[g]))
    roles = [
        [p for p in groups[g] if not (arbiter and len(groups[g]) == size and p == groups[g][-1])]
        for g in pool
    ]
    members = {g: sorted(got) for g, got in zip(pool, _deal(roles, servers), strict=True)}
    if arbiter:
        arbiters = [groups[g][-1] for g in pool if len(groups[g]) == size]
        if not _place_arbiters(arbiters, [g for g in pool if len(groups[g]) == size], members, servers):
            return None
    for got in members.values():
        if len({servers[i] for i in got}) < len(got):
            return None
    return members


def _deal(columns: list[list[int]], servers: list[Hashable]) -> list[list[int]]:
    """Deal the bricks in `columns` back into columns of the same sizes, row by row."""
    items = [i for col in columns for i in col]
    counts = Counter(servers[i] for i in items)
    first = {}
    for i in items:
        first.setdefault(servers[i], i)
    items.sort(key=lambda i: (-counts[servers[i]], first[servers[i]], i))
    out: list[list[int]] = [[] for _ in columns]
    sizes = [len(c) for c in columns]
    it = iter(items)
    for row in range(max(sizes, default=0)):
        for c, size in enumerate(sizes):
            if row < size:
                out[c].append(next(it))
    return out


def _place_arbiters(
    arbiters: list[int], targets: list[int], members: dict[int, list[int]], servers: list[Hashable]
) -> bool:
    """Give each target group one arbiter from another server than its data bricks (greedy)."""
    counts = Counter(servers[a] for a in arbiters)
    arbiters = sorted(arbiters, key=lambda a: (-counts[servers[a]], a))
    free = list(targets)
    for a in arbiters:
        for j, g in enumerate(free):
            if all(servers[i] != servers[a] for i in members[g]):
                members[g].append(a)
                free.pop(j)
                break
        else:
            return False
    return True
