"""`glustercheck-nightly`: the unattended run the systemd timer or cron line starts.

    glustercheck-nightly --spec FILE [--reports DIR] [--keep N] [--max-minutes N] [-- PYTEST ARGS]

Check-only, bounded in time (the suite stops starting checks at --max-minutes; this command kills
the run 5 minutes later), HTML and JUnit reports per run with the newest --keep of each kept.
Exit status: 0 healthy, 1 degraded, 3 cannot check (anything else pytest returns is mapped to 3).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

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


def prune(reports: Path, keep: int) -> None:
    """The newest `keep` reports of each kind (names carry a sortable UTC stamp)."""
    for kind in ("html", "xml"):
        for old in sorted(reports.glob(f"nightly-*.{kind}"))[:-keep]:
            old.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not os.access(args.spec, os.R_OK) or not args.spec.is_file():
        print(f"glustercheck-nightly: --spec {args.spec} is not a readable file", file=sys.stderr)
        return CANNOT_CHECK
    if args.keep < 1 or not 0 < args.max_minutes < 24 * 60:
        print("glustercheck-nightly: --keep must be >= 1 and --max-minutes between 0 and 1440",
              file=sys.stderr)
        return CANNOT_CHECK
    reports = args.reports.absolute()
    try:
        reports.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"glustercheck-nightly: cannot create report directory {reports}: {exc.strerror}",
              file=sys.stderr)
        return CANNOT_CHECK
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    extra = [a for a in args.pytest_args if a != "--"]
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
               f"--spec={args.spec.absolute()}", "--nightly", f"--max-minutes={args.max_minutes:g}",
               f"--keep={args.keep}", f"--report-dir={reports}",
               f"--html={reports / f'nightly-{stamp}.html'}", "--self-contained-html",
               f"--junitxml={reports / f'nightly-{stamp}.xml'}", *extra]
    # Run from the report directory: no test path typed, so the plugin supplies the checks.
    with subprocess.Popen(command, cwd=reports, start_new_session=True) as proc:
        try:
            status = proc.wait(timeout=(args.max_minutes + 5) * 60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            print(f"glustercheck-nightly: killed after {args.max_minutes + 5:g} min",
                  file=sys.stderr)
            status = CANNOT_CHECK
    prune(reports, args.keep)
    return status if status in (0, 1) else CANNOT_CHECK


if __name__ == "__main__":
    sys.exit(main())
