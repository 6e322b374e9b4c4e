"""Typed setup actions: what a planner decided, as values the executor runs and the report names.

A planner (setup_steps/) reads facts and returns a `Plan`; it never talks to a node. The executor
(executor.py) runs a plan's actions with argument vectors built here (no command rendered for a
person and split again), then waits for what they should bring about. In check-only mode nothing
is run: each action only says what is not configured yet.
"""

from __future__ import annotations

import base64
import shlex
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from glustercheck.actions.pool_waits import PeersConnected
from glustercheck.actions.record import CLUSTER, volume_key
from glustercheck.actions.waits import BricksOnline, Settle
from glustercheck.facts import CREATE_INTENTS
from glustercheck.layout import CreateRequest, create_args, render_command
from glustercheck.remote import CommandResult

HOSTS_BACKUP = "/etc/hosts.glustercheck.orig"
# Written to a temp file on the same filesystem, owner and mode kept, then renamed: atomic, and the
# bytes arrive base64-encoded so nothing on the way can change a line ending.
WRITE_HOSTS = (
    f"set -e; [ -e {HOSTS_BACKUP} ] || cp -p /etc/hosts {HOSTS_BACKUP}; "
    "t=$(mktemp /etc/.hosts.glustercheck.XXXXXX); base64 -d > \"$t\"; "
    "chown --reference=/etc/hosts \"$t\"; chmod --reference=/etc/hosts \"$t\"; mv -f \"$t\" /etc/hosts"
)
PROBE_TRANSIENT = r"transport endpoint is not connected"
# glusterd's refusals of a volume command over a brick's host that is not (or no longer) a
# connected pool member (glusterd-utils.c, brick validation; seen after a power loss mid-probe):
# nothing was created, and the peers step must settle the pool before the step is planned again.
POOL_UNSETTLED = r"host \S+ not connected|failed to find host|is not in 'peer in cluster' state"
GLUSTERD_ENABLED_LINK = "/etc/systemd/system/multi-user.target.wants/glusterd.service"
GLUSTERD_UNIT = "/lib/systemd/system/glusterd.service"
# What a script prints when, re-checking on the node, it found things changed since the plan and
# did nothing (the executor then records no change).
UNCHANGED = "glustercheck: unchanged:"
# Without systemd as PID 1 (a container, a simulated node), glusterd is started as its unit does.
GLUSTERD_START_PLAIN = "/usr/sbin/glusterd -p /run/glusterd.pid"
# glusterd listens a moment after its process starts: wait until the CLI gets an answer.
WAIT_GLUSTERD = ("; for i in $(seq 60); do gluster --mode=script pool list >/dev/null 2>&1 && exit 0;"
                  " sleep 0.5; done; echo 'glusterd did not answer within 30 s' >&2; exit 1")


@dataclass(frozen=True)
class Command:
    """What runs on a node: an argument vector, or a shell script where one is needed."""

    argv: tuple[str, ...] = ()
    script: str | None = None
    stdin: str | None = None
    timeout: float = 60.0
    gluster: bool = False  # argv are gluster CLI arguments: --mode=script, cluster lock, retries
    transient: str | None = None  # gluster answers (a regex) worth asking again: see run_gluster
    unsettled: str | None = None  # answers (a regex) meaning the pool changed: raise PoolUnsettled

    @property
    def shown(self) -> str:
        words = ("gluster", *self.argv) if self.gluster else self.argv
        return self.script if self.script is not None else shlex.join(words)


class Action(ABC):
    """One change on one node. Subclasses are frozen dataclasses with a `node` field."""

    node: str
    # Independent of every action of its kind on another node: a run of them in a plan is sent
    # to all their nodes at once (see Executor.perform).
    side_by_side: ClassVar[bool] = False

    @property
    def key(self) -> str:
        """The report key its change is recorded under."""
        return self.node

    @property
    def missing_key(self) -> str:
        """The report key check-only mode files it under."""
        return self.key

    @property
    def stale_cluster(self) -> bool:
        """Whether the cluster's volume state must be gathered again after it ran."""
        return False

    @property
    def settle(self) -> Settle | None:
        """What must become true after it ran, waited for once per batch."""
        return None

    @abstractmethod
    def command(self) -> Command: ...

    @property
    def title(self) -> str:
        """What it does, in a few words, for progress lines."""
        shown = self.command().shown
        return shown if len(shown) <= 100 else shown[:97] + "..."

    @abstractmethod
    def done(self) -> tuple[str, ...]:
        """The change lines recorded once it ran."""

    @abstractmethod
    def missing(self) -> str | None:
        """What check-only mode reports as not configured (None: a prerequisite, not reported)."""

    def failure(self, result: CommandResult) -> str:
        return f"{self.node}: `{self.command().shown}` failed (rc={result.rc}): {result.reason}"


