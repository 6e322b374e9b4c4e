"""Steps 4-6, cluster-wide: peers (probe, wait, probe back by name), volumes (validated, never
forced or replaced), volumes started with every brick online."""

from __future__ import annotations

import shlex

from glustercheck.declared import create_request, layout_difference
from glustercheck.layout import render_command, validate
from glustercheck.parsers import (
    Peer,
    Volume,
    parse_peer_status_xml,
    parse_volume_info_xml,
    parse_volume_status_xml,
)
from glustercheck.spec import VolumeSpec
from glustercheck.volume_shape import parse_version
from setup_steps.context import CLUSTER, SetupContext, SetupError, wait_until

PEER_TIMEOUT = 60.0
BRICKS_ONLINE_TIMEOUT = 120.0
IN_CLUSTER = "Peer in Cluster"


def _peers(ctx: SetupContext, node: str) -> list[Peer]:
    return parse_peer_status_xml(ctx.gluster(node, ["--xml", "peer", "status"], write=False).stdout)


def _uuid(ctx: SetupContext, node: str) -> str:
    return ctx.sh(node, "sed -n 's/^UUID=//p' /var/lib/glusterd/glusterd.info").stdout.strip()


def _all_connected(ctx: SetupContext, nodes: list[str]) -> bool:
    for node in nodes:
        peers = _peers(ctx, node)
        if len(peers) != len(nodes) - 1 or not all(
                p.state == IN_CLUSTER and p.connected for p in peers):
            return False
    return True


def peers(ctx: SetupContext) -> None:
    spec = ctx.run.spec
    nodes = [n.name for n in spec.nodes]
    down = sorted(set(nodes) - set(ctx.run.reachable()))
    if down:
        raise SetupError(f"peers not converged: {', '.join(down)} unreachable")
    first, others = nodes[0], nodes[1:]
    known = {name for peer in _peers(ctx, first) for name in peer.names}
    for node in spec.nodes[1:]:
        if node.name in known or (node.address and node.address in known):
            continue
        if not ctx.apply:
            ctx.missing(node.name, f"not in {first}'s trusted pool (`gluster peer probe {node.name}`)")
            continue
        ctx.gluster(first, ["peer", "probe", node.name], write=True)
        ctx.changed(CLUSTER, f"{first}: gluster peer probe {node.name}")
    if not ctx.apply:
        return
    took = wait_until(lambda: _all_connected(ctx, nodes), timeout=PEER_TIMEOUT,
                      what=f"every node sees {len(nodes) - 1} peers in '{IN_CLUSTER} (Connected)'")
    ctx.inspected(CLUSTER, f"all peers connected after {took:.1f} s")
    # The probed nodes recorded `first` under its source address: probe back by name.
    first_uuid = _uuid(ctx, first)
    for node in others:
        record = next((p for p in _peers(ctx, node) if p.uuid == first_uuid), None)
        if record is None or first in record.names:
            continue
        ctx.gluster(node, ["peer", "probe", first], write=True)
        ctx.changed(CLUSTER, f"{node}: gluster peer probe {first} (probe back, so {first} is known "
                             "by name, not only by address)")
    wait_until(lambda: _all_connected(ctx, nodes), timeout=PEER_TIMEOUT, what="peers reconnected")


def _volume_info(ctx: SetupContext, node: str) -> dict[str, Volume]:
    out = ctx.gluster(node, ["--xml", "volume", "info"], write=False).stdout
    return {v.name: v for v in parse_volume_info_xml(out)}


def _check_bricks_unused(ctx: SetupContext, bricks: tuple[str, ...]) -> None:
    """Refuse a brick directory that already belongs to a volume (even a deleted one)."""
    for brick in bricks:
        host, _, path = brick.partition(":")
        owner = ctx.run.spec.node_for_host(host)
        node = owner.name if owner else host
        q = shlex.quote(path)
        probe = ctx.sh(node, "command -v getfattr >/dev/null || exit 127; "
                             f"[ -e {q} ] || exit 0; getfattr --absolute-names -n "
                             f"trusted.glusterfs.volume-id -e hex {q} 2>/dev/null | "
                             "sed -n 's/^trusted.glusterfs.volume-id=//p'")
        if probe.rc == 127:  # without it a used brick would look unused: refuse to guess
            raise SetupError(f"{node}: getfattr is missing, so brick {brick} cannot be checked for "
                             "an earlier volume; install it: apt-get install attr")
        if probe.stdout.strip():
            raise SetupError(
                f"brick {brick} already belongs to a volume (trusted.glusterfs.volume-id="
                f"{probe.stdout.strip()}; it held a volume before, maybe a deleted one). Nothing was "
                "changed and its data is untouched. Declare another brick path, or, only if its data "
                f"is no longer needed, clear it by hand on {node}: "
                f"setfattr -x trusted.glusterfs.volume-id {path}; setfattr -x trusted.gfid {path}; "
                f"rm -rf {path}/.glusterfs")
        if not ctx.apply:
            continue
        parent = shlex.quote(path.rsplit("/", 1)[0] or "/")
        ctx.sh(node, f"mkdir -p {parent}")  # glusterd creates only the last path component


