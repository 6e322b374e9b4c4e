"""A declared volume (spec) as a `volume create` request, and how a running volume differs from it.

Shared by the setup steps (refuse to touch a volume that differs) and the checks (report it).
"""

from __future__ import annotations

from collections.abc import Sequence

from glustercheck.brick import BrickRef
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