class ClusterAction(Action):
    """A change to the trusted pool or a volume, made on one node: recorded under the cluster,
    and the cluster's state is read again after it ran."""

    @property
    def key(self) -> str:
        return CLUSTER

    @property
    def stale_cluster(self) -> bool:
        return True


@dataclass(frozen=True)
class WriteHostsFile(Action):
    node: str
    text: str  # the whole new file
    adds: tuple[tuple[str, str], ...]  # (name, address) the managed block holds
    replaced: tuple[str, ...] = ()  # descriptions of conflicting lines commented out
    differences: tuple[str, ...] = ()  # what the file gets wrong now, in words

    @property
    def title(self) -> str:
        return "writing /etc/hosts"

    def command(self) -> Command:
        data = base64.b64encode(self.text.encode("utf-8", "surrogateescape")).decode()
        return Command(script=WRITE_HOSTS, stdin=data)

    def done(self) -> tuple[str, ...]:
        block = (f"/etc/hosts: managed block with {len(self.adds)} nodes written "
                 f"(original kept as {HOSTS_BACKUP})" if self.adds else
                 "/etc/hosts: managed block removed: every node is listed right without it"
                 if not self.replaced else None)
        return (*([block] if block else []),
                *(f"/etc/hosts: {c}: commented out / name removed" for c in self.replaced))

    def missing(self) -> str | None:
        return "/etc/hosts " + "; ".join(self.differences) if self.differences else None

    def failure(self, result: CommandResult) -> str:
        return f"{self.node}: could not write /etc/hosts: {result.reason}"


@dataclass(frozen=True)
class InstallPackage(Action):
    node: str
    package: str = "glusterfs-server"

    @property
    def title(self) -> str:
        return f"apt-get install {self.package}"

    def command(self) -> Command:
        # The package lists of a Pi after first boot may be stale or empty: refresh them first.
        return Command(script=(
            "export DEBIAN_FRONTEND=noninteractive; apt-get -o DPkg::Lock::Timeout=300 -q update "
            f"&& apt-get -o DPkg::Lock::Timeout=300 -q -y install {shlex.quote(self.package)}"),
            timeout=900)

    def done(self) -> tuple[str, ...]:
        return (f"installed {self.package}",)

    def missing(self) -> str:
        return f"package {self.package} is not installed"

    def failure(self, result: CommandResult) -> str:
        return (f"{self.node}: `apt-get install {self.package}` failed (rc={result.rc}); is the "
                f"package registry reachable from {self.node}? {result.reason}")


@dataclass(frozen=True)
class StartGlusterd(Action):
    node: str
    start: bool
    enable: bool
    systemd: bool

    @property
    def title(self) -> str:
        if self.start:
            return "enabling and starting glusterd" if self.enable else "starting glusterd"
        return "enabling glusterd at boot"

    def command(self) -> Command:
        if self.systemd:
            script = "systemctl enable --now glusterd"
        else:  # no systemd as PID 1: enable as systemctl would (the link), start it directly
            folder = GLUSTERD_ENABLED_LINK.rsplit("/", 1)[0]
            script = (f"mkdir -p {folder} && ln -sf {GLUSTERD_UNIT} {GLUSTERD_ENABLED_LINK} && "
                      f"(pgrep -x glusterd >/dev/null || {GLUSTERD_START_PLAIN})")
        return Command(script=script + WAIT_GLUSTERD, timeout=60)

    def done(self) -> tuple[str, ...]:
        return (*(["started glusterd"] if self.start else []),
                *(["enabled glusterd at boot"] if self.enable else []))

    def missing(self) -> str:
        lacks = [what for what, needed in (("not running", self.start),
                                           ("not enabled at boot", self.enable)) if needed]
        return "glusterd " + " and ".join(lacks)

    def failure(self, result: CommandResult) -> str:
        return f"{self.node}: could not start glusterd: {result.reason}"


