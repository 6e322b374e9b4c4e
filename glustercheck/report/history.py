"""Nightly history: one JSON summary per run in a directory, the last N kept, and the trend
(what is new since the previous run, what persists and since when, what was fixed).

Runs are ordered by a sequence number stored in each file (`"sequence"`), never by the wall clock:
a Pi without a real-time clock boots in 1970, and a file can be dated in the future. Each run's
number is one more than the highest on disk, taken under a lock on the directory; its file,
`summary-<UTC>-<pid>-<sequence>.json`, is reserved with an exclusive create (two runs can never
write one name) and filled by an atomic rename. Retention keeps the highest `keep` numbers and
never deletes the run just written. Files from before sequences (no "sequence") count as 0 and are
ordered among themselves by their start time.

Anything unexpected in the directory (not a directory, an unreadable file, a file that is not a
summary) raises HistoryError naming the file: the nightly run reports "cannot check" rather than
guess a trend. An empty file is a reservation being filled (or left by a crash) and is skipped.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glustercheck.errors import GlusterCheckError
from glustercheck.files import UnreadableFile, read_regular, streamed_json, write_atomic
from glustercheck.report.model import BAD_OUTCOMES, PASSED

PREFIX = "summary-"
LOCK = ".lock"
MAX_SUMMARY_BYTES = 64 * 1024 * 1024

__all__ = ["HistoryError", "load_history", "save_history", "trend", "trend_lines", "write_atomic"]


class HistoryError(GlusterCheckError):
    """The history directory or one of its files cannot be used (names which, and why)."""


@dataclass(frozen=True)
class _Run:
    sequence: int
    started: float
    path: Path
    summary: dict[str, Any]

    @property
    def order(self) -> tuple[int, float, str]:
        return self.sequence, self.started, self.path.name


def _shape_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return f"a summary is a JSON object, this is a {type(data).__name__}"
    if not isinstance(data.get("started"), int | float) or isinstance(data.get("started"), bool):
        return "no numeric 'started' time"
    sequence = data.get("sequence", 0)
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
        return f"'sequence' is {sequence!r}, not a whole number >= 0"
    checks = data.get("checks", [])
    if not isinstance(checks, list) or not all(
            isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("outcome"), str)
            for c in checks):
        return "'checks' is not a list of {id, outcome, ...} objects"
    return None


def _read_run(path: Path) -> _Run | None:
    fix = f"move {path} out of the history directory (or delete it)"
    try:
        raw = read_regular(path, MAX_SUMMARY_BYTES)
    except UnreadableFile as err:
        raise HistoryError(f"history file {path} cannot be read: {err}; {fix}") from None
    if not raw:
        return None  # reserved by a run still writing it, or left empty by a crash
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise HistoryError(f"history file {path} is not JSON ({err}); {fix}") from None
    problem = _shape_problem(data)
    if problem:
        raise HistoryError(f"history file {path} is not a run summary: {problem}; {fix}")
    return _Run(data.get("sequence", 0), float(data["started"]), path, _as_compared(data))


# What an earlier run is read for: the trend compares the checks that did not pass. Each file is
# the run's whole summary, which carries every node's facts (2.5 MB at 64 nodes, growing with the
# square of the node count): 30 kept runs read whole took 232 MB of memory (measured).
_FACTS = ("nodes", "cluster", "setup")


def _as_compared(data: dict[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in data.items() if key not in _FACTS}
    kept["checks"] = [c for c in data.get("checks", []) if c["outcome"] in BAD_OUTCOMES]
    return kept


def _runs(directory: Path) -> list[_Run]:
    """Every run on disk, oldest first; [] when the directory does not exist yet."""
    if not directory.exists():
        return []
    if not directory.is_dir():
        raise HistoryError(f"history directory {directory} is not a directory")
    try:
        paths = sorted(directory.glob(f"{PREFIX}*.json"))
    except OSError as err:
        raise HistoryError(f"history directory {directory} cannot be listed: {err.strerror}") from None
    runs = [run for run in map(_read_run, paths) if run is not None]
    return sorted(runs, key=lambda run: run.order)


def load_history(directory: Path) -> list[dict[str, Any]]:
    """The summaries of earlier runs, oldest first (by sequence), as the trend compares them:
    without the nodes' facts and the setup record, with only the checks that did not pass (the
    files keep it all); HistoryError if one is unusable."""
    return [run.summary for run in _runs(directory)]


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Exclusive use of the directory while a sequence number is taken and old runs are pruned."""
    fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as err:  # a file system without locks: names stay unique (O_EXCL) anyway
            if err.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
        yield
    finally:
        os.close(fd)  # releases the lock


