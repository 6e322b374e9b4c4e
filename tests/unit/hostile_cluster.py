"""A pytest plugin (`-p tests.unit.hostile_cluster`): the recorded cluster of fake_cluster.py, with
hostile twists chosen by environment variables, for plugin runs in a subprocess:

    HOSTILE_INFO_LINE=N      `volume info --xml` answers one line of N characters instead of XML
    HOSTILE_DISK_FULL=NAME   writing a file called NAME fails with ENOSPC (No space left on device)
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import glustercheck.report
from glustercheck.facts import MARK
from glustercheck.remote import CommandResult
from tests.unit.fake_cluster import FakeConnection

MARK_INFO = f"{MARK}info"

_answer = FakeConnection.run


def _run(self: FakeConnection, command: str | Sequence[str], **kw: object) -> CommandResult:
    result = _answer(self, command, **kw)
    length = os.environ.get("HOSTILE_INFO_LINE")
    if length and MARK_INFO in result.stdout:
        head, _, rest = result.stdout.partition(MARK_INFO)
        _, _, after = rest.partition("\n@@")  # the next section keeps its marker
        return replace(result, stdout=f"{head}{MARK_INFO}\n{'x' * int(length)}\n@@{after}")
    return result


_write_atomic = glustercheck.report.write_atomic


def _full_disk_write(path: Path, text: str) -> None:
    if path.name == os.environ.get("HOSTILE_DISK_FULL"):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    _write_atomic(path, text)


FakeConnection.run = _run  # type: ignore[method-assign]
glustercheck.report.write_atomic = _full_disk_write
