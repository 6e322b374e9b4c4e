"""The record of a setup run: what was inspected, changed, missing, wrong, or failed, per key.

Keys are a node name, `cluster` for cluster-wide changes, or `volume=NAME`. The record is plain data
(saved as JSON in the run's shared directory) so every pytest process, the reports and the checks'
failure notes read the same one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from glustercheck.errors import GlusterCheckError

CLUSTER = "cluster"  # the record key for cluster-wide changes


def volume_key(name: str) -> str:
    return f"volume={name}"


class SetupError(GlusterCheckError):
    """A step that cannot do what the spec asks without doing harm; says what to do instead."""


class PoolUnsettled(SetupError):
    """glusterd refused a volume command over a peer the peers step had found connected: the pool
    changed after it was read (a node back from a power loss, its pairing still settling)."""


@dataclass
class SetupReport:
    apply: bool
    changed: dict[str, list[str]] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    inspected: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    # step -> key -> the missing/problem/error notes it made: a check shows only the notes of
    # the steps that set up what it checks (no hosts-file note under a glusterd failure).
    by_step: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SetupReport:
        return cls(**data)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2))

    @classmethod
    def load(cls, path: Path) -> SetupReport | None:
        return cls.from_json(json.loads(path.read_text())) if path.exists() else None

    @property
    def change_count(self) -> int:
        return sum(len(v) for v in self.changed.values())

    def about(self, key: str, steps: tuple[str, ...] | None = None) -> list[str]:
        """What is missing or wrong for a node/volume (only from `steps` when given), for the
        checks' failure messages."""
        if steps is not None:
            return [text for step in steps for text in self.by_step.get(step, {}).get(key, [])]
        return self.missing.get(key, []) + self.problems.get(key, []) + self.errors.get(key, [])

    def summary_lines(self) -> list[str]:
        mode = "apply" if self.apply else "check-only"
        lines = [f"setup steps ({mode}, {self.seconds:.1f} s): {self.change_count} change(s)"]
        for title, table in (("changed", self.changed), ("missing", self.missing),
                             ("problem", self.problems), ("ERROR", self.errors)):
            for key, items in sorted(table.items()):
                lines += [f"  {key}: {title}: {item}" for item in items]
        return lines

    # ----- recording ----------------------------------------------------------------------------

    def _add(self, table: dict[str, list[str]], key: str, text: str, step: str | None = None) -> None:
        table.setdefault(key, []).append(text)
        if step is not None:
            self.by_step.setdefault(step, {}).setdefault(key, []).append(text)

    def add_inspected(self, key: str, text: str) -> None:
        self._add(self.inspected, key, text)

    def add_changed(self, key: str, text: str) -> None:
        self._add(self.changed, key, text)

    def add_missing(self, key: str, text: str, step: str | None = None) -> None:
        self._add(self.missing, key, f"not configured: {text}; run with --apply", step)

    def add_problem(self, key: str, text: str, step: str | None = None) -> None:
        self._add(self.problems, key, text, step)

    def add_error(self, key: str, text: str, step: str | None = None) -> None:
        self._add(self.errors, key, text, step)
