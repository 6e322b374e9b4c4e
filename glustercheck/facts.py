"""Gather what the checks need from each node in ONE remote command, and parse it into values.

A check never talks to a node itself: it asserts on `NodeFacts` / `ClusterFacts`, so the number of
round trips per node stays constant however many checks there are (batching cut a testinfra
suite's run time by two thirds, pytest-testinfra #56).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from glustercheck.errors import ParseError
from glustercheck.glusterd_store import GLUSTERD_INFO, VOLS_DIR, PeerRecord, parse_records, record_script
from glustercheck.parsers import (
    HealInfo,
    Peer,
    Volume,
    VolumeStatus,
    parse_gluster_version,
    parse_heal_count,
    parse_heal_info_xml,
    parse_peer_status_xml,
    parse_volume_info_xml,
    parse_volume_status_xml,
)
from glustercheck.remote import CommandResult, quote, retrying_gluster_sh
from glustercheck.versions import GlusterVersion

MARK = "@@glustercheck@@"
GLUSTERD_PORT = 24007
# Where --apply records, on each brick's node, a `volume create` it is about to run ("VOLUME PATH"
# lines in a file named after the volume), removed once the volume exists.
CREATE_INTENTS = "/var/lib/glustercheck/creating"
# How much longer than the guard's 5 s a running (not stopped) glusterd gets to answer `peer
# status` before the facts call it hung; and the mark of that verdict in the script's output.
SLOW_GRACE = 15
SILENT = "silent: "

Run = Callable[[str], CommandResult]


@dataclass(frozen=True)
class Link:
    """What one node saw of another: name resolution, ICMP by name, glusterd's TCP port."""

    source: str
    target: str
    resolved: bool
    ping: bool
    tcp: bool

    @property
    def problem(self) -> str | None:
        if not self.resolved:
            return "name does not resolve"
        if not self.ping:
            return "no ICMP reply (ping by name)"
        if not self.tcp:
            return f"glusterd port {GLUSTERD_PORT}/tcp not reachable"
        return None


@dataclass(frozen=True)
class DiskUsage:
    path: str
    mount: str
    size: int
    used: int
    inodes: int
    inodes_used: int

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.size if self.size else 0.0

    @property
    def inode_percent(self) -> float:
        return 100.0 * self.inodes_used / self.inodes if self.inodes else 0.0


@dataclass(frozen=True)
class BrickDir:
    """A declared brick directory as its node sees it (what the volume step must know before
    `volume create`: glusterd creates only the last path component, and refuses a directory that
    still carries an earlier volume's ID)."""

    path: str
    exists: bool
    parent_exists: bool
    volume_id: str | None  # trusted.glusterfs.volume-id as 0x..., None when not set (or no dir)
    # With a volume ID: whether the directory holds no file at all (only directories, such as an
    # empty .glusterfs). None when not looked at (no volume ID). What an interrupted `volume
    # create` leaves behind is an empty directory that carries the new volume's ID.
    empty: bool | None = None


