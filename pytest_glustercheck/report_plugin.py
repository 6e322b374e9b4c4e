"""Report hooks: JSON summary, pytest-html cluster summary, JUnit node properties, nightly mode
(history, trend, deadline, exit status), Nagios line, Prometheus text file.

xdist: facts live in the processes that ran the checks, so every process that has a GlusterRun
dumps what it gathered into the shared basetemp; the controller merges the dumps at session end.
Results come from `pytest_runtest_logreport` on the controller (it sees every worker's reports).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from glustercheck import report as rpt
from glustercheck.facts import NodeFacts
from pytest_glustercheck.plugin import RUN_KEY, gluster_run
from setup_steps.fixtures import load_report, shared_dir

FACTS_PREFIX = "glustercheck-facts-"
SECRET_WORDS = ("key", "pass", "token", "secret", "credential", "auth", "private", "cookie")
DEADLINE_ENV = "GLUSTERCHECK_DEADLINE"


class _State:
    def __init__(self) -> None:
        self.started = time.time()
        self.phases: dict[str, dict[str, pytest.TestReport]] = {}
        self.order: list[str] = []
        self.problems: list[str] = []
        self.summary: dict[str, Any] | None = None
        self.nagios_out: Any = None


STATE_KEY = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("glustercheck")
    group.addoption("--report-dir", default=None, metavar="DIR",
                    help="where summary.json (and with --nightly history/) go (default: reports/)")
    group.addoption("--nightly", action="store_true",
                    help="unattended run: check only (refuses --apply), bounded run time, history "
                         "of summaries and trend; exit 0 healthy, 1 degraded, 3 cannot check")
    group.addoption("--max-minutes", type=float, default=30.0, metavar="N",
                    help="with --nightly: stop starting checks after N minutes (default 30)")
    group.addoption("--keep", type=int, default=30, metavar="N",
                    help="with --nightly: keep the last N summaries in <report-dir>/history")
    group.addoption("--prometheus-textfile", default=None, metavar="PATH",
                    help="write node_exporter textfile metrics (per-check gauges) to PATH atomically")


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def report_dir(config: pytest.Config) -> Path:
    chosen = config.option.report_dir
    return Path(chosen) if chosen else config.rootpath / "reports"


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Iterator[None]:
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
        if config.option.prometheus_textfile:
            rpt.write_atomic(Path(config.option.prometheus_textfile), rpt.prometheus(
                _empty_summary(message)))
        return rpt.EXIT_STATUS[rpt.CANNOT_CHECK]


def _empty_summary(problem: str) -> dict[str, Any]:
    now = time.time()
    return rpt.build_summary(results=[], started=now, finished=now, spec=None, nodes={},
                             node_errors={}, cluster=None, setup=None, problem=problem)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.option.nightly and config.option.apply:
        raise pytest.UsageError("--nightly only checks: it refuses --apply (converge by hand, "
                                "then let the nightly run verify)")
    global _controller  # noqa: PLW0603 - see _controller
    config.stash[STATE_KEY] = _State()
    if not _is_controller(config):
        return
    _controller = config.stash[STATE_KEY]
    if config.option.nightly:
        os.environ[DEADLINE_ENV] = str(time.time() + 60 * config.option.max_minutes)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Take over testinfra's `--nagios` (its line would count setup phases and miss the cluster
    verdict): keep its spooled terminal output, print our line first at the end. And no secrets in
    the report: redact metadata entries whose names look like credentials."""
    nagios_reporter = session.config.pluginmanager.getplugin("nagiosreporter")
    if nagios_reporter is not None and _is_controller(session.config):
        session.config.stash[STATE_KEY].nagios_out = nagios_reporter.out
        session.config.pluginmanager.unregister(nagios_reporter)
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    metadata = session.config.stash.get(metadata_key, {})
    for key in list(metadata):
        if any(word in key.lower() for word in SECRET_WORDS):
            metadata[key] = "(redacted)"


def item_node(item: pytest.Item) -> str:
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "node" in params:
        return str(params["node"])
    if "volume" in params:
        return f"volume={params['volume']}"
    return "cluster"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """JUnit names each case's node (`record_property`): <property name="node" value="rpi2"/>."""
    for item in items:
        if "node" not in dict(item.user_properties):
            item.user_properties.append(("node", item_node(item)))


