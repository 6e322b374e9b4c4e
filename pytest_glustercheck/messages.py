"""Failure messages a cluster operator can act on: which node, expected, found, why, how to fix.

A failure explained by a root cause (see glustercheck.diagnose) says "because ..." and carries the
cause's fix instead of its own; the cause keys travel with the test report (user property
`causes`), so the verdict can lead with the causes and count their symptoms.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import pytest

from glustercheck.actions import SetupReport
from glustercheck.diagnose import Cause


class ClusterFailure(pytest.fail.Exception):  # type: ignore[name-defined,misc]
    """A check's failure, with the root causes that explain it (empty: it is its own cause)."""

    def __init__(self, message: str, causes: Sequence[Cause]) -> None:
        super().__init__(message, pytrace=False)
        self.causes = tuple(causes)


def fail(where: str, problems: Iterable[str], *, fix: str | None = None,
         report: SetupReport | None = None, keys: Iterable[str] = (),
         steps: tuple[str, ...] | None = None,
         causes: Iterable[Cause | None] = ()) -> None:
    """Fail the check listing every problem found (not just the first). With `causes`, say what
    explains the problems and give those causes' fixes; else `fix` and the setup notes of
    `steps` for `keys`."""
    problems = list(problems)
    if not problems:
        return
    known = list(dict.fromkeys(c for c in causes if c is not None))
    lines = [f"{where}: {p}" for p in problems]
    if known:
        lines += [f"because {c.summary} [{c.key}]" for c in known]
        lines += [f"fix: {c.fix}" for c in dict.fromkeys(c for c in known)]
    else:
        if fix:
            lines.append(f"fix: {fix}")
        if report is not None:
            for key in keys:
                lines += [f"setup ({key}): {hint}" for hint in report.about(key, steps)]
    raise ClusterFailure("\n".join(lines), known)


def warn(request: pytest.FixtureRequest, where: str, text: str, fix: str) -> None:
    """A finding worth acting on that does not make the cluster unhealthy (a capacity warning, a
    rolling upgrade not finished): a pytest warning, and a `warning` property the reports read."""
    request.node.warn(pytest.PytestWarning(f"{where}: {text} (fix: {fix})"))
    request.node.user_properties.append(
        ("warning", json.dumps({"where": where, "text": text, "fix": fix})))


def fail_with(cause: Cause, where: str, problem: str) -> None:
    """Fail because of `cause` alone (e.g. the node is unreachable): one clear message."""
    raise ClusterFailure(f"{where}: {problem}\nfix: {cause.fix}", [cause])
