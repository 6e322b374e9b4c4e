"""The run summary as plain data (JSON-ready dicts and lists), built without pytest.

A summary is the single source for every output: the JSON file, the HTML cluster summary, the
nightly history, the Nagios line and the Prometheus text file all render the same dict.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SCHEMA = 2  # 2: root causes ("causes", and per check "causes" and "fix")

HEALTHY = "healthy"
DEGRADED = "degraded"
CANNOT_CHECK = "cannot-check"

EXIT_STATUS = {HEALTHY: 0, DEGRADED: 1, CANNOT_CHECK: 3}

# How a node that could not be used is noted in `node_errors`: it did not answer SSH, or it did
# but sudo could not be used there (up and reachable: another fix, so another word).
UNREACHABLE = "unreachable"
SUDO_REFUSED = "sudo refused"
"""Exit status for schedulers (documented in reports/README.md)."""

PASSED, FAILED, SKIPPED, ERROR = "passed", "failed", "skipped", "error"
BAD_OUTCOMES = (FAILED, ERROR)


@dataclass(frozen=True)
class CheckResult:
    """One check (test id) once all its phases ran."""

    id: str  # pytest node id, e.g. checks/test_daemon.py::test_glusterd_running_and_enabled[rpi2]
    node: str | None  # rpi2, volume=gv, cluster; None when the check is not about the cluster
    outcome: str  # passed, failed, skipped, error
    message: str  # first line of the failure / skip reason ("" when passed)
    duration: float
    anchor: str  # id of the row in the pytest-html table (node id, plus ::setup for setup errors)
    causes: tuple[str, ...] = ()  # keys of the root causes that explain this failure
    fix: str = ""  # the failure's own "fix:" line (used when no cause explains it)

    @property
    def check(self) -> str:
        """The check's name without its parameters: checks/test_x.py::test_y."""
        return self.id.split("[", 1)[0]


