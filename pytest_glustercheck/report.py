"""Report hooks: JSON summary, pytest-html cluster summary, JUnit node properties, nightly mode
(history, trend, exit status), Nagios line, Prometheus text file.

`ReportCollector` is registered on the controller only (as pytest-html registers its report
object): it sees every worker's reports through `pytest_runtest_logreport`. Facts live in the
processes that ran the checks, so under xdist every process dumps what it gathered into the run's
shared directory (`dump_facts`) and the collector merges the dumps at the end; a run in one process
hands its facts to the collector directly.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from glustercheck import report as rpt
from glustercheck.actions import SetupReport
from glustercheck.errors import SudoError, cap
from glustercheck.facts import NodeFacts
from glustercheck.run import GlusterRun
from pytest_glustercheck.checks_dir import canonical_id
from pytest_glustercheck.fixtures import setup_report_path
from pytest_glustercheck.outputs import empty_summary, write_outputs
from pytest_glustercheck.session import GlusterSession, has_xdist_workers, is_xdist_worker

PLUGIN_NAME = "glustercheck-report"
FACTS_PREFIX = "glustercheck-facts-"
SECRET_WORDS = ("key", "pass", "token", "secret", "credential", "auth", "private", "cookie")


def item_node(item: pytest.Item) -> str:
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "node" in params:
        return str(params["node"])
    if "volume" in params:
        return f"volume={params['volume']}"
    return "cluster"


def report_dir(config: pytest.Config) -> Path:
    chosen = config.option.report_dir
    return Path(chosen).absolute() if chosen else config.rootpath / "reports"


def _message(report: pytest.TestReport) -> str:
    """The first line of a failure or skip reason, capped: a check quoting megabytes of output
    must not carry them into summary.json, the HTML and the Nagios line."""
    if report.skipped and isinstance(report.longrepr, tuple):
        return cap(rpt.first_line(str(report.longrepr[2]).removeprefix("Skipped: ")))
    return cap(rpt.first_line(report.longreprtext))


def causes_of(report: pytest.TestReport) -> list[dict[str, Any]]:
    """The root causes a failing phase carried (see messages.ClusterFailure)."""
    found: list[dict[str, Any]] = []
    for name, value in report.user_properties:
        if name == "causes":
            found += json.loads(str(value))
    return found


def _fix(report: pytest.TestReport) -> str:
    return next((line.removeprefix("fix: ") for line in report.longreprtext.splitlines()
                 if line.startswith("fix: ")), "")


def combine(nodeid: str, phases: dict[str, pytest.TestReport]) -> rpt.CheckResult:
    """One check's result from its phases; its id is the canonical check id (the same wherever
    the checks are installed), its anchor the pytest node id of the HTML report's row."""
    duration = sum(r.duration for r in phases.values())
    properties = dict(next(iter(phases.values())).user_properties)
    node = properties.get("node")
    where = str(node) if node is not None else None
    check = str(properties.get("check_id", nodeid))
    for when in ("setup", "call", "teardown"):
        r = phases.get(when)
        if r is None or r.passed:
            continue
        anchor = nodeid if when == "call" else f"{nodeid}::{when}"
        if r.skipped:
            return rpt.CheckResult(check, where, "skipped", _message(r), duration, anchor)
        outcome = "failed" if when == "call" else "error"
        causes = tuple(c["key"] for c in causes_of(r))
        return rpt.CheckResult(check, where, outcome, _message(r), duration, anchor, causes, _fix(r))
    return rpt.CheckResult(check, where, "passed", "", duration, nodeid)


# ----- facts: dumped by each process, merged by the controller ---------------------------------

def _spec_plain(run: GlusterRun) -> dict[str, Any]:
    return {"nodes": [{"name": n.name, "address": n.address} for n in run.spec.nodes],
            "volumes": [v.name for v in run.spec.volumes]}


