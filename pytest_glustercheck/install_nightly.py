"""`glustercheck-install-nightly`: install the nightly check as systemd units (default) or a cron
line, pointing at this installation's `glustercheck-nightly` (not at a checkout).

    glustercheck-install-nightly --spec FILE [--reports DIR] [--keep N] [--cron] [--dest DIR]
                                 [--no-enable]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from glustercheck.errors import SpecError
from glustercheck.spec import load_spec

UNITS = ("glustercheck-nightly.service", "glustercheck-nightly.timer")
CRON = "glustercheck-nightly.cron"
# Paths go unquoted into an ExecStart= line and a cron line (run by /bin/sh): only characters
# neither systemd (specifiers %, quoting, ;) nor the shell (; | & $ ` < > * ? ~ ( ) # ...) nor
# cron (% is a newline there) reads specially.
_SAFE = re.compile(r"[A-Za-z0-9._/+,:=-]+")


def nightly_command() -> Path:
    """The console script installed next to this interpreter."""
    return Path(sys.executable).parent / "glustercheck-nightly"


def render(template: str, values: dict[str, str]) -> str:
    text = (resources.files("pytest_glustercheck") / "deploy" / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glustercheck-install-nightly", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", required=True, type=Path)
    parser.add_argument("--reports", type=Path, default=Path("/var/lib/glustercheck/reports"))
    parser.add_argument("--keep", type=int, default=30)
    parser.add_argument("--cron", action="store_true", help="a cron line instead of systemd units")
    parser.add_argument("--dest", type=Path, default=None,
                        help="where to write (default /etc/systemd/system or /etc/cron.d)")
    parser.add_argument("--no-enable", action="store_true", help="do not enable the timer")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:  # a spec error found now, not at 03:30
        load_spec(args.spec)
    except SpecError as exc:
        print(f"glustercheck-install-nightly: --spec: {exc}", file=sys.stderr)
        return 2
    if not 1 <= args.keep <= 100_000:
        print(f"glustercheck-install-nightly: --keep must be 1 to 100000, not {args.keep}", file=sys.stderr)
        return 2
    values = {"NIGHTLY": str(nightly_command()), "SPEC": str(args.spec.resolve()),
              "REPORTS": str(args.reports.absolute()), "KEEP": str(args.keep)}
    for name, value in values.items():
        if not _SAFE.fullmatch(value):
            bad = next(c for c in value if not _SAFE.fullmatch(c))
            print(f"glustercheck-install-nightly: {name.lower()} path {value!r} contains {bad!r}, which "
                  "a unit file or a cron line would misread; use letters, digits and . _ / + , : = -",
                  file=sys.stderr)
            return 2
    try:
        return _install(args, values)
    except (OSError, subprocess.SubprocessError) as exc:
        where = f" {exc.filename}" if isinstance(exc, OSError) and exc.filename else ""
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"glustercheck-install-nightly: cannot install{where}: {why}", file=sys.stderr)
        return 2


def _install(args: argparse.Namespace, values: dict[str, str]) -> int:
    Path(values["REPORTS"]).mkdir(parents=True, exist_ok=True)
    if args.cron:
        dest = args.dest or Path("/etc/cron.d")
        target = dest / "glustercheck-nightly"
        target.write_text(render(CRON, values))
        target.chmod(0o644)
        print(f"installed {target} (nightly 03:30, reports in {values['REPORTS']})")
        return 0
    dest = args.dest or Path("/etc/systemd/system")
    for unit in UNITS:
        (dest / unit).write_text(render(unit, values))
        (dest / unit).chmod(0o644)
    print(f"installed {dest}/glustercheck-nightly.{{service,timer}} (nightly 03:30, reports in "
          f"{values['REPORTS']})")
    if not args.no_enable and dest == Path("/etc/systemd/system") and Path("/run/systemd/system").is_dir() \
            and shutil.which("systemctl"):
        for command in (["systemctl", "daemon-reload"],
                        ["systemctl", "enable", "--now", "glustercheck-nightly.timer"]):
            subprocess.run(command, check=True, timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