def to_plain(value: Any) -> Any:
    """Dataclasses, tuples, enums and mappings as JSON-ready values (recursively)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def node_facts_plain(facts: Any) -> dict[str, Any]:
    """NodeFacts as plain data; the raw hosts file is kept (it holds no secrets)."""
    data: dict[str, Any] = to_plain(facts)
    return data


def cluster_facts_plain(cluster: Any) -> dict[str, Any]:
    """ClusterFacts as plain data, each volume with its brick groups (replica/disperse sets)."""
    data: dict[str, Any] = to_plain(cluster)
    for name, volume in cluster.volumes.items():
        bricks = [b.name for b in volume.bricks]
        data["volumes"][name]["groups"] = volume.shape.groups(bricks)
        data["volumes"][name]["true_type"] = volume.true_type
    return data


def first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def unusable_note(message: str, *, sudo: bool) -> str:
    """The `node_errors` entry for a node the probe could not use."""
    return f"{SUDO_REFUSED if sudo else UNREACHABLE}: {first_line(message)}"


def is_unusable(note: str) -> bool:
    return note.startswith((UNREACHABLE, SUDO_REFUSED))


def counts(results: Iterable[CheckResult]) -> dict[str, int]:
    found = {PASSED: 0, FAILED: 0, SKIPPED: 0, ERROR: 0}
    for r in results:
        found[r.outcome] = found.get(r.outcome, 0) + 1
    return found


def verdict(results: list[CheckResult], *, node_names: Iterable[str] = (),
            unreachable: Iterable[str] = (), sudo_refused: Iterable[str] = (),
            problem: str | None = None) -> tuple[str, str]:
    """(verdict, reason). cannot-check: the run itself failed (usage/spec error, collection error,
    nothing ran, every node unreachable, deadline hit without a failure); degraded: a check failed;
    healthy: every check that ran passed or was not applicable."""
    names, dead, refused = set(node_names), set(unreachable), set(sudo_refused)
    bad = [r for r in results if r.outcome in BAD_OUTCOMES]
    if problem and not bad:
        return CANNOT_CHECK, problem
    if names and names <= dead:
        return CANNOT_CHECK, f"no node reachable ({', '.join(sorted(names))})"
    if names and names <= dead | refused:
        return CANNOT_CHECK, (f"no node usable ({', '.join(sorted(names))}): sudo cannot be used on "
                              f"{', '.join(sorted(refused))}")
    if not results and not problem:
        return CANNOT_CHECK, "no check ran"
    if bad:
        count = counts(results)
        total = sum(count.values())
        reason = f"{len(bad)} of {total} checks failed"
        if problem:
            reason += f"; {problem}"
        return DEGRADED, reason
    return HEALTHY, f"{counts(results)[PASSED]} checks passed"


def root_causes(results: list[CheckResult], known: Mapping[str, Mapping[str, Any]]
                ) -> list[dict[str, Any]]:
    """The root causes of the failed checks, most fundamental first, each with the checks it
    explains; a failure no cause explains is its own root cause (key `check:<id>`)."""
    found: dict[str, dict[str, Any]] = {}
    for r in results:
        if r.outcome not in BAD_OUTCOMES:
            continue
        for key in r.causes or (f"check:{r.id}",):
            entry = found.get(key)
            if entry is None:
                base = known.get(key) or {"key": key, "summary": r.message, "fix": r.fix,
                                          "rank": 99}
                entry = found[key] = {**base, "checks": []}
            entry["checks"].append(r.id)
    return sorted(found.values(), key=lambda c: (c.get("rank", 99), -len(c["checks"]), c["key"]))


def cause_lines(summary: Mapping[str, Any]) -> list[str]:
    """The root causes under the verdict line: each with its fix and what it explains; then the
    warnings (findings that do not make the cluster unhealthy), each with its fix."""
    lines = []
    for warning in summary.get("warnings") or []:
        lines.append(f"  warning ({warning['check'].split('::')[-1]}): {warning['where']}: "
                     f"{warning['text']}")
        lines.append(f"    fix: {warning['fix']}")
    causes = summary.get("causes") or []
    if summary.get("verdict") == HEALTHY or not causes:  # cannot-check: why no node could be used
        return lines
    for number, cause in enumerate(causes, 1):
        lines.append(f"  root cause {number}: {cause_line(cause)}")
        if cause.get("fix"):
            lines.append(f"    fix: {cause['fix']}")
        lines.append(f"    explains {len(cause['checks'])} failed check(s)")
    return lines


def cause_line(cause: Mapping[str, Any]) -> str:
    """`glusterd is not running on rpi2 [glusterd-down:rpi2]` (a failed check: its message)."""
    key = str(cause["key"])
    return cause["summary"] if key.startswith("check:") else f"{cause['summary']} [{key}]"


def build_summary(*, results: list[CheckResult], started: float, finished: float,
                  spec: Mapping[str, Any] | None, nodes: Mapping[str, Any],
                  node_errors: Mapping[str, str], cluster: Mapping[str, Any] | None,
                  setup: Mapping[str, Any] | None, problem: str | None = None,
                  nightly: bool = False,
                  causes: Mapping[str, Mapping[str, Any]] | None = None,
                  warnings: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The summary dict; `started`/`finished` are epoch seconds; `causes` by key (as the checks
    reported them: summary, fix, rank)."""
    node_names = [n["name"] for n in (spec or {}).get("nodes", [])]
    unreachable = [n for n, e in node_errors.items() if e.startswith(UNREACHABLE)]
    refused = [n for n, e in node_errors.items() if e.startswith(SUDO_REFUSED)]
    cluster_results = [r for r in results if r.node is not None] or results
    verdict_, reason = verdict(cluster_results, node_names=node_names, unreachable=unreachable,
                               sudo_refused=refused, problem=problem)
    roots = root_causes(cluster_results, causes or {})
    if verdict_ == DEGRADED and roots:
        more = f" (+{len(roots) - 1} more root causes)" if len(roots) > 1 else ""
        reason = f"{cause_line(roots[0])}{more}; {reason}"
    found_warnings = [dict(w) for w in warnings or []]
    if verdict_ == HEALTHY and found_warnings:
        reason += (f"; {len(found_warnings)} warning(s): {found_warnings[0]['where']}: "
                   f"{found_warnings[0]['text']}")
    return {
        "warnings": found_warnings,
        "causes": roots,
        "schema": SCHEMA,
        "started": started,
        "finished": finished,
        "duration": round(finished - started, 3),
        "nightly": nightly,
        "verdict": verdict_,
        "reason": reason,
        "problem": problem,
        "counts": counts(results),
        "checks": [dataclasses.asdict(r) for r in results],
        "spec": dict(spec or {}),
        "nodes": dict(nodes),
        "node_errors": dict(node_errors),
        "cluster": dict(cluster) if cluster else None,
        "setup": dict(setup) if setup else None,
    }


def results_of(summary: Mapping[str, Any]) -> list[CheckResult]:
    return [CheckResult(**c) for c in summary.get("checks", [])]
