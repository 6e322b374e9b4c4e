"""Gluster releases and what changed between them: one table the validator, the parsers and the
reports consult, instead of version comparisons scattered through the code.

Each `Change` holds from `since` (inclusive) until `until` (exclusive, None: still true), with what
changed and where it was read (glusterfs sources `cli/src/cli-cmd-parser.c`, `cli-rpc-ops.c`,
`xlators/mgmt/glusterd/src/`, at the release tags) or seen (a live glusterd).
"""

from __future__ import annotations

from dataclasses import dataclass

GlusterVersion = tuple[int, int]
"""(major, minor), e.g. (10, 3). Patch levels never change the formats we depend on."""

OLDEST_SUPPORTED: GlusterVersion = (3, 7)
NEWEST_SUPPORTED: GlusterVersion = (11, 1)


def parse_version(text: str) -> GlusterVersion:
    """`"10.3"`, `"3.7.20"` or `"11"` -> (major, minor). Raises ValueError naming the text."""
    parts = text.strip().split(".")
    try:
        major = int(parts[0])
        minor = int(parts[1]) if len(parts) > 1 and parts[1] else 0
    except ValueError:
        msg = f"not a gluster version: {text!r} (expected e.g. 10.3 or 3.7.20)"
        raise ValueError(msg) from None
    if major < 3:
        raise ValueError(f"gluster version {text!r} is older than 3.x, which is not supported")
    return (major, minor)


def unsupported(version: GlusterVersion) -> str | None:
    """Why the rules of `version` are not known here, or None. Minor releases after the newest
    known one keep its rules (gluster changes formats in major releases)."""
    if version >= OLDEST_SUPPORTED and version[0] <= NEWEST_SUPPORTED[0]:
        return None
    return (f"gluster {version_text(version)} is not supported: the rules known here are those of "
            f"{version_text(OLDEST_SUPPORTED)} to {NEWEST_SUPPORTED[0]}.x")


def version_text(version: GlusterVersion) -> str:
    return f"{version[0]}.{version[1]}"


@dataclass(frozen=True)
class Change:
    name: str
    since: GlusterVersion
    until: GlusterVersion | None
    what: str

    def applies(self, version: GlusterVersion) -> bool:
        return self.since <= version and (self.until is None or version < self.until)


SAME_SERVER_DETAIL = Change(
    "same-server-detail", (3, 12), None,
    "the same-server refusal adds 'Bricks should be on different nodes to have best fault "
    "tolerant configuration.' (cli-cmd-parser.c)")
VOLUME_NAME_251 = Change(
    "volume-name-251", (5, 0), (10, 0),
    "volume names limited to 251 characters instead of 256 (GD_VOLUME_NAME_MAX)")
REPLICA_2_ARBITER = Change(
    "replica-2-arbiter", (5, 0), None,
    "`replica 2 arbiter 1` accepted, meaning replica 3 arbiter 1; before only `replica 3 arbiter 1`")
BRICK_IN_GLUSTERD_DIR_REFUSED = Change(
    "brick-in-glusterd-dir-refused", (5, 0), None,
    "a brick inside /var/lib/glusterd is refused, even with force (glusterd-utils.c)")
STRIPE_UNSUPPORTED = Change(
    "stripe-unsupported", (6, 0), (10, 0),
    "`stripe N` refused with 'stripe option not supported'; striped volumes can no longer be made")
STRIPE_KEYWORD_REMOVED = Change(
    "stripe-keyword-removed", (10, 0), None,
    "`stripe` is no longer a keyword: it is read as a brick ('Wrong brick type: stripe', seen on 10.3)")
UNSUPPORTED_TYPE_SUFFIX = Change(
    "unsupported-type-suffix", (6, 0), None,
    "stripe-era volume types are shown with ' [NOT SUPPORTED from v6.0]'")
THIN_ARBITER = Change(
    "thin-arbiter", (7, 0), None,
    "`replica 2 thin-arbiter 1` (before 7.0 the word is read as a brick)")
LATE_MULTIPLE_FAILURE = Change(
    "late-multiple-failure", (10, 0), None,
    "a brick count that is not a multiple of the replica count is no longer refused up front: "
    "the create fails late with 'Failed to create volume files' and leaves state behind (seen on 10.3)")
DISPERSE_DATA_MAX_16 = Change(
    "disperse-data-max-16", (11, 0), None,
    "disperse-data limited to 16 bricks per set")
DISTRIBUTED_MISLABEL = Change(
    "distributed-mislabel", (11, 0), (11, 1),
    "single-set replicate/disperse volumes shown as Distributed-Replicate / Distributed-Disperse")
PROBE_BACK_PRIMARY_NAME = Change(
    "probe-back-primary-name", (11, 0), None,
    "a probe back by name makes the name the peer's primary Hostname (before: under Other names)")

CHANGES = (SAME_SERVER_DETAIL, VOLUME_NAME_251, REPLICA_2_ARBITER, BRICK_IN_GLUSTERD_DIR_REFUSED,
           STRIPE_UNSUPPORTED, STRIPE_KEYWORD_REMOVED, UNSUPPORTED_TYPE_SUFFIX, THIN_ARBITER,
           LATE_MULTIPLE_FAILURE, DISPERSE_DATA_MAX_16, DISTRIBUTED_MISLABEL, PROBE_BACK_PRIMARY_NAME)


def op_version_of(version: GlusterVersion) -> int:
    """The cluster op-version a release runs at (libglusterfs/src/glusterfs/globals.h:
    GD_OP_VERSION_10_0 = 100000, GD_OP_VERSION_11_0 = 110000; 5.0 on only majors bump it, 3.x and
    4.x counted minors as hundreds: 3.7 -> 30700)."""
    major, minor = version
    return major * 10000 if major >= 5 else major * 10000 + minor * 100


def changes_between(old: GlusterVersion, new: GlusterVersion) -> list[Change]:
    """What behaves differently on `new` than on `old` (for reports on mixed clusters)."""
    return [c for c in CHANGES if c.applies(old) != c.applies(new)]
