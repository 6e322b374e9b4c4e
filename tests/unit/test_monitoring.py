"""Monitoring outputs (offline): the Nagios line in every state with its perfdata parsed back, the
Prometheus textfile parsed by prometheus_client with stable series, the shipped alert rules
checked by promtool, and summary.json against its JSON Schema."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from prometheus_client.parser import text_string_to_metric_families

from glustercheck.report import (
    CheckResult,
    build_summary,
    cluster_facts_plain,
    nagios,
    node_facts_plain,
    prometheus,
    write_textfile,
)
from tests.unit.test_setup_steps import CONVERGED, cluster_facts

NODES = ["rpi0", "rpi1", "rpi2", "rpi3"]
SPEC = {"nodes": [{"name": n, "address": f"10.0.1.{i}"} for i, n in enumerate(NODES)],
        "volumes": ["gv"]}
CHECKS = ["checks/test_daemon.py::test_glusterd_running_and_enabled[{}]",
          "checks/test_capacity.py::test_brick_filesystems_have_room[{}]"]
CAUSE = {"key": "glusterd-down:rpi2", "summary": "glusterd is not running on rpi2",
         "fix": "on rpi2: sudo /usr/sbin/glusterd | or pytest --apply", "rank": 2}


def results(outcome_of: dict[str, str] | None = None) -> list[CheckResult]:
    found = []
    for template in CHECKS:
        for node in NODES:
            check = template.format(node)
            outcome = (outcome_of or {}).get(check, "passed")
            causes = ("glusterd-down:rpi2",) if outcome != "passed" else ()
            found.append(CheckResult(check, node, outcome, f"{node}: broken" if causes else "", 0.1,
                                     check, causes))
    found.append(CheckResult("checks/test_volumes.py::test_every_brick_online[volume=gv]", "volume=gv",
                             "passed", "", 0.1, "v"))
    return found


def summary(outcome_of: dict[str, str] | None = None, *, warnings: list[dict[str, str]] | None = None,
            problem: str | None = None, checks: list[CheckResult] | None = None) -> dict:  # type: ignore[type-arg]
    return build_summary(
        results=results(outcome_of) if checks is None else checks, started=1000.0, finished=1012.5,
        spec=SPEC, nodes={n: node_facts_plain(f) for n, f in CONVERGED.items()}, node_errors={},
        cluster=cluster_facts_plain(cluster_facts()), setup=None, problem=problem,
        causes={CAUSE["key"]: CAUSE}, warnings=warnings)


HEALTHY = summary()
FAILED = {CHECKS[0].format("rpi2"): "failed", CHECKS[0].format("rpi1"): "error"}
WARNING = {"where": "rpi1", "text": "brick /mnt/usb/gv on /mnt/usb: space 85 % used (warning: 80 %)",
           "fix": "free space", "check": CHECKS[1].format("rpi1"), "node": "rpi1"}
PERF = re.compile(r"^'?([^'=]+)'?=(-?[0-9.]+)([a-zA-Z%]*)((?:;[0-9.~:@-]*){0,4})$")


def parse_perfdata(line: str) -> dict[str, tuple[float, str, list[str]]]:
    """Nagios plugin API perfdata: label=value[uom];[warn];[crit];[min];[max], space separated."""
    status, bar, data = line.partition(" | ")
    assert bar, line
    assert "|" not in status
    found = {}
    for item in data.split():
        match = PERF.match(item)
        assert match, item
        found[match[1]] = (float(match[2]), match[3], match[4][1:].split(";"))
    return found


# ----- Nagios -----------------------------------------------------------------------------------

def test_nagios_ok_with_perfdata() -> None:
    code, line = nagios(HEALTHY)
    assert code == 0
    assert line.startswith("GLUSTER OK - 9 checks passed | ")
    perf = parse_perfdata(line)
    assert perf["checks_passed"][0] == 9
    assert perf["checks_failed"][0] == 0
    used = perf["brick_used_rpi0:/mnt/usb/gv"]
    assert used[1] == "%"
    assert used[2][:4] == ["80", "90", "0", "100"]
    assert perf["heal_pending_gv"][0] == 0
    assert perf["peers_connected_rpi0"][0] == 3
    assert perf["peers_connected_rpi0"][2][3] == "3"


def test_nagios_warning_when_healthy_with_warn_level_findings() -> None:
    code, line = nagios(summary(warnings=[WARNING]))
    assert code == 1
    assert line.startswith("GLUSTER WARNING - 9 checks passed, 1 warning(s): rpi1: brick /mnt/usb/gv")
    assert parse_perfdata(line)["warnings"][0] == 1


def test_nagios_critical_leads_with_the_root_cause_and_keeps_the_separator() -> None:
    code, line = nagios(summary(FAILED))
    assert code == 2
    assert line.startswith("GLUSTER CRITICAL - glusterd is not running on rpi2 [glusterd-down:rpi2]; "
                           "fix: on rpi2: sudo /usr/sbin/glusterd / or pytest --apply; 2 of 9 checks "
                           "failed | ")
    assert line.count(" | ") == 1  # the `|` in the fix became `/`
    assert parse_perfdata(line)["checks_failed"][0] == 2


def test_nagios_unknown_when_nothing_ran_or_no_node_answered() -> None:
    code, line = nagios(summary(checks=[]))
    assert (code, line) == (3, "GLUSTER UNKNOWN - cannot check: no check ran")
    dead = [CheckResult(CHECKS[0].format(n), n, "failed", "unreachable", 0.1, "x") for n in NODES]
    everything_down = build_summary(results=dead, started=1, finished=2, spec=SPEC, nodes={},
                                    node_errors={n: "unreachable: no answer" for n in NODES},
                                    cluster=None, setup=None)
    code, line = nagios(everything_down)
    assert code == 3
    assert line.startswith("GLUSTER UNKNOWN - cannot check: no node reachable (rpi0, rpi1, rpi2, rpi3)")


# ----- Prometheus -------------------------------------------------------------------------------

def families(text: str) -> dict[str, set[tuple[tuple[str, str], ...]]]:
    return {f.name: {tuple(sorted(s.labels.items())) for s in f.samples}
            for f in text_string_to_metric_families(text)}


def test_prometheus_families_and_label_sets() -> None:
    found = families(prometheus(HEALTHY))
    assert set(found) >= {
        "glustercheck_verdict", "glustercheck_last_run_timestamp_seconds",
        "glustercheck_run_duration_seconds", "glustercheck_check_ok", "glustercheck_node_reachable",
        "glustercheck_glusterd_up", "glustercheck_peers_connected", "glustercheck_brick_used_percent",
        "glustercheck_brick_inodes_used_percent", "glustercheck_heal_pending_entries",
        "glustercheck_root_causes", "glustercheck_warnings"}
    assert (("check", "checks/test_daemon.py::test_glusterd_running_and_enabled"), ("node", "rpi2"),
            ("volume", "")) in found["glustercheck_check_ok"]
    assert (("check", "checks/test_volumes.py::test_every_brick_online"), ("node", ""),
            ("volume", "gv")) in found["glustercheck_check_ok"]  # not node="volume=gv"
    assert (("brick", "rpi3:/mnt/usb/gv"), ("node", "rpi3"), ("volume", "gv")) in \
        found["glustercheck_brick_used_percent"]
    assert found["glustercheck_node_reachable"] == {(("node", n),) for n in NODES}


def test_prometheus_series_keep_their_identity_when_checks_fail_or_error() -> None:
    healthy, faulted = families(prometheus(HEALTHY)), families(prometheus(summary(FAILED)))
    assert healthy == faulted
    values = {tuple(sorted(s.labels.items())): s.value
              for f in text_string_to_metric_families(prometheus(summary(FAILED)))
              for s in f.samples if f.name == "glustercheck_check_ok"}
    assert values[(("check", CHECKS[0].split("[")[0]), ("node", "rpi1"), ("volume", ""))] == 0
    assert values[(("check", CHECKS[0].split("[")[0]), ("node", "rpi0"), ("volume", ""))] == 1


def test_prometheus_textfile_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "glustercheck.prom"
    write_textfile(path, HEALTHY)
    assert families(path.read_text()) == families(prometheus(HEALTHY))
    assert [p.name for p in tmp_path.iterdir()] == ["glustercheck.prom"]  # no temporary left


def test_the_shipped_alert_rules_pass_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian package prometheus) is installed by bin/bootstrap"
    rules = tmp_path / "glustercheck-alerts.yml"
    rules.write_text((resources.files("pytest_glustercheck") / "deploy" / "glustercheck-alerts.yml")
                     .read_text())
    result = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout + result.stderr
    text = rules.read_text()
    for metric in ("glustercheck_brick_used_percent", "glustercheck_heal_pending_entries",
                   "glustercheck_node_reachable", "glustercheck_check_ok"):
        assert metric in families(prometheus(HEALTHY)) or metric in text
        assert metric in text


# ----- summary.json schema ----------------------------------------------------------------------

SCHEMA = json.loads((resources.files("glustercheck.report") / "summary.schema.json").read_text())


@pytest.mark.parametrize("built", [HEALTHY, summary(FAILED), summary(warnings=[WARNING]),
                                   summary(checks=[])], ids=["healthy", "degraded", "warning", "empty"])
def test_summaries_match_their_schema(built: dict) -> None:  # type: ignore[type-arg]
    jsonschema.validate(json.loads(json.dumps(built)), SCHEMA)


def test_the_schema_rejects_a_summary_of_another_shape() -> None:
    with pytest.raises(jsonschema.ValidationError, match="'verdict'"):
        jsonschema.validate({**HEALTHY, "verdict": "fine"}, SCHEMA)
