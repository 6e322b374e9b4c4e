"""Nightly history: one JSON summary per run in a directory, the last N kept, and the trend
(what is new since the previous run, what persists and since when, what was fixed)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from glustercheck.report.model import BAD_OUTCOMES, PASSED

PREFIX = "summary-"


def history_files(directory: Path) -> list[Path]:
    """Oldest first (names carry a sortable UTC timestamp)."""
    return sorted(directory.glob(f"{PREFIX}*.json")) if directory.is_dir() else []


def load_history(directory: Path) -> list[dict[str, Any]]:
    """Readable summaries, oldest first; a damaged file is skipped, not fatal."""
    found = []
    for path in history_files(directory):
        try:
            found.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return found


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file in the same directory, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def save_history(directory: Path, summary: Mapping[str, Any], *, keep: int) -> Path:
    """Add `summary` and delete all but the newest `keep` files; returns the new file."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(summary["started"]))
    path = directory / f"{PREFIX}{stamp}.json"
    n = 1
    while path.exists():
        path = directory / f"{PREFIX}{stamp}-{n}.json"
        n += 1
    write_atomic(path, json.dumps(summary, indent=1, sort_keys=True))
    for old in history_files(directory)[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return path


def _failing(summary: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in summary.get("checks", []) if c["outcome"] in BAD_OUTCOMES}


def _passed(summary: Mapping[str, Any]) -> set[str]:
    return {c["id"] for c in summary.get("checks", []) if c["outcome"] == PASSED}


def trend(current: Mapping[str, Any], previous: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Compare `current` with earlier summaries (oldest first, current not included).

    new: failing now, not failing in the previous run. persistent: failing now and in the
    previous run, with `since` = start of the first run of the unbroken failing streak and
    `runs` = its length. fixed: failing in the previous run, passing now (a check that did not
    run now is neither fixed nor new).
    """
    now = _failing(current)
    if not previous:
        return {"previous": None, "new": [], "persistent": [], "fixed": [], "first_run": True,
                "failing": sorted(now)}
    last = previous[-1]
    before = _failing(last)
    new, persistent = [], []
    for check_id, check in sorted(now.items()):
        item = {"id": check_id, "node": check.get("node"), "message": check.get("message", "")}
        if check_id not in before:
            new.append(item)
            continue
        since, runs = last["started"], 2
        for older in reversed(previous[:-1]):
            if check_id not in _failing(older):
                break
            since, runs = older["started"], runs + 1
        persistent.append({**item, "since": since, "runs": runs,
                           "for_seconds": round(current["started"] - since, 1)})
    passed_now = _passed(current)
    fixed = [{"id": i, "node": c.get("node"), "message": c.get("message", "")}
             for i, c in sorted(before.items()) if i in passed_now]
    return {"previous": last["started"], "new": new, "persistent": persistent, "fixed": fixed,
            "first_run": False}


def describe_age(seconds: float) -> str:
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def trend_lines(info: Mapping[str, Any]) -> list[str]:
    """The trend as plain text lines (terminal summary)."""
    if info.get("first_run"):
        return ["first nightly run: nothing to compare with"]
    prev = time.strftime("%Y-%m-%d %H:%M", time.localtime(info["previous"]))
    lines = [f"since the previous run ({prev}): {len(info['new'])} new, "
             f"{len(info['persistent'])} persistent, {len(info['fixed'])} fixed"]
    lines += [f"  NEW        {c['id']}: {c['message']}" for c in info["new"]]
    for c in info["persistent"]:
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(c["since"]))
        lines.append(f"  PERSISTENT {c['id']}: failing since {since} ({c['runs']} runs, "
                     f"{describe_age(c['for_seconds'])}): {c['message']}")
    lines += [f"  FIXED      {c['id']}" for c in info["fixed"]]
    return lines
