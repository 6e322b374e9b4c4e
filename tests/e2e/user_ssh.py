"""Helpers for end-to-end tests of a user's own login to the simulated Pis (not a test module): a
HOME with ~/.ssh as a user writes it, the `simcluster` commands that fill it, a user's testinfra
test that says where its commands ran, and the nodes' sshd logs that say who logged in from where.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from simcluster import SimCluster
from simcluster.config import BRIDGE_ADDRESS
from simcluster.node_files import SSHD_LOG

CONTROLLER = str(BRIDGE_ADDRESS)  # where the nodes see the controller's connections come from

# A user's own test next to the checks: testinfra's `host`, one line per node saying the node's
# hostname, the user the command ran as, and the user who logged in (sudo sets SUDO_USER).
WHERE_TEST = '''\
def test_where(host):
    seen = host.run('echo "$(hostname) $(id -un) ${SUDO_USER:-$(id -un)}"')
    assert seen.rc == 0, seen.stderr
    print("WHERE", host.backend.get_pytest_id(), seen.stdout.strip())
'''
_WHERE = re.compile(r"^.*?WHERE (\S+) (\S+) (\S+) (\S+)$", re.M)


class Where(NamedTuple):
    hostname: str  # `hostname` on the node
    ran_as: str  # `id -un`
    login: str  # who logged in over SSH


def where(stdout: str) -> dict[str, Where]:
    """Test id -> what WHERE_TEST saw there (run with -s)."""
    return {m[1]: Where(m[2], m[3], m[4]) for m in _WHERE.finditer(stdout)}


def simcluster(*args: str, env: dict[str, str] | None = None,
               timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simcluster", *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env=env, stdin=subprocess.DEVNULL)


def write_home(home: Path, cluster: SimCluster, config: str) -> Path:
    """HOME/.ssh/config as given and HOME/.ssh/known_hosts from `simcluster user-ssh-config
    --known-hosts` (the nodes' host keys, as a user adds them). Returns HOME/.ssh."""
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (ssh_dir / "config").write_text(config)
    (ssh_dir / "config").chmod(0o600)
    added = simcluster("user-ssh-config", "--known-hosts", str(ssh_dir / "known_hosts"))
    assert added.returncode == 0, added.stderr
    assert (ssh_dir / "known_hosts").read_text().count("ssh-ed25519") == cluster.config.count
    return ssh_dir


def host_names(cluster: SimCluster) -> str:
    """`Host rpiN / HostName 10.0.1.N` lines, nothing else (what a user types per Pi)."""
    return "".join(f"Host {name}\n    HostName {cluster.config.address(i)}\n"
                   for i, name in enumerate(cluster.config.names))


def new_key(directory: Path, name: str) -> tuple[Path, str]:
    """A fresh ed25519 key pair; returns the private key's path and its SHA256 fingerprint."""
    key = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
                   check=True, timeout=30)
    return key, fingerprint(key.with_suffix(".pub"))


def fingerprint(public_key: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", str(public_key)], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    return out.split()[1]


def authorize(cluster: SimCluster, user: str, public_key: Path) -> None:
    """Add a public key to `user`'s authorized_keys on every node."""
    line = public_key.read_text().strip()
    for node in cluster.config.names:
        cluster.exec(node, ["sh", "-c", f'home=$(getent passwd {user} | cut -d: -f6) && '
                            f'mkdir -p "$home/.ssh" && echo "$1" >> "$home/.ssh/authorized_keys" && '
                            f'chown -R {user}: "$home/.ssh" && chmod 700 "$home/.ssh"', "sh", line])


def add_user(cluster: SimCluster, user: str, *, groups: str = "", login_key: Path | None = None) -> None:
    """A user on every node (not locked: sshd without PAM refuses key logins to locked accounts)."""
    for node in cluster.config.names:
        cluster.exec(node, ["sh", "-c", f"id {user} >/dev/null 2>&1 || useradd --create-home "
                            f"--shell /bin/bash {'--groups ' + groups if groups else ''} {user} && "
                            f"usermod --password '*' {user}"])
    if login_key is not None:
        authorize(cluster, user, login_key)


# ----- the nodes' sshd logs --------------------------------------------------------------------

_ACCEPTED = re.compile(r"Accepted publickey for (\S+) from (\S+) port \d+ ssh2: \S+ (SHA256:\S+)")


@dataclass(frozen=True)
class Login:
    user: str
    source: str
    key: str  # SHA256 fingerprint


class SshdLogs:
    """What each node's sshd logged since `mark()`: `logins()` and the raw `text()`."""

    def __init__(self, cluster: SimCluster) -> None:
        self.cluster = cluster
        self._offsets: dict[str, int] = {}

    def _read(self, node: str) -> str:
        return self.cluster.exec(node, ["sh", "-c", f"cat {SSHD_LOG} 2>/dev/null || true"]).stdout

    def mark(self) -> SshdLogs:
        self._offsets = {n: len(self._read(n)) for n in self.cluster.config.names}
        return self

    def text(self, node: str) -> str:
        return self._read(node)[self._offsets.get(node, 0):]

    def logins(self) -> dict[str, set[Login]]:
        """Node -> the distinct (user, source address, key) of its accepted logins since mark()."""
        return {n: {Login(*m) for m in _ACCEPTED.findall(self.text(n))}
                for n in self.cluster.config.names}
