"""What a planner gets: the facts observed, the spec and the run's choices; nothing it can act on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from glustercheck.actions import Plan
from glustercheck.facts import ClusterFacts, NodeFacts
from glustercheck.spec import ClusterSpec


@dataclass(frozen=True)
class StepContext:
    spec: ClusterSpec
    # Comment out /etc/hosts lines that map a cluster name elsewhere (only ever with --apply).
    replace_hosts_conflicts: bool = False


@dataclass(frozen=True)
class Observed:
    """The facts a cluster step plans from: every node's, and the volume state when it needs it."""

    nodes: Mapping[str, NodeFacts]
    cluster: ClusterFacts | None = None


class NodeStep(Protocol):
    NAME: str

    def plan(self, facts: NodeFacts, ctx: StepContext) -> Plan: ...


class Step(Protocol):
    """A cluster-wide step; `NEEDS_CLUSTER` asks for the volume state as well as node facts."""

    NAME: str
    NEEDS_CLUSTER: bool

    def plan(self, observed: Observed, ctx: StepContext) -> Plan: ...
