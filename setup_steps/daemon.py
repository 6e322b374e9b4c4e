"""Step 3, per node: glusterd running and enabled at boot (systemd, or its wants link without it),
with no peer record a power loss left empty (glusterd may refuse to start over one)."""

from __future__ import annotations

from glustercheck.actions import Plan, RepairPeerRecords, StartGlusterd
from glustercheck.facts import NodeFacts
from glustercheck.glusterd_store import damaged

from .context import StepContext

NAME = "daemon"


def plan(facts: NodeFacts, ctx: StepContext) -> Plan:
    out = Plan()
    running, enabled = facts.glusterd_running, facts.glusterd_enabled
    out.inspect(facts.node, f"glusterd {'running' if running else 'stopped'}, "
                            f"{'enabled' if enabled else 'not enabled'} at boot")
    broken = damaged(facts.node, facts.peer_records)
    if broken:
        out.add(RepairPeerRecords(facts.node, tuple(d.file for d in broken), facts.systemd))
    if not (running and enabled):
        out.add(StartGlusterd(facts.node, start=not running, enable=not enabled,
                              systemd=facts.systemd))
    return out
