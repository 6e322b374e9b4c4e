"""The arithmetic of a volume's shape, shared by the layout validator and the output parsers.

A volume is a sequence of bricks cut into consecutive groups (subvolumes). The group size is the
replica count (arbiter included), the disperse count, or stripe x replica for the 3.x stripe types;
a pure distribute volume has groups of one. From the counts follow the type string and the
`Number of Bricks` string that `gluster volume info` prints, for every supported gluster version.
"""

from __future__ import annotations

from dataclasses import dataclass

from glustercheck.versions import (
    DISTRIBUTED_MISLABEL,
    NEWEST_SUPPORTED,
    UNSUPPORTED_TYPE_SUFFIX,
    GlusterVersion,
    parse_version,
)

__all__ = ["NEWEST_SUPPORTED", "GlusterVersion", "VolumeShape", "parse_version", "shape_from_counts"]


@dataclass(frozen=True)
class VolumeShape:
    """Counts that define how bricks group. Zero means "not used" for every count."""

    brick_count: int
    replica: int = 0
    arbiter: int = 0
    disperse: int = 0
    redundancy: int = 0
    stripe: int = 0

    @property
    def group_size(self) -> int:
        if self.disperse:
            return self.disperse
        size = max(self.replica, 1) * max(self.stripe, 1)
        return size

    @property
    def group_count(self) -> int:
        return self.brick_count // self.group_size if self.group_size else 0

    @property
    def is_distribute_only(self) -> bool:
        return self.group_size == 1

    def type_name(self, version: GlusterVersion = NEWEST_SUPPORTED) -> str:
        """The `Type:` string of `volume info` (11.0 mislabels single-group volumes)."""
        if self.is_distribute_only:
            return "Distribute"
        distributed = self.group_count > 1 or DISTRIBUTED_MISLABEL.applies(version)
        prefix = "Distributed-" if distributed else ""
        if self.disperse:
            return prefix + "Disperse"
        if self.stripe > 1:
            base = "Striped-Replicate" if self.replica > 1 else "Stripe"
            name = ("Distributed-" + base) if self.group_count > 1 else base
            return name + (" [NOT SUPPORTED from v6.0]" if UNSUPPORTED_TYPE_SUFFIX.applies(version)
                           else "")
        return prefix + "Replicate"

    def count_string(self) -> str:
        """The `Number of Bricks:` string: `4`, `2 x 2 = 4`, `1 x (2 + 1) = 3`."""
        n, groups = self.brick_count, self.group_count
        if self.is_distribute_only:
            return str(n)
        if self.disperse:
            data = self.disperse - self.redundancy
            return f"{groups} x ({data} + {self.redundancy}) = {n}"
        if self.arbiter:
            return f"{groups} x ({self.replica - self.arbiter} + {self.arbiter}) = {n}"
        if self.stripe > 1:
            middle = f"{self.stripe} x {self.replica}" if self.replica > 1 else f"{self.stripe}"
            return f"{groups} x {middle} = {n}"
        return f"{groups} x {self.replica} = {n}"

    def groups(self, bricks: list[str]) -> list[list[str]]:
        """Cut `bricks` (in `volume create` order) into its subvolumes, leftovers included last."""
        size = self.group_size
        return [bricks[i : i + size] for i in range(0, len(bricks), size)]


def shape_from_counts(
    brick_count: int,
    *,
    replica: int = 0,
    arbiter: int = 0,
    disperse: int = 0,
    redundancy: int = 0,
    stripe: int = 0,
) -> VolumeShape:
    """The shape of the counts `gluster volume info --xml` reports.

    XML says 1 for an unused replica or stripe count (disperse volumes report replicaCount 1);
    those become 0 here. `distCount` is deliberately not an input: it was the group size before
    and is the number of subvolumes since (8.x-11.x), so it cannot be trusted across versions.
    """
    return VolumeShape(
        brick_count=brick_count,
        replica=replica if replica > 1 and not disperse else 0,
        arbiter=arbiter,
        disperse=disperse,
        redundancy=redundancy if disperse else 0,
        stripe=stripe if stripe > 1 else 0,
    )
