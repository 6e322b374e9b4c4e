"""What each node's sshd did, from its own log: connections, logins and commands, counted on the
node (not by the client), so a benchmark sees every round trip a run cost each node.

The node init starts sshd with SSHD_ARGS (they travel in boot.json): LogLevel VERBOSE to a file
(a node has no syslog), one line per TCP connection, login and session. The host reads the file
through the node's overlay layer, without entering the node:

    marks = LogMarks.take(config)        # before a run
    ...                                  # the run
    per_node = marks.counts(config)      # {"rpi0": SshdCounts(connections=1, logins=1, ...)}
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from simcluster.config import SimConfig
from simcluster.node_files import SSHD_LOG

NODE_LOG = SSHD_LOG  # auth.log, where Debian's sshd logs (the e2e tests read it too)
SSHD_ARGS = ("-E", NODE_LOG, "-o", "LogLevel=VERBOSE")

_CONNECTION = re.compile(r"\bConnection from \S+ port \d+ on ")
_LOGIN = re.compile(r"\bAccepted \S+ for \S+ from ")
_SESSION = re.compile(r"\bStarting session: (command|shell|subsystem|forced-command)")


@dataclass(frozen=True)
class SshdCounts:
    connections: int = 0  # TCP connections sshd accepted (logged in or not)
    logins: int = 0  # successful authentications
    sessions: int = 0  # session channels started: commands, shells, subsystems
    commands: int = 0  # of which exec requests (`ssh node CMD`, paramiko's exec_command)

    def __add__(self, other: SshdCounts) -> SshdCounts:
        return SshdCounts(self.connections + other.connections, self.logins + other.logins,
                          self.sessions + other.sessions, self.commands + other.commands)


def count(text: str) -> SshdCounts:
    sessions = _SESSION.findall(text)
    return SshdCounts(connections=len(_CONNECTION.findall(text)), logins=len(_LOGIN.findall(text)),
                      sessions=len(sessions), commands=sessions.count("command"))


def log_path(config: SimConfig, name: str) -> Path:
    """The node's sshd log as the host sees it: in the node's overlay layer."""
    return config.node_dir(name) / "upper" / NODE_LOG.lstrip("/")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


@dataclass(frozen=True)
class LogMarks:
    """Where each node's log ended at one moment; counts() reads only what came after."""

    offsets: dict[str, int]

    @classmethod
    def take(cls, config: SimConfig) -> LogMarks:
        return cls({name: _size(log_path(config, name)) for name in config.names})

    def counts(self, config: SimConfig) -> dict[str, SshdCounts]:
        found = {}
        for name, offset in self.offsets.items():
            path = log_path(config, name)
            try:
                with path.open("rb") as log:
                    log.seek(offset if _size(path) >= offset else 0)  # a rebooted node starts anew
                    found[name] = count(log.read().decode(errors="replace"))
            except FileNotFoundError:
                found[name] = SshdCounts()
        return found


def wait_quiet(config: SimConfig, quiet: float = 0.5, timeout: float = 10.0) -> None:
    """Until no node's log has grown for `quiet` seconds: a node just booted logs simcluster's
    port check a moment late, which would count against the next run."""
    deadline = time.monotonic() + timeout
    marks = LogMarks.take(config)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = LogMarks.take(config)
        if now == marks:
            return
        marks = now
