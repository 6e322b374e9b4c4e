"""Reports rendered from one plain summary dict: JSON, HTML cluster summary (with SVG topology),
nightly history and trend, Nagios line, Prometheus text file. No pytest here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glustercheck.report.history import (
    HistoryError,
    load_history,
    save_history,
    trend,
    trend_lines,
    write_atomic,
)
from glustercheck.report.model import (
    CANNOT_CHECK,
    DEGRADED,
    EXIT_STATUS,
    HEALTHY,
    CheckResult,
    build_summary,
    cause_line,
    cause_lines,
    cluster_facts_plain,
    first_line,
    is_unusable,
    node_facts_plain,
    results_of,
    unusable_note,
    verdict,
)

if TYPE_CHECKING:
    from glustercheck.report.html import summary_html
    from glustercheck.report.metrics import textfile as prometheus
    from glustercheck.report.metrics import write_textfile
    from glustercheck.report.nagios import nagios
    from glustercheck.report.svg import topology_svg

# The renderers are imported on first use (PEP 562): prometheus_client and nagiosplugin are
# needed when a run writes its outputs, not when it starts or only collects.
_RENDERERS = {
    "summary_html": ("glustercheck.report.html", "summary_html"),
    "prometheus": ("glustercheck.report.metrics", "textfile"),
    "write_textfile": ("glustercheck.report.metrics", "write_textfile"),
    "nagios": ("glustercheck.report.nagios", "nagios"),
    "topology_svg": ("glustercheck.report.svg", "topology_svg"),
}


def __getattr__(name: str) -> Any:
    if name not in _RENDERERS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module, attribute = _RENDERERS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


__all__ = [
    "CANNOT_CHECK", "DEGRADED", "EXIT_STATUS", "HEALTHY", "CheckResult", "HistoryError", "build_summary",
    "cause_line", "cause_lines", "cluster_facts_plain", "first_line", "is_unusable", "load_history",
    "nagios", "node_facts_plain", "prometheus", "results_of", "save_history", "summary_html",
    "topology_svg", "trend", "trend_lines", "unusable_note", "verdict", "write_atomic", "write_textfile",
]
