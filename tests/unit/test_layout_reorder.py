"""same_server_groups / spread_blocker / suggest_order on hand-made layouts."""

import pytest

from glustercheck.layout import cut, same_server_groups, spread_blocker, suggest_order


def host(brick: str) -> str:
    return brick.split(":", maxsplit=1)[0]


def test_cut_keeps_the_trailing_partial_group():
    assert cut(["a", "b", "c", "d", "e"], 2) == [("a", "b"), ("c", "d"), ("e",)]
    assert cut(["a", "b"], 0) == [("a",), ("b",)]


def test_same_server_groups_accepts_a_mapping_keyed_by_brick():
    uuids = {"rpi0:/b": "u0", "10.0.1.0:/b2": "u0", "rpi1:/b": "u1", "rpi2:/b": "u2"}
    groups = cut(list(uuids), 2)
    assert same_server_groups(groups, uuids) == [0]


def test_nothing_to_fix_gives_none():
    assert suggest_order(["a:/1", "b:/1", "a:/2", "b:/2"], 2, host) is None
    assert suggest_order(["a:/1", "a:/2"], 1, host) is None
    assert suggest_order([], 2, host) is None


def test_good_groups_stay_where_they_are():
    bricks = ["a:/1", "b:/1", "c:/1", "c:/2", "d:/1", "d:/2", "e:/1", "f:/1"]
    order = suggest_order(bricks, 2, host)
    assert order is not None
    assert order[:2] == ("a:/1", "b:/1")
    assert order[6:] == ("e:/1", "f:/1")
    assert same_server_groups(cut(order, 2), host) == []


def test_bad_groups_borrow_from_good_ones_when_they_must():
    bricks = ["a:/1", "a:/2", "b:/1", "c:/1"]
    order = suggest_order(bricks, 2, host)
    assert order is not None
    assert sorted(order) == sorted(bricks)
    assert same_server_groups(cut(order, 2), host) == []


def test_impossible_spreads_are_explained_not_suggested():
    assert suggest_order(["a:/1", "a:/2", "a:/3", "b:/1"], 2, host) is None
    assert "server a holds 3 of the 4 bricks but there are only 2 sets" in spread_blocker(
        ["a:/1", "a:/2", "a:/3", "b:/1"], 2, host
    )


def test_trailing_partial_group_limits_full_servers():
    # 5 bricks in sets of 3: 2 sets, the last of 2 bricks; a and b need both sets: fine
    bricks = ["a:/1", "a:/2", "b:/1", "b:/2", "c:/1"]
    assert spread_blocker(bricks, 3, host) is None
    # 4 bricks in sets of 3: the last set has 1 brick but a and b both need a place in it
    assert "the last set has only 1 brick(s)" in spread_blocker(bricks[:4], 3, host)
    order = suggest_order(bricks, 3, host)
    assert order is not None
    assert same_server_groups(cut(order, 3), host) == []


@pytest.mark.parametrize(("servers", "size"), [(2, 2), (3, 3), (7, 3), (40, 2)])
def test_server_sorted_listings_are_fixed(servers, size):
    bricks = [f"s{s}:/b/{i}" for s in range(servers) for i in range(size * 3)]
    order = suggest_order(bricks, size, host)
    assert order is not None
    assert sorted(order) == sorted(bricks)
    assert same_server_groups(cut(order, size), host) == []


def test_arbiters_stay_arbiters_when_possible():
    bricks = ["a:/d1", "a:/d2", "x:/arb1", "b:/d1", "b:/d2", "y:/arb2", "c:/d1", "c:/d2", "z:/arb3"]
    order = suggest_order(bricks, 3, host, arbiter=True)
    assert order is not None
    assert set(order[2::3]) == {"x:/arb1", "y:/arb2", "z:/arb3"}
    assert same_server_groups(cut(order, 3), host) == []
