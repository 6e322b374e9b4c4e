"""Read ssh_config files and the files they `Include`, into a tree evaluated later per host.

The files read do not depend on the host (OpenSSH 9.2 expands no %tokens in Include), so the
tree is read once; whether an included file applies depends on the block it sits in.
"""

from __future__ import annotations

import glob
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import SshConfigError
from .lexer import Line, split_line

# OpenSSH's READCONF_MAX_DEPTH: deeper means an Include loop, most likely.
MAX_INCLUDE_DEPTH = 16
SYSTEM_DIR = Path("/etc/ssh")


@dataclass(frozen=True)
class Include:
    line: Line
    files: tuple[ConfigFile, ...]


@dataclass(frozen=True)
class ConfigFile:
    path: Path
    user_config: bool  # ~/.ssh/config or -F: relative Includes live in ~/.ssh, not /etc/ssh
    entries: tuple[Line | Include, ...]


def read_config(path: Path, *, user_config: bool, check_permissions: bool, home: Path) -> ConfigFile | None:
    """The file and its Includes, or None if `path` does not exist (as ssh, quietly)."""
    return _read(path, user_config, check_permissions, home, depth=0)


def _read(path: Path, user_config: bool, check_permissions: bool, home: Path,
          depth: int) -> ConfigFile | None:
    if depth > MAX_INCLUDE_DEPTH:
        raise SshConfigError(
            f"{path}: Include nested more than {MAX_INCLUDE_DEPTH} levels deep - "
            "does an included file include itself?")
    try:
        with path.open("rb") as handle:
            if check_permissions:
                _check_permissions(path, os.fstat(handle.fileno()))
            raw = handle.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return None
    except OSError as exc:
        raise SshConfigError(f"cannot read ssh_config {path}: {exc.strerror}") from exc
    text = raw.decode("utf-8", errors="surrogateescape")
    entries: list[Line | Include] = []
    for number, content in enumerate(text.splitlines(), start=1):
        line = split_line(content, path, number)
        if line is None:
            continue
        if line.keyword == "include":
            files = tuple(
                f for name in line.args
                for target in _include_targets(name, line, user_config, home)
                if (f := _read(target, user_config, True, home, depth + 1)) is not None
            )
            entries.append(Include(line, files))
        else:
            entries.append(line)
    return ConfigFile(path, user_config, tuple(entries))


def _include_targets(name: str, line: Line, user_config: bool, home: Path) -> list[Path]:
    """Include's argument: `~` only in user configs, relative to ~/.ssh or /etc/ssh, a glob."""
    if name.startswith("~"):
        if not user_config:
            raise line.fail(f"Include {name}: '~' is not allowed in the system-wide ssh_config")
        name = str(home) + name[1:] if name == "~" or name.startswith("~/") else os.path.expanduser(name)
    elif not name.startswith("/"):
        name = str((home / ".ssh" if user_config else SYSTEM_DIR) / name)
    # glob(3) sorts its matches; a pattern matching nothing is skipped, like ssh does.
    return [Path(p) for p in sorted(glob.glob(name))]


def _check_permissions(path: Path, st: os.stat_result) -> None:
    """ssh refuses a user config (and any included file) that others could write to."""
    if (st.st_uid not in (0, os.getuid())) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise SshConfigError(
            f"{path}: bad owner or permissions (ssh refuses it too, since whoever can write it "
            f"can run commands as you through ProxyCommand) - fix: chmod go-w {path}")
