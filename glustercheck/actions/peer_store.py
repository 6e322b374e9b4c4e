"""Repairs of glusterd's peer records after a power loss (see glustercheck/glusterd_store.py).

Both only move files: an empty record is replaced by glusterd's own complete copy (NAME.tmp) or,
holding nothing, set aside; a node whose pairing a probe left half-done rejoins afresh: every
record that ties it to the pool (its own, and each other node's record of it) is set aside, then
the peers step probes it again. Set-aside files are kept under SET_ASIDE, never deleted. glusterd
reads its store only at start, so it is stopped around the move and started again (its bricks
keep serving: glusterd.service stops only glusterd itself). Each script checks again, on the node,
that a record is still what the plan saw, and leaves it alone otherwise (printing UNCHANGED when it
did nothing, so no change is recorded).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from glustercheck.actions.model import (
    GLUSTERD_START_PLAIN,
    UNCHANGED,
    WAIT_GLUSTERD,
    Action,
    ClusterAction,
    Command,
)
from glustercheck.glusterd_store import PEERS_DIR, SET_ASIDE, STATE_NAMES

_SYSTEMD = "stop_gd() { systemctl stop glusterd; }; start_gd() { systemctl start glusterd; }\n"
# Without systemd as PID 1 (a container, a simulated node): by its pid file, as the unit would.
_PLAIN = ('stop_gd() { kill "$(cat /run/glusterd.pid 2>/dev/null || pidof glusterd)"; i=0\n'
          '  while pgrep -x glusterd >/dev/null; do i=$((i+1)); [ $i -le 100 ] || return 1\n'
          '    sleep 0.1; done; }\n'
          f'start_gd() {{ {GLUSTERD_START_PLAIN}; }}\n')
_WAIT = f'wait_gd() {{ ({WAIT_GLUSTERD.removeprefix("; ")}); }}\n'  # (its `exit` ends the subshell)
# The parts under test (tests/unit/test_peer_store.py runs them with stand-in stop/start).
REPAIR_BODY = (
    'set -e; d=$1; a=$2; shift 2; run=no; pgrep -x glusterd >/dev/null && run=yes; n=0\n'
    'for f; do [ -f "$d/$f" ] && [ ! -s "$d/$f" ] && n=$((n+1)); done\n'
    f'[ $n -gt 0 ] || {{ echo "{UNCHANGED} no record is empty any more"; exit 0; }}\n'
    '[ $run = no ] || stop_gd\n'
    'for f; do [ -f "$d/$f" ] && [ ! -s "$d/$f" ] || continue\n'
    '  if [ -f "$d/$f.tmp" ] && grep -qx "uuid=$f" "$d/$f.tmp"; then mv -f "$d/$f.tmp" "$d/$f"\n'
    '  else mkdir -p "$a"; mv "$d/$f" "$a/$f.empty-$(date +%Y%m%d%H%M%S)"; fi; done\n'
    '[ $run = no ] || { start_gd; wait_gd; }\n'
)
STOP_BODY = 'set -e; if pgrep -x glusterd >/dev/null; then stop_gd; fi\n'
RESTART_BODY = STOP_BODY + 'start_gd; wait_gd\n'
# Arguments after the two directories: FILE STATE pairs, each as the plan saw it.
SET_ASIDE_BODY = (
    'set -e; d=$1; a=$2; shift 2; mkdir -p "$a"; moved=0\n'
    'while [ $# -ge 2 ]; do f=$1; want=$2; shift 2\n'
    '  if [ -f "$d/$f" ] && grep -qx "state=$want" "$d/$f"; then\n'
    '    mv "$d/$f" "$a/$f.rejoin-$(date +%Y%m%d%H%M%S)"; moved=$((moved+1))\n'
    '  else echo "$d/$f no longer says state=$want: left alone" >&2; fi; done\n'
    'pgrep -x glusterd >/dev/null || start_gd; wait_gd\n'
    f'[ $moved -gt 0 ] || echo "{UNCHANGED} nothing moved"\n'
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
class StopGlusterd(Action):
    """First half of rejoining `newcomer`: glusterd stopped on every node that holds a record of
    it (and on it), before any record moves, so no glusterd still running passes the old pairing
    on to one that has just forgotten it. The second half starts it again."""

    node: str
    newcomer: str
    systemd: bool

    @property
    def title(self) -> str:
        return f"stopping glusterd to rejoin {self.newcomer} afresh"

    def command(self) -> Command:
        return Command(script=_script(STOP_BODY, self.systemd), timeout=60)

    def done(self) -> tuple[str, ...]:
        return ()

    def missing(self) -> None:
        return None


@dataclass(frozen=True)
class RestartGlusterd(ClusterAction):
    """The one remedy a peers wait takes, for what glusterd does not mend by itself after a power
    loss mid-handshake: `node` holds a peer disconnected while that peer sees it connected (seen
    for over 60 s), or its `peer status` keeps failing (opRet -22: an unnamed peer in memory
    while the records on disk are whole). A restart reads the store and connects afresh to every
    peer. Its bricks keep serving (only glusterd itself stops)."""

    node: str
    why: str  # what the wait saw, for the report
    systemd: bool

    @property
    def title(self) -> str:
        return "restarting glusterd"

    def command(self) -> Command:
        return Command(script=_script(RESTART_BODY, self.systemd), timeout=90)

    def done(self) -> tuple[str, ...]:
        return (f"{self.node}: restarted glusterd: {self.why}",)

    def missing(self) -> None:
        return None


@dataclass(frozen=True)
class SetAsideRecords(ClusterAction):
    """Second half: `node`'s peer records that tie `newcomer` to the pool (`records`: file and
    state as planned; a record found in another state is left alone) go to SET_ASIDE, then
    glusterd starts again."""

    node: str
    newcomer: str
    records: tuple[tuple[str, int, str], ...]  # (file, state, whose record: the peer's node)
    systemd: bool

    @property
    def missing_key(self) -> str:
        return self.newcomer

    @property
    def title(self) -> str:
        return f"setting aside {len(self.records)} peer record(s) to rejoin {self.newcomer} afresh"

    def command(self) -> Command:
        pairs = [str(x) for file, state, _ in self.records for x in (file, state)]
        return Command(script=_script(SET_ASIDE_BODY, self.systemd, *pairs), timeout=60)

    def done(self) -> tuple[str, ...]:
        return tuple(f"{self.node}: set aside its record of {whom} ('{STATE_NAMES[state]}') in "
                     f"{SET_ASIDE}: {self.newcomer} rejoins afresh" for _, state, whom in self.records)

    def missing(self) -> str:
        return (f"{self.newcomer}'s pairing was cut short mid-probe: {self.node} holds "
                + ", ".join(f"its record of {whom} at '{STATE_NAMES[state]}'"
                            for _, state, whom in self.records))
