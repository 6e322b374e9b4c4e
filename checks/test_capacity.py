"""Capacity: each brick filesystem below the warning and critical thresholds, space and inodes."""

from __future__ import annotations

import pytest

from glustercheck.diagnose import Diagnosis
from glustercheck.facts import NodeFacts
from pytest_glustercheck.messages import fail, warn


def test_brick_filesystems_have_room(node: str, facts: NodeFacts, diagnosis: Diagnosis,
                                     request: pytest.FixtureRequest) -> None:
    if not facts.disks:
        pytest.skip(f"no brick of a declared volume on {node}")
    warning, critical = request.config.option.capacity_warn, request.config.option.capacity_critical
    problems, warnings = [], []
    for disk in facts.disks.values():
        for what, percent in (("space", disk.percent), ("inodes", disk.inode_percent)):
            text = f"brick {disk.path} on {disk.mount}: {what} {percent:.0f} % used"
            if percent >= critical:
                problems.append(f"{text} (critical: {critical:g} %)")
            elif percent >= warning:
                warnings.append(f"{text} (warning: {warning:g} %)")
    for text in warnings:
        warn(request, node, text, "free space on the brick filesystem before it reaches "
                                  f"{critical:g} %, or add bricks (gluster volume add-brick)")
    fail(node, problems, causes=diagnosis.disks(node),
         fix="free space on the brick filesystem or add bricks (gluster volume add-brick), then "
             "rebalance")