def gathered_facts(session: GlusterSession) -> dict[str, Any]:
    """What this process gathered, as the reports show it (plain JSON types)."""
    run = session.run
    nodes, errors = {}, {}
    for name, found in run.gathered_node_facts().items():
        if isinstance(found, NodeFacts):
            nodes[name] = rpt.node_facts_plain(found)
        else:
            errors[name] = f"could not gather facts: {found}"
    for name, err in run.unreachable.items():
        errors[name] = rpt.unusable_note(str(err), sudo=isinstance(err, SudoError))
    cluster = run.gathered_cluster_facts()
    return {"spec": _spec_plain(run), "nodes": nodes, "node_errors": errors,
            "cluster": rpt.cluster_facts_plain(cluster) if cluster else None, "at": time.time()}


def dump_facts(session: GlusterSession) -> None:
    worker = getattr(session.config, "workerinput", {}).get("workerid", "main")
    rpt.write_atomic(session.shared_dir / f"{FACTS_PREFIX}{worker}.json",
                     json.dumps(gathered_facts(session)))


def read_dumps(directory: Path) -> list[dict[str, Any]]:
    dumps = []
    for path in sorted(directory.glob(f"{FACTS_PREFIX}*.json")):
        try:
            dumps.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return dumps


def merge_facts(dumps: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"spec": None, "nodes": {}, "node_errors": {}, "cluster": None}
    for d in sorted(dumps, key=lambda d: d["at"]):  # later gatherings win
        merged["spec"] = merged["spec"] or d["spec"]
        merged["nodes"].update(d["nodes"])
        merged["node_errors"].update(d["node_errors"])
        merged["cluster"] = d["cluster"] or merged["cluster"]
    for name in merged["nodes"]:
        if not rpt.is_unusable(merged["node_errors"].get(name, "")):
            merged["node_errors"].pop(name, None)
    return merged


class FactsDumper:
    """Every process with a run (controller and workers, which collect the items under xdist)
    labels the checks for the reports and leaves what it gathered for them."""

    def __init__(self, session: GlusterSession) -> None:
        self.session = session

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """JUnit names each case's node (`record_property`): <property name="node" value="rpi2"/>;
        the reports name each check by its canonical id, wherever the checks are installed."""
        for item in items:
            if "node" not in dict(item.user_properties):
                item.user_properties.append(("node", item_node(item)))
            item.user_properties.append(("check_id", canonical_id(item.nodeid, item.path)))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # Only xdist's processes hand their facts over through files; a run in one process gives
        # them to its report as they are (at 64 nodes the dump and its reading back were 2.2 MB
        # of JSON, and 8 MB more peak memory).
        if has_xdist_workers(session.config):
            dump_facts(self.session)


