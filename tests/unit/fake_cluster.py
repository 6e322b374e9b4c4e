"""A pytest plugin (`-p tests.unit.fake_cluster`) that answers the suite's remote commands from the
facts recorded on a converged simulated cluster, for in-process plugin tests without SSH.

Every command it answers is appended to $FAKE_CLUSTER_LOG as `node<TAB>kind`, so tests can count
what ran where (xdist workers included: each appends to the same file).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

from glustercheck.datapath import GO_ON
from glustercheck.errors import UnreachableError
from glustercheck.remote import CommandResult, ConnectionPool, SshTarget

VECTORS = Path(__file__).parent.parent / "vectors" / "facts" / "10.3" / "converged"


class FakeConnection:
    def __init__(self, target: SshTarget) -> None:
        self.target = target
        self.name = target.name
        # what the probe reads of a real connection's resolved target
        self.resolved = SimpleNamespace(connect_timeout=5.0, sudo=bool(target.sudo), user="pi")

    def _log(self, kind: str) -> None:
        log = os.environ.get("FAKE_CLUSTER_LOG")
        if log:
            with open(log, "a") as out:
                out.write(f"{self.name}\t{kind}\n")

    def _unreachable(self) -> bool:
        return self.name in os.environ.get("FAKE_CLUSTER_UNREACHABLE", "").split(",")

    def wait_opened(self, timeout: float) -> bool:
        """Connected at once, unless unreachable (then never, as a real one whose connect fails)."""
        if self._unreachable():
            time.sleep(timeout)
            return False
        return True

    def warm(self) -> None:
        """A channel opened ahead of a command (no command: logged apart from them)."""
        self._log("warm")

    @property
    def transport(self) -> SimpleNamespace:
        return SimpleNamespace(is_active=lambda: not self._unreachable())

    def run(self, command: str | Sequence[str], *, stdin: object = None, **_: object) -> CommandResult:
        text = command if isinstance(command, str) else " ".join(command)
        if self._unreachable():
            raise UnreachableError(f"{self.name} (10.0.1.9:22) unreachable: no answer within 5 s - "
                                   "is the node powered and on the network?")
        if text == "true":
            kind, out = "probe", ""
        elif "s hostname" in text:  # the first node's facts carry the volume state too
            time.sleep(float(os.environ.get("FAKE_CLUSTER_FACTS_SECONDS", "0")))  # a Pi's pace
            kind, out = "node-facts", _disk_used((VECTORS / f"{self.name}.txt").read_text())
            out += _stored_op_version(self.name)
            if "s info" in text:
                out += (VECTORS / "state.txt").read_text()
        elif "s info" in text:
            kind, out = "volume-state", (VECTORS / "state.txt").read_text()
        elif "s heal:" in text:
            kind, out = "heal", _healing((VECTORS / "heal.txt").read_text())
        elif text.startswith("# glustercheck: data path, write"):
            self._log("data-write-mounted\t")
            kind, out = ("data-write", _sums(text)) if _told_go(stdin) else ("data-write-stopped", "")
        elif text.startswith("# glustercheck: data path, read"):
            self._log("data-read-mounted\t")
            kind, out = ("data-read", _read_back(text)) if _told_go(stdin) else ("data-read-stopped", "")
        elif text == "gluster --mode=script volume get all cluster.op-version":
            kind, out = "op-version", _running_op_version(self.name)
        else:
            kind, out = "other", f"{self.name}\n"  # e.g. a user's `hostname`
        who = f"user={self.target.user} sudo={self.target.sudo} sudo_user={self.target.sudo_user}"
        self._log(f"{kind}\t{text if kind == 'other' else ''}\t{who}")
        return CommandResult(self.name, text, 0, out, "", 0.001)

    def start(self, command: str, **_: object) -> FakeChannel:
        """The cluster lock's held command: taken at once (one controller in these tests)."""
        self._log("lock\t")
        return FakeChannel()

    def close(self) -> None:
        return None


class FakeChannel:
    def settimeout(self, _: float) -> None:
        return None

    def makefile(self, _: str) -> list[str]:
        return ["LOCKED\n"]

    def close(self) -> None:
        return None


