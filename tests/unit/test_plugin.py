"""The pytest plugin in-process with `pytester`, offline: usage errors, the checks supplied from the
installed package, per-node ids, a user's own testinfra test, xdist running setup once, reports.

Remote commands are answered by tests/unit/fake_cluster.py from facts recorded on a converged
simulated cluster, so every check runs its real code against real gluster output.
"""

from __future__ import annotations

import collections
import gc
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from pytest_glustercheck.checks_dir import checks_dir

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
NODES = ["rpi0", "rpi1", "rpi2", "rpi3"]
SPEC = """
[[nodes]]
name = "rpi0"
address = "10.0.1.0"
[[nodes]]
name = "rpi1"
address = "10.0.1.1"
[[nodes]]
name = "rpi2"
address = "10.0.1.2"
[[nodes]]
name = "rpi3"
address = "10.0.1.3"
[defaults]
user = "pi"
sudo = true
[[volumes]]
name = "gv"
replica = 2
"""
NOT_DATA_PATH = ("-k", "not data_path")  # the recorded cluster cannot mount a volume


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run pytest in a fresh empty directory (a subprocess, as a user would), fake cluster loaded."""
    log = pytester.path / "commands.log"
    monkeypatch.setenv("FAKE_CLUSTER_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("GLUSTERCHECK_LOCK_DIR", str(pytester.path))
    (pytester.path / "cluster.toml").write_text(SPEC)

    def run(*args: str, fake: bool = True) -> pytest.RunResult:
        extra = ["-p", "tests.unit.fake_cluster"] if fake else []
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", *extra, *args, timeout=120)

    run.log = log  # type: ignore[attr-defined]
    return run


def commands(log: Path) -> Counter[tuple[str, str]]:
    lines = log.read_text().splitlines() if log.exists() else []
    return Counter(tuple(line.split("\t")[:2]) for line in lines)  # type: ignore[misc]


def test_no_cluster_given_is_one_usage_error(suite) -> None:  # type: ignore[no-untyped-def]
    result = suite(str(checks_dir()))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = result.stdout.str() + result.stderr.str()
    assert text.count("no cluster given: use --hosts=rpi0..rpi3") == 1, text


def test_plugin_is_inert_without_a_cluster(suite, pytester: pytest.Pytester) -> None:  # type: ignore[no-untyped-def]
    pytester.makepyfile(test_other="def test_other():\n    assert True\n")
    result = suite()
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists()


@pytest.mark.parametrize(("args", "named"), [
    (["--hosts=rpi3..rpi0"], "--hosts token 'rpi3..rpi0': reversed range"),
    (["--hosts=rpi[0-3"], "--hosts token 'rpi[0-3'"),
    (["--spec=missing.toml"], "missing.toml: cannot read the cluster spec"),
])
def test_bad_cluster_values_are_usage_errors_naming_them(suite, args, named) -> None:  # type: ignore[no-untyped-def]
    result = suite(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert named in result.stderr.str(), result.stderr.str()


def test_nightly_and_nagios_turn_usage_errors_into_cannot_check(suite) -> None:  # type: ignore[no-untyped-def]
    nightly = suite("--spec=missing.toml", "--nightly")
    assert nightly.ret == 3
    assert "ERROR: cannot check: missing.toml: cannot read the cluster spec" in nightly.stderr.str()
    nagios = suite("--spec=missing.toml", "--nagios")
    assert nagios.ret == 3
    assert nagios.stdout.lines[0].startswith("GLUSTER UNKNOWN - cannot check: missing.toml")


def test_installed_checks_run_from_an_empty_directory_with_per_node_ids(suite, pytester) -> None:  # type: ignore[no-untyped-def]
    result = suite("--hosts=rpi0..rpi3", "--spec=cluster.toml", *NOT_DATA_PATH, "-v",
                   "--junitxml=junit.xml")
    result.assert_outcomes(passed=44, deselected=1)
    for node in NODES:
        result.stdout.fnmatch_lines(
            [f"*test_daemon.py::test_glusterd_running_and_enabled[[]{node}[]] PASSED*"])
    result.stdout.fnmatch_lines(["*test_volumes.py::test_every_brick_online[[]volume=gv[]] PASSED*",
                                 "*setup steps (check-only, *): 0 change(s)*", "HEALTHY: 44 checks passed"])
    summary = json.loads((pytester.path / "reports" / "summary.json").read_text())
    assert summary["verdict"] == "healthy"
    assert all(c["id"].startswith("checks/test_") for c in summary["checks"])
    assert {c["node"] for c in summary["checks"]} == {*NODES, "cluster", "volume=gv"}
    junit = (pytester.path / "junit.xml").read_text()
    assert '<property name="node" value="rpi2" />' in junit
    # One command per node, the first node's telling the volume state too; no probe of its own;
    # the heal state from another node: at most two commands (here: facts and lock) per node.
    ran = commands(suite.log)
    assert all(ran[(n, "node-facts")] == 1 for n in NODES), ran
    assert ran[("rpi0", "volume-state")] == 0, ran
    assert sum(count for (node, kind), count in ran.items() if kind == "probe") == 0, ran
    assert ran[("rpi1", "heal")] == 1, ran
    # The heal state's node had a channel opened for it ahead (not a command), and no other.
    assert [node for (node, kind) in ran.elements() if kind == "warm"] == ["rpi1"], ran
    per_node = collections.Counter(node for (node, kind), count in ran.items() for _ in range(count)
                                   if kind != "warm")
    assert max(per_node.values()) <= 2, ran


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["one process", "xdist workers"])
def test_the_summary_carries_every_nodes_facts(suite, pytester, workers) -> None:  # type: ignore[no-untyped-def]
    """One process hands its facts to the report as they are; under xdist each process dumps what
    it gathered and the controller merges the dumps. Either way the summary has them all."""
    result = suite("--spec=cluster.toml", *NOT_DATA_PATH, *workers)
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes()["passed"] == 44  # under xdist the workers deselect, unreported
    summary = json.loads((pytester.path / "reports" / "summary.json").read_text())
    assert {name: facts["hostname"] for name, facts in summary["nodes"].items()} == {n: n for n in NODES}
    assert summary["node_errors"] == {}
    assert summary["cluster"]["volumes"]["gv"]["groups"] == [["rpi0:/mnt/usb/gv", "rpi1:/mnt/usb/gv"],
                                                             ["rpi2:/mnt/usb/gv", "rpi3:/mnt/usb/gv"]]


def test_a_users_own_testinfra_test_runs_per_node_on_the_suites_connections(suite, pytester) -> None:  # type: ignore[no-untyped-def]
    pytester.makepyfile(test_mine="def test_mine(host):\n"
                                  "    assert host.run('hostname').stdout.strip() == host.backend.hostname\n")
    result = suite("--spec=cluster.toml", *NOT_DATA_PATH, "-v")
    result.assert_outcomes(passed=48, deselected=1)
    for node in NODES:
        result.stdout.fnmatch_lines([f"*test_mine.py::test_mine[[]{node}[]] PASSED*"])
    ran = commands(suite.log)
    assert all(ran[(n, "other")] == 1 for n in NODES), ran  # `hostname` ran once on each node


def test_under_xdist_setup_runs_once_and_facts_are_gathered_once(suite) -> None:  # type: ignore[no-untyped-def]
    result = suite("--hosts=rpi[0-3]", "--spec=cluster.toml", *NOT_DATA_PATH, "-n", "3")
    result.assert_outcomes(passed=44)
    assert result.stdout.str().count("setup steps (check-only") == 1
    ran = commands(suite.log)
    assert all(ran[(n, "node-facts")] == 1 for n in NODES), ran  # shared by controller and workers
    assert sum(count for (node, kind), count in ran.items() if kind == "probe") == 0, ran


def test_n_auto_against_a_cluster_is_one_process_and_says_why(suite, pytester) -> None:  # type: ignore[no-untyped-def]
    result = suite("--spec=cluster.toml", *NOT_DATA_PATH, "-n", "auto")
    result.assert_outcomes(passed=44, deselected=1)
    result.stdout.fnmatch_lines(["-n auto: one process. The checks wait on the network*"])
    assert "workers" not in result.stdout.str().split("-n auto: one process")[0]  # no xdist banner
    # Another suite, no cluster given: pytest-xdist's own count, untouched.
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    other = suite("-n", "auto", "test_other.py", fake=False)
    other.assert_outcomes(passed=1)
    other.stdout.fnmatch_lines(["*created: * workers*"])


def test_nightly_mode_reports_healthy_with_exit_zero(suite, pytester) -> None:  # type: ignore[no-untyped-def]
    result = suite("--spec=cluster.toml", "--nightly", *NOT_DATA_PATH, "--report-dir=out")
    assert result.ret == 0, result.stdout.str()
    assert (pytester.path / "out" / "history").is_dir()
    assert "first nightly run: nothing to compare with" in result.stdout.str()


@pytest.mark.parametrize(("args", "named"), [
    (["--hosts=docker://c1"], "host 'docker://c1': the docker:// connection is not supported"),
    (["--hosts=local://"], "the local:// connection is not supported"),
    (["--hosts=winrm://w1"], "the winrm:// connection is not supported"),
    (["--hosts=rpi0", "--connection=docker"], "--connection=docker: gluster-verify reaches nodes over SSH"),
    (["--hosts=ansible://gluster"], "--hosts ansible://gluster: an Ansible group needs --ansible-inventory"),
    (["--hosts=rpi0?sudo=maybe"], "rpi0?sudo=maybe"),
])
def test_what_cannot_be_served_over_ssh_is_a_usage_error(suite, args, named) -> None:  # type: ignore[no-untyped-def]
    result = suite(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert named in result.stderr.str(), result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_sudo_user_and_host_spec_logins_reach_the_connections(suite, pytester) -> None:  # type: ignore[no-untyped-def]
    pytester.makepyfile(test_mine="def test_mine(host):\n    host.run('id')\n")
    result = suite("--hosts=ssh://admin@rpi0:2222,rpi1", "--sudo-user=gluster", "test_mine.py")
    result.assert_outcomes(passed=2)
    lines = [line.split("\t") for line in suite.log.read_text().splitlines() if "\tid\t" in line]
    assert sorted((node, who) for node, _kind, _cmd, who in lines) == [
        ("rpi0", "user=admin sudo=None sudo_user=gluster"),
        ("rpi1", "user=None sudo=None sudo_user=gluster")]


def test_an_ansible_group_gives_the_nodes_and_their_logins(suite, pytester) -> None:  # type: ignore[no-untyped-def]
    (pytester.path / "hosts.ini").write_text(
        "[gluster]\nrpi0 ansible_host=10.0.1.0 ansible_user=pi\nrpi1 ansible_host=10.0.1.1 "
        "ansible_user=pi ansible_become=true\n")
    pytester.makepyfile(test_mine="def test_mine(host):\n    host.run('id')\n")
    result = suite("--ansible-inventory=hosts.ini", "--hosts=ansible://gluster", "test_mine.py", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_mine[[]rpi0[]] PASSED*", "*test_mine[[]rpi1[]] PASSED*"])
    lines = sorted(line.split("\t")[3] for line in suite.log.read_text().splitlines()
                   if "\tid\t" in line)
    assert lines == ["user=pi sudo=None sudo_user=None", "user=pi sudo=True sudo_user=None"]
    # The inventory alone is the cluster: every host in it (Ansible's "all").
    whole = suite("--ansible-inventory=hosts.ini", "test_mine.py", "-v")
    whole.assert_outcomes(passed=2)
    whole.stdout.fnmatch_lines(["*test_mine[[]rpi0[]] PASSED*", "*test_mine[[]rpi1[]] PASSED*"])
    unknown = suite("--ansible-inventory=hosts.ini", "--hosts=ansible://nope")
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR
    assert "no group or host 'nope' (groups: gluster)" in unknown.stderr.str()


@pytest.mark.parametrize(("env", "code", "start"), [
    ({}, 0, "GLUSTER OK - 44 checks passed | checks_passed=44"),
    ({"FAKE_CLUSTER_DISK_PERCENT": "85"}, 1, "GLUSTER WARNING - 44 checks passed, 4 warning(s): rpi0: "
                                             "brick /mnt/usb/gv on /mnt/usb: space 85 % used"),
    ({"FAKE_CLUSTER_DISK_PERCENT": "95"}, 2, "GLUSTER CRITICAL - the brick filesystem /mnt/usb on rpi0 "
                                             "is 95 % full"),
    ({"FAKE_CLUSTER_UNREACHABLE": "rpi0,rpi1,rpi2,rpi3"}, 3,
     "GLUSTER UNKNOWN - cannot check: no node reachable (rpi0, rpi1, rpi2, rpi3)"),
], ids=["ok", "warning", "critical", "all-unreachable"])
def test_every_nagios_state_has_its_exit_status_and_line(suite, monkeypatch, env, code, start) -> None:  # type: ignore[no-untyped-def]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = suite("--spec=cluster.toml", "--nagios", *NOT_DATA_PATH)
    assert result.ret == code, result.stdout.str()
    first = result.stdout.lines[0]
    assert first.startswith(start), first
    assert first.count(" | ") == 1  # perfdata always follows, after exactly one separator


def test_nagios_without_a_cluster_is_unknown(suite) -> None:  # type: ignore[no-untyped-def]
    result = suite("--nagios")
    assert result.ret == 3
    assert result.stdout.lines[0].startswith("GLUSTER UNKNOWN - cannot check: no cluster given")


def test_python_is_the_one_running_the_suite() -> None:
    assert sys.version_info >= (3, 11)


@pytest.mark.parametrize(("running", "outcome", "asked"), [
    ("", "passed", 4),               # glusterd.info lagged; glusterd itself runs at 100000 everywhere
    ("rpi2=90000", "failed", 4),     # glusterd confirms the difference
], ids=["stored-only", "confirmed"])
def test_a_stored_op_version_that_differs_is_asked_of_glusterd_before_it_fails(
        suite, monkeypatch, running, outcome, asked) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FAKE_CLUSTER_STORED_OP", "rpi2=90000")
    monkeypatch.setenv("FAKE_CLUSTER_RUNNING_OP", running)
    result = suite("--spec=cluster.toml", "-k", "test_one_gluster_version_and_op_version", "-rf")
    result.assert_outcomes(**{outcome: 1})
    ran = commands(suite.log)
    assert sum(n for (node, kind), n in ran.items() if kind == "op-version") == asked
    if outcome == "failed":
        result.stdout.fnmatch_lines(["*cluster op-versions differ: rpi0 100000, rpi1 100000, rpi2 90000, "
                                     "rpi3 100000*"])


def test_equal_op_versions_cost_no_command(suite) -> None:  # type: ignore[no-untyped-def]
    result = suite("--spec=cluster.toml", "-k", "test_one_gluster_version_and_op_version")
    result.assert_outcomes(passed=1)
    assert not [kind for (_, kind) in commands(suite.log) if kind == "op-version"]


ORDER_PROBE = """
import gc, os

