"""Property: a generated cluster state rendered as gluster's plain text and as its XML parses back
to that state (XML-only fields aside). The renderers are checked against the vectors elsewhere."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from glustercheck.parsers import (
    Brick,
    BrickStatus,
    DaemonStatus,
    HealBrick,
    HealInfo,
    Peer,
    PoolEntry,
    Volume,
    VolumeStatus,
    parse_heal_info,
    parse_heal_info_xml,
    parse_peer_status,
    parse_peer_status_xml,
    parse_pool_list,
    parse_volume_info,
    parse_volume_info_xml,
    parse_volume_status,
    parse_volume_status_xml,
)
from glustercheck.parsers.volume_status import DAEMONS
from glustercheck.volume_shape import VolumeShape
from tests.unit.test_parsers_render import (
    FAILED_PREFIX,
    PEER_STATES,
    render_heal_info,
    render_heal_info_xml,
    render_peer_status,
    render_peer_status_xml,
    render_pool_list,
    render_volume_info,
    render_volume_info_xml,
    render_volume_status,
    render_volume_status_xml,
)
from tests.unit.test_parsers_vectors import comparable

ROUNDS = settings(max_examples=60)

LOWER = "abcdefghijklmnopqrstuvwxyz"
NAME_CHARS = LOWER + "0123456789-"


def _word(first: str, rest: str, min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.builds(str.__add__, st.sampled_from(first), st.text(rest, min_size=min_size, max_size=max_size))


# Short names like rpi0, and long FQDNs that make `volume status` wrap its 43-character column.
hosts = _word(LOWER, NAME_CHARS, 0, 11) | _word(LOWER, NAME_CHARS + ".", 30, 60)
paths = st.lists(_word(LOWER, NAME_CHARS + "_.", 0, 15), min_size=1, max_size=3).map(
    lambda parts: "/" + "/".join(parts)
)
volume_names = _word(LOWER + "_", NAME_CHARS + "_", 0, 20)
uuids = st.uuids().map(str)
ports = st.integers(1, 65535)
pids = st.none() | st.integers(1, 4_194_304)


@st.composite
def peers(draw: st.DrawFn) -> Peer:
    names = draw(st.lists(hosts, min_size=1, max_size=4, unique=True))
    state = draw(st.sampled_from(sorted(PEER_STATES)))
    return Peer(draw(uuids), names[0], tuple(names[1:]), state, draw(st.booleans()))


@st.composite
def shapes(draw: st.DrawFn) -> VolumeShape:
    groups = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["distribute", "replicate", "arbiter", "disperse", "stripe", "striped"]))
    if kind == "distribute":
        return VolumeShape(draw(st.integers(1, 12)))
    if kind == "replicate":
        replica = draw(st.integers(2, 4))
        return VolumeShape(groups * replica, replica=replica)
    if kind == "arbiter":
        return VolumeShape(groups * 3, replica=3, arbiter=1)
    if kind == "disperse":
        data = draw(st.integers(2, 8))
        redundancy = draw(st.integers(1, max(1, data // 2)))
        return VolumeShape(groups * (data + redundancy), disperse=data + redundancy, redundancy=redundancy)
    stripe = draw(st.integers(2, 4))
    replica = draw(st.integers(2, 3)) if kind == "striped" else 0
    return VolumeShape(groups * stripe * max(replica, 1), replica=replica, stripe=stripe)


@st.composite
def volumes(draw: st.DrawFn) -> Volume:
    shape = draw(shapes())
    version = draw(st.sampled_from([(3, 7), (10, 3), (11, 0), (11, 1)]))
    servers = draw(st.lists(st.tuples(hosts, uuids), min_size=1, max_size=4))
    path = draw(paths)
    bricks = tuple(
        Brick(host, f"{path}{i}", host_uuid, bool(shape.arbiter) and i % 3 == 2)
        for i, (host, host_uuid) in enumerate(servers[i % len(servers)] for i in range(shape.brick_count))
    )
    option_keys = st.builds("{}.{}".format, _word(LOWER, LOWER, 1, 7), _word(LOWER, LOWER + "-.", 1, 20))
    option_values = st.just("") | st.text(
        st.characters(min_codepoint=33, max_codepoint=126), max_size=20
    ).map(
        lambda v: v.replace("a", "a b")  # inner spaces, never leading or trailing ones
    )
    return Volume(
        name=draw(volume_names),
        volume_id=draw(uuids),
        type_name=shape.type_name(version),
        status=draw(st.sampled_from(["Created", "Started", "Stopped"])),
        shape=shape,
        transport=draw(st.sampled_from(["tcp", "rdma", "tcp,rdma"])),
        bricks=bricks,
        options=draw(st.dictionaries(option_keys, option_values, max_size=5)),
        snapshot_count=draw(st.none() | st.integers(0, 256)),
    )


@st.composite
def brick_statuses(draw: st.DrawFn) -> BrickStatus:
    online = draw(st.booleans())
    port, rdma = (draw(st.none() | ports), draw(st.none() | ports)) if online else (None, None)
    return BrickStatus(draw(hosts), draw(paths), port, rdma, online, draw(pids))


@st.composite
def daemon_statuses(draw: st.DrawFn) -> DaemonStatus:
    online = draw(st.booleans())
    port = draw(st.none() | ports) if online else None
    host = draw(hosts | st.just("localhost"))
    return DaemonStatus(draw(st.sampled_from(DAEMONS)), host, port, online, draw(pids))


@st.composite
def volume_statuses(draw: st.DrawFn) -> VolumeStatus:
    daemons = draw(st.lists(daemon_statuses(), max_size=6))
    return VolumeStatus(
        draw(volume_names),
        tuple(draw(st.lists(brick_statuses(), min_size=1, max_size=8))),
        tuple(sorted(daemons, key=lambda d: (d.name, d.host))),
    )


entry_paths = paths | uuids.map(lambda u: f"<gfid:{u}>")


@st.composite
def heal_bricks(draw: st.DrawFn) -> HealBrick:
    kind = draw(st.sampled_from(["connected", "down", "partial"]))
    host, path = draw(hosts), draw(paths)
    if kind == "down":
        return HealBrick(host, path, False, "Transport endpoint is not connected", None, ())
    found = tuple(draw(st.lists(entry_paths, max_size=5)))
    if kind == "partial":
        status = f"{FAILED_PREFIX} (Transport endpoint is not connected)"
        return HealBrick(host, path, False, status, len(found), found)
    return HealBrick(host, path, True, "Connected", len(found), found)


@st.composite
def heal_infos(draw: st.DrawFn) -> HealInfo:
    volume = draw(volume_names)
    if not draw(st.booleans()):
        return HealInfo(volume, False, ())
    return HealInfo(volume, True, tuple(draw(st.lists(heal_bricks(), min_size=1, max_size=6))))


@ROUNDS
@given(state=st.lists(peers(), max_size=6))
def test_peer_status(state: list[Peer]) -> None:
    assert parse_peer_status(render_peer_status(state)) == state
    assert parse_peer_status_xml(render_peer_status_xml(state)) == state


@ROUNDS
@given(state=st.lists(st.builds(PoolEntry, uuids, hosts | st.just("localhost"), st.booleans()), min_size=1))
def test_pool_list(state: list[PoolEntry]) -> None:
    assert parse_pool_list(render_pool_list(state)) == state


@ROUNDS
@given(state=st.lists(volumes(), max_size=3))
def test_volume_info(state: list[Volume]) -> None:
    assert parse_volume_info(render_volume_info(state)) == comparable(state)
    assert parse_volume_info_xml(render_volume_info_xml(state)) == state


@ROUNDS
@given(state=st.lists(volume_statuses(), min_size=1, max_size=3))
def test_volume_status(state: list[VolumeStatus]) -> None:
    assert parse_volume_status(render_volume_status(state)) == state
    assert parse_volume_status_xml(render_volume_status_xml(state)) == state


@ROUNDS
@given(state=heal_infos())
def test_heal_info(state: HealInfo) -> None:
    assert parse_heal_info(render_heal_info(state), state.volume) == state
    assert parse_heal_info_xml(render_heal_info_xml(state), state.volume) == state
