"""Shell quoting for remote commands: every argument that is not a literal must go through here."""

from __future__ import annotations

import shlex
from collections.abc import Sequence


def quote(arg: object) -> str:
    """Quote one argument for a POSIX shell (`str()` first, so paths and numbers work too)."""
    return shlex.quote(str(arg))


def format_command(template: str, *args: object) -> str:
    """`format_command("ls -l {} {}", path, name)`: each `{}` gets one shell-quoted argument.

    Only positional `{}` placeholders are allowed, so a hostile argument can never add words.
    """
    if template.count("{}") != len(args):
        raise ValueError(
            f"format_command: {template!r} has {template.count('{}')} placeholders "
            f"but {len(args)} arguments were given"
        )
    return template.format(*(quote(a) for a in args))


def to_shell(command: str | Sequence[str]) -> str:
    """A str is used as is (the caller quoted it); a sequence is one word per item."""
    if isinstance(command, str):
        return command
    words = [str(w) for w in command]
    if not words:
        raise ValueError("empty command")
    return shlex.join(words)


def wrap_command(command: str, *, timeout: float, sudo: bool, sudo_user: str | None = None) -> str:
    """The line the remote login shell runs: `[sudo -n [-u USER] --] timeout --signal=KILL T sh -c CMD`.

    `timeout` makes itself a process-group leader and kills the whole group, so children of
    the command die with it. sudo goes outside so the killer runs as the sudo user and may
    kill it all. `sudo -n` never prompts: a sudo that wants a password fails at once.
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, not {timeout}")
    # Fixed-point: `timeout` does not read exponents, and 0 would mean "no limit".
    seconds = f"{max(timeout, 0.001):.3f}"
    line = f"timeout --signal=KILL {seconds} sh -c {shlex.quote(command)}"
    if not sudo:
        return line
    as_user = f"-u {shlex.quote(sudo_user)} " if sudo_user and sudo_user != "root" else ""
    return f"sudo -n {as_user}-- {line}"
