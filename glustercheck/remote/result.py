"""What a remote command gave back, and the errors that carry it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from glustercheck.errors import RemoteError


@dataclass(frozen=True)
class CommandResult:
    host: str
    command: str
    rc: int  # -1: killed by a signal (sshd then sends no exit status)
    stdout: str
    stderr: str
    duration: float
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.rc == 0


def tail(text: str, lines: int = 10) -> str:
    """The last few lines of output, which is where tools put the reason they failed."""
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join(kept)


class CommandFailed(RemoteError):
    """`check()` saw a non-zero exit status; `.result` holds everything the command gave back."""

    def __init__(self, result: CommandResult) -> None:
        self.result = result
        detail = tail(result.stderr) or tail(result.stdout) or "(no output)"
        how = "was killed by a signal" if result.rc == -1 else f"failed with exit status {result.rc}"
        super().__init__(f"{result.host}: `{result.command}` {how}:\n{detail}")


_PASSWORD = re.compile(r"^sudo: (a password is required|a terminal is required)", re.M)
_NO_SUDO = re.compile(r"\bsudo: (command )?not found\b")
_NOT_ALLOWED = re.compile(r"is not in the sudoers file|is not allowed to (run|execute)|may not run")


def sudo_problem(rc: int, stderr: str, *, host: str, user: str) -> str | None:
    """Why sudo itself (not the command under it) failed, or None if it did not."""
    if rc == 0:
        return None
    if _PASSWORD.search(stderr):
        return (
            f"sudo on {host} needs a password: give user {user} passwordless sudo "
            f"(a NOPASSWD line in /etc/sudoers.d/), or log in as root"
        )
    if rc == 127 and _NO_SUDO.search(stderr):
        return f"sudo is not installed on {host}: install it (apt install sudo), or log in as root"
    if rc == 1 and _NOT_ALLOWED.search(stderr):
        return f"user {user} may not use sudo on {host}: add it to group sudo, or log in as root"
    return None
