"""Rules on the volume name and the counts of a `volume create` request, per gluster version.

Messages that gluster itself prints are kept verbatim (cli/src/cli-cmd-parser.c of each era);
where gluster accepts something that then fails late or silently, the message is ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glustercheck.glusterd_limits import RESERVED_NAMES
from glustercheck.layout.request import CreateRequest
from glustercheck.versions import (
    DISPERSE_DATA_MAX_16,
    DISTRIBUTED_MISLABEL,
    LATE_MULTIPLE_FAILURE,
    REPLICA_2_ARBITER,
    STRIPE_KEYWORD_REMOVED,
    STRIPE_UNSUPPORTED,
    THIN_ARBITER,
    VOLUME_NAME_251,
    GlusterVersion,
    version_text,
)
from glustercheck.volume_shape import VolumeShape

SPLIT_BRAIN = (
    "Replica 2 volumes are prone to split-brain. Use Arbiter or Replica 3 to avoid this. See: "
    "http://docs.gluster.org/en/latest/Administrator-Guide/Split-brain-and-ways-to-deal-with-it/."
)


@dataclass
class Findings:
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Counts:
    """The counts gluster ends up with. `set_size` is the size of a replica/disperse set."""

    shape: VolumeShape
    kind: str | None  # "replicate", "disperse" or None (no redundancy to spread)
    set_size: int


v = version_text  # short: used inside many messages

def check_name(name: str, version: GlusterVersion, out: Findings) -> None:
    limit = 251 if VOLUME_NAME_251.applies(version) else 256
    if not name:
        out.reasons.append("the volume name is empty")
    elif name.startswith("-"):
        out.reasons.append(f"volume name {name!r} starts with '-', which gluster reads as an option")
    elif name in RESERVED_NAMES:
        out.reasons.append(f'"{name}" cannot be the name of a volume.')
    elif len(name) > limit:
        out.reasons.append(f"Volume name exceeds {limit} characters.")
    else:
        bad = next((c for c in name if not (c.isascii() and (c.isalnum() or c in "_-"))), None)
        if bad is not None:
            out.reasons.append(
                f'Volume name should not contain "{bad}" character. '
                "Volume names can only contain alphanumeric, '-' and '_' characters."
            )


def _arbiter_message(version: GlusterVersion) -> str:
    need = 2 if REPLICA_2_ARBITER.applies(version) else 3
    return (
        f"For arbiter configuration, replica count must be {need} and arbiter count must be 1. "
        "The 3rd brick of the replica will be the arbiter"
    )


def _stripe_alternative(req: CreateRequest) -> str:
    size = req.stripe * max(req.replica, 1)
    alt = f"`disperse {size} redundancy {default_redundancy(size)}`" if size >= 3 else "disperse (3+ bricks)"
    return (
        "striped volumes were removed in gluster 6.0. To spread data over several "
        f"bricks with fault tolerance use {alt}; for plain capacity drop `stripe {req.stripe}` "
        "(distribute, with the features.shard option for very large files)"
    )


def check_counts(req: CreateRequest, version: GlusterVersion, out: Findings) -> Counts:
    """Apply the replica/arbiter/thin-arbiter/stripe/disperse rules; return what gluster builds."""
    n = len(req.data_bricks)
    replica, stripe = 0, 0
    if req.has("replica"):
        replica = req.replica
        if replica < 2:
            out.reasons.append(
                "replica count should be greater than 1"
                + (" (for a volume without copies leave out `replica`)" if replica == 1 else "")
            )
    replica = _check_arbiters(req, version, replica, out)
    if req.has("stripe"):
        stripe = _check_stripe(req, version, out)
    disperse_asked = any(req.has(o) for o in ("disperse", "disperse-data", "redundancy"))
    if disperse_asked and req.has("replica"):
        out.reasons.append("replicated-dispersed volume is not supported")
    elif disperse_asked and req.has("stripe"):
        out.reasons.append("striped-dispersed volume is not supported")
    elif disperse_asked:
        disperse, redundancy = check_disperse(req, n, version, out)
        return Counts(VolumeShape(n, disperse=disperse, redundancy=redundancy), "disperse", disperse)
    replica = replica if replica >= 2 else 0
    arbiter = 1 if replica == 3 and req.arbiter == 1 else 0
    shape = VolumeShape(n, replica=replica, arbiter=arbiter, stripe=stripe if stripe >= 2 else 0)
    kind = "replicate" if replica >= 2 else None
    return Counts(shape, kind, replica if kind else shape.group_size)


def _check_arbiters(req: CreateRequest, version: GlusterVersion, replica: int, out: Findings) -> int:
    if req.has("arbiter") and req.has("thin-arbiter"):
        out.reasons.append("a volume has either an arbiter or a thin-arbiter brick, not both")
    if req.has("arbiter"):
        if not req.has("replica"):
            out.reasons.append("arbiter option must be preceded by replica option.")
        elif req.arbiter != 1 or replica not in ((2, 3) if REPLICA_2_ARBITER.applies(version) else (3,)):
            out.reasons.append(_arbiter_message(version))
        else:
            return 3  # `replica 2 arbiter 1` is sent to glusterd as replica 3 arbiter 1
    if req.has("thin-arbiter"):
        if not THIN_ARBITER.applies(version):
            out.reasons.append(
                f"thin-arbiter needs gluster 7.0 or newer; gluster {v(version)} reads the word "
                "as a brick and fails. Use `replica 3 arbiter 1` instead"
            )
        elif not req.has("replica"):
            out.reasons.append("thin-arbiter option must be preceded by replica option.")
        elif req.thin_arbiter != 1 or replica != 2:
            out.reasons.append(
                "For thin-arbiter configuration, replica count must be 2 and thin-arbiter count "
                "must be 1. The 3rd brick of the replica will be the thin-arbiter brick"
            )
    return replica


def _check_stripe(req: CreateRequest, version: GlusterVersion, out: Findings) -> int:
    if STRIPE_KEYWORD_REMOVED.applies(version):
        out.reasons.append(
            f"`stripe` is no longer an option in gluster {v(version)} (it would be read as a brick): "
            + _stripe_alternative(req)
        )
    elif STRIPE_UNSUPPORTED.applies(version):
        out.reasons.append("stripe option not supported: " + _stripe_alternative(req))
    elif req.stripe < 2:
        out.reasons.append("stripe count should be greater than 1")
    else:
        out.warnings.append(
            "striped volumes are deprecated and gone from gluster 6.0, so this volume cannot be "
            "upgraded past 5.x: prefer disperse, or distribute with features.shard"
        )
        return req.stripe
    return 0


def default_redundancy(disperse: int) -> int:
    """The redundancy gluster picks when none is given (data bricks a power of two if possible)."""
    tmp, i = disperse - 1, (disperse - 1) // 2
    while i > 0 and tmp & -tmp != tmp:
        i, tmp = i - 1, tmp - 1
    return 1 if i == 0 else disperse - tmp


def check_disperse(req: CreateRequest, n: int, version: GlusterVersion, out: Findings) -> tuple[int, int]:
    """gluster's cli_cmd_create_disperse_check; returns (disperse, redundancy), (0, 0) if refused."""
    typed = req.disperse != 0 or "disperse-count" in req.given
    if typed and req.disperse < 3:
        out.reasons.append("disperse count must be greater than 2")
        return 0, 0
    data = req.disperse_data if req.has("disperse-data") else -1
    capped = DISPERSE_DATA_MAX_16.applies(version)
    if req.has("disperse-data") and (data < 2 or (capped and data > 16)):
        out.reasons.append(
            "disperse-data must be greater than 1 and less than equal to 16"
            if capped
            else "disperse-data must be greater than 1"
        )
        return 0, 0
    red = req.redundancy if req.has("redundancy") else -1
    if req.has("redundancy") and red < 1:
        out.reasons.append("redundancy must be greater than 0")
        return 0, 0
    disperse = req.disperse if typed else 0
    asked_redundancy = red != -1
    if data > 0:
        if disperse > 0 and red > 0:
            if disperse != data + red:
                out.reasons.append(
                    f"Disperse count({disperse}) should be equal to sum of disperse-data "
                    f"count({data}) and redundancy count({red})"
                )
                return 0, 0
        elif red > 0:
            disperse = data + red
        elif disperse > 0:
            red = disperse - data
        elif n - data >= data:
            out.reasons.append("Please provide redundancy count along with disperse-data count")
            return 0, 0
        else:
            red, disperse = n - data, n
    if disperse <= 0:
        if n < 3:
            out.reasons.append("number of bricks must be greater than 2")
            return 0, 0
        disperse = n
    if red == -1:
        red = default_redundancy(disperse)
        out.warnings.append(
            f"no redundancy given: gluster picks redundancy {red} for disperse {disperse} (and asks "
            f"first unless --mode=script); write `redundancy {red}` to say so"
        )
    if red < 1 or red > (disperse - 1) // 2:
        out.reasons.append(
            "redundancy must be greater than or equal to 1 and less than "
            f"{(disperse + 1) // 2} for a disperse {disperse} volume"
        )
        return 0, 0
    if DISPERSE_DATA_MAX_16.applies(version) and disperse - red > 16:
        out.reasons.append("disperse-data bricks must be less than or equal to 16")
        return 0, 0
    data = disperse - red
    if asked_redundancy and data & -data != data:
        out.warnings.append(
            f"This configuration is not optimal on most workloads. ({data} data bricks per set is "
            "not a power of two; gluster asks before creating it unless --mode=script)"
        )
    return disperse, red