def _op_versions(variable: str) -> dict[str, str]:
    """$VARIABLE as `rpi2=90000,rpi3=...`."""
    return dict(pair.split("=", 1) for pair in os.environ.get(variable, "").split(",") if "=" in pair)


def _stored_op_version(node: str) -> str:
    """$FAKE_CLUSTER_STORED_OP: what glusterd.info stores on those nodes (the recorded facts carry
    glusterd's own answer, 100000, which the others keep)."""
    stored = _op_versions("FAKE_CLUSTER_STORED_OP").get(node)
    return f"@@glustercheck@@opstored\n{stored}\n" if stored is not None else ""


def _running_op_version(node: str) -> str:
    """$FAKE_CLUSTER_RUNNING_OP: what glusterd itself answers on those nodes (else 100000)."""
    value = _op_versions("FAKE_CLUSTER_RUNNING_OP").get(node, "100000")
    return f"Option                Value\n------                -----\ncluster.op-version    {value}\n"


def _disk_used(facts: str) -> str:
    """$FAKE_CLUSTER_DISK_PERCENT: the brick filesystems that full (to drive the capacity check)."""
    percent = os.environ.get("FAKE_CLUSTER_DISK_PERCENT")
    if not percent:
        return facts
    lines = facts.splitlines(keepends=True)
    start = lines.index("@@glustercheck@@disks\n") + 1
    for i in range(start, len(lines)):
        path, mount, size, _used, inodes, inodes_used = lines[i].split()
        used = int(int(size) * float(percent) / 100)
        lines[i] = f"{path} {mount} {size} {used} {inodes} {inodes_used}\n"
    return "".join(lines)


def _healing(heal_info: str) -> str:
    """$FAKE_CLUSTER_HEAL_PENDING entries on the first brick; $FAKE_CLUSTER_HEAL_SECONDS to
    answer (a heal info client's start)."""
    time.sleep(float(os.environ.get("FAKE_CLUSTER_HEAL_SECONDS", "0")))
    pending = os.environ.get("FAKE_CLUSTER_HEAL_PENDING", "0")
    return heal_info.replace("<numberOfEntries>0<", f"<numberOfEntries>{pending}<", 1)


def _told_go(stdin: object) -> bool:
    """What a data path side reads once mounted, as its script does: it waits to be told."""
    told = stdin() if callable(stdin) else stdin
    return isinstance(told, str) and told.strip() == GO_ON


def _test_files(script: str) -> list[str]:
    """The data path's test files, as its script names them."""
    return list(dict.fromkeys(re.findall(r"glustercheck-[0-9a-f]{12}-[0-9]+", script)))


def _sums(script: str) -> str:
    """sha256sum's lines for the data path's test files: the same bytes wherever they are read,
    as on a healthy volume."""
    names = _test_files(script)
    return "".join(f"{hashlib.sha256(n.encode()).hexdigest()}  {n}\n" for n in names)


def _read_back(script: str) -> str:
    """The reader's answer: the sums, then each file's pathinfo on the second replica set (rpi2
    and rpi3, as their bricks' servers name themselves), as one getfattr prints them."""
    names = _test_files(script)
    unreadable = os.environ.get("FAKE_CLUSTER_NO_PATHINFO")  # a file getfattr could not read
    where = "".join(f"getfattr: {n}: Transport endpoint is not connected\n" if n.endswith(f"-{unreadable}")
                    else f"# file: {n}\ntrusted.glusterfs.pathinfo=\"(<DISTRIBUTE:gv-dht> (<REPLICATE:"
                    f"gv-replicate-1> <POSIX(/mnt/usb/gv):rpi2:/mnt/usb/gv/{n}> "
                    f"<POSIX(/mnt/usb/gv):rpi3:/mnt/usb/gv/{n}>))\"\n\n" for n in names)
    return f"@@glustercheck-data@@sums\n{_sums(script)}@@glustercheck-data@@pathinfo\n{where}"


def _get(self: ConnectionPool, target: SshTarget) -> FakeConnection:
    return FakeConnection(target)


ConnectionPool.get = _get  # type: ignore[assignment,method-assign]
