"""Files that make a fresh node: its /etc (hosts, users, sudo), SSH keys, glusterd state, brick disk.

Each node starts like a Raspberry Pi after first boot: /etc/hosts knows only localhost and its own
name (on 127.0.1.1, as Debian writes it), glusterd has no UUID yet and is not enabled, and the
login user `pi` has passwordless sudo. Adding the peers is the suite's job, not ours.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from glustercheck.spec import ClusterSpec, ConnectionSpec, Node, NodeDefaults, VolumeSpec, dump_spec
from simcluster.config import SimConfig
from simcluster.host import run

GLUSTERD_TEMPLATE = Path("/var/lib/glusterd")
GLUSTERD_ENABLED_LINK = "systemd/system/multi-user.target.wants/glusterd.service"

SSHD_CONFIG = """\
# sshd of simulated node {name}: key-only logins as root or {user}, on the node address only.
ListenAddress {address}
Port 22
HostKey {host_key}
PidFile /run/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AuthorizedKeysFile .ssh/authorized_keys
PrintMotd no
MaxStartups 200:30:400
MaxSessions 100
Subsystem sftp /usr/lib/openssh/sftp-server
"""


def free_uid(passwd_text: str, wanted: int = 1000) -> int:
    used = {int(line.split(":")[2]) for line in passwd_text.splitlines() if line.count(":") >= 6}
    uid = wanted
    while uid in used:
        uid += 1
    return uid


def ensure_client_key(config: SimConfig) -> str:
    config.ssh_dir.mkdir(parents=True, exist_ok=True)
    config.ssh_dir.chmod(0o700)
    if not config.client_key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "simcluster-client",
             "-f", str(config.client_key)])
    return config.client_key.with_suffix(".pub").read_text()


def _write(path: Path, text: str, mode: int = 0o644, uid: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    os.chown(path, uid, uid)


def _etc_files(name: str, user: str, uid: int) -> dict[str, tuple[str, int]]:
    passwd = Path("/etc/passwd").read_text()
    shadow = Path("/etc/shadow").read_text()
    group = Path("/etc/group").read_text()
    gshadow = Path("/etc/gshadow").read_text() if Path("/etc/gshadow").exists() else ""
    # '*' (no password, not locked): sshd without PAM refuses key logins to locked ('!') accounts.
    shadow = "".join(
        ("root:*:" + line.split(":", 2)[2]) if line.startswith("root:") else line
        for line in shadow.splitlines(keepends=True)
    )
    group = "".join(
        (line.rstrip("\n") + ("," if not line.rstrip("\n").endswith(":") else "") + user + "\n")
        if line.startswith("sudo:") else line
        for line in group.splitlines(keepends=True)
    )
    return {
        "hostname": (f"{name}\n", 0o644),
        "hosts": (f"127.0.0.1\tlocalhost\n127.0.1.1\t{name}\n", 0o644),
        "resolv.conf": ("", 0o644),
        "passwd": (passwd + f"{user}:x:{uid}:{uid}:,,,:/home/{user}:/bin/bash\n", 0o644),
        "shadow": (shadow + f"{user}:*:20000:0:99999:7:::\n", 0o640),
        "group": (group + f"{user}:x:{uid}:\n", 0o644),
        "gshadow": (gshadow + f"{user}:!::\n", 0o640),
        "sudoers.d/010_pi-nopasswd": (f"{user} ALL=(ALL) NOPASSWD: ALL\n", 0o440),
    }


def provision_node(config: SimConfig, index: int, client_pubkey: str, uid: int) -> None:
    name = config.names[index]
    node = config.node_dir(name)
    for sub in ("etc-upper", "etc-work", "glusterd", "log", "root", "mnt/usb", "disk", "ssh"):
        (node / sub).mkdir(parents=True, exist_ok=True)
    node.chmod(0o755)
    (node / "root").chmod(0o700)
    user = config.login_user
    for rel, (text, mode) in _etc_files(name, user, uid).items():
        _write(node / "etc-upper" / rel, text, mode)
    if (Path("/etc") / GLUSTERD_ENABLED_LINK).exists():  # hide the host's enablement
        whiteout = node / "etc-upper" / GLUSTERD_ENABLED_LINK
        whiteout.parent.mkdir(parents=True, exist_ok=True)
        os.mknod(whiteout, 0o600 | 0o020000, os.makedev(0, 0))
    for sub in ("groups", "hooks"):  # the package's template, without glusterd.info (no UUID)
        if (GLUSTERD_TEMPLATE / sub).exists():
            shutil.copytree(GLUSTERD_TEMPLATE / sub, node / "glusterd" / sub)
    _write(node / "root/.ssh/authorized_keys", client_pubkey, 0o600)
    (node / "root/.ssh").chmod(0o700)
    home = node / "home" / user
    _write(home / ".ssh/authorized_keys", client_pubkey, 0o600, uid)
    for directory in (home / ".ssh", home):
        os.chown(directory, uid, uid)
    (home / ".ssh").chmod(0o700)
    host_key = node / "ssh" / "ssh_host_ed25519_key"
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{name}", "-f", str(host_key)])
    _write(node / "sshd_config", SSHD_CONFIG.format(
        name=name, user=user, address=config.address(index), host_key=host_key))
    run(["mount", "-t", "tmpfs", "-o", f"size={config.disk_size_mb}m,mode=755",
         f"gvsim-{name}-disk", str(node / "disk")])


def host_public_key(config: SimConfig, name: str) -> str:
    key = config.node_dir(name) / "ssh" / "ssh_host_ed25519_key.pub"
    kind, blob = key.read_text().split()[:2]
    return f"{kind} {blob}"


def write_client_files(config: SimConfig) -> None:
    """ssh_config and known_hosts for `ssh -F`, paramiko and pytest-testinfra: host keys stay checked."""
    blocks, known = [], []
    for index, name in enumerate(config.names):
        address = config.address(index)
        blocks.append(
            f"Host {name} {address}\n  HostName {address}\n  User {config.login_user}\n"
            f"  IdentityFile {config.client_key}\n  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {config.known_hosts}\n  StrictHostKeyChecking yes\n"
            f"  ConnectTimeout 5\n"
        )
        known.append(f"{name},{address} {host_public_key(config, name)}\n")
    _write(config.ssh_config, "\n".join(blocks), 0o600)
    _write(config.known_hosts, "".join(known), 0o600)


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
    _write(config.spec_file, header + dump_spec(spec), 0o644)
