"""The Nagios/Icinga status line, as monitoring-plugins define it: `GLUSTER STATE - text | perfdata`
with exit status 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

WARNING: the cluster is healthy but a check found something to act on soon (a brick above the
warning threshold, a rolling upgrade not finished). Perfdata (nagiosplugin's Performance, so
labels are quoted as the plugin API wants): checks passed/failed, warnings, per brick space used
with the warning and critical thresholds, heal pending per volume, peers connected per node.
The nagiosplugin library's Check/Resource runtime is not used: it runs its own probe and exits the
process, while here pytest ran the checks and the summary holds the result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nagiosplugin import Performance

from glustercheck.report.measures import brick_usage, heal_pending, node_states
from glustercheck.report.model import (
    BAD_OUTCOMES,
    CANNOT_CHECK,
    DEGRADED,
    PASSED,
    SKIPPED,
    cause_line,
)

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
WORDS = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}
_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/@-]")


def state(summary: Mapping[str, Any]) -> int:
    verdict = summary["verdict"]
    if verdict == CANNOT_CHECK:
        return UNKNOWN
    if verdict == DEGRADED:
        return CRITICAL
    return WARNING if summary.get("warnings") else OK


def text_of(value: str) -> str:
    """User text in the status line: one line, and never a `|` (it would start the perfdata)."""
    return " ".join(value.replace("|", "/").split())


def _label(value: str) -> str:
    return _LABEL_UNSAFE.sub("_", value)


def perfdata(summary: Mapping[str, Any], *, warn: float = 80.0, critical: float = 90.0) -> str:
    checks = [c for c in summary.get("checks", []) if c["outcome"] != SKIPPED]
    perf = [Performance("checks_passed", sum(c["outcome"] == PASSED for c in checks), min=0),
            Performance("checks_failed", sum(c["outcome"] in BAD_OUTCOMES for c in checks), min=0),
            Performance("warnings", len(summary.get("warnings") or []), min=0)]
    for usage in brick_usage(summary):
        perf.append(Performance(_label(f"brick_used_{usage.brick}"), round(usage.used_percent, 1),
                                "%", f"{warn:g}", f"{critical:g}", 0, 100))
    pending: dict[str, int] = {}
    for volume, _brick, entries in heal_pending(summary):
        pending[volume] = pending.get(volume, 0) + entries
    perf += [Performance(_label(f"heal_pending_{v}"), n, min=0) for v, n in sorted(pending.items())]
    peers = len((summary.get("spec") or {}).get("nodes", [])) - 1
    perf += [Performance(_label(f"peers_connected_{s.node}"), s.peers_connected, min=0, max=peers)
             for s in node_states(summary) if s.peers_connected is not None]
    return " ".join(str(p) for p in perf)


def nagios(summary: Mapping[str, Any], *, limit: int = 3, warn: float = 80.0,
           critical: float = 90.0) -> tuple[int, str]:
    """(plugin exit status, the status line with perfdata)."""
    code = state(summary)
    checks = [c for c in summary.get("checks", []) if c["outcome"] != SKIPPED]
    bad = [c for c in checks if c["outcome"] in BAD_OUTCOMES]
    if code == UNKNOWN:
        text = f"cannot check: {summary.get('reason', '')}"
    elif code == CRITICAL:
        causes = summary.get("causes") or []
        lead = "; ".join(cause_line(c) for c in causes[:limit])
        more = f" (+{len(causes) - limit} more)" if len(causes) > limit else ""
        fix = f"; fix: {causes[0]['fix']}" if causes and causes[0].get("fix") else ""
        text = f"{lead}{more}{fix}; {len(bad)} of {len(checks)} checks failed"
    else:
        text = f"{sum(c['outcome'] == PASSED for c in checks)} checks passed"
        warnings = summary.get("warnings") or []
        if warnings:
            shown = "; ".join(f"{w['where']}: {w['text']}" for w in warnings[:limit])
            text += f", {len(warnings)} warning(s): {shown}"
    line = f"GLUSTER {WORDS[code]} - {text_of(text)}"
    data = perfdata(summary, warn=warn, critical=critical) if summary.get("checks") else ""
    return code, f"{line} | {data}" if data else line


def unknown(message: str) -> tuple[int, str]:
    """For what fails before any summary exists (usage, spec, I/O): UNKNOWN, exit 3."""
    return UNKNOWN, f"GLUSTER UNKNOWN - cannot check: {text_of(message)}"


__all__ = ["CRITICAL", "OK", "UNKNOWN", "WARNING", "nagios", "perfdata", "state", "unknown"]
