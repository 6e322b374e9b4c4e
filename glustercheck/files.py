"""Reading and writing the files a run depends on without blocking, hanging or leaving half a file.

A path may name a FIFO (open() waits for a writer forever), a device (/dev/zero never ends), a
directory or a huge file. `read_regular` checks the type with stat() before opening, opens with
O_NONBLOCK and checks again on the descriptor (the path may be swapped in between), and reads at
most `limit` bytes. `write_atomic` writes a unique temporary file in the target's directory, syncs
it and renames it over the target: readers see the old or the new content, never a part.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from glustercheck.errors import GlusterCheckError


class UnreadableFile(GlusterCheckError):
    """A path that is not a readable regular file within the size limit (the message is why,
    without the path: callers say which file it is and what it is for)."""


def kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, "a regular file")):
        if test(mode):
            return name
    return "not a regular file"


def _regular(mode: int, size: int, limit: int) -> None:
    if not stat.S_ISREG(mode):
        raise UnreadableFile(f"it is {kind(mode)}, not a file")
    if size > limit:
        raise UnreadableFile(f"it has {size} bytes, more than the {limit} allowed")


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of regular file `path` (at most `limit`); UnreadableFile saying why not."""
    try:
        found = os.stat(path)
        _regular(found.st_mode, found.st_size, limit)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            opened = os.fstat(handle.fileno())
            _regular(opened.st_mode, opened.st_size, limit)
            data = handle.read(limit + 1)
    except OSError as err:
        raise UnreadableFile(err.strerror or str(err)) from None
    if len(data) > limit:  # grew after the check
        raise UnreadableFile(f"it has more than the {limit} bytes allowed")
    return data


def write_atomic(path: Path, content: str | Callable[[TextIO], object]) -> None:
    """Write `content` to `path` through a unique temporary file and a rename (OSError on failure,
    with the temporary file removed). `content` is the text, or a function that writes it to the
    file it is given (a large JSON document streamed, never held as one string)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; node_exporter and report readers are other users
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            if isinstance(content, str):
                out.write(content)
            else:
                content(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def streamed_json(data: object) -> Callable[[TextIO], None]:
    """For `write_atomic`: `data` as JSON (indented, keys sorted) written piece by piece. json's
    indenting encoder runs in Python and joins its pieces into one string: for a 64-node summary
    (2.5 MB, it carries every node's facts) that took the run's peak memory 14 MB higher."""
    return lambda out: json.dump(data, out, indent=1, sort_keys=True)
