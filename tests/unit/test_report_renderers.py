"""The pure report renderers, on hand-made facts: verdict, trend, Nagios, Prometheus, SVG, HTML."""

from __future__ import annotations

import re

import pytest

from glustercheck.facts import ClusterFacts
from glustercheck.parsers import Brick, BrickStatus, Volume, VolumeStatus
from glustercheck.report import (
    CheckResult,
    build_summary,
    cluster_facts_plain,
    load_history,
    nagios,
    prometheus,
    save_history,
    summary_html,
    topology_svg,
    trend,
    verdict,
)
from glustercheck.volume_shape import VolumeShape

NODES = ["rpi0", "rpi1", "rpi2", "rpi3"]


def result(check: str, node: str, outcome: str = "passed", message: str = "") -> CheckResult:
    nodeid = f"checks/test_x.py::{check}[{node}]"
    return CheckResult(nodeid, node, outcome, message, 0.1, nodeid)


def summary(results: list[CheckResult], started: float = 1000.0, **kw) -> dict:
    spec = {"nodes": [{"name": n, "address": f"10.0.1.{i}"} for i, n in enumerate(NODES)],
            "volumes": []}
    return build_summary(results=results, started=started, finished=started + 5, spec=spec,
                         nodes={}, node_errors=kw.pop("node_errors", {}), cluster=None, setup=None,
                         **kw)


def test_verdict_healthy_degraded_cannot_check() -> None:
    ok = [result("test_a", n) for n in NODES]
    assert verdict(ok)[0] == "healthy"
    assert verdict([*ok, result("test_b", "rpi1", "skipped")])[0] == "healthy"
    assert verdict([*ok, result("test_b", "rpi1", "failed")]) == ("degraded", "1 of 5 checks failed")
    assert verdict([*ok, result("test_b", "rpi1", "error")])[0] == "degraded"
    assert verdict([]) == ("cannot-check", "no check ran")
    assert verdict(ok, problem="collection error")[0] == "cannot-check"
    dead = [result("test_a", n, "failed", "unreachable") for n in NODES]
    assert verdict(dead, node_names=NODES, unreachable=NODES)[0] == "cannot-check"
    assert verdict(dead, node_names=NODES, unreachable=NODES[:3])[0] == "degraded"


def test_trend_new_persistent_fixed_since_when() -> None:
    a, b, c = "test_a", "test_b", "test_c"
    runs = [
        summary([result(a, "rpi1", "failed"), result(b, "rpi2"), result(c, "rpi3")], started=100),
        summary([result(a, "rpi1", "failed"), result(b, "rpi2"), result(c, "rpi3", "failed")],
                started=200),
    ]
    now = summary([result(a, "rpi1", "failed", "still bad"), result(b, "rpi2", "failed", "broke"),
                   result(c, "rpi3")], started=300)
    info = trend(now, runs)
    assert [x["id"] for x in info["new"]] == ["checks/test_x.py::test_b[rpi2]"]
    assert info["new"][0]["message"] == "broke"
    [persistent] = info["persistent"]
    assert (persistent["id"], persistent["since"], persistent["runs"], persistent["for_seconds"]) == \
        ("checks/test_x.py::test_a[rpi1]", 100, 3, 200)
    assert [x["id"] for x in info["fixed"]] == ["checks/test_x.py::test_c[rpi3]"]
    assert trend(now, [])["first_run"] is True


def test_history_keeps_last_n(tmp_path) -> None:
    for i in range(5):
        save_history(tmp_path, summary([result("test_a", "rpi0")], started=1000 + i * 86400), keep=3)
    kept = load_history(tmp_path)
    assert [s["started"] for s in kept] == [1000 + i * 86400 for i in (2, 3, 4)]


