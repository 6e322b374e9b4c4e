"""The Prometheus textfile (node_exporter's textfile collector): one gauge family per measured
quantity, with series whose identity does not change from run to run (a check flipping between
failed and error keeps its series), built with prometheus_client and written atomically by its
write_to_textfile (temporary file + rename, so node_exporter never reads half a file)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, write_to_textfile
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from glustercheck.report.measures import brick_usage, heal_pending, node_states
from glustercheck.report.model import BAD_OUTCOMES, CANNOT_CHECK, DEGRADED, HEALTHY

PREFIX = "glustercheck"
VERDICT_VALUE = {HEALTHY: 0, DEGRADED: 1, CANNOT_CHECK: 3}


def _check_labels(check: Mapping[str, Any]) -> tuple[str, str, str]:
    """(check, node, volume): a check's name without parameters, and what it is about."""
    where = str(check.get("node") or "")
    name = str(check["id"]).split("[", 1)[0]
    if where.startswith("volume="):
        return name, "", where.removeprefix("volume=")
    return name, "" if where == "cluster" else where, ""


class SummaryCollector(Collector):
    def __init__(self, summary: Mapping[str, Any]) -> None:
        self.summary = summary

    def collect(self) -> Iterator[GaugeMetricFamily]:
        s = self.summary
        yield _gauge("verdict", "0 healthy, 1 degraded, 3 cannot check.", VERDICT_VALUE[s["verdict"]])
        yield _gauge("last_run_timestamp_seconds", "When the last run finished (epoch seconds).",
                     s["finished"])
        yield _gauge("run_duration_seconds", "How long the last run took.", s["duration"])
        yield _gauge("root_causes", "Root causes behind the failed checks of the last run.",
                     len(s.get("causes") or []))
        yield _gauge("warnings", "Warn-level findings of the last run (the cluster stays healthy).",
                     len(s.get("warnings") or []))
        ok = GaugeMetricFamily(f"{PREFIX}_check_ok", "1 if the check passed or is not applicable, "
                               "0 if it failed or errored.", labels=["check", "node", "volume"])
        for check in s.get("checks", []):
            ok.add_metric(list(_check_labels(check)), 0 if check["outcome"] in BAD_OUTCOMES else 1)
        yield ok
        reachable = GaugeMetricFamily(f"{PREFIX}_node_reachable", "1 if the node answered over SSH.",
                                      labels=["node"])
        glusterd = GaugeMetricFamily(f"{PREFIX}_glusterd_up", "1 if glusterd runs on the node.",
                                     labels=["node"])
        peers = GaugeMetricFamily(f"{PREFIX}_peers_connected", "Peers the node sees in 'Peer in "
                                  "Cluster (Connected)'.", labels=["node"])
        for state in node_states(s):
            reachable.add_metric([state.node], int(state.reachable))
            if state.glusterd_up is not None:
                glusterd.add_metric([state.node], int(state.glusterd_up))
            if state.peers_connected is not None:
                peers.add_metric([state.node], state.peers_connected)
        yield from (reachable, glusterd, peers)
        used = GaugeMetricFamily(f"{PREFIX}_brick_used_percent", "Space used on the brick's "
                                 "filesystem.", labels=["node", "volume", "brick"])
        inodes = GaugeMetricFamily(f"{PREFIX}_brick_inodes_used_percent", "Inodes used on the "
                                   "brick's filesystem.", labels=["node", "volume", "brick"])
        for usage in brick_usage(s):
            used.add_metric([usage.node, usage.volume, usage.brick], round(usage.used_percent, 2))
            inodes.add_metric([usage.node, usage.volume, usage.brick],
                              round(usage.inodes_used_percent, 2))
        yield from (used, inodes)
        heal = GaugeMetricFamily(f"{PREFIX}_heal_pending_entries", "Entries waiting to be healed "
                                 "onto or from the brick.", labels=["volume", "brick"])
        for volume, brick, entries in heal_pending(s):
            heal.add_metric([volume, brick], entries)
        yield heal


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", text, value=value)


def write_textfile(path: Path, summary: Mapping[str, Any]) -> None:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SummaryCollector(summary))
    write_to_textfile(str(path), registry)


def textfile(summary: Mapping[str, Any]) -> str:
    from prometheus_client import generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(SummaryCollector(summary))
    return generate_latest(registry).decode()
