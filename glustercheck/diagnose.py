"""Root causes from the facts: what is wrong at the bottom, on which node, and the fix for it.

One dead glusterd shows up in the daemon check, three peer checks, reachability, bricks, heal and
the data path. The checks ask the diagnosis which cause explains what they found: a symptom then
says "because glusterd is not running on rpi2" and carries that cause's fix, not a guess of its
own, and the verdict leads with the causes (as alert inhibition does in Alertmanager).

Pure: built from gathered facts; every fix is derived from what was observed (systemd or not,
the hosts-file line, the declared layout) and quotes every value.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from glustercheck.declared import brick_in_use, create_request, left_by_interrupted_create, volume_owning
from glustercheck.errors import RemoteError, SudoError
from glustercheck.facts import ClusterFacts, NodeFacts, brick_place, hung_glusterd_fix
from glustercheck.glusterd_store import PEERS_DIR, SET_ASIDE, damaged
from glustercheck.hosts_file import first_mapping
from glustercheck.layout import render_command
from glustercheck.pairings import Held, can_rejoin, forgotten, half_joined_pairings, newcomer, rejoin
from glustercheck.peer_nodes import PeerNodes
from glustercheck.spec import ClusterSpec, VolumeSpec

# Ranks: the lower, the more fundamental; the verdict lists causes in this order.
UNREACHABLE, PACKAGE, GLUSTERD, NAMES, PEERS, VOLUME, BRICK, HEAL, NAMING = range(9)


@dataclass(frozen=True)
class Cause:
    key: str  # kind:subject, e.g. glusterd-down:rpi2, volume-stopped:gv
    summary: str  # one line for the operator: what is wrong, where
    fix: str  # what to do, as given (commands quoted)
    rank: int

    def as_dict(self) -> dict[str, str | int]:
        return {"key": self.key, "summary": self.summary, "fix": self.fix, "rank": self.rank}


def _q(text: str) -> str:
    return shlex.quote(text)


@dataclass
class Diagnosis:
    causes: dict[str, Cause] = field(default_factory=dict)
    _node: dict[str, Cause] = field(default_factory=dict)
    _names: dict[str, dict[str, Cause]] = field(default_factory=dict)  # node -> name -> cause
    _volume: dict[str, Cause] = field(default_factory=dict)
    _brick: dict[tuple[str, str], Cause] = field(default_factory=dict)  # (host, path)
    _place: dict[tuple[str, str], Cause] = field(default_factory=dict)  # (node, brick path)
    _peer: dict[str, Cause] = field(default_factory=dict)  # node missing or rejected
    _naming: dict[tuple[str, str], Cause] = field(default_factory=dict)  # (who, whom)
    _heal: dict[str, Cause] = field(default_factory=dict)
    _disk: dict[str, list[Cause]] = field(default_factory=dict)

    def _add(self, cause: Cause) -> Cause:
        return self.causes.setdefault(cause.key, cause)

    # ----- lookups the checks use -------------------------------------------------------------

    def node(self, name: str) -> Cause | None:
        """What makes node `name` unusable: unreachable, gluster not installed, glusterd down."""
        return self._node.get(name)

    def names(self, name: str, about: str | None = None) -> list[Cause]:
        """Name-resolution causes on node `name` (only the one about name `about` when given)."""
        found = self._names.get(name, {})
        return list(found.values()) if about is None else [c for n, c in found.items() if n == about]

    def peer(self, name: str) -> Cause | None:
        return self._peer.get(name)

    def naming(self, who: str, whom: str) -> Cause | None:
        return self._naming.get((who, whom))

    def volume(self, name: str) -> Cause | None:
        return self._volume.get(name)

    def brick(self, volume: str, host: str, path: str, owner: str) -> Cause | None:
        """Why a brick is not online: its node, its peer state, its volume, its disk (not
        mounted), or the brick process itself."""
        return (self.node(owner) or self.peer(owner) or self.volume(volume)
                or self.place(owner, path) or self._brick.get((host, path)))

    def place(self, node: str, path: str) -> Cause | None:
        """The brick directory is not on its own disk (the USB stick did not mount)."""
        return self._place.get((node, path))

    def disks(self, node: str) -> list[Cause]:
        return self._disk.get(node, [])

    def heal(self, volume: str) -> Cause | None:
        return self._heal.get(volume)

    def ordered(self, keys: Iterable[str]) -> list[Cause]:
        """The causes named by `keys`, most fundamental first."""
        found = {k: self.causes[k] for k in keys if k in self.causes}
        return sorted(found.values(), key=lambda c: (c.rank, c.key))


def diagnose(spec: ClusterSpec, nodes: Mapping[str, NodeFacts], unreachable: Mapping[str, RemoteError],
             cluster: ClusterFacts | None, *, capacity_critical: float = 90.0) -> Diagnosis:
    out = Diagnosis()
    for node in spec.nodes:
        if node.name in unreachable:
            out._node[node.name] = out._add(access_cause(node.name, unreachable[node.name]))
        elif node.name in nodes:
            _node_causes(out, nodes[node.name])
    for facts in nodes.values():
        _name_causes(out, spec, facts)
        _place_causes(out, spec, facts)
        for disk in facts.disks.values():
            if max(disk.percent, disk.inode_percent) >= capacity_critical:
                cause = out._add(Cause(
                    f"disk-full:{facts.node}:{disk.mount}",
                    f"the brick filesystem {disk.mount} on {facts.node} is {disk.percent:.0f} % full "
                    f"({disk.inode_percent:.0f} % of inodes)",
                    f"on {facts.node}: free space on {_q(disk.mount)} (or add bricks: gluster volume "
                    "add-brick, then rebalance)", BRICK))
                out._disk.setdefault(facts.node, []).append(cause)
    _peer_causes(out, spec, nodes)
    if cluster is not None:
        _volume_causes(out, spec, nodes, cluster)
    return out


def access_cause(name: str, error: RemoteError) -> Cause:
    """Why node `name` cannot be used: it does not answer SSH, or it does but sudo cannot be used
    there (another fix entirely: the node is up). The fix is the one the error was raised with."""
    message = str(error)
    if isinstance(error, SudoError):
        return Cause(f"sudo-refused:{name}", f"sudo cannot be used on {name}: {_reason(message, error.fix)}",
                     error.fix or f"give the login user passwordless sudo on {name}, or log in as root",
                     UNREACHABLE)
    return unreachable_cause(name, message, error.fix)


def unreachable_cause(name: str, message: str, fix: str | None = None) -> Cause:
    """A node that does not answer: the reason from the probe's message (after "unreachable: ");
    the fix as raised, else a dead link's or a stopped sshd's, else the hint after " - "."""
    reason = _reason(message.split(" unreachable: ", 1)[-1], fix)
    if fix is None and "connection refused" in reason:
        fix = (f"start sshd on {name} (from its console: sudo systemctl start ssh), or check the "
               "SSH port in ssh_config")
    elif fix is None and reason.startswith(("no answer within", "no route to host")):
        fix = (f"power {name} on and check its network link (from here: ping it); if it is up, "
               "check a firewall between here and it")
    elif fix is None:
        hint = message.partition(" - ")[2]
        fix = hint or (f"check that {name} is powered on and on the network, and that "
                       f"`ssh {name} true` works from here")
    return Cause(f"node-unreachable:{name}", f"{name} is unreachable: {reason}", fix, UNREACHABLE)


def _reason(message: str, fix: str | None) -> str:
    """The message without its fix: up to " - ", "; fix: " or the sentence that starts the fix."""
    for marker in (" - ", "; fix: ", ". Compare it with", ". Either the node"):
        message = message.partition(marker)[0]
    if fix and message.endswith(fix):
        message = message[: -len(fix)].rstrip(" :;,")
    return message


def _node_causes(out: Diagnosis, facts: NodeFacts) -> None:
    n = facts.node
    if facts.package is None:
        out._node[n] = out._add(Cause(
            f"package-missing:{n}", f"glusterfs-server is not installed on {n}",
            f"on {n}: sudo apt-get install glusterfs-server (or `pytest --apply`)", PACKAGE))
    elif facts.glusterd_hung:
        out._node[n] = out._add(Cause(
            f"glusterd-hung:{n}", f"glusterd runs on {n} but does not answer (`gluster peer status` got "
            "nothing in time): commands that need it wait, on every node",
            f"{hung_glusterd_fix(n)}; its bricks keep serving data meanwhile", GLUSTERD))
    elif broken := damaged(n, facts.peer_records):
        state = ("glusterd runs, but will not start again" if facts.glusterd_running
                 else "glusterd does not start (\"skipping malformed peer file\" in its log)")
        cause = out._add(Cause(
            f"peer-record-empty:{n}", f"{state} on {n}: its peer record "
            f"{', '.join(d.path for d in broken)} is empty (a write cut short by a power loss)",
            "; ".join(d.fix(facts.systemd) for d in broken), GLUSTERD))
        out._peer[n] = cause
        if not facts.glusterd_running:
            out._node[n] = cause
    elif not facts.glusterd_running:
        if facts.systemd:
            start = ("sudo systemctl start glusterd" if facts.glusterd_enabled
                     else "sudo systemctl enable --now glusterd")
        else:
            start = ("sudo /usr/sbin/glusterd" + ("" if facts.glusterd_enabled else
                     " (and enable it at boot: `pytest --apply` does both)"))
        out._node[n] = out._add(Cause(
            f"glusterd-down:{n}", f"glusterd is not running on {n}", f"on {n}: {start}", GLUSTERD))


def _name_causes(out: Diagnosis, spec: ClusterSpec, facts: NodeFacts) -> None:
    """Cluster names that resolve wrong on this node, with the hosts-file line to blame."""
    entries = [(n.name, n.address) for n in spec.nodes if n.address]
    if len(entries) < len(spec.nodes):
        return
    for name, address in entries:
        found = facts.resolved.get(name, ())
        if found and set(found) == {address}:
            continue
        n = facts.node
        if not found:
            cause = Cause(f"name-missing:{n}:{name}", f"{name} does not resolve on {n}",
                          f"`pytest --apply` writes the cluster's names into /etc/hosts on {n} (or add "
                          f"the line `{address} {name}` there)", NAMES)
        else:
            cause = _wrong_name(facts, name, address, found)
        out._names.setdefault(n, {})[name] = out._add(cause)


def _wrong_name(facts: NodeFacts, name: str, address: str, found: tuple[str, ...]) -> Cause:
    n, shown = facts.node, ", ".join(found)
    line = first_mapping(facts.hosts_file, name, ipaddress.ip_address(address).version)
    loopback = [a for a in found if ipaddress.ip_address(a).is_loopback]
    # Debian's `127.0.1.1 <own name>`: keyed by the address, as every Debian node has it.
    key = (f"name-conflict:{n}:{','.join(loopback)}" if loopback and name == n
           else f"name-conflict:{n}:{name}")
    if line is None:
        where, fix = "its resolver", (f"on {n}: make {name} resolve to {address} (check /etc/hosts "
                                      "and /etc/nsswitch.conf)")
    elif line.in_block:
        where = f"line {line.line_number} `{line.line}` of /etc/hosts, in the managed block"
        fix = f"`pytest --apply` rewrites the managed block on {n} with the spec's addresses"
    else:
        where = f"line {line.line_number} `{line.line}` of /etc/hosts"
        fix = (f"on {n}: comment out or correct {where} (`pytest --apply "
               "--replace-hosts-conflicts` comments it out)")
    return Cause(key, f"{n} resolves {name} to {shown} ({where}), the spec says {address}", fix, NAMES)


def _place_causes(out: Diagnosis, spec: ClusterSpec, facts: NodeFacts) -> None:
    n = facts.node
    for brick in spec.bricks_on(n):
        place = brick_place(facts, brick.path)
        if place is None or place.problem is None:
            continue
        if place.expected is not None:
            cause = Cause(
                f"disk-not-mounted:{n}:{place.expected}", f"{place.expected} is not mounted on {n} (it is "
                f"in /etc/fstab): {place.problem.split(': ', 1)[1]}",
                f"on {n}: plug the disk (the USB stick) in and run `sudo mount {_q(place.expected)}` (see "
                "`lsblk`); then `sudo gluster volume start VOLUME force` starts its bricks again", BRICK)
        else:
            cause = Cause(
                f"brick-on-root:{n}:{brick.path}", f"{n}: {place.problem}",
                f"on {n}: give the brick a disk of its own: mount one at {_q(brick.parent)} and list "
                "it in /etc/fstab, as the how-to does with the USB stick", BRICK)
        out._place[(n, brick.path)] = out._add(cause)


def _peer_causes(out: Diagnosis, spec: ClusterSpec, nodes: Mapping[str, NodeFacts]) -> None:
    first = spec.nodes[0].name
    peers = PeerNodes(spec, nodes)
    rejects: dict[str, set[str]] = {}  # node -> the peers it marks Peer Rejected
    by_address: dict[str, dict[str, str]] = {}  # peer -> {node that knows it by address: as}
    for name, facts in nodes.items():
        for peer in facts.peers or ():
            whom = peers.of_peer(peer)
            if whom is None:
                continue
            if peer.state == "Peer Rejected":
                rejects.setdefault(name, set()).add(whom)
            elif whom not in peer.names:
                by_address.setdefault(whom, {})[name] = ", ".join(peer.names)
    for whom, knowers in by_address.items():
        who = sorted(knowers)
        seen_as = sorted(set(knowers.values()))
        cause = out._add(Cause(
            f"peer-by-address:{whom}", f"{', '.join(who)} know{'s' if len(who) == 1 else ''} {whom} "
            f"only as {' / '.join(seen_as)}, not by name",
            f"on {who[0]}: sudo gluster peer probe {whom} (one probe back by name is enough: "
            "glusterd passes the name on to the other peers)", NAMING))
        for name in who:
            out._naming[(name, whom)] = cause
    lost = forgotten(spec, nodes)
    _rejected(out, first, {n: r - set(lost) for n, r in rejects.items() if n not in lost})
    _forgotten(out, spec, nodes, lost)
    _half_joined(out, spec, nodes)
    _refusing(out, nodes)
    first_facts = nodes.get(first)
    if first_facts is None or first_facts.peers is None:
        return
    known = {peers.of_peer(p) for p in first_facts.peers}
    for node in spec.nodes[1:]:
        if node.name in known:
            continue
        if node.name in out._node or node.name in out._peer:
            continue  # its own cause comes first
        out._peer[node.name] = out._add(Cause(
            f"peer-missing:{node.name}", f"{node.name} is not in the trusted pool of {first}",
            f"from {first}: sudo gluster peer probe {node.name} (or `pytest --apply`)", PEERS))


def _forgotten(out: Diagnosis, spec: ClusterSpec, nodes: Mapping[str, NodeFacts],
               lost: list[str]) -> None:
    first = spec.nodes[0].name
    for node in lost:
        held = {n: r for n, r in rejoin(node, spec, nodes).items() if n != node}
        if can_rejoin(node, nodes):
            fix = (f"`pytest --apply` rejoins {node} afresh (it hosts no volume); by hand: "
                   f"{_rejoin_by_hand(node, held, nodes[node].systemd, first)}")
        else:
            fix = (f"by hand ({node} hosts volumes, so --apply does not rejoin it), on {node}: "
                   f"{REJECTED_PEER_PROCEDURE.format(helper=first)}")
        out._peer[node] = out._add(Cause(
            f"peer-forgotten:{node}", f"{node} knows no peer and keeps no peer record, while "
            f"{', '.join(held) or 'the others'} still hold it in the pool (it lost its side of the "
            "pool, e.g. powered off while being probed)", fix, PEERS))


def _rejoin_by_hand(comer: str, held: Mapping[str, Held], systemd: bool, first: str) -> str:
    """The steps --apply takes to rejoin `comer` afresh (setup_steps/peers.py), for an operator."""
    stop, start = (("sudo systemctl stop glusterd", "sudo systemctl start glusterd")
                   if systemd else ("stop glusterd", "start glusterd"))
    moves = "; ".join(f"on {n}: {' '.join(f'{PEERS_DIR}/{f}' for f, _, _ in r)}" for n, r in held.items())
    return (f"{stop} on {', '.join(held)}, then move these records to {SET_ASIDE}/ ({moves}), "
            f"{start} on each; then from {first}: sudo gluster peer probe {comer}")


def _half_joined(out: Diagnosis, spec: ClusterSpec, nodes: Mapping[str, NodeFacts]) -> None:
    first = spec.nodes[0].name
    for pairing in half_joined_pairings(spec, nodes):
        a, b = pairing.holder, pairing.peer
        comer = newcomer(pairing, spec, nodes)
        if comer is None:
            fix = (f"by hand: neither {a} nor {b} can simply rejoin (each hosts volumes, or is the "
                   f"first node); compare /var/lib/glusterd/peers on both with the other nodes'")
        else:
            fix = (f"`pytest --apply` rejoins {comer} afresh (it hosts no volume yet); by hand: "
                   f"{_rejoin_by_hand(comer, rejoin(comer, spec, nodes), nodes[a].systemd, first)}")
        cause = out._add(Cause(
            f"peer-half-joined:{a}:{b}", f"the pairing of {a} and {b} was cut short and glusterd does "
            f"not finish it ({pairing.describe()})", fix, PEERS))
        for name in (a, b):
            out._peer.setdefault(name, cause)


def _refusing(out: Diagnosis, nodes: Mapping[str, NodeFacts]) -> None:
    """glusterd answers `peer status` with an error and nothing above explains it (a half-done
    pairing would): an unnamed peer left in its memory by a handshake cut short (opRet -22)."""
    for n, facts in nodes.items():
        if not facts.peer_status_refused or n in out._peer or n in out._node:
            continue
        restart = "sudo systemctl restart glusterd" if facts.systemd else "restart glusterd"
        out._peer[n] = out._add(Cause(
            f"peer-status-failing:{n}", f"glusterd on {n} answers `gluster peer status` with an error "
            f"({facts.peers_error})",
            f"on {n}: {restart} (it reads its peer records afresh; its bricks keep serving), or "
            "`pytest --apply` (restarts it when peer status keeps failing for 20 s)", GLUSTERD))


REJECTED_PEER_PROCEDURE = (
    "stop glusterd, remove everything in /var/lib/glusterd except glusterd.info, start glusterd, "
    "run `sudo gluster peer probe {helper}`, then restart glusterd (gluster's documented procedure; "
    "the volumes are synced from the others)")


def _rejected(out: Diagnosis, first: str, rejects: Mapping[str, set[str]]) -> None:
    """A node whose configuration disagrees with the pool's rejects its peers and is rejected by
    those that see it: the node in most rejections is the odd one out (then the next, if any)."""
    pairs = {(a, b) for a, rejected in rejects.items() for b in rejected}
    while pairs:
        count = Counter(n for pair in pairs for n in pair)
        odd = max(sorted(count), key=count.__getitem__)
        helper = first if odd != first else next(n for n in sorted(count) if n != odd)
        out._peer[odd] = out._add(Cause(
            f"peer-rejected:{odd}", f"{odd} is rejected by its peers (Peer Rejected: its copy of the "
            "cluster configuration disagrees with theirs)",
            f"by hand, on {odd}: {REJECTED_PEER_PROCEDURE.format(helper=helper)}", PEERS))
        pairs = {p for p in pairs if odd not in p}


def _brick_in_use(spec: ClusterSpec, nodes: Mapping[str, NodeFacts], cluster: ClusterFacts,
                  volume: VolumeSpec) -> Cause | None:
    """A declared volume that cannot be created: one of its brick directories carries a volume ID.
    (Not what this suite's own interrupted create left: --apply clears that and creates.)"""
    volumes = list(cluster.volumes.values())
    bricks = volume.brick_list(spec.nodes)
    leftovers = [f"{spec.owner(b)}:{b.path}" for b in bricks if spec.owner(b) in nodes
                 and left_by_interrupted_create(volume.name, b, nodes[spec.owner(b)], volumes)]
    for brick in bricks:
        owner = spec.owner(brick)
        found = nodes[owner].brick_dirs.get(brick.path) if owner in nodes else None
        if found is not None and found.volume_id and f"{owner}:{brick.path}" not in leftovers:
            live = volume_owning(found.volume_id, cluster.volumes.values())
            text = brick_in_use(brick, owner, found.volume_id, live)
            reason, _, fix = text.partition(". Nothing was changed and its data is untouched. ")
            return Cause(f"brick-in-use:{owner}:{brick.path}",
                         f"{reason}, so volume {volume.name} cannot be created", fix, VOLUME)
    if leftovers:
        return Cause(f"create-interrupted:{volume.name}",
                     f"volume {volume.name} does not exist: its `volume create` by this suite was "
                     f"cut short, and glusterd left the unfinished volume's ID on the empty brick "
                     f"directories {', '.join(leftovers)}",
                     "`pytest --apply` clears those IDs (the directories hold no file) and creates "
                     "the volume again", VOLUME)
    return None


def _volume_causes(out: Diagnosis, spec: ClusterSpec, nodes: Mapping[str, NodeFacts],
                   cluster: ClusterFacts) -> None:
    if "volume info" in cluster.errors:
        return
    for volume in spec.volumes:
        found = cluster.volumes.get(volume.name)
        v = volume.name
        if found is None:
            used = _brick_in_use(spec, nodes, cluster, volume)
            if used is not None:
                out._volume[v] = out._add(used)
                continue
            command = render_command(create_request(volume, volume.brick_list(spec.nodes)))
            out._volume[v] = out._add(Cause(
                f"volume-missing:{v}", f"volume {v} does not exist",
                f"`pytest --apply` creates and starts it as declared; by hand: {command}, then "
                f"sudo gluster volume start {_q(v)}", VOLUME))
            continue
        if found.status != "Started":
            out._volume[v] = out._add(Cause(
                f"volume-stopped:{v}", f"volume {v} is {found.status}, not Started",
                f"sudo gluster volume start {_q(v)}", VOLUME))
            continue
        if found.options.get("cluster.self-heal-daemon") == "off":
            out._heal[v] = out._add(Cause(
                f"self-heal-off:{v}", f"the self-heal daemons of {v} are turned off "
                "(cluster.self-heal-daemon off): nothing heals by itself",
                f"sudo gluster volume set {_q(v)} cluster.self-heal-daemon on", HEAL))
        status = cluster.status.get(v)
        online = {(b.host, b.path) for b in status.bricks if b.online} if status else set()
        for brick in found.bricks:
            owner = spec.node_for_host(brick.host)
            if (brick.host, brick.path) in online or status is None:
                continue
            if owner is not None and (owner.name in out._node
                                      or (owner.name, brick.path) in out._place):
                continue  # the node's own cause, or its unmounted disk, explains it
            where = owner.name if owner else brick.host
            log = brick.path.strip("/").replace("/", "-")
            out._brick[(brick.host, brick.path)] = out._add(Cause(
                f"brick-offline:{where}:{brick.path}", f"the brick process of {brick.name} is not running",
                f"sudo gluster volume start {_q(v)} force (starts only the brick processes that are "
                f"not running; nothing else); if it stays offline read "
                f"/var/log/glusterfs/bricks/{log}.log on {where}", BRICK))
        heal = cluster.heal.get(v)
        if (v not in out._heal and heal is not None and heal.applicable and heal.pending_entries
                and not any(k[0] in {b.host for b in found.bricks} for k in out._brick)):
            out._heal[v] = out._add(Cause(
                f"heal-pending:{v}", f"{heal.pending_entries} entries of {v} wait to be healed",
                f"the self-heal daemons heal them within minutes; to start now: sudo gluster volume "
                f"heal {_q(v)}; to see them: sudo gluster volume heal {_q(v)} info", HEAL))
