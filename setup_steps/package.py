"""Step 2, per node: the glusterfs-server package is installed."""

from __future__ import annotations

from glustercheck.actions import InstallPackage, Plan
from glustercheck.facts import NodeFacts

from .context import StepContext

NAME = "package"


def plan(facts: NodeFacts, ctx: StepContext) -> Plan:
    out = Plan()
    if facts.package:
        out.inspect(facts.node, f"glusterfs-server {facts.package} installed")
    else:
        out.add(InstallPackage(facts.node))
    return out
