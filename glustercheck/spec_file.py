"""Reading a cluster spec file safely: a regular file of bounded size (files.read_regular: never
a FIFO or device, never blocking), parsed as TOML without letting deep nesting escape as a
RecursionError."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from glustercheck.errors import SpecError, cap
from glustercheck.files import UnreadableFile, kind, read_regular

MAX_SPEC_BYTES = 1024 * 1024  # a spec for 1024 nodes with comments is well under 200 KiB
MAX_NESTING = 32  # the schema nests 3 levels; tomllib recurses per level


def not_a_file_problem(path: Path) -> str | None:
    """For paths the connection reads later (ssh_config, keys, known_hosts): an existing path must
    be a regular file, so a FIFO or device cannot hang or feed the SSH layer. Missing is fine, and
    so is /dev/null (`ssh -F /dev/null` is how OpenSSH users say "no config")."""
    if str(path) == os.devnull:
        return None
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else f"is {kind(mode)}, not a file"


def read_spec_text(path: Path) -> str:
    """The text of spec file `path`; SpecError (naming it) for anything but a readable file."""
    try:
        data = read_regular(path, MAX_SPEC_BYTES)
    except UnreadableFile as err:
        raise SpecError(f"{path}: cannot read the cluster spec: {err}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SpecError(f"{path}: cannot read the cluster spec: not UTF-8 text (byte "
                        f"{err.start + 1} is {data[err.start:err.start + 1]!r})") from None


def _depth(text: str) -> int:
    """An upper bound of the nesting of arrays and inline tables (brackets inside strings count
    too, which only makes the bound safer)."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest


def toml_document(label: str, text: str) -> dict[str, Any]:
    """`text` parsed as TOML; SpecError naming `label` for syntax errors, size and deep nesting."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(f"{label}: {len(text)} characters, more than a spec can have")
    if _depth(text) > MAX_NESTING:
        raise SpecError(f"{label}: arrays or inline tables nested more than {MAX_NESTING} deep; a "
                        "cluster spec nests 3 levels")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:  # the message carries "(at line N, column M)"
        raise SpecError(f"{label}: TOML syntax error: {cap(str(err), 500)}") from None
    except RecursionError:  # the bound above should make this unreachable; never a traceback
        raise SpecError(f"{label}: nested too deeply to read") from None
