"""Failure messages a cluster operator can act on: which node, expected, found, how to fix."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from glustercheck.actions import SetupReport


def fail(where: str, problems: Iterable[str], *, fix: str | None = None,
         report: SetupReport | None = None, keys: Iterable[str] = ()) -> None:
    """Fail the check listing every problem found (not just the first), plus setup hints."""
    problems = list(problems)
    if not problems:
        return
    lines = [f"{where}: {p}" for p in problems]
    if fix:
        lines.append(f"fix: {fix}")
    if report is not None:
        for key in keys:
            lines += [f"setup ({key}): {hint}" for hint in report.about(key)]
    pytest.fail("\n".join(lines), pytrace=False)
