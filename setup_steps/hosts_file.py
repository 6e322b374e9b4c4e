"""Step 1, per node: the /etc/hosts managed block lists every node at its spec address."""

from __future__ import annotations

from glustercheck.actions import Plan, WriteHostsFile
from glustercheck.facts import NodeFacts
from glustercheck.hosts_file import update_hosts

from .context import StepContext

NAME = "hosts_file"


def plan(facts: NodeFacts, ctx: StepContext) -> Plan:
    node, out = facts.node, Plan()
    nodes = ctx.spec.nodes
    entries = [(n.name, n.address) for n in nodes if n.address]
    if len(entries) < len(nodes):
        out.inspect(node, "/etc/hosts not managed: the spec gives no address for some nodes")
        return out
    if any(n.name == n.address for n in nodes):  # e.g. --hosts=10.0.1.0..10.0.1.3 without a spec
        out.inspect(node, "/etc/hosts not managed: nodes named by their address need no entry")
        return out
    current = facts.hosts_file
    edit = update_hosts(current, entries, replace_conflicts=ctx.replace_hosts_conflicts)
    out.inspect(node, f"/etc/hosts ({len(current.splitlines())} lines)")
    for conflict in edit.conflicts:
        out.problem(node, f"/etc/hosts {conflict.describe()}: left alone "
                          "(--apply --replace-hosts-conflicts comments it out)")
    if edit.changed:
        out.add(WriteHostsFile(node, edit.text, edit.missing,
                               tuple(c.describe() for c in edit.replaced), edit.differences))
    return out
