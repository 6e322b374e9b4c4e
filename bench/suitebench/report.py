"""The benchmark's table: medians, ratios against baselines measured in the same run, issue 17's
targets beside them (figures, never asserts), and what each run cost every node."""

from __future__ import annotations

import math
import statistics

from suitebench.phases import Phase
from suitebench.runs import Sample

MB = 1024.0


def target_for(kind: str, count: int) -> tuple[str | None, float | None, str]:
    """(baseline kind, highest ratio allowed, target text) for `kind` at `count` nodes."""
    if kind == "check":
        limit = 1.5 if count <= 4 else 1.15
        return "floor", limit, f"<= {limit:g}x floor"
    if kind == "check_auto":
        limit = 1.1 if count <= 4 else 1.0
        return "check", limit, "<= 1.1x 1 process" if count <= 4 else "< 1x 1 process"
    if kind.startswith("apply_"):
        return "script_" + kind.removeprefix("apply_"), 1.5, "<= 1.5x script"
    if kind in ("check_latency", "check_auto_latency"):
        return "floor_latency", 1.3, "<= 1.3x floor"
    if kind in ("naive", "login"):
        return "floor", None, "(reference)"
    if kind == "import":
        return None, None, "<= 0.1 s"
    if kind == "collect":
        return "collect_inert", None, "<= 0.4 s"
    return None, None, ""


ABSOLUTE = {"import": 0.1, "collect": 0.4}
LABELS = {
    "floor": "floor: checks by hand, 1 ssh/node",
    "login": "bare login: ssh true, all at once",
    "check": "check-only, 1 process",
    "check_auto": "check-only, -n auto",
    "naive": "naive testinfra suite",
    "collect": "--collect-only",
    "collect_inert": "pytest --collect-only, plugin off",
    "import": "plugin import (after pytest)",
    "apply_full": "--apply from bare nodes (full image)",
    "script_full": "plain how-to script (full image)",
    "apply_fresh": "--apply, fresh nodes (apt)",
    "script_fresh": "plain script, fresh nodes (apt)",
    "floor_latency": "floor, +{latency} ms RTT",
    "login_latency": "bare login, +{latency} ms RTT",
    "check_latency": "check-only 1 proc, +{latency} ms",
    "check_auto_latency": "check-only -n auto, +{latency} ms",
}
ORDER = list(LABELS)


def median(samples: list[Sample], attr: str = "seconds") -> float:
    values = [float(getattr(s, attr)) for s in samples]
    return statistics.median(values) if values else math.nan


def per_node(samples: list[Sample]) -> tuple[float, float, float]:
    """Median over runs of: SSH logins on the busiest node, mean commands per node, commands on
    the busiest node (all counted in the nodes' own sshd logs). Logins, not TCP connections: a
    booting node's sshd also logs simcluster's port check, a moment late."""
    if not samples or not samples[0].per_node:
        return math.nan, math.nan, math.nan
    conns = statistics.median(max(c.logins for c in s.per_node.values()) for s in samples)
    mean = statistics.median(statistics.mean(c.commands for c in s.per_node.values()) for s in samples)
    most = statistics.median(max(c.commands for c in s.per_node.values()) for s in samples)
    return conns, mean, most


def verdict(ratio: float, limit: float | None, kind: str, count: int, seconds: float) -> str:
    if kind in ABSOLUTE:
        return "met" if seconds <= ABSOLUTE[kind] else "MISSED"
    if limit is None or math.isnan(ratio):
        return ""
    if kind == "check_auto" and count > 4:
        return "met" if ratio < 1.0 else "MISSED"
    return "met" if ratio <= limit else "MISSED"


def rows(phases: list[Phase], latency_ms: float) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for count in sorted({p.count for p in phases}):
        series: dict[str, list[Sample]] = {}
        for phase in (p for p in phases if p.count == count):
            series.update(phase.series)
        for kind in sorted(series, key=ORDER.index):
            samples = series[kind]
            seconds = median(samples)
            base_kind, limit, target = target_for(kind, count)
            base = median(series[base_kind]) if base_kind and base_kind in series else math.nan
            ratio = seconds / base if base_kind else math.nan
            conns, mean_cmds, most_cmds = per_node(samples)
            found.append({
                "nodes": count, "kind": kind,
                "label": LABELS[kind].format(latency=f"{latency_ms:g}"),
                "median_s": seconds, "min_s": min(s.seconds for s in samples),
                "max_s": max(s.seconds for s in samples), "runs": len(samples),
                "ok_runs": sum(s.ok for s in samples), "baseline": base_kind, "ratio": ratio,
                "target": target, "verdict": verdict(ratio, limit, kind, count, seconds),
                "conns_per_node": conns, "cmds_per_node": mean_cmds, "cmds_busiest": most_cmds,
                "peak_rss_mb": median(samples, "peak_rss_kb") / MB,
                "tree_rss_mb": median(samples, "tree_rss_kb") / MB,
                "phases": {k: statistics.median(s.phases[k] for s in samples if k in s.phases)
                           for k in samples[0].phases} if samples[0].phases else {},
            })
    return found