def volumes(ctx: SetupContext) -> None:
    spec = ctx.run.spec
    first = spec.nodes[0].name
    version_line = ctx.sh(first, "gluster --version | head -1").stdout.split()
    version = parse_version(version_line[1]) if len(version_line) > 1 else None
    same_server = {n.address: n.name for n in spec.nodes if n.address}
    existing = _volume_info(ctx, first)
    for volume in spec.volumes:
        key = f"volume={volume.name}"
        bricks = volume.brick_list(spec.nodes)
        request = create_request(volume, bricks)
        verdict = validate(request, version, same_server=same_server) if version else validate(
            request, same_server=same_server)
        if not verdict.accepted:
            ctx.error(key, "declared layout rejected before reaching glusterd: "
                           + " / ".join(verdict.reasons))
            continue
        for warning in verdict.warnings:
            ctx.problem(key, f"layout warning: {warning}")
        found = existing.get(volume.name)
        if found is not None:
            diffs = layout_difference(volume, bricks, found)
            if diffs:
                ctx.error(key, f"volume {volume.name} exists with a different layout: "
                               + "; ".join(diffs) + ". Nothing was changed; a volume is never "
                               "recreated or reshaped by this suite")
                continue
            ctx.inspected(key, f"exists as declared ({found.count_string})")
        else:
            try:
                _check_bricks_unused(ctx, bricks)
            except SetupError as exc:
                ctx.error(key, str(exc))
                continue
            if not ctx.apply:
                ctx.missing(key, f"volume {volume.name} does not exist ({render_command(request)})")
                continue
            ctx.gluster(first, shlex.split(render_command(request))[1:], write=True)
            ctx.changed(CLUSTER, f"created volume {volume.name}: {verdict.count_string} "
                                 f"{verdict.type_name}")
        _set_options(ctx, first, volume, found)
        _start(ctx, first, volume, found)


def _set_options(ctx: SetupContext, first: str, volume: VolumeSpec, found: Volume | None) -> None:
    current = found.options if found else {}
    for option, value in volume.options.items():
        if current.get(option) == value:
            continue
        if not ctx.apply:
            ctx.missing(f"volume={volume.name}", f"option {option}={value}")
            continue
        ctx.gluster(first, ["volume", "set", volume.name, option, value], write=True)
        ctx.changed(CLUSTER, f"volume set {volume.name} {option} {value}")


def _bricks_online(ctx: SetupContext, node: str, volume: str) -> bool:
    """Every brick online and, for replicated/dispersed volumes, a self-heal daemon on each of
    their servers (they start a moment after the bricks)."""
    info = _volume_info(ctx, node)[volume]
    result = ctx.gluster(node, ["--xml", "volume", "status", volume], write=False)
    statuses = parse_volume_status_xml(result.stdout)
    online = {(b.host, b.path) for s in statuses for b in s.bricks if b.online}
    if not all((b.host, b.path) in online for b in info.bricks):
        return False
    if info.shape.is_distribute_only:
        return True
    healers = sum(1 for s in statuses for d in s.daemons if d.name == "Self-heal Daemon" and d.online)
    return healers >= len({b.host for b in info.bricks})


def _start(ctx: SetupContext, first: str, volume: VolumeSpec, found: Volume | None) -> None:
    key = f"volume={volume.name}"
    if found is not None and found.status == "Started":
        if not _bricks_online(ctx, first, volume.name):
            ctx.problem(key, "started, but not every brick or self-heal daemon is online")
        return
    if not ctx.apply:
        if found is not None:
            ctx.missing(key, f"volume {volume.name} is {found.status}, not Started")
        return
    ctx.gluster(first, ["volume", "start", volume.name], write=True)
    ctx.changed(CLUSTER, f"started volume {volume.name}")
    took = wait_until(lambda: _bricks_online(ctx, first, volume.name),
                      timeout=BRICKS_ONLINE_TIMEOUT,
                      what=f"every brick and self-heal daemon of {volume.name} online")
    ctx.inspected(key, f"all bricks and self-heal daemons online {took:.1f} s after start")