def _note(what):
    with open(os.environ["FAKE_CLUSTER_LOG"], "a") as out:
        out.write(f"controller\\t{what}\\n")

def pytest_collection_finish(session):
    _note("collected")

def pytest_sessionfinish(session):
    _note(f"frozen {gc.get_freeze_count() > 0}")
"""


def test_nodes_are_reached_during_collection_and_the_lock_taken_beside_the_facts(
        suite, pytester, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Collection waits neither for the first node's facts nor for the cluster lock: both are
    asked at session start, the lock as soon as the first node is connected (not once its facts
    are in: its round trips then cost the run nothing), and what lives once the checks start is
    frozen for the garbage collector (its full passes at the end cost a check-only run ~6 %)."""
    pytester.makeconftest(ORDER_PROBE)
    monkeypatch.setenv("FAKE_CLUSTER_FACTS_SECONDS", "0.5")
    result = suite("--spec=cluster.toml", "-k", "test_one_gluster_version_and_op_version")
    result.assert_outcomes(passed=1)
    order = [tuple(line.split("\t")[:2]) for line in suite.log.read_text().splitlines()]
    assert order.index(("controller", "collected")) < order.index(("rpi0", "node-facts")), order
    assert order.index(("rpi0", "lock")) < order.index(("rpi0", "node-facts")), order
    assert ("controller", "frozen True") in order, order


