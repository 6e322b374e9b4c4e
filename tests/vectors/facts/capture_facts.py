"""Record what the fact scripts print on real nodes, for the setup steps' offline unit tests.

Usage (as root, no simulated cluster up; takes about a minute):
    python tests/vectors/facts/capture_facts.py tests/vectors/facts/10.3
Brings up fresh simulated nodes, records every node's fact script output (`bare/`), converges
them with the setup steps (--apply), records node facts and the volume state again
(`converged/`), then takes the cluster down. The spec used is saved as `spec.toml`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from glustercheck.facts import heal_plan, heal_script, node_script, parse_cluster_facts, state_script
from glustercheck.run import GlusterRun, connect_options
from glustercheck.spec import dump_spec, load_spec
from glustercheck_setup_steps import converge
from simcluster import SimCluster, SimConfig


def record_nodes(run: GlusterRun, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in run.names:
        script = node_script(run.names, name, run.brick_paths(name))
        (out / f"{name}.txt").write_text(run.run(name, script).stdout)


def main() -> None:
    out = Path(sys.argv[1])
    cluster = SimCluster(SimConfig())
    cluster.down()
    cluster.up()
    try:
        spec = load_spec(cluster.config.spec_file)
        out.mkdir(parents=True, exist_ok=True)
        (out / "spec.toml").write_text(dump_spec(spec))
        run = GlusterRun(spec, connect_options(spec), out / ".lock")
        try:
            record_nodes(run, out / "bare")
            report = converge(run, apply=True, replace_hosts_conflicts=True)
            assert not report.errors, report.errors
            record_nodes(run, out / "converged")
            volumes = [v.name for v in spec.volumes]
            state = run.run(spec.nodes[0].name, state_script(volumes)).stdout
            (out / "converged" / "state.txt").write_text(state)
            facts = parse_cluster_facts(spec.nodes[0].name, state, volumes)
            plan, _, _ = heal_plan(facts.volumes, volumes, lambda host: False)
            heal = run.run(spec.nodes[0].name, heal_script(plan)).stdout
            (out / "converged" / "heal.txt").write_text(heal)
        finally:
            run.close()
            (out / ".lock").unlink(missing_ok=True)
    finally:
        cluster.down()


if __name__ == "__main__":
    main()
