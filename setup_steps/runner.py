"""Run the steps in order: per-node steps side by side on every node, then the cluster steps.

A step that fails records its error and the run goes on where that is safe (a node whose glusterd
is not up is left out of nothing: cluster steps stop instead of half-converging)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from glustercheck.errors import GlusterCheckError
from pytest_glustercheck.session import GlusterRun
from setup_steps import cluster_steps, node_steps
from setup_steps.context import CLUSTER, SetupContext, SetupReport

NODE_STEPS = (node_steps.hosts_file, node_steps.package, node_steps.daemon)
CLUSTER_STEPS = (cluster_steps.peers, cluster_steps.volumes)


def _node(ctx: SetupContext, node: str) -> bool:
    for step in NODE_STEPS:
        try:
            step(ctx, node)
        except GlusterCheckError as exc:
            ctx.error(node, f"{step.__name__}: {exc}")
            return False
    return True


def converge(run: GlusterRun, *, apply: bool, replace_hosts_conflicts: bool = False) -> SetupReport:
    started = time.monotonic()
    ctx = SetupContext(run, apply, replace_hosts_conflicts, SetupReport(apply=apply))
    for name, error in run.probe().items():
        ctx.error(name, f"unreachable, not set up: {error}")
    nodes = run.reachable()
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(nodes)))) as pool:
        fine = all(pool.map(lambda n: _node(ctx, n), nodes))
    if fine and len(nodes) == len(run.names) and not ctx.report.missing:
        for step in CLUSTER_STEPS:
            try:
                step(ctx)
            except GlusterCheckError as exc:
                ctx.error(CLUSTER, f"{step.__name__}: {exc}")
                break
    elif apply or not fine:
        ctx.error(CLUSTER, "peers and volumes not set up: some node is unreachable or its "
                           "earlier steps failed (see the node's errors)")
    if apply:  # facts gathered before (or during) the steps may be stale now
        run.forget_facts()
    ctx.report.seconds = time.monotonic() - started
    return ctx.report
