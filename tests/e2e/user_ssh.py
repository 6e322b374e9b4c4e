"""Helpers for end-to-end tests of logins to the simulated Pis (not a test module): the nodes' sshd
logs, which say who logged in from where with which key.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from simcluster import SimCluster
from simcluster.config import BRIDGE_ADDRESS
from simcluster.node_files import SSHD_LOG

CONTROLLER = str(BRIDGE_ADDRESS)  # where the nodes see the controller's connections come from


def simcluster(*args: str, env: dict[str, str] | None = None,
               timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simcluster", *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env=env, stdin=subprocess.DEVNULL)


def fingerprint(public_key: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", str(public_key)], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    return out.split()[1]


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