@dataclass(frozen=True)
class MakeDirectory(Action):
    """A brick's parent directory: glusterd creates only the last component of a brick path."""

    node: str
    path: str

    def command(self) -> Command:
        return Command(argv=("mkdir", "-p", "--", self.path))

    def done(self) -> tuple[str, ...]:
        return ()

    def missing(self) -> None:
        return None


@dataclass(frozen=True)
class PeerProbe(ClusterAction):
    node: str  # the prober
    target: str
    nodes: tuple[str, ...]  # the whole pool, for the wait that follows
    back: bool = False  # a probe back by name, so `target` is known by name, not only by address

    @property
    def missing_key(self) -> str:
        return self.node if self.back else self.target

    @property
    def settle(self) -> Settle:
        return PeersConnected(self.nodes, "peers reconnected" if self.back else None)

    def command(self) -> Command:
        # Seen at 64 nodes: one probe failed with "Probe returned with Transport endpoint is not
        # connected" while glusterd was busy connecting to many peers; probing again is safe (a
        # probe of a pool member answers "already in peer list").
        return Command(argv=("peer", "probe", self.target), gluster=True, timeout=120,
                       transient=PROBE_TRANSIENT)

    def done(self) -> tuple[str, ...]:
        note = (f" (probe back, so {self.target} is known by name, not only by address)"
                if self.back else "")
        return (f"{self.node}: gluster peer probe {self.target}{note}",)

    def missing(self) -> str:
        if self.back:
            return (f"knows {self.target} only by address; probe back by name "
                    f"(`gluster peer probe {self.target}` on {self.node})")
        return f"not in {self.node}'s trusted pool (`gluster peer probe {self.target}`)"


class VolumeAction(ClusterAction):
    """A gluster command about one volume, run on the first node: its change is recorded under the
    cluster, check-only mode reports it under the volume, and the volume state is read again."""

    @property
    @abstractmethod
    def volume_name(self) -> str: ...

    @property
    def missing_key(self) -> str:
        return volume_key(self.volume_name)


@dataclass(frozen=True)
class VolumeCreate(VolumeAction):
    node: str
    request: CreateRequest
    summary: str  # "2 x 2 = 4 Distributed-Replicate", as the validator predicts it

    @property
    def volume_name(self) -> str:
        return self.request.volume

    def command(self) -> Command:
        return Command(argv=tuple(create_args(self.request)), gluster=True, timeout=120,
                       unsettled=POOL_UNSETTLED)

    def done(self) -> tuple[str, ...]:
        return (f"created volume {self.request.volume}: {self.summary}",)

    def missing(self) -> str:
        return f"volume {self.request.volume} does not exist ({render_command(self.request)})"


@dataclass(frozen=True)
class RecordCreate(Action):
    """Before `volume create`: note on the node which of its brick directories the create is
    about to claim. glusterd sets the new volume ID on each brick directory while it prepares the
    create; if the create is then cut short (a node powered off, the controller killed) those IDs
    stay, no volume owns them, and glusterd refuses the directories from then on. The record is
    what lets the next --apply tell that leftover from a directory someone else used."""

    node: str
    volume: str
    paths: tuple[str, ...]
    side_by_side: ClassVar[bool] = True

    @property
    def title(self) -> str:
        return f"recording the create of {self.volume}"

    def command(self) -> Command:
        lines = "".join(f"{self.volume} {path}\n" for path in self.paths)
        target = shlex.quote(f"{CREATE_INTENTS}/{self.volume}")
        return Command(script=f"mkdir -p {CREATE_INTENTS} && cat > {target}", stdin=lines)

    def done(self) -> tuple[str, ...]:
        return ()

    def missing(self) -> None:
        return None


@dataclass(frozen=True)
class ForgetCreate(Action):
    """The volume exists: its create record on this node is no longer needed."""

    node: str
    volume: str
    side_by_side: ClassVar[bool] = True

    @property
    def title(self) -> str:
        return f"removing the create record of {self.volume}"

    def command(self) -> Command:
        return Command(argv=("rm", "-f", "--", f"{CREATE_INTENTS}/{self.volume}"))

    def done(self) -> tuple[str, ...]:
        return ()

    def missing(self) -> None:
        return None


