"""Bricks: each on the disk it was given (the how-to's USB stick at /mnt/usb), not on the SD card.

The classic failure: the stick did not mount at boot, the brick directory is missing or was
recreated on the root filesystem, and gluster either cannot start the brick or fills the SD card.
"""

from __future__ import annotations

import pytest

from glustercheck.diagnose import Diagnosis
from glustercheck.facts import NodeFacts, brick_place
from glustercheck.spec import ClusterSpec
from pytest_glustercheck.messages import fail


def test_bricks_on_their_own_disk(node: str, facts: NodeFacts, spec: ClusterSpec,
                                  diagnosis: Diagnosis) -> None:
    bricks = spec.bricks_on(node)
    if not bricks:
        pytest.skip(f"no brick of a declared volume on {node}")
    problems, causes = [], []
    for brick in bricks:
        place = brick_place(facts, brick.path)
        if place is not None and place.problem is not None:
            problems.append(place.problem)
            causes.append(diagnosis.place(node, brick.path))
    fail(node, problems, causes=causes,
         fix="mount the brick's disk where /etc/fstab says, or move the brick to a disk of its own")
