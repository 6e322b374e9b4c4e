"""Names: every node resolves every cluster name to its spec address, by /etc/hosts, consistently."""

from __future__ import annotations

import ipaddress

import pytest

from glustercheck.actions import SetupReport
from glustercheck.diagnose import Diagnosis
from glustercheck.facts import NodeFacts
from glustercheck.spec import ClusterSpec
from pytest_glustercheck.messages import fail


def test_cluster_names_resolve_to_spec_addresses(node: str, facts: NodeFacts, spec: ClusterSpec,
                                                 converged: SetupReport,
                                                 diagnosis: Diagnosis) -> None:
    problems = []
    for peer in spec.nodes:
        found = facts.resolved.get(peer.name, ())
        if not found:
            problems.append(f"{peer.name} does not resolve (getent ahostsv4 {peer.name} is empty)")
        elif peer.address and set(found) != {peer.address}:
            problems.append(f"{peer.name} resolves to {', '.join(found)}, expected {peer.address}")
    fail(node, problems, causes=diagnosis.names(node), report=converged, keys=[node],
         steps=("hosts_file",),
         fix="list every node in /etc/hosts with its spec address (`pytest --apply` writes a "
             "managed block)")


def test_own_name_is_not_loopback(node: str, facts: NodeFacts, diagnosis: Diagnosis) -> None:
    loopback = [a for a in facts.resolved.get(node, ()) if ipaddress.ip_address(a).is_loopback]
    fail(node, [f"its own name {node} maps to loopback {', '.join(loopback)} in /etc/hosts; peers "
                "reach it by name, and gluster's 'is this peer me?' logic is confused by it"]
         if loopback else [], causes=diagnosis.names(node, about=node),
         fix=f"on {node}, remove or comment out the `127.0.1.1 {node}` line of /etc/hosts "
             "(`pytest --apply --replace-hosts-conflicts` does it)")


@pytest.mark.cluster
def test_every_name_means_one_address_across_nodes(all_facts: dict[str, NodeFacts],
                                                   spec: ClusterSpec, diagnosis: Diagnosis) -> None:
    problems, causes = [], []
    for peer in spec.nodes:
        views = {n: f.resolved.get(peer.name, ()) for n, f in all_facts.items() if n != peer.name}
        if len({v for v in views.values()}) > 1:
            problems.append(f"{peer.name} resolves differently: "
                            + "; ".join(f"on {n}: {', '.join(v) or 'nothing'}" for n, v in views.items()))
            causes += [c for n in views for c in diagnosis.names(n, about=peer.name)]
    fail("cluster", problems, causes=causes,
         fix="make every node's /etc/hosts agree (`pytest --apply`)")
