"""The files that make one node (pure renderers): sshd_config, /etc/hosts, fstab, apt sources.

sshd_config is generated here and only here. The login policy is Raspberry Pi OS's: root may not
log in over SSH, the first user (`pi`) logs in with a key and has passwordless sudo. Behind a
bastion, a node also refuses every SSH login from the controller (the host side of the bridge).
"""

from __future__ import annotations

from simcluster.config import BRIDGE_ADDRESS, REPO_PORT
from simcluster.recipes import USB_MOUNT_POINT

NODE_USB_DEVICE = "/dev/sda1"  # the stick's name on a Pi; the node init creates it from the loop device
HOST_KEY = "/etc/ssh/ssh_host_ed25519_key"
# sshd writes its log here (`sshd -E`, started by the node's init): a node has no syslog, and the
# tests read who logged in from where ("Accepted publickey for pi from 10.0.1.0 ...").
SSHD_LOG = "/var/log/auth.log"


def sshd_config(name: str, user: str, address: str, *, refuse_from: str | None = None) -> str:
    """Key-only logins as `user` (root refused, as on Raspberry Pi OS), on the node's address only.
    `refuse_from`: an address from which no one may log in (the controller, behind a bastion)."""
    text = f"""\
# sshd of simulated node {name}: key-only logins as {user} (root refused), on the node address only.
ListenAddress {address}
Port 22
HostKey {HOST_KEY}
PidFile /run/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AuthorizedKeysFile .ssh/authorized_keys
PrintMotd no
MaxStartups 200:30:400
MaxSessions 100
Subsystem sftp /usr/lib/openssh/sftp-server
"""
    if refuse_from is None:
        return text
    # A Match block must come last: everything after it belongs to it. DenyUsers rather than a
    # firewall rule: the nodes' images have no firewall, and sshd logs each refusal with its reason.
    return text + f"""\
# Behind a bastion: no SSH login from {refuse_from}; reach this node through the first one (ProxyJump).
Match Address {refuse_from}
    DenyUsers *
"""


def hosts(name: str) -> str:
    """As Debian and Raspberry Pi OS write it: localhost and the node's own name on 127.0.1.1."""
    return f"127.0.0.1\tlocalhost\n127.0.1.1\t{name}\n"


def fstab(fs: str) -> str:
    """The root filesystem is the node's overlay (mounted by its init); the USB stick as the how-to
    adds it, with nofail so that a missing stick does not stop the boot (as systemd does)."""
    return ("# <file system> <mount point> <type> <options> <dump> <pass>\n"
            f"{NODE_USB_DEVICE}\t{USB_MOUNT_POINT}\t{fs}\tdefaults,nofail\t0\t2\n")


def apt_sources(suite: str) -> str:
    """The node's only apt source: the cluster's local repository of its suite."""
    return ("# The simulated cluster's local package repository, reachable only inside the cluster.\n"
            f"deb [trusted=yes] http://{BRIDGE_ADDRESS}:{REPO_PORT}/{suite}/ ./\n")
