"""What a remote command gave back, and the errors that carry it."""

from __future__ import annotations

from dataclasses import dataclass

from glustercheck.errors import RemoteError

from .sudo import sudo_problem

__all__ = ["CommandFailed", "CommandResult", "sudo_problem", "tail"]  # sudo_problem: its old home


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

    @property
    def reason(self) -> str:
        """Why it failed, in its own words: the tail of stderr, else of stdout, bounded in lines
        and characters (one runaway line must not flood a report)."""
        text = tail(self.stderr) or tail(self.stdout)
        if len(text) > REASON_CHARS:
            return f"...{text[-REASON_CHARS:]}"
        return text or "(no output)"


REASON_CHARS = 800


def tail(text: str, lines: int = 10) -> str:
    """The last few lines of output, which is where tools put the reason they failed."""
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join(kept)


class CommandFailed(RemoteError):
    """`check()` saw a non-zero exit status; `.result` holds everything the command gave back."""

    def __init__(self, result: CommandResult) -> None:
        self.result = result
        how = "was killed by a signal" if result.rc == -1 else f"failed with exit status {result.rc}"
        super().__init__(f"{result.host}: `{result.command}` {how}:\n{result.reason}")
