"""Hypothesis properties of the layout validator, checked against an independent brute-force oracle."""

from collections import Counter
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from glustercheck.layout import CreateRequest, cut, same_server_groups, suggest_order, validate


def spread_exists(servers: list[str], size: int) -> bool:
    """Brute force: fill the slots in order, never repeating a server inside a group."""
    names = sorted(set(servers))
    n = len(servers)

    @cache
    def fill(counts: tuple[int, ...], pos: int, used: frozenset[int]) -> bool:
        if pos == n:
            return True
        if pos % size == 0:
            used = frozenset()
        for s, c in enumerate(counts):
            if c and s not in used:
                rest = (*counts[:s], c - 1, *counts[s + 1 :])
                if fill(rest, pos + 1, used | {s}):
                    return True
        return False

    return fill(tuple(Counter(servers)[s] for s in names), 0, frozenset())


@st.composite
def layouts(draw, max_bricks: int = 10):
    """(bricks in some order, brick -> true server, alias map) with 1-2 names per server."""
    servers = draw(st.integers(1, 4))
    per = draw(st.lists(st.integers(0, 4), min_size=servers, max_size=servers))
    bricks, truth, aliases = [], {}, {}
    for s, count in enumerate(per):
        names = [f"s{s}", f"10.0.0.{s}"]
        aliases[names[1]] = names[0]
        for i in range(count):
            name = names[draw(st.integers(0, 1))]
            brick = f"{name}:/bricks/b{i}"
            bricks.append(brick)
            truth[brick] = f"s{s}"
    bricks = bricks[:max_bricks]
    order = draw(st.permutations(bricks)) if bricks else []
    return list(order), truth, aliases


@settings(max_examples=400)
@given(layouts(), st.integers(2, 4), st.booleans())
def test_suggest_order_is_a_spread_permutation_iff_one_exists(layout, size, arbiter):
    bricks, truth, _ = layout
    order = suggest_order(bricks, size, truth, arbiter=arbiter)
    bad = same_server_groups(cut(bricks, size), truth)
    if not bad:
        assert order is None
    elif spread_exists([truth[b] for b in bricks], size):
        assert order is not None
        assert sorted(order) == sorted(bricks)
        assert same_server_groups(cut(order, size), truth) == []
    else:
        assert order is None


@given(layouts(), st.integers(2, 4), st.booleans(), st.booleans())
def test_validate_agrees_with_the_oracle(layout, size, disperse, force):
    bricks, truth, aliases = layout
    if disperse and size < 3:
        size = 3
    counts = {"disperse": size, "redundancy": 1} if disperse else {"replica": size}
    req = CreateRequest("gv", tuple(bricks), force=force, **counts)
    verdict = validate(req, same_server=aliases)
    assert verdict == validate(req, same_server=aliases)  # deterministic
    assert [b for g in verdict.groups for b in g] == bricks
    assert all(len(g) == size for g in verdict.groups[:-1])
    bad = same_server_groups(verdict.groups, truth)
    assert list(verdict.same_server_groups) == bad
    exists = bool(bricks) and spread_exists([truth[b] for b in bricks], size)
    said = verdict.reasons + verdict.warnings
    if verdict.suggestion is not None:
        assert exists
        assert sorted(verdict.suggestion) == sorted(bricks)
        assert same_server_groups(cut(verdict.suggestion, size), truth) == []
    elif bad:
        assert not exists
        assert any("no order of these bricks" in s for s in said)
    if bad and not force:
        assert not verdict.accepted


@given(st.integers(1, 6), st.sampled_from([2, 3, 4]), st.booleans())
def test_type_and_count_strings_agree_with_the_groups(sets, size, arbiter):
    size = 3 if arbiter else size
    bricks = tuple(f"s{i % size}:/b/{i}" for i in range(sets * size))
    n = len(bricks)
    if arbiter:
        req, expect = CreateRequest("gv", bricks, replica=3, arbiter=1), f"{sets} x (2 + 1) = {n}"
    else:
        req, expect = CreateRequest("gv", bricks, replica=size), f"{sets} x {size} = {n}"
    verdict = validate(req)
    assert verdict.accepted
    assert len(verdict.groups) == sets
    assert verdict.count_string == expect
    assert verdict.type_name == ("Distributed-Replicate" if sets > 1 else "Replicate")
