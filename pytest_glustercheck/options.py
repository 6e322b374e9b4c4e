"""Command-line options of the suite (pytest-testinfra's own --hosts is reused, expanded in place)."""

from __future__ import annotations

import os

import pytest


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
    group.addoption("--heal-wait", type=float, default=60.0, metavar="SECONDS",
                    help="how long the heal check waits for pending heals to finish (default 60)")
    group.addoption("--capacity-warn", type=float, default=80.0, metavar="PERCENT",
                    help="brick filesystem space or inodes used at which a warning is raised "
                         "(default 80)")
    group.addoption("--capacity-critical", type=float, default=90.0, metavar="PERCENT",
                    help="brick filesystem space or inodes used at which the capacity check fails "
                         "(default 90)")
    group.addoption("--report-dir", default=None, metavar="DIR",
                    help="where summary.json (and with --nightly history/) go (default: reports/ "
                         "under the rootdir)")
    group.addoption("--nightly", action="store_true",
                    help="unattended run: check only (refuses --apply), bounded run time, history "
                         "of summaries and trend; exit 0 healthy, 1 degraded, 3 cannot check")
    group.addoption("--max-minutes", type=float, default=30.0, metavar="N",
                    help="with --nightly: stop starting checks after N minutes (default 30)")
    group.addoption("--keep", type=int, default=30, metavar="N",
                    help="with --nightly: keep the last N summaries in <report-dir>/history")
    group.addoption("--prometheus-textfile", default=None, metavar="PATH",
                    help="write node_exporter textfile metrics (per-check gauges) to PATH atomically")


def cluster_given(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "hosts", None) or config.option.spec)
