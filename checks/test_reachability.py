"""Reachability: the N x N matrix, each node to every other by name, ICMP and glusterd's TCP 24007."""

from __future__ import annotations

from glustercheck.facts import NodeFacts
from glustercheck.spec import ClusterSpec
from pytest_glustercheck.messages import fail


def test_reaches_every_other_node_by_name(node: str, facts: NodeFacts, spec: ClusterSpec) -> None:
    problems = []
    for other in (n.name for n in spec.nodes if n.name != node):
        link = facts.links.get(other)
        if link is None:
            problems.append(f"{node} -> {other}: not probed")
        elif link.problem:
            problems.append(f"{node} -> {other}: {link.problem}")
    fail(node, problems,
         fix="check the failing node is powered and cabled, its name is in /etc/hosts, and "
             "glusterd runs there (firewall: 24007/tcp and 49152+/tcp open)")
