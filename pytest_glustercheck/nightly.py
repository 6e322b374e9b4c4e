"""`glustercheck-nightly`: the unattended run the systemd timer or cron line starts.

    glustercheck-nightly --spec FILE [--reports DIR] [--keep N] [--max-minutes N] [-- PYTEST ARGS]

Check-only, bounded in time (the suite stops starting checks at --max-minutes; this command kills
the run 5 minutes later), HTML and JUnit reports per run with the newest --keep of each kept.
Reports are named nightly-<run number>-<UTC>-<pid>.html/.xml and kept by run number, not by the
clock. A run that ends without writing its summary (killed, crashed) leaves a "cannot check"
summary.json, never the previous run's verdict.
Exit status: 0 healthy, 1 degraded, 3 cannot check (anything else pytest returns is mapped to 3).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pytest_glustercheck.outputs import SUMMARY, empty_summary, write_cannot_check

CANNOT_CHECK = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"glustercheck-nightly: {message} (see --help)", file=sys.stderr)
        raise SystemExit(CANNOT_CHECK)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="glustercheck-nightly", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", required=True, type=Path, help="the cluster spec (TOML)")
    parser.add_argument("--reports", type=Path, default=Path("reports"),
                        help="report directory (default ./reports)")
    parser.add_argument("--keep", type=int, default=30, help="runs to keep (default 30)")
    parser.add_argument("--max-minutes", type=float, default=30.0,
                        help="stop starting checks after N minutes (default 30)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER,
                        help="after --: more pytest arguments")
    return parser


_RUN_FILE = re.compile(r"^nightly-(?:(?P<sequence>\d{1,18})-)?(?P<rest>.*)\.(?:html|xml)$")


def _sequence(path: Path) -> int:
    """The run number in a report's name; 0 for names from before numbering (`nightly-<UTC>.html`)."""
    found = _RUN_FILE.match(path.name)
    return int(found["sequence"]) if found and found["sequence"] else 0


def next_sequence(reports: Path) -> int:
    return max((_sequence(p) for p in reports.glob("nightly-*")), default=0) + 1


def prune(reports: Path, keep: int, current: int) -> None:
    """Keep the reports of the newest `keep` runs by run number (never by the wall clock in the
    name: a Pi without a real-time clock boots in 1970), and always those of run `current`."""
    runs: dict[tuple[int, str], list[Path]] = {}
    for path in reports.glob("nightly-*"):
        found = _RUN_FILE.match(path.name)
        if found and path.is_file():
            runs.setdefault((_sequence(path), found["rest"]), []).append(path)
    for key in sorted(runs)[: max(len(runs) - keep, 0)]:
        if key[0] != current:
            for path in runs[key]:
                path.unlink(missing_ok=True)


def _fingerprint(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _fail(message: str) -> int:
    print(f"glustercheck-nightly: cannot check: {message}", file=sys.stderr)
    return CANNOT_CHECK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not os.access(args.spec, os.R_OK) or not args.spec.is_file():
        return _fail(f"--spec {args.spec} is not a readable file")
    if not 1 <= args.keep <= 100_000 or not 0 < args.max_minutes <= 24 * 60:
        return _fail(f"--keep {args.keep} / --max-minutes {args.max_minutes:g}: --keep must be 1 to "
                     "100000 and --max-minutes above 0 and at most 1440")
    reports = args.reports.absolute()
    try:
        reports.mkdir(parents=True, exist_ok=True)
        sequence = next_sequence(reports)
    except OSError as exc:
        return _fail(f"cannot create report directory {reports}: {exc.strerror}")
    name = f"nightly-{sequence:06d}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}"
    extra = [a for a in args.pytest_args if a != "--"]
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
               f"--spec={args.spec.absolute()}", "--nightly", f"--max-minutes={args.max_minutes:g}",
               f"--keep={args.keep}", f"--report-dir={reports}",
               f"--html={reports / f'{name}.html'}", "--self-contained-html",
               f"--junitxml={reports / f'{name}.xml'}", *extra]
    summary = reports / SUMMARY
    before = _fingerprint(summary)
    status = _run(command, reports, args.max_minutes)
    if status not in (0, 1) and _fingerprint(summary) == before:  # the run wrote no summary
        why = (f"the run was killed after {args.max_minutes + 5:g} min" if status is None
               else f"the run ended with status {status} before writing its summary")
        write_cannot_check(empty_summary(why), directory=reports, textfile=None)
        print(f"glustercheck-nightly: cannot check: {why}", file=sys.stderr)
    try:
        prune(reports, args.keep, sequence)
    except OSError as exc:
        return _fail(f"cannot prune old reports in {reports}: {exc.strerror} ({exc.filename})")
    return status if status in (0, 1) else CANNOT_CHECK


def _run(command: list[str], reports: Path, max_minutes: float) -> int | None:
    """pytest's exit status, or None when it had to be killed."""
    # Run from the report directory: no test path typed, so the plugin supplies the checks.
    with subprocess.Popen(command, cwd=reports, start_new_session=True) as proc:
        try:
            return proc.wait(timeout=(max_minutes + 5) * 60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return None


if __name__ == "__main__":
    sys.exit(main())