def test_a_pytest_run_inside_another_freezes_nothing_of_its_host(pytester) -> None:  # type: ignore[no-untyped-def]
    """pytester's in-process runs share this process: its objects are not theirs to freeze."""
    (pytester.path / "cluster.toml").write_text(SPEC)
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    before = gc.get_freeze_count()
    result = pytester.inline_run("-p", "no:cacheprovider", "-p", "tests.unit.fake_cluster",
                                 "--spec=cluster.toml", "test_one.py")
    result.assertoutcome(passed=1)
    assert gc.get_freeze_count() == before


LAST_CHECKS = """
import os

def pytest_runtest_logreport(report):
    if report.when == "call":
        with open(os.environ["FAKE_CLUSTER_LOG"], "a") as out:
            out.write(f"controller\\tran {report.nodeid.split('::')[-1]}\\n")
"""


def test_the_data_path_trial_runs_while_the_other_checks_do_and_its_check_comes_last(
        suite, pytester) -> None:  # type: ignore[no-untyped-def]
    pytester.makepyfile(report_order=LAST_CHECKS)  # a plugin: the checks are not under this directory
    result = suite("--spec=cluster.toml", "-p", "report_order")
    result.assert_outcomes(passed=45)
    order = [kind for _, kind in (line.split("\t")[:2] for line in suite.log.read_text().splitlines())]
    checks = [kind for kind in order if kind.startswith("ran ")]
    assert checks[-1] == "ran test_written_on_one_node_reads_back_on_another[volume=gv]", checks
    # Written and read back (on the last two nodes) while the other checks ran: before the last
    # of them (not a timing bound: 44 checks against two instant fake commands).
    assert order.index("data-read") < order.index(checks[-2]), order
    ran = commands(suite.log)
    assert ran[("rpi3", "data-write")] == ran[("rpi2", "data-read")] == 1, ran


