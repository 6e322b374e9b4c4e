"""The pure report renderers, on hand-made facts: verdict, trend, SVG, HTML (Nagios and
Prometheus: test_monitoring.py)."""

from __future__ import annotations

import pytest

from glustercheck.facts import ClusterFacts
from glustercheck.parsers import Brick, BrickStatus, Volume, VolumeStatus
from glustercheck.report import (
    CheckResult,
    build_summary,
    cluster_facts_plain,
    is_unusable,
    load_history,
    save_history,
    summary_html,
    topology_svg,
    trend,
    unusable_note,
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
    # Nodes that answer but refuse sudo are not called unreachable: another fix entirely.
    assert verdict(dead, node_names=NODES, unreachable=NODES[:1], sudo_refused=NODES[1:]) == (
        "cannot-check", f"no node usable ({', '.join(NODES)}): sudo cannot be used on "
                        f"{', '.join(NODES[1:])}")


def test_node_errors_say_unreachable_or_sudo_refused() -> None:
    refused = unusable_note("sudo on rpi1 needs a password: fix it\nmore", sudo=True)
    assert refused == "sudo refused: sudo on rpi1 needs a password: fix it"
    assert unusable_note("rpi2 unreachable: no answer", sudo=False).startswith("unreachable: rpi2")
    assert is_unusable(refused)
    assert not is_unusable("could not gather facts: timeout")


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


def test_earlier_runs_are_read_without_their_facts_and_compare_the_same(tmp_path) -> None:
    """A kept summary carries every node's facts (2.5 MB at 64 nodes): the history is read
    without them and without the checks that passed, and the trend does not change."""
    runs = []
    for i, failing in enumerate((["test_a"], ["test_a", "test_b"], ["test_b"])):
        found = [result(c, n, "failed" if c in failing else "passed", f"{c} broke")
                 for c in ("test_a", "test_b", "test_c") for n in NODES]
        run = summary(found, started=1000 + i * 86400)
        run["nodes"] = {n: {"hostname": n, "links": [f"{n} -> x"] * 500} for n in NODES}
        run["cluster"] = {"volumes": {"gv": {"bricks": ["b"] * 100}}}
        save_history(tmp_path, run, keep=10)
        runs.append({**run, "sequence": i + 1})
    loaded = load_history(tmp_path)
    assert [sorted(run) for run in loaded] == [sorted(set(run) - {"nodes", "cluster", "setup"})
                                               for run in runs]
    assert [sorted({c["id"].split("::")[1].split("[")[0] for c in run["checks"]}) for run in loaded] == [
        ["test_a"], ["test_a", "test_b"], ["test_b"]]
    now = summary([result("test_b", n, "failed", "still") for n in NODES]
                  + [result("test_a", n) for n in NODES], started=1000 + 3 * 86400)
    assert trend(now, loaded) == trend(now, runs)
    assert [c["id"] for c in trend(now, loaded)["fixed"]] == []
    assert [c["runs"] for c in trend(now, loaded)["persistent"]] == [3] * len(NODES)


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
