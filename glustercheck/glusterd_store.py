"""glusterd's own record of its peers (/var/lib/glusterd/peers), read as files: what a power loss
in the middle of a peer probe leaves there, and what `peer status` cannot tell when it fails.

glusterd stores a record by creating NAME empty, writing NAME.tmp and renaming it over NAME. A node
that loses power between the two keeps an empty NAME; glusterd 10.x then may refuse to start
("skipping malformed peer file", "Initialization of volume failed"). A probe cut short leaves the
two sides' records in a state other than 'Peer in Cluster' that glusterd never finishes by itself
('Probe Sent to Peer' on the prober, 'Connected to Peer' or 'Establishing Connection' on the
probed node); probing again answers "already in peer list" and `peer detach` hangs. Both were seen
on simulated nodes powered off during `--apply`'s probes (tests/e2e/test_drills.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

PEERS_DIR = "/var/lib/glusterd/peers"
GLUSTERD_INFO = "/var/lib/glusterd/glusterd.info"  # UUID=, operating-version=
VOLS_DIR = "/var/lib/glusterd/vols"
# Where --apply moves a peer record it takes out of glusterd's store: kept, never deleted.
SET_ASIDE = "/var/lib/glustercheck/set-aside"
# glusterd-sm.h, glusterd_friend_sm_state_t in order: a record's `state=` is the index.
STATE_NAMES = ("Establishing Connection", "Probe Sent to Peer", "Probe Received from Peer",
               "Peer in Cluster", "Accepted peer request", "Sent and Received peer request",
               "Peer Rejected", "Peer detach in progress", "Probe Received from peer",
               "Connected to Peer", "Peer is connected and Accepted")
BEFRIENDED, REJECTED = 3, 6


@dataclass(frozen=True)
class PeerRecord:
    """One file of the peers directory: `NAME` is the peer's UUID (or UUID.tmp, a write not yet
    renamed into place)."""

    file: str
    size: int
    uuid: str | None = None
    state: int | None = None
    hostnames: tuple[str, ...] = ()

    @property
    def is_tmp(self) -> bool:
        return self.file.endswith(".tmp")

    @property
    def empty(self) -> bool:
        return self.size == 0 and not self.is_tmp

    @property
    def state_name(self) -> str:
        if self.state is None or not 0 <= self.state < len(STATE_NAMES):
            return f"state {self.state}"
        return STATE_NAMES[self.state]

    @property
    def half_joined(self) -> bool:
        """Stored mid-handshake: neither in the pool nor rejected (glusterd stores only what
        lasts; a pairing that finishes stores 'Peer in Cluster' on both sides)."""
        return not self.is_tmp and self.state is not None and self.state not in (BEFRIENDED, REJECTED)


def parse_records(text: str) -> tuple[PeerRecord, ...]:
    """Lines `SIZE FILE key=value ...` (facts.py's `peerstore` section); a line that does not
    fit is left out: the record it stands for is then not judged, never misjudged."""
    records = []
    for line in text.splitlines():
        size, _, rest = line.partition(" ")
        words = rest.split()
        if not size.isdigit() or not words:
            continue
        file, *pairs = words
        values: dict[str, str] = {}
        hostnames = []
        for pair in pairs:
            key, _, value = pair.partition("=")
            if key.startswith("hostname") and value:
                hostnames.append(value)
            else:
                values.setdefault(key, value)
        state = values.get("state", "")
        records.append(PeerRecord(file, int(size), values.get("uuid") or None,
                                  int(state) if state.isdigit() else None, tuple(hostnames)))
    return tuple(records)


def record_script() -> str:
    """Shell lines printing the peers directory as `parse_records` reads it (no glusterd needed).

    Shell builtins only: a `wc` and a `tr` per record were three processes per peer on every node,
    about a seventh of a 16-node facts command's CPU. SIZE is the characters read (a line's newline
    counted as one), 0 only for an empty file: all that is judged of it is emptiness."""
    return (f'for f in {PEERS_DIR}/*; do [ -f "$f" ] || continue; l=; '
            'while IFS= read -r x || [ -n "$x" ]; do l="$l$x "; done <"$f"; '
            's=0; [ -s "$f" ] && s=${#l}; printf \'%s %s %s\\n\' "$s" "${f##*/}" "$l"; done')


@dataclass(frozen=True)
class DamagedRecord:
    """An empty record: with a complete NAME.tmp beside it (glusterd's finished copy that was not
    renamed into place) or without one (nothing was written: the record holds nothing)."""

    node: str
    file: str
    complete_copy: bool

    @property
    def path(self) -> str:
        return f"{PEERS_DIR}/{self.file}"

    def fix(self, systemd: bool) -> str:
        restart = "sudo systemctl restart glusterd" if systemd else "restart glusterd"
        if self.complete_copy:
            return (f"on {self.node}: sudo mv {self.path}.tmp {self.path} (glusterd's own complete "
                    f"copy of the record), then {restart} (or `pytest --apply`)")
        return (f"on {self.node}: sudo mkdir -p {SET_ASIDE} && sudo mv {self.path} {SET_ASIDE}/ "
                f"(it is empty), then {restart} (or `pytest --apply`, which also probes again)")


def damaged(node: str, records: Sequence[PeerRecord]) -> list[DamagedRecord]:
    copies = {r.file.removesuffix(".tmp") for r in records
              if r.is_tmp and r.uuid is not None and r.uuid == r.file.removesuffix(".tmp")}
    return [DamagedRecord(node, r.file, r.file in copies) for r in records if r.empty]


@dataclass(frozen=True)
class HalfJoined:
    """A pairing left mid-handshake: `holder`'s record of `peer` is in a passing state. Undoing it
    means rejoining one side afresh (glustercheck/pairings.py)."""

    holder: str
    peer: str
    record: PeerRecord

    def describe(self) -> str:
        return f"{self.holder}'s record of {self.peer} says '{self.record.state_name}'"


def half_joined(records: Mapping[str, Sequence[PeerRecord]],
                whose: Callable[[PeerRecord], str | None]) -> list[HalfJoined]:
    """`records`: node -> its peer records; `whose`: the node a record is about (PeerNodes)."""
    found = []
    for holder, held in records.items():
        for record in held:
            if not record.half_joined:
                continue
            peer = whose(record)
            if peer is not None and peer != holder:
                found.append(HalfJoined(holder, peer, record))
    return found
