"""glusterd: installed, running and enabled on every node; one version and op-version everywhere."""

from __future__ import annotations

import pytest

from glustercheck.actions import SetupReport
from glustercheck.diagnose import Diagnosis
from glustercheck.facts import NodeFacts
from pytest_glustercheck.messages import fail


def test_glusterfs_server_installed(node: str, facts: NodeFacts, converged: SetupReport,
                                    diagnosis: Diagnosis) -> None:
    fail(node, [] if facts.package else ["package glusterfs-server is not installed"],
         causes=[diagnosis.node(node)],
         fix="apt-get install glusterfs-server (or `pytest --apply`)", report=converged, keys=[node],
         steps=("package",))


def test_glusterd_running_and_enabled(node: str, facts: NodeFacts, converged: SetupReport,
                                      diagnosis: Diagnosis) -> None:
    problems = []
    if not facts.glusterd_running:
        problems.append("glusterd is not running")
    if not facts.glusterd_enabled:
        problems.append("glusterd is not enabled at boot")
    fix = ("sudo systemctl enable glusterd" if facts.systemd else
           "enable glusterd at boot (`pytest --apply` links its unit into multi-user.target.wants)")
    fail(node, problems, causes=[diagnosis.node(node)] if not facts.glusterd_running else [],
         fix=fix, report=converged, keys=[node], steps=("package", "daemon"))


@pytest.mark.cluster
def test_one_gluster_version_and_op_version(all_facts: dict[str, NodeFacts]) -> None:
    versions = {n: f.version for n, f in all_facts.items()}
    ops = {n: f.op_version for n, f in all_facts.items() if f.glusterd_running}
    problems = []
    if len(set(versions.values())) > 1:
        problems.append("gluster versions differ: " + ", ".join(
            f"{n} {'.'.join(map(str, v)) if v else 'none'}" for n, v in versions.items()))
    if len(set(ops.values())) > 1:
        problems.append("cluster op-versions differ: " + ", ".join(f"{n} {v}" for n, v in ops.items()))
    fail("cluster", problems, fix="upgrade every node to one gluster release, then raise "
                                  "cluster.op-version (gluster volume set all cluster.op-version N)")
