"""Reading a cluster spec file safely: a regular file of bounded size, opened without blocking,
parsed as TOML without letting deep nesting escape as a RecursionError.

A path given by a user may name a FIFO (open() would wait for a writer forever), a device (a tape
drive rewinds, /dev/zero never ends), a directory or a huge file. The type is checked with stat()
before opening, and again on the open descriptor (the path may have been swapped in between);
the descriptor is opened O_NONBLOCK so even a FIFO swapped in cannot block the open.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from glustercheck.errors import SpecError, cap

MAX_SPEC_BYTES = 1024 * 1024  # a spec for 1024 nodes with comments is well under 200 KiB
MAX_NESTING = 32  # the schema nests 3 levels; tomllib recurses per level


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _regular(path: Path, mode: int, size: int) -> None:
    if not stat.S_ISREG(mode):
        raise SpecError(f"{path}: cannot read the cluster spec: it is {_kind(mode)}, not a file")
    if size > MAX_SPEC_BYTES:
        raise SpecError(f"{path}: cannot read the cluster spec: {size} bytes, more than the "
                        f"{MAX_SPEC_BYTES} a spec can have")


def not_a_file_problem(path: Path) -> str | None:
    """For paths the connection reads later (ssh_config, keys, known_hosts): an existing path must
    be a regular file, so a FIFO or device cannot hang or feed the SSH layer. Missing is fine."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else f"is {_kind(mode)}, not a file"


def read_spec_text(path: Path) -> str:
    """The text of spec file `path`; SpecError (naming it) for anything but a readable file."""
    try:
        found = os.stat(path)
        _regular(path, found.st_mode, found.st_size)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            opened = os.fstat(handle.fileno())
            _regular(path, opened.st_mode, opened.st_size)
            data = handle.read(MAX_SPEC_BYTES + 1)
    except OSError as err:
        raise SpecError(f"{path}: cannot read the cluster spec: {err.strerror or err}") from None
    if len(data) > MAX_SPEC_BYTES:  # grew after the check
        raise SpecError(f"{path}: cannot read the cluster spec: more than {MAX_SPEC_BYTES} bytes")
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
