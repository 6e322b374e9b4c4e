"""`glustercheck-install-nightly`: install the nightly check as systemd units (default) or a cron
line, pointing at this installation's `glustercheck-nightly` (not at a checkout).

    glustercheck-install-nightly --spec FILE [--reports DIR] [--keep N] [--cron] [--dest DIR]
                                 [--no-enable]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

UNITS = ("glustercheck-nightly.service", "glustercheck-nightly.timer")
CRON = "glustercheck-nightly.cron"
_UNSAFE = set(" \t\n%@$`\\\"'")  # systemd specifiers, shell and cron metacharacters


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
    if not args.spec.is_file():
        print(f"glustercheck-install-nightly: --spec {args.spec} is not a readable file",
              file=sys.stderr)
        return 2
    if args.keep < 1:
        print(f"glustercheck-install-nightly: --keep must be >= 1, not {args.keep}", file=sys.stderr)
        return 2
    values = {"NIGHTLY": str(nightly_command()), "SPEC": str(args.spec.resolve()),
              "REPORTS": str(args.reports.absolute()), "KEEP": str(args.keep)}
    for name, value in values.items():
        if _UNSAFE & set(value):
            print(f"glustercheck-install-nightly: {name.lower()} path {value!r} contains a space or "
                  "one of % @ $ ` \\ \" ' which units and cron lines would misread", file=sys.stderr)
            return 2
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
