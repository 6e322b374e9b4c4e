"""The pytest plugin (entry point `pytest11: glustercheck`): options, `--hosts` ranges expanded in
place, the run's session object, the checks supplied when no test path is named, report hooks.

Inert unless a cluster is given (--hosts, --spec or --ansible-inventory): installed next to other
test suites, it changes nothing for them, and costs them only its options. Everything else (the
fixtures, the session, the reports, and through them paramiko) is imported when a cluster is
given: importing this module takes a few milliseconds.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Generator
from pathlib import Path

import pytest

from pytest_glustercheck.checks_dir import checks_requested, supply_checks
from pytest_glustercheck.options import NO_CLUSTER, add_options, check_options, cluster_given

ExitStatus = int | pytest.ExitCode


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser)


HOSTS_HELP = ("the nodes, comma separated; ranges expand: rpi0..rpi3, rpi[0-3], rpi[0-3,7], "
              "node[01-16], 10.0.1.0..10.0.1.3; testinfra host specs too: pi@rpi0:22, "
              "ssh://pi@rpi[0-3]?sudo=true; with --ansible-inventory: ansible://GROUP")


def _explain_hosts(config: pytest.Config) -> None:
    """testinfra registers --hosts with "Hosts list (comma separated)"; the suite reads it with
    ranges, so its help says so. (pytest has no public way to change another plugin's help.)"""
    argparser = getattr(getattr(config, "_parser", None), "optparser", None)
    for action in getattr(argparser, "_actions", ()):
        if "--hosts" in getattr(action, "option_strings", ()):
            action.help = HOSTS_HELP


_live_runs: set[int] = set()  # id() of each pytest config in this process, configure to unconfigure


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Before testinfra reads --hosts: build the run from --spec/--hosts (a bad value is a usage
    error now, not one per test module), then hand testinfra the run's nodes."""
    _live_runs.add(id(config))
    config.addinivalue_line("markers", "cluster: a check that looks at the cluster as a whole")
    _explain_hosts(config)
    if config.option.nightly and config.option.apply:
        raise pytest.UsageError("--nightly only checks: it refuses --apply (converge by hand, "
                                "then let the nightly run verify)")
    if getattr(config.option, "hosts", None) is not None and not config.option.hosts.strip(","):
        raise pytest.UsageError("--hosts is empty: give the nodes, e.g. --hosts=rpi0..rpi3, "
                                "--hosts='rpi[0-3]' or --hosts=pi@rpi0,pi@rpi1")
    if not cluster_given(config):
        if (checks_requested(config) or config.option.apply or config.option.nightly
                or getattr(config.option, "nagios", False)):
            raise pytest.UsageError(NO_CLUSTER)
        return
    from pytest_glustercheck import fixtures, report, testinfra_host
    from pytest_glustercheck.session import PLUGIN_NAME, GlusterSession, spec_from_options

    check_options(config, report.report_dir(config))
    # Registered as it is (not through `pytest_plugins`, which would warn that it cannot be
    # assertion-rewritten); the fixture manager, made later, reads every registered plugin.
    config.pluginmanager.register(fixtures, "glustercheck-fixtures")
    session = GlusterSession(config, spec_from_options(config))
    config.pluginmanager.register(session, PLUGIN_NAME)
    config.option.hosts = ",".join(testinfra_host.bind(session.run))
    supply_checks(config)
    report.register(config, session)


def pytest_unconfigure(config: pytest.Config) -> None:
    _live_runs.discard(id(config))


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Against a cluster, what is alive when the checks start (pytest, paramiko, the collected
    items: ~60,000 objects) lives until the process ends; frozen, garbage collection skips it.
    pytest makes full collections at the end (its unraisable-exception plugin), and so does the
    interpreter: measured ~35 ms each at 4 nodes, ~6 % of a check-only run. Not in a pytest run
    nested in another process's test (pytester): that process's objects are not this run's."""
    if cluster_given(session.config) and _live_runs == {id(session.config)}:
        gc.freeze()


AUTO_WORKERS_NOTE = ("-n auto: one process. The checks wait on the network and ask every node once "
                     "per run, side by side; worker processes would only add their start-up "
                     "(measured: bench/bench_suite.py). -n N still starts N workers")
AUTO_IN_ONE_PROCESS = pytest.StashKey[bool]()


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` against a cluster: no workers (see AUTO_WORKERS_NOTE). Without a cluster, other
    suites get pytest-xdist's own count (None lets its hook answer)."""
    if not cluster_given(config):
        return None
    config.stash[AUTO_IN_ONE_PROCESS] = True
    return 0


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, ExitStatus, ExitStatus]:
    """In nightly/Nagios mode a usage or spec error is "cannot check" (3), not pytest's 4."""
    try:
        return (yield)
    except pytest.UsageError as exc:
        nagios = getattr(config.option, "nagios", False)
        if not (config.option.nightly or nagios):
            raise
        message = " ".join(str(exc).split())
        if nagios:
            print(f"GLUSTER UNKNOWN - cannot check: {message}")
        else:
            print(f"ERROR: cannot check: {message}", file=sys.stderr)
        from glustercheck import report as rpt
        from pytest_glustercheck.outputs import empty_summary, write_cannot_check
        from pytest_glustercheck.report import report_dir

        textfile = config.option.prometheus_textfile
        write_cannot_check(empty_summary(message), directory=report_dir(config),
                           textfile=Path(textfile) if textfile else None)
        return rpt.EXIT_STATUS[rpt.CANNOT_CHECK]
