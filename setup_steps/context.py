"""What every setup step shares: the run, the mode, and the record of what was inspected/changed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from glustercheck.errors import GlusterCheckError
from glustercheck.remote import CommandResult, run_gluster
from pytest_glustercheck.session import GlusterRun

CLUSTER = "cluster"  # the record key for cluster-wide changes


class SetupError(GlusterCheckError):
    """A step that cannot do what the spec asks without doing harm; says what to do instead."""


@dataclass
class SetupReport:
    apply: bool
    changed: dict[str, list[str]] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    inspected: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> SetupReport:
        return cls(**data)

    @property
    def change_count(self) -> int:
        return sum(len(v) for v in self.changed.values())

    def about(self, key: str) -> list[str]:
        """Everything missing or wrong for a node/volume, for the checks' failure messages."""
        return self.missing.get(key, []) + self.problems.get(key, []) + self.errors.get(key, [])

    def summary_lines(self) -> list[str]:
        mode = "apply" if self.apply else "check-only"
        lines = [f"setup steps ({mode}, {self.seconds:.1f} s): {self.change_count} change(s)"]
        for title, table in (("changed", self.changed), ("missing", self.missing),
                             ("problem", self.problems), ("ERROR", self.errors)):
            for key, items in sorted(table.items()):
                lines += [f"  {key}: {title}: {item}" for item in items]
        return lines


@dataclass
class SetupContext:
    run: GlusterRun
    apply: bool
    replace_hosts_conflicts: bool
    report: SetupReport

    def record(self, table: dict[str, list[str]], key: str, text: str) -> None:
        table.setdefault(key, []).append(text)

    def inspected(self, key: str, text: str) -> None:
        self.record(self.report.inspected, key, text)

    def changed(self, key: str, text: str) -> None:
        self.record(self.report.changed, key, text)

    def missing(self, key: str, text: str) -> None:
        self.record(self.report.missing, key, f"not configured: {text}; run with --apply")

    def problem(self, key: str, text: str) -> None:
        self.record(self.report.problems, key, text)

    def error(self, key: str, text: str) -> None:
        self.record(self.report.errors, key, text)

    def sh(self, node: str, command: str, *, timeout: float | None = None,
           stdin: str | None = None) -> CommandResult:
        return self.run.run(node, command, timeout=timeout, stdin=stdin)

    def gluster(self, node: str, args: list[str], *, write: bool,
                timeout: float = 120) -> CommandResult:
        return run_gluster(self.run.connection(node), args, write=write, timeout=timeout,
                           lock=self.run.lock if write else None)


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str,
               interval: float = 0.5) -> float:
    """Poll with a deadline; returns the seconds it took, raises SetupError naming `what`."""
    started = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise SetupError(f"{what}: still not true after {timeout:g} s ({attempts} attempts)")
        time.sleep(interval)
