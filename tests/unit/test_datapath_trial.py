"""The data path trial's two commands run together: each side mounts, then is told on its stdin
whether to go on: the writer once the trial is decided, the reader once the writer is done
(offline, with a fake run)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from glustercheck.datapath import GO_ON, MOUNT_FAILED, STOP
from glustercheck.datapath_trial import Sides, Trial
from glustercheck.errors import UnreachableError
from glustercheck.remote import CommandResult


class FakeRun:
    """The writer answers `writer_rc` (or raises); the reader reads its stdin, as the script does."""

    def __init__(self, writer_rc: int = 0, writer_raises: Exception | None = None,
                 reader_rc: int = 0) -> None:
        self.writer_rc, self.writer_raises, self.reader_rc = writer_rc, writer_raises, reader_rc
        self.events: list[str] = []
        self.reader_started = threading.Event()
        self.told: list[str] = []

    def run(self, name: str, command: str, *, timeout: float | None = None,
            stdin: str | Callable[[], str] | None = None) -> CommandResult:
        if "data path, read" in command:
            self.events.append("reader mounted")
            self.reader_started.set()
            if self.reader_rc == MOUNT_FAILED:
                return CommandResult(name, command, MOUNT_FAILED, "", "mount failed", 0.01)
            assert callable(stdin)
            self.told.append(stdin())
            self.events.append(f"reader told {self.told[-1].strip()}")
            return CommandResult(name, command, 0, "sums", "", 0.01)
        if "data path, write" in command:
            # The reader is under way before the writer finishes.
            assert self.reader_started.wait(5), "the reader was not started alongside the writer"
            assert callable(stdin)
            self.events.append(f"writer told {stdin().strip()}")
            self.events.append("writer done")
            if self.writer_raises is not None:
                raise self.writer_raises
            return CommandResult(name, command, self.writer_rc, "", "", 0.01)
        self.events.append("clean up")
        return CommandResult(name, command, 0, "", "", 0.01)


def decided(run: FakeRun) -> Trial:
    """A trial the decision allowed: both sides told to go on, in turn."""
    with Sides(run, "gv", writer="rpi3", reader="rpi2") as sides:  # type: ignore[arg-type]
        return sides.trial()


def test_the_reader_mounts_while_the_writer_works_and_reads_when_it_is_done() -> None:
    run = FakeRun()
    trial = decided(run)
    assert run.events == ["reader mounted", f"writer told {GO_ON}", "writer done",
                          f"reader told {GO_ON}"]
    assert trial.read is not None
    assert trial.read.stdout == "sums"


def test_a_failed_writer_tells_the_reader_not_to_read() -> None:
    run = FakeRun(writer_rc=93)
    trial = decided(run)
    assert run.told == [f"{STOP}\n"]
    assert trial.read is None


def test_a_writer_that_cannot_be_reached_still_releases_the_reader() -> None:
    run = FakeRun(writer_raises=UnreachableError("rpi3 unreachable"))
    with pytest.raises(UnreachableError):
        decided(run)
    assert run.told == [f"{STOP}\n"]


def test_a_reader_that_cannot_mount_has_the_writers_files_removed() -> None:
    run = FakeRun(reader_rc=MOUNT_FAILED)
    trial = decided(run)
    assert trial.read is not None
    assert trial.read.rc == MOUNT_FAILED
    assert run.events[-1] == "clean up"