def test_nagios_lines() -> None:
    ok = summary([result("test_a", n) for n in NODES])
    assert nagios(ok) == (0, "GLUSTER OK - 4 checks passed")
    bad = summary([result("test_a", n, "failed" if n != "rpi0" else "passed", f"{n}: broken")
                   for n in NODES])
    code, line = nagios(bad)
    assert code == 2
    # No known cause: each failure is its own root cause, its message leads.
    assert line == "GLUSTER CRITICAL - rpi1: broken; rpi2: broken; rpi3: broken; 3 of 4 checks failed"
    down = CheckResult("checks/test_x.py::test_b[rpi0]", "rpi0", "failed", "rpi0: peer rpi2 down",
                       0.1, "b", ("glusterd-down:rpi2",))
    cause = {"key": "glusterd-down:rpi2", "summary": "glusterd is not running on rpi2",
             "fix": "on rpi2: sudo systemctl start glusterd", "rank": 2}
    explained = summary([result("test_a", "rpi1"), down], causes={cause["key"]: cause})
    assert nagios(explained)[1] == (
        "GLUSTER CRITICAL - glusterd is not running on rpi2 [glusterd-down:rpi2]; fix: on rpi2: sudo "
        "systemctl start glusterd; 1 of 2 checks failed")
    assert explained["reason"].startswith("glusterd is not running on rpi2 [glusterd-down:rpi2]; ")
    assert explained["causes"][0]["checks"] == ["checks/test_x.py::test_b[rpi0]"]
    assert nagios(summary([]))[0] == 3
    assert nagios(summary([]))[1].startswith("GLUSTER UNKNOWN - cannot check:")


LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+]+$')


def test_prometheus_text_is_parseable() -> None:
    s = summary([result("test_a", "rpi0"), result("test_b", "rpi1", "failed", 'quote " here')])
    text = prometheus(s)
    assert text.endswith("\n")
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    for line in samples:
        assert LINE.match(line), line
    assert 'glustercheck_check_passed{check="checks/test_x.py::test_a",node="rpi0",outcome="passed"} 1' \
        in samples
    assert 'glustercheck_check_passed{check="checks/test_x.py::test_b",node="rpi1",outcome="failed"} 0' \
        in samples
    assert "glustercheck_verdict 1" in samples
    assert any(line.startswith("glustercheck_last_run_timestamp_seconds 1005") for line in samples)
    assert "glustercheck_last_run_duration_seconds 5.000" in samples


def make_cluster(hosts: list[str], offline: set[str]) -> ClusterFacts:
    bricks = tuple(Brick(h, f"/b/{i}", f"uuid-{h}", False) for i, h in enumerate(hosts))
    volume = Volume("gv", "id", "Distributed-Replicate", "Started",
                    VolumeShape(brick_count=len(hosts), replica=2), "tcp", bricks, {}, 0)
    status = VolumeStatus("gv", tuple(BrickStatus(b.host, b.path, 49152, None, b.name not in offline, 1)
                                      for b in bricks), ())
    return ClusterFacts("rpi0", {"gv": volume}, {"gv": status}, {}, {})


def test_svg_one_rect_per_brick_marks_offline_and_same_server() -> None:
    plain = cluster_facts_plain(make_cluster(["rpi0", "rpi0", "rpi2", "rpi3"], {"rpi3:/b/3"}))
    assert plain["volumes"]["gv"]["groups"] == [["rpi0:/b/0", "rpi0:/b/1"], ["rpi2:/b/2", "rpi3:/b/3"]]
    svg = topology_svg("gv", plain["volumes"]["gv"], plain["status"], NODES)
    assert svg.count('class="brick ') == 4
    assert svg.count('class="brick offline"') == 1
    assert 'data-brick="rpi3:/b/3"' in svg
    assert svg.count('class="group same-server"') == 1
    assert svg.count('class="group"') == 1
    assert "same server!" in svg


def test_svg_unknown_when_no_status_and_columns_by_address() -> None:
    plain = cluster_facts_plain(make_cluster(["10.0.1.0", "10.0.1.1"], set()))
    svg = topology_svg("gv", plain["volumes"]["gv"], {}, NODES,
                       by_address={"10.0.1.0": "rpi0", "10.0.1.1": "rpi1"})
    assert svg.count('class="brick unknown"') == 2
    assert ">10.0.1.0<" not in svg  # placed in the rpi0 column, no extra column


@pytest.mark.parametrize("outcome", ["failed", "error"])
def test_html_opens_with_verdict_and_links_failures(outcome: str) -> None:
    s = summary([result("test_a", "rpi0"), result("test_b", "rpi1", outcome, "<rpi1> broke")])
    html = summary_html(s)
    assert html.index('id="gc-verdict"') < html.index('id="gc-nodes"') < html.index('id="gc-matrix"')
    assert "Cluster DEGRADED" in html
    assert 'href="#checks/test_x.py::test_b[rpi1]"' in html
    assert "&lt;rpi1&gt; broke" in html
    assert "<rpi1>" not in html
