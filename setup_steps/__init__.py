"""Ordered, idempotent setup steps that converge bare nodes to the declared cluster.

1 hosts file -> 2 package -> 3 daemon (per node, side by side) -> 4 peers (probe, then probe back by
name) -> 5 volumes (validated first, never forced unless the spec says so; options; started with
every brick online).

Each step is a pure planner: it reads the same `NodeFacts`/`ClusterFacts` the checks read and
returns a `Plan` of typed actions; it never talks to a node and never imports pytest. `converge`
runs the plans through the library's executor (`--apply`) or only records them as missing
(check-only). Nothing is ever detached, deleted, wiped or forced on the operator's behalf.

Installed as `glustercheck_setup_steps` (the checkout keeps the top-level `setup_steps/` layout).
"""

from .context import Observed, Step, StepContext
from .driver import CLUSTER_STEPS, NODE_STEPS, converge

__all__ = ["CLUSTER_STEPS", "NODE_STEPS", "Observed", "Step", "StepContext", "converge"]