@dataclass(frozen=True)
class NodeFacts:
    node: str
    hostname: str
    hosts_file: str
    resolved: dict[str, tuple[str, ...]]  # cluster name -> IPv4 addresses (getent ahostsv4)
    links: dict[str, Link]  # other node -> link
    glusterd_running: bool
    systemd: bool
    glusterd_enabled: bool
    package: str | None  # installed glusterfs-server version, None if not installed
    version: GlusterVersion | None
    uuid: str | None
    # The op-version glusterd.info stores, which glusterd restores at start and rewrites with every
    # change it makes (probe handshake, `volume set`). None: no file yet (a node never used) or no
    # value. It can lag glusterd only when a write failed (a full /var/lib): the op-version check
    # asks glusterd itself (GlusterRun.running_op_versions) before it calls them different.
    op_version: int | None
    max_op_version: int | None  # the highest op-version every peer of the pool supports (first node)
    peers: tuple[Peer, ...] | None  # None when gluster could not answer
    peers_error: str | None
    glusterd_hung: bool = False  # the process runs, the CLI gets no answer (hung, or SIGSTOPped)
    disks: dict[str, DiskUsage] = field(default_factory=dict)  # brick path -> usage
    # Mount points /etc/fstab lists (the how-to's USB stick at /mnt/usb): a brick under one of them
    # that sits on another filesystem is on the SD card because the stick did not mount.
    fstab_mounts: tuple[str, ...] = ()
    brick_dirs: dict[str, BrickDir] = field(default_factory=dict)  # brick path -> directory state
    getfattr: bool = True  # without it a used brick directory would look unused
    # (volume, brick path) pairs this suite recorded before it ran `volume create` and removes once
    # the volume exists (actions.CREATE_INTENTS): a record still there means the create was cut short.
    create_intents: frozenset[tuple[str, str]] = frozenset()
    # glusterd's peer records as files (glusterd_store.py): readable when glusterd is down or
    # its `peer status` fails; and the volumes its store knows (none: it hosts no brick).
    peer_records: tuple[PeerRecord, ...] = ()
    store_volumes: tuple[str, ...] = ()

    @property
    def peer_status_refused(self) -> bool:
        """glusterd runs and answers, but `peer status` with an error (e.g. opRet -22 while a
        handshake cut short left a peer without a name in its memory)."""
        return self.glusterd_running and not self.glusterd_hung and self.peers is None


def hung_glusterd_fix(node: str) -> str:
    """What mends a glusterd that runs but answers nothing (the verdict's cause and --apply's wait)."""
    return (f"on {node}: sudo systemctl restart glusterd (a glusterd stopped with SIGSTOP: "
            "sudo kill -CONT $(pidof glusterd))")


@dataclass(frozen=True)
class ClusterFacts:
    """Volume state as one node (`source`) reports it; heal info per replicated volume."""

    source: str
    volumes: dict[str, Volume]
    status: dict[str, VolumeStatus]
    heal: dict[str, HealInfo]
    errors: dict[str, str]  # what could not be read, e.g. {"volume status gv": "..."}


def volume_online(volume: Volume, status: VolumeStatus | None) -> bool:
    """Every brick online and, for replicated/dispersed volumes, a self-heal daemon on each of
    their servers (they start a moment after the bricks)."""
    if status is None:
        return False
    online = {(b.host, b.path) for b in status.bricks if b.online}
    if not all((b.host, b.path) in online for b in volume.bricks):
        return False
    if volume.shape.is_distribute_only:
        return True
    healers = sum(1 for d in status.daemons if d.name == "Self-heal Daemon" and d.online)
    return healers >= len({b.host for b in volume.bricks})


@dataclass(frozen=True)
class BrickPlace:
    """Which filesystem a brick directory is (or would be) on, and which it should be on."""

    path: str
    mount: str  # the filesystem holding the path (or its nearest existing parent)
    expected: str | None  # the /etc/fstab mount point above it, e.g. /mnt/usb (None: not listed)
    exists: bool

    @property
    def problem(self) -> str | None:
        if self.expected is not None and self.mount != self.expected:
            where = "is" if self.exists else "would be"
            return (f"{self.expected} is listed in /etc/fstab but not mounted: brick {self.path} "
                    f"{where} on the {_filesystem(self.mount)}")
        if self.mount == "/":
            where = "is" if self.exists else "would be"
            return f"brick {self.path} {where} on the root filesystem (the SD card), not on a disk of its own"
        return None


def _filesystem(mount: str) -> str:
    return "root filesystem (the SD card)" if mount == "/" else f"{mount} filesystem"


def brick_place(facts: NodeFacts, path: str) -> BrickPlace | None:
    disk = facts.disks.get(path)
    if disk is None:
        return None
    above = [m for m in facts.fstab_mounts
             if m != "/" and (path == m or path.startswith(m.rstrip("/") + "/"))]
    found = facts.brick_dirs.get(path)
    return BrickPlace(path, disk.mount, max(above, key=len) if above else None,
                      bool(found and found.exists))


