"""Reachability: the N x N matrix, each node to every other by name, ICMP and glusterd's TCP 24007."""

from __future__ import annotations

from glustercheck.diagnose import Cause, Diagnosis
from glustercheck.facts import NodeFacts
from glustercheck.spec import ClusterSpec
from pytest_glustercheck.messages import fail


def test_reaches_every_other_node_by_name(node: str, facts: NodeFacts, spec: ClusterSpec,
                                          diagnosis: Diagnosis) -> None:
    problems: list[str] = []
    causes: list[Cause | None] = []
    for other in (n.name for n in spec.nodes if n.name != node):
        link = facts.links.get(other)
        if link is None:
            problems.append(f"{node} -> {other}: not probed")
        elif link.problem:
            problems.append(f"{node} -> {other}: {link.problem}")
            # The other end is down, or this node looks it up at the wrong address.
            causes += [diagnosis.node(other), *diagnosis.names(node, about=other)]
    fail(node, problems, causes=causes,
         fix="check the failing node is powered and cabled, its name is in /etc/hosts, and "
             "glusterd runs there (firewall: 24007/tcp and 49152+/tcp open)")
