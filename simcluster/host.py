"""Small wrappers for host commands, each with a timeout and an error that names the command."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence


class HostCommandError(RuntimeError):
    pass


def run(args: Sequence[str], *, timeout: float = 30, check: bool = True,
        input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            list(args), capture_output=True, text=True, timeout=timeout, input=input_text,
            check=False,
        )
    except FileNotFoundError:
        raise HostCommandError(f"{args[0]} is not installed (needed to run: {' '.join(args)})") from None
    except subprocess.TimeoutExpired:
        raise HostCommandError(f"timed out after {timeout} s: {' '.join(args)}") from None
    if check and result.returncode != 0:
        raise HostCommandError(
            f"command failed (rc={result.returncode}): {' '.join(args)}\n{result.stderr.strip()}"
        )
    return result


def output(args: Sequence[str], timeout: float = 30) -> str:
    return run(args, timeout=timeout).stdout
