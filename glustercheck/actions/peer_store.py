"""Repairs of glusterd's peer records after a power loss (see glustercheck/glusterd_store.py).

Both only move files: an empty record is replaced by glusterd's own complete copy (NAME.tmp) or,
holding nothing, set aside; a half-joined pairing's records are set aside on both sides so the next
probe starts it afresh. Set-aside files are kept under SET_ASIDE, never deleted. glusterd reads its
store only at start, so a running glusterd is stopped around the move and started again (its
bricks keep serving: glusterd.service stops only glusterd itself). Each script checks again, on
the node, that the record is still what the plan saw, and leaves it alone otherwise.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from glustercheck.actions.model import GLUSTERD_START_PLAIN, WAIT_GLUSTERD, Action, Command
from glustercheck.actions.record import CLUSTER
from glustercheck.glusterd_store import PEERS_DIR, SET_ASIDE

_SYSTEMD = "stop_gd() { systemctl stop glusterd; }; start_gd() { systemctl start glusterd; }\n"
# Without systemd as PID 1 (a container, a simulated node): by its pid file, as the unit would.
_PLAIN = ('stop_gd() { kill "$(cat /run/glusterd.pid 2>/dev/null || pidof glusterd)"; i=0\n'
          '  while pgrep -x glusterd >/dev/null; do i=$((i+1)); [ $i -le 100 ] || return 1\n'
          '    sleep 0.1; done; }\n'
          f'start_gd() {{ {GLUSTERD_START_PLAIN}; }}\n')
_WAIT = f'wait_gd() {{ ({WAIT_GLUSTERD.removeprefix("; ")}); }}\n'  # (its `exit` ends the subshell)
# The part under test (tests/unit/test_peer_store_scripts.py runs it with stand-in stop/start).
REPAIR_BODY = (
    'set -e; d=$1; a=$2; shift 2; run=no; pgrep -x glusterd >/dev/null && run=yes\n'
    '[ $run = no ] || stop_gd\n'
    'for f; do [ -f "$d/$f" ] && [ ! -s "$d/$f" ] || {\n'
    '    echo "$d/$f is no longer empty: left as it is" >&2; continue; }\n'
    '  if [ -f "$d/$f.tmp" ] && grep -qx "uuid=$f" "$d/$f.tmp"; then mv -f "$d/$f.tmp" "$d/$f"\n'
    '  else mkdir -p "$a"; mv "$d/$f" "$a/$f.empty-$(date +%Y%m%d%H%M%S)"; fi; done\n'
    '[ $run = no ] || { start_gd; wait_gd; }\n'
)
RESET_BODY = (
    'set -e; d=$1; a=$2; f=$3; [ -f "$d/$f" ] || exit 0\n'
    'if grep -qxE "state=(3|6)" "$d/$f"; then\n'
    '  echo "$d/$f: the pairing ended meanwhile: left as it is" >&2; exit 0; fi\n'
    'run=no; pgrep -x glusterd >/dev/null && run=yes; [ $run = no ] || stop_gd\n'
    'mkdir -p "$a"; mv "$d/$f" "$a/$f.half-joined-$(date +%Y%m%d%H%M%S)"\n'
    '[ $run = no ] || { start_gd; wait_gd; }\n'
)


def _script(body: str, systemd: bool, *args: str) -> str:
    prelude = (_SYSTEMD if systemd else _PLAIN) + _WAIT
    return f"sh -c {shlex.quote(prelude + body)} sh {shlex.join((PEERS_DIR, SET_ASIDE, *args))}"


@dataclass(frozen=True)
class RepairPeerRecords(Action):
    """Empty peer records left by a power loss while glusterd stored them."""

    node: str
    files: tuple[str, ...]
    systemd: bool

    @property
    def title(self) -> str:
        return f"repairing {len(self.files)} peer record(s) a power loss left empty"

    def command(self) -> Command:
        return Command(script=_script(REPAIR_BODY, self.systemd, *self.files), timeout=60)

    def done(self) -> tuple[str, ...]:
        return tuple(f"repaired the empty peer record {PEERS_DIR}/{f} (from glusterd's complete "
                     f"copy {f}.tmp when there was one, else set aside in {SET_ASIDE})"
                     for f in self.files)

    def missing(self) -> str:
        return (f"glusterd's peer record(s) {', '.join(self.files)} in {PEERS_DIR} are empty (a "
                "write cut short by a power loss)")


@dataclass(frozen=True)
class ResetPairing(Action):
    """One side of a pairing a probe left half-done: `node`'s record of `peer` is set aside."""

    node: str
    peer: str
    file: str
    state: str
    systemd: bool

    @property
    def key(self) -> str:
        return CLUSTER

    @property
    def missing_key(self) -> str:
        return self.peer

    @property
    def stale_cluster(self) -> bool:
        return True

    @property
    def title(self) -> str:
        return f"setting aside {self.node}'s half-joined record of {self.peer} ('{self.state}')"

    def command(self) -> Command:
        return Command(script=_script(RESET_BODY, self.systemd, self.file), timeout=60)

    def done(self) -> tuple[str, ...]:
        return (f"{self.node}: set aside its record of {self.peer} ('{self.state}', a probe cut "
                f"short) in {SET_ASIDE}; the next probe pairs them afresh",)

    def missing(self) -> str:
        return (f"{self.node}'s record of {self.peer} is stuck at '{self.state}' (a probe cut short; "
                "glusterd does not finish it by itself)")