# Run on the node, so nothing changed between planning and now can be lost: the ID must still be
# the one planned from, and the directory must still hold no file.
_CLEAR_HALF_MADE = (
    'set -e; p=$1; want=$2; have=$(getfattr --absolute-names -n trusted.glusterfs.volume-id -e hex '
    '"$p" 2>/dev/null | sed -n "s/^trusted.glusterfs.volume-id=//p")\n'
    '[ "$have" = "$want" ] || { echo "$p: volume ID is now ${have:-unset}, not $want" >&2; exit 1; }\n'
    '[ -z "$(find "$p" -mindepth 1 ! -type d -print -quit)" ] || '
    '{ echo "$p: holds files now" >&2; exit 1; }\n'
    'setfattr -x trusted.glusterfs.volume-id "$p"; setfattr -x trusted.gfid "$p" 2>/dev/null || true\n'
    'rm -rf -- "$p/.glusterfs"'
)


@dataclass(frozen=True)
class ClearHalfMadeBrick(Action):
    """A brick directory an interrupted `volume create` of this suite left behind: it carries
    the volume ID of a create that never finished, no volume owns that ID, the node holds this
    suite's record of that create, and the directory holds no file. Clearing the ID (and an empty
    .glusterfs) lets the create run again; nothing anybody stored is touched."""

    node: str
    path: str
    volume: str
    volume_id: str

    @property
    def key(self) -> str:
        return volume_key(self.volume)

    @property
    def title(self) -> str:
        return f"clearing {self.path}, left half-made by an interrupted create of {self.volume}"

    def command(self) -> Command:
        return Command(script=f"sh -c {shlex.quote(_CLEAR_HALF_MADE)} sh "
                              f"{shlex.quote(self.path)} {shlex.quote(self.volume_id)}")

    def done(self) -> tuple[str, ...]:
        return (f"{self.node}:{self.path}: cleared the volume ID {self.volume_id} an interrupted "
                f"`volume create {self.volume}` left on the empty directory",)

    def missing(self) -> str:
        return (f"brick {self.node}:{self.path} was left half-made by an interrupted `volume create "
                f"{self.volume}` of this suite (empty; volume ID {self.volume_id}, owned by no volume)")


@dataclass(frozen=True)
class VolumeSet(VolumeAction):
    node: str
    volume: str
    option: str
    value: str

    @property
    def volume_name(self) -> str:
        return self.volume

    def command(self) -> Command:
        return Command(argv=("volume", "set", self.volume, self.option, self.value), gluster=True,
                       timeout=120)

    def done(self) -> tuple[str, ...]:
        return (f"volume set {self.volume} {self.option} {self.value}",)

    def missing(self) -> str:
        return f"option {self.option}={self.value}"


@dataclass(frozen=True)
class VolumeStart(VolumeAction):
    node: str
    volume: str
    status: str | None = None  # its state when planned; None when it did not exist yet

    @property
    def settle(self) -> Settle:
        return BricksOnline(self.node, self.volume)

    @property
    def volume_name(self) -> str:
        return self.volume

    def command(self) -> Command:
        return Command(argv=("volume", "start", self.volume), gluster=True, timeout=120)

    def done(self) -> tuple[str, ...]:
        return (f"started volume {self.volume}",)

    def missing(self) -> str | None:
        return f"volume {self.volume} is {self.status}, not Started" if self.status else None


@dataclass
class Plan:
    """What a planner decided from the facts: actions in order, waits, and notes per key."""

    actions: list[Action] = field(default_factory=list)
    waits: list[Settle] = field(default_factory=list)
    inspected: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def add(self, *actions: Action) -> None:
        self.actions.extend(actions)

    def inspect(self, key: str, text: str) -> None:
        self.inspected.append((key, text))

    def problem(self, key: str, text: str) -> None:
        self.problems.append((key, text))

    def error(self, key: str, text: str) -> None:
        self.errors.append((key, text))

    @property
    def settled(self) -> bool:
        """Nothing left to do or wait for."""
        return not self.actions and not self.waits


def describe(actions: Sequence[Action]) -> str:
    return "; ".join(a.command().shown.splitlines()[0] for a in actions)
