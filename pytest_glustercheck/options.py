"""Command-line options of the suite (pytest-testinfra's own --hosts is reused, expanded in place),
and their validation.

Numbers are parsed leniently at parse time (a value that is not a number stays text) and checked
in `check_options` during pytest_configure: a bad value is then a pytest.UsageError naming the
option, which nightly/Nagios mode turns into "cannot check" (exit 3). argparse's own type errors
would exit 4 before the plugin could do that.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


def _lenient(kind: Callable[[str], float]) -> Callable[[str], float | str]:
    def convert(text: str) -> float | str:
        try:
            return kind(text)
        except ValueError:
            return text  # check_options names it

    convert.__name__ = kind.__name__  # argparse shows it in --help
    return convert


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("glustercheck", "GlusterFS cluster verification")
    group.addoption("--spec", default=os.environ.get("GLUSTERCHECK_SPEC"), metavar="FILE",
                    help="cluster spec (TOML): nodes, volumes, how to connect "
                         "[env GLUSTERCHECK_SPEC]; --hosts alone means the how-to's defaults")
    group.addoption("--apply", action="store_true",
                    help="converge the cluster to the spec (hosts file, glusterd, peers, volumes); "
                         "without it the run only checks and changes nothing")
    group.addoption("--replace-hosts-conflicts", action="store_true",
                    help="with --apply: comment out /etc/hosts lines that map a cluster name to "
                         "another address (e.g. Debian's 127.0.1.1 <own name>) instead of reporting")
    group.addoption("--no-host-key-check", action="store_true",
                    help="accept unknown SSH host keys (default: refuse, as ssh StrictHostKeyChecking)")
    group.addoption("--heal-wait", type=_lenient(float), default=60.0, metavar="SECONDS",
                    help="how long the heal check waits for pending heals to finish (default 60)")
    group.addoption("--capacity-warn", type=_lenient(float), default=80.0, metavar="PERCENT",
                    help="brick filesystem space or inodes used at which a warning is raised "
                         "(default 80)")
    group.addoption("--capacity-critical", type=_lenient(float), default=90.0, metavar="PERCENT",
                    help="brick filesystem space or inodes used at which the capacity check fails "
                         "(default 90)")
    group.addoption("--report-dir", default=None, metavar="DIR",
                    help="where summary.json (and with --nightly history/) go (default: reports/ "
                         "under the rootdir)")
    group.addoption("--nightly", action="store_true",
                    help="unattended run: check only (refuses --apply), bounded run time, history "
                         "of summaries and trend; exit 0 healthy, 1 degraded, 3 cannot check")
    group.addoption("--max-minutes", type=_lenient(float), default=30.0, metavar="N",
                    help="with --nightly: stop starting checks after N minutes (default 30)")
    group.addoption("--keep", type=_lenient(int), default=30, metavar="N",
                    help="with --nightly: keep the last N summaries in <report-dir>/history")
    group.addoption("--prometheus-textfile", default=None, metavar="PATH",
                    help="write node_exporter textfile metrics (per-check gauges) to PATH atomically")


NO_CLUSTER = ("no cluster given: use --hosts=rpi0..rpi3 (how-to defaults), --spec=FILE or "
              "--ansible-inventory=FILE; "
              "for the simulated cluster: --spec=/var/lib/simcluster/cluster.toml")


def cluster_given(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "hosts", None) or config.option.spec
                or getattr(config.option, "ansible_inventory", None))


@dataclass(frozen=True)
class _Range:
    option: str  # the command-line spelling
    dest: str
    low: float
    high: float
    unit: str
    whole: bool = False
    low_open: bool = False  # low itself is not allowed

    def check(self, value: object) -> float:
        kind = "a whole number" if self.whole else "a number"
        low = f"above {self.low:g}" if self.low_open else f"at least {self.low:g}"
        wanted = f"{kind} of {self.unit}, {low} and at most {self.high:g}"
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                self.whole and not isinstance(value, int)):
            raise pytest.UsageError(f"{self.option}={value!s:.100}: not {kind}; expected {wanted}")
        if not math.isfinite(value) or value < self.low or value > self.high or (
                self.low_open and value == self.low):
            raise pytest.UsageError(f"{self.option}={value:g}: out of range; expected {wanted}")
        return value


RANGES = (
    _Range("--heal-wait", "heal_wait", 0, 24 * 3600, "seconds"),
    _Range("--capacity-warn", "capacity_warn", 0, 100, "percent", low_open=True),
    _Range("--capacity-critical", "capacity_critical", 0, 100, "percent", low_open=True),
    _Range("--max-minutes", "max_minutes", 0, 24 * 60, "minutes", low_open=True),
    _Range("--keep", "keep", 1, 100_000, "runs", whole=True),
)


def check_options(config: pytest.Config, report_dir: Path) -> None:
    """Every option value usable, or a UsageError naming the option, the value and what is wanted."""
    for rule in RANGES:
        setattr(config.option, rule.dest, rule.check(getattr(config.option, rule.dest)))
    warn, critical = config.option.capacity_warn, config.option.capacity_critical
    if warn > critical:
        raise pytest.UsageError(f"--capacity-warn={warn:g} is above --capacity-critical={critical:g}: "
                                "a brick would fail the check before any warning; give warn <= critical")
    if report_dir.exists() and not report_dir.is_dir():
        raise pytest.UsageError(f"--report-dir {report_dir}: exists and is not a directory")
    textfile = config.option.prometheus_textfile
    if textfile is not None:
        path = Path(textfile)
        if path.is_dir() or not path.name:
            raise pytest.UsageError(f"--prometheus-textfile {textfile}: is a directory; give a file "
                                    "path such as /var/lib/prometheus/node-exporter/glustercheck.prom")
        if path.parent.exists() and not path.parent.is_dir():
            raise pytest.UsageError(f"--prometheus-textfile {textfile}: {path.parent} is not a directory")
    if config.option.nightly and not hasattr(config, "workerinput"):
        from glustercheck import report as rpt

        try:  # a broken history is found now, not after the checks (read again at the end)
            rpt.load_history(report_dir / "history")
        except rpt.HistoryError as exc:
            raise pytest.UsageError(str(exc)) from None