def check_multiple(req: CreateRequest, counts: Counts, version: GlusterVersion, out: Findings, *,
                   refused_in_staging: bool = False) -> None:
    """The brick count against the set size. `refused_in_staging`: glusterd's brick-order check
    refuses the layout before the count could fail late (validate.py decides)."""
    n, shape = len(req.data_bricks), counts.shape
    if n == 0:
        out.reasons.append("No bricks specified")
        return
    size = shape.group_size
    if size <= 1 or n % size == 0:
        return
    if shape.disperse:
        out.reasons.append("number of bricks is not a multiple of disperse count")
    elif not LATE_MULTIPLE_FAILURE.applies(version):
        out.reasons.append(
            "number of bricks is not a multiple of replica count"
            if not shape.stripe
            else "number of bricks is not a multiple of stripe count"
            if not shape.replica
            else "number of bricks given doesn't match required count"
        )
    elif refused_in_staging:
        fits = [c for c in (n - n % size, n - n % size + size) if c > 0]
        out.reasons.append(
            f"{n} bricks do not make whole replica sets of {size} either: give "
            f"{' or '.join(map(str, fits))} bricks (in an order that passes the same-server check, "
            f'gluster {v(version)} would accept this count and then fail with "Failed to create '
            'volume files", leaving state behind)'
        )
    else:
        fits = [c for c in (n - n % size, n - n % size + size) if c > 0]
        out.reasons.append(
            f"{n} bricks do not make whole replica sets of {size}: gluster {v(version)} accepts the "
            'command but then fails with "Failed to create volume files", leaving '
            f"/var/lib/glusterd/vols/{req.volume} and a volume-id xattr on every brick behind, so the "
            'corrected command fails with "... is already part of a volume". '
            f"Give {' or '.join(map(str, fits))} bricks"
        )


def count_warnings(req: CreateRequest, counts: Counts, version: GlusterVersion, out: Findings) -> None:
    shape = counts.shape
    if shape.replica == 2 and not req.thin_arbiter:
        better = ("`replica 2 arbiter 1`" if REPLICA_2_ARBITER.applies(version)
                  else "`replica 3 arbiter 1`")
        out.warnings.append(
            f"{SPLIT_BRAIN} ({better} adds a small metadata-only brick per set; without force "
            "gluster asks to confirm unless --mode=script)"
        )
    if DISTRIBUTED_MISLABEL.applies(version) and shape.group_size > 1 and shape.group_count == 1:
        out.warnings.append(
            f"gluster 11.0 will show this single-set volume as Type: {shape.type_name(version)} "
            "(a display bug fixed in 11.1); Number of Bricks is right"
        )
    if req.force:
        out.warnings.append(
            "force also skips gluster's root-partition and mount-point checks and lets it take over "
            "directories that were bricks before (their old data is mixed in or lost)"
        )
