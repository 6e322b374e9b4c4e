"""A declared volume (spec) as a `volume create` request, and how a running volume differs from it.

Shared by the setup steps (refuse to touch a volume that differs) and the checks (report it).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence

from glustercheck.brick import BrickRef
from glustercheck.facts import NodeFacts
from glustercheck.layout import CreateRequest, validate
from glustercheck.parsers import Volume
from glustercheck.spec import VolumeSpec


def create_request(volume: VolumeSpec, bricks: Sequence[BrickRef]) -> CreateRequest:
    given = {k for k in ("replica", "arbiter", "disperse", "redundancy", "stripe")
             if getattr(volume, k)}
    return CreateRequest(volume=volume.name, bricks=tuple(map(str, bricks)), replica=volume.replica,
                         arbiter=volume.arbiter, disperse=volume.disperse,
                         redundancy=volume.redundancy, stripe=volume.stripe,
                         transport=volume.transport, force=volume.force, given=frozenset(given))


def layout_difference(volume: VolumeSpec, bricks: Sequence[BrickRef], found: Volume) -> list[str]:
    """How a running volume differs from its declaration (empty: it matches)."""
    wanted = validate(create_request(volume, bricks)).shape
    diffs = []
    if found.count_string != wanted.count_string():
        diffs.append(f"Number of Bricks {found.count_string!r}, declared {wanted.count_string()!r}")
    if found.true_type != wanted.type_name():
        diffs.append(f"type {found.true_type}, declared {wanted.type_name()}")
    if found.transport != volume.transport:
        diffs.append(f"transport {found.transport}, declared {volume.transport}")
    running = tuple((b.host, b.path) for b in found.bricks)
    if running != tuple((b.host, b.path) for b in bricks):
        diffs.append(f"bricks {' '.join(b.name for b in found.bricks)}, "
                     f"declared {' '.join(map(str, bricks))}")
    return diffs


def volume_owning(volume_id_hex: str, volumes: Iterable[Volume]) -> str | None:
    """The live volume whose ID a brick's trusted.glusterfs.volume-id (0x + 32 hex digits) holds."""
    wanted = volume_id_hex.lower().removeprefix("0x")
    for volume in volumes:
        if volume.volume_id.replace("-", "").lower() == wanted:
            return volume.name
    return None


def left_by_interrupted_create(volume: str, brick: BrickRef, facts: NodeFacts,
                               live: Iterable[Volume]) -> str | None:
    """The volume ID an interrupted `volume create` of `volume` by this suite left on `brick`
    (None: not such a leftover). glusterd sets the ID on every brick directory while it prepares
    the create and does not take it off when the create fails, so the directory is refused from
    then on. It is this suite's own leftover only when all hold: the node still has the record
    written before that create, no volume of the pool owns the ID, and the directory holds no
    file. Anything else carrying a volume ID is somebody's, and stays refused."""
    state = facts.brick_dirs.get(brick.path)
    if (state is None or not state.volume_id or not state.empty
            or (volume, brick.path) not in facts.create_intents
            or volume_owning(state.volume_id, live) is not None):
        return None
    return state.volume_id


def brick_in_use(brick: BrickRef, node: str, volume_id_hex: str, owner: str | None) -> str:
    """Why a brick directory must not be used for a new volume, and the only safe way out. The
    xattr is never advised away while a volume of the pool still owns that ID."""
    if owner is not None:
        return (f"brick {brick} already belongs to a volume: the live volume {owner} (its volume ID "
                f"{volume_id_hex} is on the directory). Nothing was changed and its data is untouched. "
                "Declare another brick path; never clear that xattr while the volume exists")
    q = shlex.quote(brick.path)
    return (f"brick {brick} already belongs to a volume (trusted.glusterfs.volume-id={volume_id_hex}; "
            "no volume of the pool owns that ID: it held a volume before, maybe a deleted one). "
            "Nothing was changed and its data is untouched. Declare another brick path, or, only if "
            f"its data is no longer needed, clear it by hand on {node}: setfattr -x "
            f"trusted.glusterfs.volume-id {q}; setfattr -x trusted.gfid {q}; "
            f"rm -rf {shlex.quote(brick.path + '/.glusterfs')}")