# Every fact script starts with: `s NAME` marks a section; `g TIMEOUT ARGS` runs gluster, asking
# again while glusterd is busy.
PRELUDE = f's() {{ echo "{MARK}$1"; }}\n' + retrying_gluster_sh()


# ----- node facts ---------------------------------------------------------------------------

def node_script(names: Sequence[str], me: str, brick_paths: Sequence[str],
                volumes: Sequence[str] = (), *, pool: bool = False) -> str:
    """The shell script (POSIX sh + bash for /dev/tcp) that prints every node fact in sections;
    with `volumes`, also the volume state (`state_script`'s sections) when glusterd answers, so
    one node's first command tells both (one round trip fewer for the whole run); with `pool`, the
    answers that are the pool's, not the node's (max-op-version): one node asks for all."""
    others = " ".join(quote(n) for n in names if n != me)
    # Per pair of nodes one `ping` and one forked TCP connect (all pairs at once; a connect still
    # pending 2 s after the last one started is killed: counted from then, a node busy forking
    # is not taken for a closed port), per name one `getent` whose whole answer is printed on the
    # name's line (`ADDR STREAM CANON ADDR DGRAM ADDR RAW`; the parser keeps the addresses): at 16
    # nodes the earlier four to five processes per pair and name were thousands of exec calls.
    # Everything glusterd is asked starts first, each query its own background job writing its
    # own file in $gd, while the rest of the facts are read; the answers are printed at the end.
    # On a Pi each gluster CLI call costs a few hundred ms: side by side they cost one. A guard
    # (`peer status`) tells a hung glusterd from a slow one: silent for 5 s and stopped (SIGSTOP,
    # process state T), or silent for SLOW_GRACE s more while it runs (at 64 simulated nodes under
    # load 217 a running glusterd took longer than 5 s, and a check-only run called it hung). Its
    # queries are then not waited for (each ends by its own timeout; stdout and stderr go to files,
    # so the SSH session ends at once).
    # One CLI call per node: peer status, which is also the guard, asked again while glusterd is
    # busy or answers with an error (as it does for a moment after a half-probed peer comes back);
    # on the first node also the pool's max-op-version and the volume state. Each gluster CLI
    # process costs CPU (~70 ms here), and several nodes may share few cores (Pis, or a simulated
    # cluster). The node's op-version is read from glusterd.info, which glusterd rewrites with
    # every change of it (glusterd-op-sm.c, glusterd-handshake.c); see NodeFacts.op_version.
    pool_jobs = [("ov", "g 10 volume get all cluster.max-op-version")] if pool else []
    state_jobs = [(f"st{i}", line) for i, line in enumerate(_state_lines(volumes) if volumes else [])]
    jobs = pool_jobs + state_jobs  # 10 s for max-op-version: a busy or hung peer must not cost more
    # `exec >FILE` inside the job: a redirection on a function call (`g ... >FILE &`) makes dash
    # keep the session's stdout open in a spare descriptor, which every gluster call inherits,
    # and the SSH session would stay open until the last of them ended.
    started = "".join(f'  (exec >"$gd/{name}" 2>&1; {command}) & gq="$gq $!"\n'
                      for name, command in jobs)
    files = "".join(f' "$gd/{name}"' for name, _ in jobs)
    answers = f"; cat{files}" if jobs else ""
    all_names = " ".join(quote(n) for n in names)
    paths = " ".join(quote(p) for p in brick_paths)
    return f"""# glustercheck: facts of {me}
{PRELUDE}gd=; gq=; if pgrep -x glusterd >/dev/null; then gd=$(mktemp -d)
  (exec >"$gd/peers" 2>&1; for d in 1 2 0; do o=$(g 5 --xml peer status)
    case $o in *"<opRet>-"*) [ $d = 0 ] || sleep $d ;; *) break ;; esac; done
    case $o in "gluster "*": no answer within"*) case $(ps -o stat= -C glusterd) in
      [Tt]*) o="{SILENT}no answer within 5 s, and glusterd is stopped (SIGSTOP)" ;;
      *) o=$(g {SLOW_GRACE} --xml peer status); case $o in "gluster "*": no answer within"*)
        o="{SILENT}no answer within {5 + SLOW_GRACE} s" ;; esac ;; esac ;; esac
    printf '%s\n' "$o") &
  gp=$!
{started}fi
s hostname; hostname
s hosts; base64 /etc/hosts
s getent; ok=" "; for n in {all_names}; do a=$(getent ahostsv4 "$n")
  [ -n "$a" ] && ok="$ok$n "; echo "$n" $a; done
s links; go=; for n in {others}; do case "$ok" in *" $n "*) go="$go $n" ;; esac; done
pf=$(mktemp); (for n in $go; do (ping -c1 -W1 "$n" >/dev/null 2>&1 && echo "$n") & done
  wait) >"$pf" & pp=$!
tk=" $(bash -c 'cs=; for n; do (exec 3<>"/dev/tcp/$n/{GLUSTERD_PORT}" && echo "$n") 2>/dev/null &
  cs="$cs $!"; done; (sleep 2; kill $cs) >/dev/null 2>&1 & k=$!; [ -z "$cs" ] || wait $cs
  kill $k' sh $go 2>/dev/null | tr '\\n' ' ') "; wait $pp; pk=" $(tr '\\n' ' ' <"$pf") "; rm -f "$pf"
for n in {others}; do r=no; p=no; t=no; case "$ok" in *" $n "*) r=yes ;; esac
  case "$pk" in *" $n "*) p=yes ;; esac; case "$tk" in *" $n "*) t=yes ;; esac
  echo "$n $r $p $t"; done
s glusterd; [ -n "$gd" ] && echo running || echo stopped
s pid1; cat /proc/1/comm
s enabled; if [ "$(cat /proc/1/comm)" = systemd ]; then systemctl is-enabled glusterd 2>/dev/null
  elif [ -e /etc/systemd/system/multi-user.target.wants/glusterd.service ]; then echo enabled
  else echo disabled; fi
s package; pk=$(dpkg-query -W -f='${{Status}} ${{Version}}' glusterfs-server 2>/dev/null); echo "$pk"
s version; case $pk in "install ok installed "*) echo "glusterfs ${{pk##* }}" ;;
  *) command -v gluster >/dev/null && gluster --version 2>&1 | head -1 ;; esac
s uuid; sed -n 's/^UUID=//p' {GLUSTERD_INFO} 2>/dev/null
s opstored; sed -n 's/^operating-version=//p' {GLUSTERD_INFO} 2>/dev/null
s fstab; awk '$1 !~ /^#/ && NF >= 2 {{print $2}}' /etc/fstab 2>/dev/null
s bricks; command -v getfattr >/dev/null && echo getfattr || echo no-getfattr
for p in {paths}; do e=no; u=no; [ -e "$p" ] && e=yes; [ -d "$(dirname "$p")" ] && u=yes
  i=$([ $e = yes ] && getfattr --absolute-names -n trusted.glusterfs.volume-id -e hex "$p" \\
    2>/dev/null | sed -n 's/^trusted.glusterfs.volume-id=//p'); c=-
  if [ -n "$i" ]; then c=files; [ -z "$(find "$p" -mindepth 1 ! -type d -print -quit 2>/dev/null)" ] \\
    && c=empty; fi; echo "$e $u ${{i:--}} $c $p"; done
s intents; cat {CREATE_INTENTS}/* 2>/dev/null
s peerstore; {record_script()}
s storevols; ls {VOLS_DIR} 2>/dev/null
s disks; for p in {paths}; do d=$p; while [ ! -e "$d" ]; do d=$(dirname "$d"); done
  echo "$p $(df -P -B1 "$d" | awk 'NR==2{{print $6, $2, $3}}')" \\
    "$(df -P -i "$d" | awk 'NR==2{{print $2, $3}}')"; done
if [ -n "$gd" ]; then wait $gp
  if grep -q '^{SILENT}' "$gd/peers"; then  # silent: the rest is not waited for
    s hung; sed 's/^{SILENT}/gluster peer status: /' "$gd/peers"
  else [ -z "$gq" ] || wait $gq; s peers; cat "$gd/peers"; s opversion{answers}
  fi; rm -rf "$gd"
fi
"""


