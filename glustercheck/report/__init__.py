"""Reports rendered from one plain summary dict: JSON, HTML cluster summary (with SVG topology),
nightly history and trend, Nagios line, Prometheus text file. No pytest here."""

from glustercheck.report.history import (
    HistoryError,
    load_history,
    save_history,
    trend,
    trend_lines,
    write_atomic,
)
from glustercheck.report.html import summary_html
from glustercheck.report.metrics import textfile as prometheus
from glustercheck.report.metrics import write_textfile
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
from glustercheck.report.nagios import nagios
from glustercheck.report.svg import topology_svg

__all__ = [
    "CANNOT_CHECK", "DEGRADED", "EXIT_STATUS", "HEALTHY", "CheckResult", "HistoryError", "build_summary",
    "cause_line", "cause_lines", "cluster_facts_plain", "first_line", "is_unusable", "load_history",
    "nagios", "node_facts_plain", "prometheus", "results_of", "save_history", "summary_html",
    "topology_svg", "trend", "trend_lines", "unusable_note", "verdict", "write_atomic", "write_textfile",
]
