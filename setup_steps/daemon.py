"""Step 3, per node: glusterd running and enabled at boot (systemd, or its wants link without it)."""

from __future__ import annotations

from glustercheck.actions import Plan, StartGlusterd
from glustercheck.facts import NodeFacts

from .context import StepContext

NAME = "daemon"


def plan(facts: NodeFacts, ctx: StepContext) -> Plan:
    out = Plan()
    running, enabled = facts.glusterd_running, facts.glusterd_enabled
    out.inspect(facts.node, f"glusterd {'running' if running else 'stopped'}, "
                            f"{'enabled' if enabled else 'not enabled'} at boot")
    if not (running and enabled):
        out.add(StartGlusterd(facts.node, start=not running, enable=not enabled,
                              systemd=facts.systemd))
    return out