def split_sections(text: str) -> dict[str, str]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(MARK):
            current = sections.setdefault(line[len(MARK):].strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


def parse_node_facts(node: str, names: Sequence[str], text: str) -> NodeFacts:
    sec = split_sections(text)
    for required in ("hostname", "hosts", "getent", "links", "glusterd", "bricks", "disks"):
        if required not in sec:
            raise ParseError(f"node facts of {node}: section {required!r} missing from the output "
                             f"(was the fact-gathering script cut short?)")
    resolved = {}
    for line in sec["getent"].splitlines():
        name, *words = line.split()
        # getent lists each address once per socket type, with the canonical name after the first.
        resolved[name] = tuple(sorted({w for w in words if _is_ipv4(w)}))
    links = {}
    for line in sec["links"].splitlines():
        target, r, p, t = line.split()
        links[target] = Link(node, target, r == "yes", p == "yes", t == "yes")
    peers, peers_error = None, None
    if "peers" in sec:
        try:
            peers = tuple(parse_peer_status_xml(sec["peers"]))
        except ParseError as exc:
            peers_error = str(exc)
    elif "hung" in sec:
        peers_error = f"glusterd runs but does not answer ({sec['hung'].strip()})"
    else:
        peers_error = "glusterd is not running"
    package_line = sec.get("package", "").strip()
    package = package_line.split()[-1] if package_line.startswith("install ok installed") else None
    version = None
    if sec.get("version", "").strip():
        try:
            version = parse_gluster_version(sec["version"])
        except ParseError:
            version = None
    asked, max_op_version = parse_op_versions(sec.get("opversion", ""))
    stored = sec.get("opstored", "").strip()
    # Captures from before the opstored section carry the CLI's op-version instead.
    op_version = int(stored) if stored.isdigit() else (None if "opstored" in sec else asked)
    disks = {}
    for line in sec["disks"].splitlines():
        path, mount, size, used, inodes, inodes_used = line.split()
        disks[path] = DiskUsage(path, mount, int(size), int(used), int(inodes), int(inodes_used))
    tool, *rows = sec["bricks"].splitlines() or ["getfattr"]
    brick_dirs = {}
    for row in rows:
        fields = row.split(" ", 4)
        if len(fields) != 5 or not fields[4].startswith("/"):
            raise ParseError(f"node facts of {node}: brick line {row!r} is not "
                             "'EXISTS PARENT VOLUME-ID CONTENT /PATH'")
        exists, parent, volume_id, content, path = fields
        brick_dirs[path] = BrickDir(path, exists == "yes", parent == "yes",
                                    None if volume_id == "-" else volume_id,
                                    None if content == "-" else content == "empty")
    intents = frozenset((volume, path) for line in sec.get("intents", "").splitlines()
                        if " " in line for volume, path in [line.split(" ", 1)])
    return NodeFacts(
        node=node, hostname=sec["hostname"].strip(), hosts_file=_hosts_text(node, sec["hosts"]),
        resolved=resolved, links=links, glusterd_running=sec["glusterd"].strip() == "running",
        systemd=sec.get("pid1", "").strip() == "systemd",
        glusterd_enabled=sec.get("enabled", "").strip() == "enabled",
        package=package, version=version, uuid=sec.get("uuid", "").strip() or None,
        op_version=op_version, max_op_version=max_op_version, peers=peers, peers_error=peers_error,
        glusterd_hung="hung" in sec,
        disks=disks,
        brick_dirs=brick_dirs, getfattr=tool == "getfattr", create_intents=intents,
        fstab_mounts=tuple(m for m in sec.get("fstab", "").split() if m.startswith("/")),
        peer_records=parse_records(sec.get("peerstore", "")),
        store_volumes=tuple(sec.get("storevols", "").split()),
    )


def parse_op_versions(text: str) -> tuple[int | None, int | None]:
    """(cluster.op-version, cluster.max-op-version) from `gluster volume get all ...` output."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("cluster.op-version", "cluster.max-op-version") \
                and words[-1].isdigit():
            found[words[0]] = int(words[-1])
    return found.get("cluster.op-version"), found.get("cluster.max-op-version")


def _is_ipv4(word: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(word), ipaddress.IPv4Address)
    except ValueError:
        return False


def _hosts_text(node: str, encoded: str) -> str:
    """/etc/hosts travels base64-encoded: the setup step rewrites it byte for byte, so no line
    ending, trailing blank or odd byte may be lost on the way (undecodable bytes survive as
    surrogate escapes)."""
    try:
        return base64.b64decode(encoded, validate=False).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError) as exc:
        raise ParseError(f"node facts of {node}: /etc/hosts section is not base64: {exc}") from None


def gather_node_facts(run: Run, node: str, names: Sequence[str], brick_paths: Sequence[str], *,
                      script: str | None = None) -> NodeFacts:
    """`script`: node_script's output for this node when the caller built it (with volumes)."""
    result = run(script or node_script(names, node, brick_paths))
    return parse_node_facts(node, names, result.stdout)


# ----- cluster facts ------------------------------------------------------------------------
#
# Two round trips: volume info and status first, then the heal state, whose command depends on
# them. `heal info` starts a gluster client (glfsheal) that waits up to 10 s for a brick server
# that does not answer, so while one of a volume's brick servers is unreachable its pending heal
# is counted by the self-heal daemons instead (`statistics heal-count`: no client, no wait, no
# entry names or split-brain verdict).

HEAL_INFO, HEAL_COUNT = "heal", "count"  # section prefixes in the script output
HealPlan = tuple[dict[str, str], dict[str, HealInfo], dict[str, str]]


def state_script(volumes: Sequence[str]) -> str:
    """volume info, and each volume's status on its own: `volume status all` under contention
    leaves volumes out and still says success; one volume's status says "Another transaction
    is in progress", which `g` waits out."""
    return "# glustercheck: volume state\n" + PRELUDE + "\n".join(_state_lines(volumes)) + "\n"


def _state_lines(volumes: Sequence[str]) -> list[str]:
    lines = ["s info; g 30 --xml volume info"]
    # 10 s: a healthy pool answers in well under a second; a hung peer's glusterd would make
    # every volume status wait as long as we let it.
    lines += [f"s {quote('status:' + v)}; g 10 --xml volume status {quote(v)}" for v in volumes]
    return lines


def has_state(output: str) -> bool:
    """Whether a node's fact output carries the volume state (see node_script's `volumes`)."""
    return f"{MARK}info\n" in output


def heal_script(plan: dict[str, str]) -> str:
    """`plan`: volume -> HEAL_INFO or HEAL_COUNT (see `heal_plan`)."""
    lines = []
    for volume, how in plan.items():
        v = quote(volume)
        if how == HEAL_INFO:
            lines.append(f"s {quote(HEAL_INFO + ':' + volume)}; g 60 --xml volume heal {v} info")
        else:
            lines.append(f"s {quote(HEAL_COUNT + ':' + volume)}; g 30 volume heal {v} statistics heal-count")
    return "# glustercheck: heal state\n" + PRELUDE + "\n".join(lines) + "\n"


def heal_plan(volumes: dict[str, Volume], wanted: Sequence[str],
              unreachable: Callable[[str], bool]) -> HealPlan:
    """How to read each wanted volume's heal state: (plan, known without asking, why not read).

    Distribute volumes have nothing to heal. A volume with a brick on an unreachable server gets
    its pending heal counted by the self-heal daemons; gluster does that for replicated volumes
    only, so a disperse volume's heal is then not read at all (the reason says why).
    """
    plan: dict[str, str] = {}
    known: dict[str, HealInfo] = {}
    unread: dict[str, str] = {}
    for name in wanted:
        volume = volumes.get(name)
        if volume is None:
            continue  # the volume checks report it missing
        if volume.shape.is_distribute_only:
            known[name] = HealInfo(name, False, ())
            continue
        dead = sorted({b.host for b in volume.bricks if unreachable(b.host)})
        if not dead:
            plan[name] = HEAL_INFO
        elif volume.shape.replica:
            plan[name] = HEAL_COUNT
        else:
            unread[f"heal info {name}"] = (
                f"not read while brick server {', '.join(dead)} is unreachable: `gluster volume heal "
                f"{name} info` would wait for it, and gluster counts pending heal without a client "
                "(statistics heal-count) for replicated volumes only")
    return plan, known, unread


def parse_cluster_facts(source: str, text: str, wanted: Sequence[str]) -> ClusterFacts:
    """The output of `state_script`, optionally followed by that of `heal_script`."""
    sec = split_sections(text)
    errors: dict[str, str] = {}
    volumes: dict[str, Volume] = {}
    status: dict[str, VolumeStatus] = {}
    try:
        volumes = {v.name: v for v in parse_volume_info_xml(sec.get("info", ""))}
    except ParseError as exc:
        errors["volume info"] = str(exc)
    for name in wanted:
        if f"status:{name}" not in sec:
            errors[f"volume status {name}"] = "missing from the fact script's output (cut short?)"
            continue
        try:
            found = [s for s in parse_volume_status_xml(sec[f"status:{name}"]) if s.volume == name]
        except ParseError as exc:
            errors[f"volume status {name}"] = str(exc)
            continue
        if found:
            status[name] = found[0]
        else:
            errors[f"volume status {name}"] = "gluster answered without this volume's status"
    facts = ClusterFacts(source, volumes, status, {}, errors)
    add_heal(facts, sec, wanted)
    return facts


def add_heal(facts: ClusterFacts, sec: dict[str, str], wanted: Sequence[str]) -> None:
    """The heal sections (`heal_script` output, split) of the wanted volumes, into `facts`."""
    for name in wanted:
        for prefix, parse in ((HEAL_INFO, parse_heal_info_xml), (HEAL_COUNT, parse_heal_count)):
            key = f"{prefix}:{name}"
            if key not in sec:
                continue
            try:
                facts.heal[name] = parse(sec[key], name)
            except ParseError as exc:
                facts.errors[f"heal info {name}"] = str(exc)


def gather_cluster_facts(run: Run, source: str, volumes: Sequence[str],
                         unreachable: Callable[[str], bool] = lambda host: False, *,
                         state: str | None = None, heal: Run | None = None,
                         told_state: Callable[[ClusterFacts], None] = lambda facts: None,
                         ) -> ClusterFacts:
    """Volume state from `source` (`state`: its output already gathered, e.g. with its node
    facts), the heal state through `heal` (another node may answer it; default `run`).
    `unreachable(brick_host)` is asked only after volume info is in, so a caller may let it wait
    for a reachability probe still under way. `told_state` gets the volume state before the heal
    state is asked (a copy: the heal is added to the facts returned)."""
    text = state if state is not None else run(state_script(volumes)).stdout
    facts = parse_cluster_facts(source, text, volumes)
    told_state(replace(facts, heal=dict(facts.heal), errors=dict(facts.errors)))
    plan, known, unread = heal_plan(facts.volumes, volumes, unreachable)
    if plan:
        add_heal(facts, split_sections((heal or run)(heal_script(plan)).stdout), volumes)
    facts.heal.update(known)
    facts.errors.update(unread)
    return facts
