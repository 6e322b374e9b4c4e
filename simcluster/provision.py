"""Files that make a fresh node: the per-node layer over its image (hostname, hosts, fstab,
sshd_config and host key, apt sources, authorized_keys), the USB stick, and the client files.

Each node starts like a Raspberry Pi after first boot: /etc/hosts knows only localhost and its own
name (on 127.0.1.1, as Debian writes it), glusterd has no UUID yet and is not enabled, the login
user `pi` has passwordless sudo and the client key in its authorized_keys, and root has none (its
SSH login is refused anyway). Adding the peers is the suite's job, not ours.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from glustercheck.spec import ClusterSpec, ConnectionSpec, Node, NodeDefaults, VolumeSpec, dump_spec
from simcluster import node_files, usb
from simcluster.config import BRIDGE_ADDRESS, SimConfig
from simcluster.host import run

HOST_KEY = node_files.HOST_KEY.lstrip("/")


def ensure_client_key(config: SimConfig) -> str:
    config.ssh_dir.mkdir(parents=True, exist_ok=True)
    config.ssh_dir.chmod(0o700)
    if not config.client_key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "simcluster-client",
             "-f", str(config.client_key)])
    return config.client_key.with_suffix(".pub").read_text()


def user_ids(rootfs: Path, user: str) -> tuple[int, int]:
    for line in (rootfs / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise RuntimeError(f"the node image {rootfs} has no user {user!r}: rebuild it "
                       f"(remove {rootfs.parent} and run `simcluster up` again)")


def _mkdirs_like(upper: Path, lower: Path, rel: Path) -> None:
    """Create upper/rel's missing parents with the owner and mode of the image's directories: an
    overlay shows an upper directory's own attributes, so /root must stay 0700 and so on."""
    for part in reversed(rel.parents[:-1]):
        target = upper / part
        if target.exists():
            continue
        target.mkdir()
        source = lower / part
        if source.is_dir():
            st = source.stat()
            os.chown(target, st.st_uid, st.st_gid)
            target.chmod(st.st_mode & 0o7777)


def _write(upper: Path, lower: Path, rel: str, text: str, mode: int = 0o644, *,
           owner: tuple[int, int] = (0, 0)) -> None:
    _mkdirs_like(upper, lower, Path(rel))
    path = upper / rel
    path.write_text(text)
    os.chown(path, *owner)
    path.chmod(mode)


def provision_node(config: SimConfig, index: int, client_pubkey: str, rootfs: Path) -> None:
    """The node's directory: its overlay layer over `rootfs`, its USB stick, its boot settings."""
    name = config.names[index]
    node = config.node_dir(name)
    upper = node / "upper"
    for sub in ("upper", "work", "rootfs"):
        (node / sub).mkdir(parents=True, exist_ok=True)
    node.chmod(0o755)
    user = config.login_user
    uid, gid = user_ids(rootfs, user)
    suite = config.suites[name]
    refuse_from = str(BRIDGE_ADDRESS) if config.behind_bastion(name) else None
    files = {
        "etc/hostname": (f"{name}\n", 0o644),
        "etc/hosts": (node_files.hosts(name), 0o644),
        "etc/fstab": (node_files.fstab(config.fs), 0o644),
        "etc/ssh/sshd_config": (node_files.sshd_config(name, user, config.address(index),
                                                       refuse_from=refuse_from), 0o644),
        "etc/apt/sources.list.d/simcluster.list": (node_files.apt_sources(suite), 0o644),
    }
    for rel, (text, mode) in files.items():
        _write(upper, rootfs, rel, text, mode)
    _write(upper, rootfs, f"home/{user}/.ssh/authorized_keys", client_pubkey, 0o600, owner=(uid, gid))
    os.chown(upper / f"home/{user}/.ssh", uid, gid)
    (upper / f"home/{user}/.ssh").chmod(0o700)
    host_key = upper / HOST_KEY
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{name}", "-f", str(host_key)])
    usb.create(node / "usb.img", config.disk_mb, config.fs)
    (node / "node.json").write_text(json.dumps({"name": name, "suite": suite,
                                                "rootfs": str(rootfs)}) + "\n")


def _write_host_file(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def host_public_key(config: SimConfig, name: str) -> str:
    key = config.node_dir(name) / "upper" / (HOST_KEY + ".pub")
    kind, blob = key.read_text().split()[:2]
    return f"{kind} {blob}"


def known_hosts_lines(config: SimConfig) -> list[str]:
    """`rpi0,10.0.1.0 ssh-ed25519 AAAA...`: each node's host key under its name and address."""
    return [f"{name},{config.address(i)} {host_public_key(config, name)}\n"
            for i, name in enumerate(config.names)]


def write_client_files(config: SimConfig) -> None:
    """ssh_config and known_hosts for `ssh -F`, paramiko and pytest-testinfra: host keys stay checked.
    Behind a bastion, the other nodes' blocks say ProxyJump (it names the first node's block)."""
    blocks = []
    for index, name in enumerate(config.names):
        address = config.address(index)
        jump = f"  ProxyJump {config.bastion_node}\n" if config.behind_bastion(name) else ""
        blocks.append(
            f"Host {name} {address}\n  HostName {address}\n  User {config.login_user}\n"
            f"  IdentityFile {config.client_key}\n  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {config.known_hosts}\n  StrictHostKeyChecking yes\n"
            f"  ConnectTimeout 5\n{jump}"
        )
    known = known_hosts_lines(config)
    _write_host_file(config.ssh_config, "\n".join(blocks), 0o600)
    _write_host_file(config.known_hosts, "".join(known), 0o600)


def write_spec(config: SimConfig) -> None:
    """The cluster spec of the how-to (volume `gv`, replica 2, /mnt/usb/gv) for these nodes."""
    user = config.login_user
    spec = ClusterSpec(
        nodes=tuple(Node(name, config.address(i), user, True) for i, name in enumerate(config.names)),
        volumes=(VolumeSpec(name="gv", replica=2, brick_path="/mnt/usb/gv"),),
        connection=ConnectionSpec(ssh_config=config.ssh_config, identity_file=config.client_key,
                                  known_hosts=config.known_hosts, strict_host_keys=True),
        defaults=NodeDefaults(user=user, sudo=True),
    )
    header = (f"# Written by `simcluster up` for the simulated nodes {config.names[0]}.."
              f"{config.names[-1]}; overwritten by the next `up`.\n")
    _write_host_file(config.spec_file, header + dump_spec(spec), 0o644)