def test_under_xdist_the_worker_handed_the_data_path_check_makes_the_trial(suite) -> None:  # type: ignore[no-untyped-def]
    result = suite("--spec=cluster.toml", "-n", "2")
    result.assert_outcomes(passed=45)
    ran = commands(suite.log)
    assert ran[("rpi3", "data-write")] == ran[("rpi2", "data-read")] == 1, ran


def test_the_data_path_mounts_while_the_heal_state_is_asked_and_writes_only_after_it(
        suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FAKE_CLUSTER_HEAL_SECONDS", "0.5")
    result = suite("--spec=cluster.toml", "-k", "test_written_on_one_node_reads_back_on_another")
    result.assert_outcomes(passed=1)
    order = [tuple(line.split("\t")[:2]) for line in suite.log.read_text().splitlines()]
    heal_in = order.index(("rpi1", "heal"))
    assert order.index(("rpi3", "data-write-mounted")) < heal_in, order
    assert order.index(("rpi2", "data-read-mounted")) < heal_in, order
    assert order.index(("rpi3", "data-write")) > heal_in, order


def test_a_file_whose_placement_could_not_be_read_is_on_no_brick(suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One getfattr reads every file's placement; a file it could not read has no entry in its
    answer, and the check names it rather than skipping it."""
    monkeypatch.setenv("FAKE_CLUSTER_NO_PATHINFO", "5")
    result = suite("--spec=cluster.toml", "-k", "test_written_on_one_node_reads_back_on_another")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*glustercheck-*-5 is on bricks none, expected all bricks of one "
                                 "replica set*"])


def test_pending_heal_found_after_the_mounts_stops_both_sides_before_any_write(
        suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FAKE_CLUSTER_HEAL_SECONDS", "0.5")
    monkeypatch.setenv("FAKE_CLUSTER_HEAL_PENDING", "3")
    result = suite("--spec=cluster.toml", "-k", "test_written_on_one_node_reads_back_on_another")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*data path not tested: 3 entries of gv wait to be healed*"])
    ran = commands(suite.log)
    assert ran[("rpi3", "data-write-mounted")] == ran[("rpi2", "data-read-mounted")] == 1, ran
    assert ran[("rpi3", "data-write-stopped")] == ran[("rpi2", "data-read-stopped")] == 1, ran
    assert ran[("rpi3", "data-write")] == ran[("rpi2", "data-read")] == 0, ran