def pytest_runtest_setup(item: pytest.Item) -> None:
    deadline = os.environ.get(DEADLINE_ENV)
    if deadline and item.config.option.nightly and time.time() > float(deadline):
        reason = f"nightly deadline of {item.config.option.max_minutes:g} min reached"
        item.session.shouldstop = reason
        pytest.skip(reason)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed and _controller is not None:
        _controller.problems.append(f"collection error in {report.nodeid or 'the suite'}: "
                                    f"{rpt.first_line(report.longreprtext)}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    state = _controller
    if state is None:
        return
    if report.nodeid not in state.phases:
        state.order.append(report.nodeid)
        state.phases[report.nodeid] = {}
    state.phases[report.nodeid][report.when] = report


_controller: _State | None = None  # report hooks get no config; one controller per process


def _message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return rpt.first_line(str(report.longrepr[2]).removeprefix("Skipped: "))
    return rpt.first_line(report.longreprtext)


def combine(nodeid: str, phases: dict[str, pytest.TestReport]) -> rpt.CheckResult:
    duration = sum(r.duration for r in phases.values())
    node = dict(next(iter(phases.values())).user_properties).get("node")
    for when in ("setup", "call", "teardown"):
        r = phases.get(when)
        if r is None or r.passed:
            continue
        anchor = nodeid if when == "call" else f"{nodeid}::{when}"
        if r.skipped:
            return rpt.CheckResult(nodeid, node, "skipped", _message(r), duration, anchor)
        outcome = "failed" if when == "call" else "error"
        return rpt.CheckResult(nodeid, node, outcome, _message(r), duration, anchor)
    return rpt.CheckResult(nodeid, node, "passed", "", duration, nodeid)


# ----- facts: dumped by each process, merged by the controller ---------------------------------

def _spec_plain(run: Any) -> dict[str, Any]:
    return {"nodes": [{"name": n.name, "address": n.address} for n in run.spec.nodes],
            "volumes": [v.name for v in run.spec.volumes]}


def dump_facts(config: pytest.Config) -> None:
    if RUN_KEY not in config.stash:
        return
    run = config.stash[RUN_KEY]
    nodes, errors = {}, {}
    for name, found in run.gathered_node_facts().items():
        if isinstance(found, NodeFacts):
            nodes[name] = rpt.node_facts_plain(found)
        else:
            errors[name] = f"could not gather facts: {found}"
    for name, err in run.unreachable.items():
        errors[name] = f"unreachable: {rpt.first_line(str(err))}"
    cluster = run.gathered_cluster_facts()
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    data = {"spec": _spec_plain(run), "nodes": nodes, "node_errors": errors,
            "cluster": rpt.cluster_facts_plain(cluster) if cluster else None, "at": time.time()}
    rpt.write_atomic(shared_dir(config) / f"{FACTS_PREFIX}{worker}.json", json.dumps(data))


def merge_facts(directory: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {"spec": None, "nodes": {}, "node_errors": {}, "cluster": None}
    dumps = []
    for path in sorted(directory.glob(f"{FACTS_PREFIX}*.json")):
        try:
            dumps.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    for d in sorted(dumps, key=lambda d: d["at"]):  # later gatherings win
        merged["spec"] = merged["spec"] or d["spec"]
        merged["nodes"].update(d["nodes"])
        merged["node_errors"].update(d["node_errors"])
        merged["cluster"] = d["cluster"] or merged["cluster"]
    for name in merged["nodes"]:
        if not merged["node_errors"].get(name, "").startswith("unreachable"):
            merged["node_errors"].pop(name, None)
    return merged


def _spec_fallback(config: pytest.Config) -> dict[str, Any] | None:
    try:
        return _spec_plain(gluster_run(config))
    except pytest.UsageError:  # no spec given: not a cluster run
        return None


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    dump_facts(config)
    if not _is_controller(config):
        return
    state = config.stash[STATE_KEY]
    results = [combine(n, state.phases[n]) for n in state.order]
    cluster_run = any(r.id.startswith("checks/") for r in results) or config.option.nightly
    if not cluster_run:
        return
    facts = merge_facts(shared_dir(config))
    setup = load_report(config)
    problems = list(state.problems)
    if session.shouldstop:
        problems.append(str(session.shouldstop))
    summary = rpt.build_summary(
        results=results, started=state.started, finished=time.time(),
        spec=facts["spec"] or _spec_fallback(config), nodes=facts["nodes"],
        node_errors=facts["node_errors"], cluster=facts["cluster"],
        setup=setup.to_json() if setup else None, problem="; ".join(problems) or None,
        nightly=config.option.nightly)
    directory = report_dir(config)
    if config.option.nightly:
        history = directory / "history"
        summary["trend"] = rpt.trend(summary, rpt.load_history(history))
        rpt.save_history(history, summary, keep=config.option.keep)
    rpt.write_atomic(directory / "summary.json", json.dumps(summary, indent=1, sort_keys=True))
    if config.option.prometheus_textfile:
        rpt.write_atomic(Path(config.option.prometheus_textfile), rpt.prometheus(summary))
    state.summary = summary
    if getattr(config.option, "nagios", False):
        session.exitstatus = rpt.nagios(summary)[0]
    elif config.option.nightly:
        session.exitstatus = rpt.EXIT_STATUS[summary["verdict"]]


def pytest_html_report_title(report: Any) -> None:
    report.title = "GlusterFS cluster check"


def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str],
                                session: pytest.Session) -> None:
    state = session.config.stash.get(STATE_KEY, None)
    if state is not None and state.summary is not None:
        prefix.insert(0, rpt.summary_html(state.summary))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    state = config.stash.get(STATE_KEY, None)
    if state is None or state.summary is None:
        return
    s = state.summary
    terminalreporter.section("cluster verdict")
    terminalreporter.write_line(f"{s['verdict'].upper()}: {s['reason']}",
                                bold=True, red=s["verdict"] != rpt.HEALTHY,
                                green=s["verdict"] == rpt.HEALTHY)
    if "trend" in s:
        for line in rpt.trend_lines(s["trend"]):
            terminalreporter.write_line(line)
    terminalreporter.write_line(f"summary: {report_dir(config) / 'summary.json'}")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE_KEY, None)
    if state is None or state.nagios_out is None:
        return
    summary = state.summary or _empty_summary("the run ended before any check")
    sys.stdout.write(rpt.nagios(summary)[1] + "\n")
    sys.stdout.flush()
    state.nagios_out.seek(0)
    sys.stdout.buffer.write(state.nagios_out.read())
    sys.stdout.flush()
    state.nagios_out.close()
