"""The data path as two remote commands, started together: files written through a FUSE mount on
one node, read back through a mount on another (each side waits, mounted, until told to go on), their
placement read from gluster's own `pathinfo` virtual xattr through that mount; each side mounts,
works and unmounts in one command and leaves nothing behind whatever happens (a shell EXIT trap
removes the files and the mount).

Pure: scripts out, parsed answers in; glustercheck/datapath_trial.py runs them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from glustercheck.errors import ParseError
from glustercheck.remote.quoting import quote

SIZE = 65536  # bytes per test file
PATHINFO = "trusted.glusterfs.pathinfo"  # virtual xattr: which bricks hold a file, asked of the mount
MOUNT_FAILED = 91  # the script's exit status when the mount itself failed
GO_ON, STOP = "go", "stop"  # what each side is told on its stdin, once mounted
_SECTION = "@@glustercheck-data@@"
# Each side, once mounted, goes on only when told GO_ON on its stdin (EOF, or the controller
# gone, ends it too: the EXIT trap unmounts).
_TOLD = f"read verdict || verdict=\n[ \"$verdict\" = {GO_ON} ] || exit 0\n"
# <POSIX(/mnt/usb/gv):rpi2:/mnt/usb/gv/f>: the brick's path, the brick server's own hostname,
# the file's path on it (posix answers only for a file it holds).
_POSIX = re.compile(r"<POSIX\(([^)]*)\):([^:>]+):[^>]*>")
_FILE = "# file: "  # getfattr's header before each file's attributes


@dataclass(frozen=True)
class DataPathRun:
    """One side of the data path: where the volume is mounted and which files it handles."""

    node: str  # the spec node it runs on (its name is also how it reaches the volume)
    volume: str
    mount: str  # a directory of its own, e.g. /mnt/glustercheck-gv-1a2b3c4d
    names: tuple[str, ...]

    @property
    def tag(self) -> str:
        return self.names[0].rsplit("-", 1)[0]

    def _mounted(self, cleanup: str) -> str:
        m = quote(self.mount)
        return (f"m={m}\nmkdir -p \"$m\" || exit 90\n"
                f"if ! mount -t glusterfs {quote(self.node)}:/{quote(self.volume)} \"$m\"; then\n"
                f"  rmdir \"$m\"; exit {MOUNT_FAILED}\nfi\n"
                f"trap 'cd /; {cleanup}umount \"$m\" && rmdir \"$m\"' EXIT\n"
                "cd \"$m\" || exit 92\n")

    def write_script(self) -> str:
        """Mount, then wait for a line on stdin: `go` once the trial has decided to write (it
        mounts while the last facts the decision needs are asked), then write the files, flush
        them, print their checksums; anything else ends it. The files stay for the reader when all
        went well, and are removed when anything failed."""
        files = " ".join(quote(n) for n in self.names)
        remove = f"[ -n \"$ok\" ] || rm -f \"$m\"/{quote(self.tag)}-*; "
        return ("# glustercheck: data path, write\nok=\n" + self._mounted(remove) + _TOLD
                + f"for f in {files}; do head -c {SIZE} /dev/urandom > \"$f\" || exit 93; done\n"
                + f"sync\nsha256sum {files} || exit 94\nok=1\n")

    def read_script(self) -> str:
        """Mount, then wait for a line on stdin: `go` once the writer is done, then the files'
        checksums and placement; anything else (the writer failed) ends it. Either way the files
        are removed and the volume unmounted. Mounting while the writer works takes the mount off
        the trial's critical path."""
        files = " ".join(quote(n) for n in self.names)
        remove = f"rm -f \"$m\"/{quote(self.tag)}-*; "
        return ("# glustercheck: data path, read\n" + self._mounted(remove) + _TOLD
                + f"echo {_SECTION}sums\nsha256sum {files}\n"
                + f"echo {_SECTION}pathinfo\n"
                # One getfattr for all the files (`# file: NAME`, then its value): a process per
                # file and a sed behind each were 16 process starts, ~20 ms here, more on a Pi.
                + f"if command -v getfattr >/dev/null; then getfattr -n {PATHINFO} -e text "
                + f"{files} 2>&1\nelse echo no-getfattr; fi\ntrue\n")


    def cleanup_script(self) -> str:
        """Remove the files (when the reader could not): mount, remove, unmount."""
        remove = f"rm -f \"$m\"/{quote(self.tag)}-*; "
        return "# glustercheck: data path, clean up\n" + self._mounted(remove) + "true\n"


@dataclass(frozen=True)
class ReadBack:
    sums: dict[str, str]  # file -> sha256 as read on the reader
    # file -> {(brick server's own hostname, brick path)}; None: getfattr missing on the reader
    placement: dict[str, frozenset[tuple[str, str]]] | None


def parse_sums(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if len(digest) == 64 and name:
            found[name.strip()] = digest
    return found


def parse_read(text: str) -> ReadBack:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(_SECTION):
            current = sections.setdefault(line[len(_SECTION):], [])
        elif current is not None:
            current.append(line)
    if "sums" not in sections or "pathinfo" not in sections:
        raise ParseError("data path read-back: output cut short (no checksum or placement section)")
    info = sections["pathinfo"]
    if info[:1] == ["no-getfattr"]:
        return ReadBack(parse_sums("\n".join(sections["sums"])), None)
    placement: dict[str, set[tuple[str, str]]] = {}
    name = None
    for line in info:  # getfattr's own format; a file it could not read has no `# file:` line
        if line.startswith(_FILE):
            name = line[len(_FILE):]
            placement[name] = set()
        elif name is not None and line.startswith(f"{PATHINFO}="):
            placement[name] |= {(host, path) for path, host in _POSIX.findall(line)}
    return ReadBack(parse_sums("\n".join(sections["sums"])),
                    {n: frozenset(where) for n, where in placement.items()})


def placement_problems(placement: dict[str, frozenset[tuple[str, str]]],
                       groups: Sequence[frozenset[tuple[str, str]]]) -> list[str]:
    """Each file must be on every brick of the replica sets that hold it and on no brick of
    another (a DHT link may add the set it hashes to: then both sets are whole)."""
    problems = []
    for name, where in sorted(placement.items()):
        whole = [g for g in groups if g <= where]
        partial = [g for g in groups if g & where and not g <= where]
        if not whole or partial:
            shown = ", ".join(f"{host}:{path}" for host, path in sorted(where)) or "none"
            problems.append(f"{name} is on bricks {shown}, expected all bricks of one replica set")
    return problems
