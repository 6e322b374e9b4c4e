"""One-line Nagios status and node_exporter textfile metrics, rendered from a summary dict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glustercheck.report.model import BAD_OUTCOMES, CANNOT_CHECK, HEALTHY, PASSED, SKIPPED, cause_line

NAGIOS_STATUS = {HEALTHY: (0, "OK"), "degraded": (2, "CRITICAL"), CANNOT_CHECK: (3, "UNKNOWN")}


def nagios(summary: Mapping[str, Any], *, limit: int = 3) -> tuple[int, str]:
    """(plugin exit status, the status line): `GLUSTER OK - 41 checks passed`,
    `GLUSTER CRITICAL - 3 of 41 checks failed: a[rpi1], b[rpi2], c[volume=gv]`."""
    code, word = NAGIOS_STATUS[summary["verdict"]]
    checks = [c for c in summary.get("checks", []) if c["outcome"] != SKIPPED]
    if summary["verdict"] == HEALTHY:
        text = f"{sum(c['outcome'] == PASSED for c in checks)} checks passed"
    elif summary["verdict"] == CANNOT_CHECK:
        text = f"cannot check: {summary.get('reason', '')}"
    else:
        bad = [c for c in checks if c["outcome"] in BAD_OUTCOMES]
        causes = summary.get("causes") or []
        if causes:  # the root causes first: the line an operator reads at 3 a.m.
            lead = "; ".join(cause_line(c) for c in causes[:limit])
            more = f" (+{len(causes) - limit} more)" if len(causes) > limit else ""
            fix = f"; fix: {causes[0]['fix']}" if causes[0].get("fix") else ""
            text = f"{lead}{more}{fix}; {len(bad)} of {len(checks)} checks failed"
        else:
            names = [c["id"].split("::")[-1] for c in bad]
            shown = ", ".join(names[:limit]) + (f", ... (+{len(names) - limit})"
                                                 if len(names) > limit else "")
            text = f"{len(bad)} of {len(checks)} checks failed: {shown}"
    return code, f"GLUSTER {word} - {' '.join(text.split())}"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus(summary: Mapping[str, Any]) -> str:
    """node_exporter textfile format: per-check gauges, verdict, run timestamp and duration."""
    lines = [
        "# HELP glustercheck_check_passed 1 if the check passed (or is not applicable), 0 if not.",
        "# TYPE glustercheck_check_passed gauge",
    ]
    for c in summary.get("checks", []):
        check = c["id"].split("[", 1)[0]
        value = 0 if c["outcome"] in BAD_OUTCOMES else 1
        lines.append(f'glustercheck_check_passed{{check="{_label(check)}",'
                     f'node="{_label(c.get("node") or "")}",outcome="{c["outcome"]}"}} {value}')
    verdict_value = {HEALTHY: 0, "degraded": 1, CANNOT_CHECK: 3}[summary["verdict"]]
    lines += [
        "# HELP glustercheck_verdict 0 healthy, 1 degraded, 3 cannot check.",
        "# TYPE glustercheck_verdict gauge",
        f"glustercheck_verdict {verdict_value}",
        "# HELP glustercheck_checks Checks of the last run by outcome.",
        "# TYPE glustercheck_checks gauge",
    ]
    lines += [f'glustercheck_checks{{outcome="{k}"}} {v}' for k, v in sorted(summary["counts"].items())]
    lines += [
        "# HELP glustercheck_last_run_timestamp_seconds When the last run finished (epoch).",
        "# TYPE glustercheck_last_run_timestamp_seconds gauge",
        f"glustercheck_last_run_timestamp_seconds {summary['finished']:.3f}",
        "# HELP glustercheck_last_run_duration_seconds How long the last run took.",
        "# TYPE glustercheck_last_run_duration_seconds gauge",
        f"glustercheck_last_run_duration_seconds {summary['duration']:.3f}",
    ]
    return "\n".join(lines) + "\n"
