"""Step 5, cluster-wide: each declared volume exists as declared (validated before glusterd sees
it, never recreated or reshaped), has its options, and is started with every brick online."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from glustercheck.actions import (
    ClearHalfMadeBrick,
    ForgetCreate,
    MakeDirectory,
    Plan,
    RecordCreate,
    SetupError,
    VolumeCreate,
    VolumeSet,
    VolumeStart,
    volume_key,
)
from glustercheck.brick import BrickRef
from glustercheck.declared import (
    brick_in_use,
    create_request,
    layout_difference,
    left_by_interrupted_create,
    volume_owning,
)
from glustercheck.facts import ClusterFacts, brick_place, volume_online
from glustercheck.layout import validate
from glustercheck.parsers import Volume
from glustercheck.spec import VolumeSpec

from .context import Observed, StepContext

NAME = "volumes"
NEEDS_CLUSTER = True


def plan(observed: Observed, ctx: StepContext) -> Plan:
    out = Plan()
    cluster = observed.cluster
    if cluster is None:
        raise SetupError("volume state was not gathered")
    if "volume info" in cluster.errors:
        raise SetupError(f"{cluster.source}: cannot read volume info: {cluster.errors['volume info']}")
    for volume in ctx.spec.volumes:
        _plan_volume(out, observed, ctx, cluster, volume)
    return out


def _plan_volume(out: Plan, observed: Observed, ctx: StepContext, cluster: ClusterFacts,
                 volume: VolumeSpec) -> None:
    spec, key = ctx.spec, volume_key(volume.name)
    first = spec.nodes[0].name
    bricks = volume.brick_list(spec.nodes)
    request = create_request(volume, bricks)
    version = observed.nodes[first].version
    same_server = {n.address: n.name for n in spec.nodes if n.address}
    verdict = (validate(request, version, same_server=same_server) if version
               else validate(request, same_server=same_server))
    if not verdict.accepted:
        out.error(key, "declared layout rejected before reaching glusterd: " + " / ".join(verdict.reasons))
        return
    for warning in verdict.warnings:
        out.problem(key, f"layout warning: {warning}")
    found = cluster.volumes.get(volume.name)
    if found is not None:
        diffs = layout_difference(volume, bricks, found)
        if diffs:
            out.error(key, f"volume {volume.name} exists with a different layout: " + "; ".join(diffs)
                      + ". Nothing was changed; a volume is never recreated or reshaped by this suite")
            return
        out.inspect(key, f"exists as declared ({found.count_string})")
        out.add(*_records_to_forget(observed, volume.name))
    else:
        half_made = _half_made(observed, ctx, volume.name, bricks)
        refusal = (_brick_refusal(observed, ctx, bricks, half_made)
                   or _misplaced(observed, ctx, volume, bricks))
        if refusal is not None:
            out.error(key, refusal)
            return
        out.add(*half_made.values())
        out.add(*_parents_to_make(observed, ctx, bricks))
        out.add(*_records_of_create(ctx, volume.name, bricks))
        out.add(VolumeCreate(first, request, f"{verdict.count_string} {verdict.type_name}"))
        out.add(*(ForgetCreate(node, volume.name) for node in _brick_nodes(ctx, bricks)))
    current = found.options if found else {}
    out.add(*(VolumeSet(first, volume.name, option, value)
              for option, value in volume.options.items() if current.get(option) != value))
    _plan_start(out, first, volume.name, found, cluster)


def _plan_start(out: Plan, first: str, name: str, found: Volume | None,
                cluster: ClusterFacts) -> None:
    if found is None or found.status != "Started":
        out.add(VolumeStart(first, name, found.status if found else None))
    elif not volume_online(found, cluster.status.get(name)):
        out.problem(volume_key(name), "started, but not every brick or self-heal daemon is online")


def _brick_nodes(ctx: StepContext, bricks: Sequence[BrickRef]) -> list[str]:
    return list(dict.fromkeys(ctx.spec.owner(b) for b in bricks))


def _records_of_create(ctx: StepContext, volume: str,
                       bricks: Sequence[BrickRef]) -> list[RecordCreate]:
    return [RecordCreate(node, volume, tuple(b.path for b in bricks if ctx.spec.owner(b) == node))
            for node in _brick_nodes(ctx, bricks)]


def _records_to_forget(observed: Observed, volume: str) -> list[ForgetCreate]:
    """The volume exists: a create record left on a node (the run that created it stopped before
    removing it) goes."""
    return [ForgetCreate(node, volume) for node, facts in observed.nodes.items()
            if any(v == volume for v, _ in facts.create_intents)]


def _half_made(observed: Observed, ctx: StepContext, volume: str,
               bricks: Sequence[BrickRef]) -> dict[BrickRef, ClearHalfMadeBrick]:
    """Brick directories this suite's own interrupted create of `volume` left behind (cleared
    before the create runs again); see `left_by_interrupted_create`."""
    live = list(observed.cluster.volumes.values()) if observed.cluster else []
    found: dict[BrickRef, ClearHalfMadeBrick] = {}
    for brick in bricks:
        node = ctx.spec.owner(brick)
        volume_id = left_by_interrupted_create(volume, brick, observed.nodes[node], live)
        if volume_id is not None:
            found[brick] = ClearHalfMadeBrick(node, brick.path, volume, volume_id)
    return found


def _brick_refusal(observed: Observed, ctx: StepContext, bricks: Sequence[BrickRef],
                   half_made: dict[BrickRef, ClearHalfMadeBrick]) -> str | None:
    """Why a brick directory must not be used for a new volume: it already belongs to one (even
    a deleted one), or that cannot be checked. What this suite's own interrupted create left
    (`half_made`) is cleared instead."""
    for brick in bricks:
        node = ctx.spec.owner(brick)
        facts = observed.nodes[node]
        if not facts.getfattr:  # without it a used brick would look unused: refuse to guess
            return (f"{node}: getfattr is missing, so brick {brick} cannot be checked for an earlier "
                    "volume; install it: apt-get install attr")
        found = facts.brick_dirs.get(brick.path)
        if found is not None and found.volume_id and brick not in half_made:
            live = observed.cluster.volumes.values() if observed.cluster else ()
            return brick_in_use(brick, node, found.volume_id, volume_owning(found.volume_id, live))
    return None


def _misplaced(observed: Observed, ctx: StepContext, volume: VolumeSpec,
               bricks: Sequence[BrickRef]) -> str | None:
    """A brick that would land on the SD card (the disk meant for it is not mounted, or there is
    none): gluster would fill the root filesystem. Only `force = true` in the spec overrides."""
    if volume.force:
        return None
    for brick in bricks:
        node = ctx.spec.owner(brick)
        place = brick_place(observed.nodes[node], brick.path)
        if place is not None and place.problem is not None:
            return (f"{node}: {place.problem}. Nothing was created: mount the brick's disk first "
                    f"(`sudo mount {shlex.quote(place.expected)}` on {node})" if place.expected else
                    f"{node}: {place.problem}. Nothing was created: give the brick a disk of its own, "
                    "or set force = true for this volume in the spec to use the root filesystem")
    return None


def _parents_to_make(observed: Observed, ctx: StepContext,
                     bricks: Sequence[BrickRef]) -> list[MakeDirectory]:
    """glusterd creates only the last component of a brick path."""
    wanted = []
    for brick in bricks:
        node = ctx.spec.owner(brick)
        found = observed.nodes[node].brick_dirs.get(brick.path)
        if found is None or not found.parent_exists:
            wanted.append(MakeDirectory(node, brick.parent))
    return list(dict.fromkeys(wanted))