class ReportCollector:
    """Controller only: the results of every check, then every output at the end of the run."""

    def __init__(self, config: pytest.Config, gluster: GlusterSession | None) -> None:
        self.config = config
        self.gluster = gluster
        self.started = time.time()
        self.phases: dict[str, dict[str, pytest.TestReport]] = {}
        self.order: list[str] = []
        self.problems: list[str] = []
        self.summary: dict[str, Any] | None = None
        self.nagios_out: BinaryIO | None = None
        self.failures: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Take over testinfra's `--nagios` (its line would count setup phases and miss the cluster
        verdict): keep its spooled terminal output, print our line first at the end. And no secrets
        in the report: redact metadata entries whose names look like credentials."""
        nagios_reporter = session.config.pluginmanager.getplugin("nagiosreporter")
        if nagios_reporter is not None:
            self.nagios_out = nagios_reporter.out
            session.config.pluginmanager.unregister(nagios_reporter)
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:
            return
        metadata: dict[str, Any] = session.config.stash.get(metadata_key, {})
        for key in list(metadata):
            if any(word in key.lower() for word in SECRET_WORDS):
                metadata[key] = "(redacted)"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.problems.append(f"collection error in {report.nodeid or 'the suite'}: "
                                 f"{cap(rpt.first_line(report.longreprtext))}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.nodeid not in self.phases:
            self.order.append(report.nodeid)
            self.phases[report.nodeid] = {}
        self.phases[report.nodeid][report.when] = report

    def setup_report(self) -> SetupReport | None:
        if self.gluster is None:
            return None
        return SetupReport.load(setup_report_path(self.gluster.shared_dir))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = self.config
        results = [combine(n, self.phases[n]) for n in self.order]
        cluster_run = any(r.id.startswith("checks/") for r in results) or config.option.nightly
        if not cluster_run or self.gluster is None:
            return
        facts = merge_facts(read_dumps(self.gluster.shared_dir) if has_xdist_workers(config)
                            else [gathered_facts(self.gluster)])
        setup = self.setup_report()
        problems = list(self.problems)
        if self.gluster.busy:
            problems.append(self.gluster.busy)
        if session.shouldstop:
            problems.append(str(session.shouldstop))
        known = {c["key"]: c for phases in self.phases.values() for r in phases.values()
                 for c in causes_of(r)}
        # A warning recorded during the call is on the item, so the teardown report repeats it.
        warnings = list({json.dumps(w, sort_keys=True): w for w in (
            {**json.loads(str(value)), "check": str(dict(r.user_properties).get("check_id", r.nodeid)),
             "node": dict(r.user_properties).get("node")}
            for phases in self.phases.values() for r in phases.values()
            for name, value in r.user_properties if name == "warning")}.values())
        summary = rpt.build_summary(
            results=results, started=self.started, finished=time.time(),
            spec=facts["spec"] or _spec_plain(self.gluster.run), nodes=facts["nodes"],
            node_errors=facts["node_errors"], cluster=facts["cluster"],
            setup=setup.to_json() if setup else None, problem="; ".join(problems) or None,
            nightly=config.option.nightly, causes=known, warnings=warnings)
        textfile = config.option.prometheus_textfile
        self.failures = write_outputs(summary, directory=report_dir(config), nightly=config.option.nightly,
                                      keep=config.option.keep, textfile=Path(textfile) if textfile else None)
        for failure in self.failures:  # one line each, what and where; never a traceback
            sys.stderr.write(f"ERROR: cannot check: {failure}\n")
        self.summary = summary
        if getattr(config.option, "nagios", False):
            session.exitstatus = self.nagios(summary)[0]
        elif config.option.nightly:
            session.exitstatus = rpt.EXIT_STATUS[summary["verdict"]]
        elif self.failures and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "GlusterFS cluster check"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str],
                                    postfix: list[str], session: pytest.Session) -> None:
        if self.summary is not None:
            prefix.insert(0, rpt.summary_html(self.summary))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        setup = self.setup_report()
        if setup is not None:
            terminalreporter.section("setup steps")
            for line in setup.summary_lines():
                terminalreporter.write_line(line)
        if self.summary is None:
            return
        s = self.summary
        terminalreporter.section("cluster verdict")
        terminalreporter.write_line(f"{s['verdict'].upper()}: {s['reason']}",
                                    bold=True, red=s["verdict"] != rpt.HEALTHY,
                                    green=s["verdict"] == rpt.HEALTHY)
        for line in rpt.cause_lines(s):
            terminalreporter.write_line(line)
        if "trend" in s:
            for line in rpt.trend_lines(s["trend"]):
                terminalreporter.write_line(line)
        if not self.failures:
            terminalreporter.write_line(f"summary: {report_dir(self.config) / 'summary.json'}")

    def nagios(self, summary: dict[str, Any]) -> tuple[int, str]:
        option = self.config.option
        return rpt.nagios(summary, warn=option.capacity_warn, critical=option.capacity_critical)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.nagios_out is None:
            return
        summary = self.summary or empty_summary("the run ended before any check")
        sys.stdout.write(self.nagios(summary)[1] + "\n")
        sys.stdout.flush()
        self.nagios_out.seek(0)
        sys.stdout.buffer.write(self.nagios_out.read())
        sys.stdout.flush()
        self.nagios_out.close()


def register(config: pytest.Config, gluster: GlusterSession | None) -> None:
    if gluster is not None:
        config.pluginmanager.register(FactsDumper(gluster), "glustercheck-facts")
    if not is_xdist_worker(config):
        config.pluginmanager.register(ReportCollector(config, gluster), PLUGIN_NAME)
