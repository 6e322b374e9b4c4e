"""glusterd: installed, running and enabled on every node; one version and op-version everywhere."""

from __future__ import annotations

import pytest

from glustercheck.actions import SetupReport
from glustercheck.diagnose import Diagnosis
from glustercheck.facts import NodeFacts
from glustercheck.run import GlusterRun
from glustercheck.versions import GlusterVersion, op_version_of, version_text
from pytest_glustercheck.messages import fail, warn


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


def _shown(versions: dict[str, GlusterVersion | None]) -> str:
    return ", ".join(f"{n} {version_text(v) if v else 'none'}" for n, v in versions.items())


@pytest.mark.cluster
def test_one_gluster_version_and_op_version(all_facts: dict[str, NodeFacts], run: GlusterRun,
                                            request: pytest.FixtureRequest) -> None:
    """One op-version everywhere, or the pool is inconsistent (a failure). Different gluster
    releases are a rolling upgrade not yet finished: gluster runs such a pool at the older
    release's op-version, so it is healthy but unfinished (a warning with the steps to finish)."""
    versions = {n: f.version for n, f in all_facts.items()}
    # Only glusterds that answered: one that is down or hung told no op-version, and its own
    # check (and root cause) says so; "None differs from 100000" would be a second, wrong story.
    running = {n: f for n, f in all_facts.items() if f.glusterd_running and not f.glusterd_hung}
    ops = {n: f.op_version for n, f in running.items() if f.op_version is not None}
    unasked: dict[str, str] = {}
    if len(set(ops.values())) > 1:
        # Stored values (glusterd.info) lag glusterd only after a failed write: ask glusterd itself
        # before telling a difference; a node that cannot be asked keeps its stored value.
        asked = run.running_op_versions(sorted(ops))
        unasked = {n: a for n, a in asked.items() if isinstance(a, str)}
        ops = {n: a if isinstance(a, int) else ops[n] for n, a in sorted(asked.items())}
    if len(set(ops.values())) > 1:
        shown = ", ".join(f"{n} {v}" + (" (stored in glusterd.info; glusterd not asked: "
                                       f"{unasked[n]})" if n in unasked else "") for n, v in ops.items())
        fail("cluster", [f"cluster op-versions differ: {shown}"],
             fix="restart glusterd on the nodes that differ; if it persists, set one op-version: "
                 "sudo gluster volume set all cluster.op-version N (N: the lowest max-op-version)")
    known = [v for v in versions.values() if v is not None]
    op = next(iter(ops.values()), None)
    if len(set(known)) > 1:
        newest = max(known)
        behind = sorted(n for n, v in versions.items() if v is not None and v < newest)
        target = op_version_of(newest)
        warn(request, "cluster",
             f"gluster versions differ ({_shown(versions)}): a rolling upgrade is not finished; the "
             f"pool runs at op-version {op} until every node has {version_text(newest)}",
             f"upgrade {', '.join(behind)} to {version_text(newest)} (on each, one at a time: sudo "
             "apt-get update && sudo apt-get install glusterfs-server, then wait for `gluster volume "
             f"heal VOLUME info` to show no entries), then: sudo gluster volume set all "
             f"cluster.op-version {target}")
        return
    highest = {f.max_op_version for f in running.values() if f.max_op_version}
    if op is not None and highest and op < min(highest):
        warn(request, "cluster",
             f"cluster.op-version {op} is below {min(highest)}, the highest every node supports: "
             "the newer release's features stay off",
             f"sudo gluster volume set all cluster.op-version {min(highest)}")