def _n(value: object, fmt: str) -> str:
    return "-" if not isinstance(value, (int, float)) or math.isnan(value) else format(value, fmt)


def table(found: list[dict[str, object]]) -> str:
    head = (f"{'nodes':>5}  {'measurement':<36} {'median s':>8} {'min-max s':>13} {'ratio':>7} "
            f"{'target':<18} {'':<6} {'conn/n':>6} {'cmd/n':>6} {'cmd max':>7} {'RSS MB':>7}")
    lines = [head, "-" * len(head)]
    for r in found:
        ratio = f"{_n(r['ratio'], '.2f')}x" if r["baseline"] else ""
        rss = r["tree_rss_mb"] if r["kind"] in ("check_auto", "check_auto_latency") else r["peak_rss_mb"]
        spread = f"{_n(r['min_s'], '.2f')}-{_n(r['max_s'], '.2f')}"
        okay = "" if r["ok_runs"] == r["runs"] else f" ({r['ok_runs']}/{r['runs']} ok)"
        lines.append(
            f"{r['nodes']:>5}  {str(r['label']) + okay:<36} {_n(r['median_s'], '.3f'):>8} "
            f"{spread:>13} {ratio:>7} {r['target']!s:<18} {r['verdict']!s:<6} "
            f"{_n(r['conns_per_node'], '.0f'):>6} {_n(r['cmds_per_node'], '.1f'):>6} "
            f"{_n(r['cmds_busiest'], '.0f'):>7} {_n(rss if rss else math.nan, '.0f'):>7}")
    lines.append("ratio: against the baseline of the same run (check-only: the floor; -n auto: 1 "
                 "process; --apply: the plain script; --collect-only: bare pytest). conn/n: SSH "
                 "logins on the busiest node; cmd/n, cmd max: commands per node (mean, busiest), "
                 "counted in the nodes' sshd logs. RSS: peak of the largest process (-n auto: the "
                 "whole tree, sampled).")
    return "\n".join(lines)


def phase_table(found: list[dict[str, object]]) -> str:
    """Where a pytest run's time goes: start-up, collection, first setup (setup steps + facts),
    the checks, the report (median seconds)."""
    head = f"{'nodes':>5}  {'run':<36} " + " ".join(f"{k:>11}" for k in PHASES)
    lines = [head, "-" * len(head)]
    for r in found:
        phases = r["phases"]
        if isinstance(phases, dict) and phases:
            lines.append(f"{r['nodes']:>5}  {r['label']!s:<36} "
                         + " ".join(f"{_n(phases.get(k), '.3f'):>11}" for k in PHASES))
    return "\n".join(lines)


PHASES = ("startup", "collection", "first_setup", "setup_steps", "checks", "report")


def profile_text(phases: list[Phase]) -> str:
    """The profiled check-only run of each count: its remote commands by kind (from the DEBUG
    command log), pytest's slowest phases, and what importing the plugin costs by module."""
    out = []
    for phase, key in ((p, k) for p in phases for k in ("profile", "profile_auto")):
        profile = phase.extra.get(key)
        if not isinstance(profile, dict):
            continue
        remote = profile["remote"]
        what = f"{phase.name}{', -n auto' if key == 'profile_auto' else ''}"
        out.append(f"profiled run ({what}), {phase.count} nodes: {profile['seconds']:.2f} s, "
                   f"{remote['commands']} remote commands (per node: {remote['per_node']}), the "
                   f"first ends {_n(remote['first_command_ends_s'], '.2f')} s after launch, the last "
                   f"{_n(remote['last_command_ends_s'], '.2f')} s")
        for kind in remote["by_kind"][:8]:
            out.append(f"    {kind['count']:>4} x {kind['total_s']:>7.2f} s (max {kind['max_s']:.2f})  "
                       f"{kind['kind']}")
        out += [f"    pytest --durations: {line.strip()}" for line in profile["durations"][:5]]
        for row in phase.extra.get("import_profile", [])[:6] if key == "profile" else []:  # type: ignore[union-attr]
            out.append(f"    import {int(row['cumulative_us']) / 1000:>6.0f} ms  {row['module'].strip()}")
    return "\n".join(out)


def latency_text(found: list[dict[str, object]], latency_ms: float) -> str:
    """Round trips on each run's critical path: (time with the added latency - time without) /
    the round trip. A bare login's are one SSH login and command; the floor's add the data
    path's; what the suite adds is its own."""
    if not latency_ms:
        return ""
    seconds = {(r["nodes"], r["kind"]): float(str(r["median_s"])) for r in found}
    out = []
    for count in sorted({int(str(r["nodes"])) for r in found}):
        parts = []
        for kind in ("login", "floor", "check", "check_auto"):
            with_latency = seconds.get((count, f"{kind}_latency"))
            without = seconds.get((count, kind))
            if with_latency is not None and without is not None:
                trips = (with_latency - without) * 1000 / latency_ms
                parts.append(f"{kind} {trips:.1f}")
        if parts:
            out.append(f"{count} nodes, round trips on the critical path (+{latency_ms:g} ms each): "
                       + "; ".join(parts))
    return "\n".join(out)
