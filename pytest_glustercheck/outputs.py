"""Writing a run's outputs: nightly history and trend, the Prometheus text file, summary.json.

A failure to read or write any of them (a history file of the wrong shape, a report directory that
is a file, an unwritable text file, a full disk) turns the run into "cannot check": the summary's
verdict says so, with one line per failure naming what and where, and no file is left claiming a
verdict the run did not reach (a stale summary.json or text file is replaced or removed).
"""

from __future__ import annotations

import contextlib
import errno
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glustercheck import report as rpt
from glustercheck.errors import cap
from glustercheck.files import streamed_json

SUMMARY = "summary.json"
Summary = dict[str, Any]


def _why(exc: BaseException, where: Path) -> str:
    if isinstance(exc, OSError) and exc.errno in (errno.EEXIST, errno.ENOTDIR):
        blocking = next((p for p in where.parents if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            return f"{blocking} is a file, not a directory"
    if isinstance(exc, OSError):
        # name the file only when it is not `where` or its temporary file beside it
        other = exc.filename and Path(exc.filename).parent not in (where, where.parent)
        return f"{exc.strerror or exc}" + (f" ({exc.filename})" if other else "")
    return str(exc)


def mark_cannot_check(summary: Summary, failure: str) -> None:
    """Make `summary` say "cannot check" because of `failure`, keeping what the checks found."""
    if summary["verdict"] != rpt.CANNOT_CHECK:
        failure = f"{failure} (the checks found: {summary['verdict']}, {summary['reason']})"
        summary["verdict"] = rpt.CANNOT_CHECK
        summary["reason"] = failure
    else:
        summary["reason"] = f"{summary['reason']}; {failure}"
    summary["reason"] = cap(summary["reason"])
    summary["problem"] = summary["reason"]


def _attempt(what: str, where: Path, action: Callable[[], object], failures: list[str]) -> bool:
    try:
        action()
    except (OSError, rpt.HistoryError) as exc:
        why = _why(exc, where)
        failures.append(why if isinstance(exc, rpt.HistoryError) else f"cannot write {what} {where}: {why}")
        return False
    return True


def _remove_stale(path: Path) -> None:
    """Best effort: a file that could not be rewritten must not keep claiming the last verdict."""
    with contextlib.suppress(OSError):  # the failure that brought us here is already reported
        path.unlink(missing_ok=True)


def _history(summary: Summary, history: Path, keep: int) -> None:
    summary["trend"] = rpt.trend(summary, rpt.load_history(history))
    rpt.save_history(history, summary, keep=keep)


def write_outputs(summary: Summary, *, directory: Path, nightly: bool, keep: int,
                  textfile: Path | None) -> list[str]:
    """Write every output of a finished run; returns the failures (each one line), after making
    the summary say "cannot check" for them."""
    failures: list[str] = []
    if nightly:
        history = directory / "history"
        if not _attempt("nightly history", history, lambda: _history(summary, history, keep), failures):
            summary.pop("trend", None)
    for failure in failures:
        mark_cannot_check(summary, failure)
    metrics_written = textfile is not None and _write_metrics(summary, textfile, failures)
    if not _attempt("the summary", directory / SUMMARY,
                    lambda: rpt.write_atomic(directory / SUMMARY, streamed_json(summary)), failures):
        mark_cannot_check(summary, failures[-1])
        _remove_stale(directory / SUMMARY)
        if metrics_written and textfile is not None:  # it shows the verdict from before
            _write_metrics(summary, textfile, [])
    return failures


def _write_metrics(summary: Summary, textfile: Path, failures: list[str]) -> bool:
    before = len(failures)
    if _attempt("the Prometheus text file", textfile,
                lambda: rpt.write_textfile(textfile, summary), failures):
        return True
    for failure in failures[before:]:
        mark_cannot_check(summary, failure)
    _remove_stale(textfile)
    return False


def empty_summary(problem: str) -> Summary:
    """The summary of a run that checked nothing because of `problem`."""
    now = time.time()
    return rpt.build_summary(results=[], started=now, finished=now, spec=None, nodes={},
                             node_errors={}, cluster=None, setup=None, problem=problem)


def write_cannot_check(summary: Summary, *, directory: Path, textfile: Path | None) -> None:
    """For a run that stopped before its checks (usage or spec error in nightly/Nagios mode):
    replace the last run's summary and metrics, or remove them. Failures are not reported again:
    the error that stopped the run is the one line to show."""
    if textfile is not None:
        _write_metrics(summary, textfile, [])
    if not _attempt("the summary", directory / SUMMARY,
                    lambda: rpt.write_atomic(directory / SUMMARY, streamed_json(summary)), []):
        _remove_stale(directory / SUMMARY)