def _reserve(directory: Path, summary: Mapping[str, Any], sequence: int) -> Path:
    """A new, empty file with a name no other run has (O_EXCL), for this run's summary."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(summary["started"]))
    for attempt in range(100):
        suffix = f"-{attempt}" if attempt else ""
        path = directory / f"{PREFIX}{stamp}-{os.getpid()}-{sequence}{suffix}.json"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644))
        except FileExistsError:
            continue
        return path
    raise HistoryError(f"history directory {directory}: no free name for run {sequence}")


def save_history(directory: Path, summary: Mapping[str, Any], *, keep: int) -> Path:
    """Add `summary` as the newest run and delete all but the newest `keep` (never the new one);
    returns the new file. HistoryError, or OSError from the file system, when it cannot."""
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory):
        runs = _runs(directory)
        sequence = max((run.sequence for run in runs), default=0) + 1
        path = _reserve(directory, summary, sequence)
        try:
            write_atomic(path, streamed_json({**summary, "sequence": sequence}))
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        for old in runs[: max(len(runs) + 1 - max(keep, 1), 0)]:
            old.path.unlink(missing_ok=True)
    return path


def _failing(summary: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in summary.get("checks", []) if c["outcome"] in BAD_OUTCOMES}


def _passed(summary: Mapping[str, Any]) -> set[str]:
    return {c["id"] for c in summary.get("checks", []) if c["outcome"] == PASSED}


def trend(current: Mapping[str, Any], previous: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Compare `current` with earlier summaries (oldest first, current not included).

    new: failing now, not failing in the previous run. persistent: failing now and in the
    previous run, with `since` = start of the first run of the unbroken failing streak and
    `runs` = its length. fixed: failing in the previous run, passing now (a check that did not
    run now is neither fixed nor new).
    """
    now = _failing(current)
    if not previous:
        return {"previous": None, "new": [], "persistent": [], "fixed": [], "first_run": True,
                "failing": sorted(now)}
    last = previous[-1]
    before = _failing(last)
    new, persistent = [], []
    for check_id, check in sorted(now.items()):
        item = {"id": check_id, "node": check.get("node"), "message": check.get("message", "")}
        if check_id not in before:
            new.append(item)
            continue
        since, runs = last["started"], 2
        for older in reversed(previous[:-1]):
            if check_id not in _failing(older):
                break
            since, runs = older["started"], runs + 1
        # max(): a clock set back (no RTC) must not show a negative age
        persistent.append({**item, "since": since, "runs": runs,
                           "for_seconds": round(max(current["started"] - since, 0.0), 1)})
    passed_now = _passed(current)
    fixed = [{"id": i, "node": c.get("node"), "message": c.get("message", "")}
             for i, c in sorted(before.items()) if i in passed_now]
    return {"previous": last["started"], "new": new, "persistent": persistent, "fixed": fixed,
            "first_run": False}


def describe_age(seconds: float) -> str:
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def trend_lines(info: Mapping[str, Any]) -> list[str]:
    """The trend as plain text lines (terminal summary)."""
    if info.get("first_run"):
        return ["first nightly run: nothing to compare with"]
    prev = time.strftime("%Y-%m-%d %H:%M", time.localtime(info["previous"]))
    lines = [f"since the previous run ({prev}): {len(info['new'])} new, "
             f"{len(info['persistent'])} persistent, {len(info['fixed'])} fixed"]
    lines += [f"  NEW        {c['id']}: {c['message']}" for c in info["new"]]
    for c in info["persistent"]:
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(c["since"]))
        lines.append(f"  PERSISTENT {c['id']}: failing since {since} ({c['runs']} runs, "
                     f"{describe_age(c['for_seconds'])}): {c['message']}")
    lines += [f"  FIXED      {c['id']}" for c in info["fixed"]]
    return lines
