"""Benchmark: the suite as the network sees it, against baselines measured in the same run (root).

    .venv/bin/python bench/bench_suite.py [--nodes 4,16,64] [--runs 5] [--latency 20]
                                          [--fresh-nodes 4,16] [--json out.json]

For each node count, on simulated nodes with the how-to's replica 2 volume (spec from simcluster),
each figure the median of --runs runs after a warm-up:
- check-only (converged once with the suite's own --apply): the FLOOR (bench/floor_script.sh: the
  checks by hand, one plain `ssh NODE sudo sh -s` per node, all at once, the data path on the first
  two nodes; same ssh_config), a bare login (`ssh NODE true`, all at once), the suite in one
  process and with `-n auto`, a naive testinfra suite of the same assertions
  (bench/naive_testinfra), --collect-only, the plugin import;
  one profiled run (DEBUG command log, --durations); then floor and check-only again through
  simcluster's latency relay (--latency ms round trip);
- `--apply` from bare nodes against bench/howto_script.sh (the how-to's commands over ssh), on the
  full image (glusterfs-server installed, not running: no apt) and, for --fresh-nodes, on fresh
  images (both install glusterfs-server with apt from the cluster's local repository);
- per run: SSH connections and commands per node counted in the nodes' own sshd logs, peak RSS.

Prints a table with issue 17's targets beside the ratios and writes JSON. It never asserts. Each
phase holds the machine lock (/run/glustercheck-e2e.lock) only while its cluster is up, stays
within --phase-minutes, and takes its cluster down before it lets go.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent))  # suitebench

from suitebench import phases, report
from suitebench.phases import Options, Phase, say


def _counts(text: str) -> list[int]:
    try:
        counts = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give node counts such as 4,16,64") from None
    if any(not 2 <= c <= 254 or c % 2 for c in counts):
        raise argparse.ArgumentTypeError(f"{text!r}: even counts from 2 to 254 (replica 2)")
    return counts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=_counts, default=[4, 16, 64], help="node counts (4,16,64)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (1)")
    parser.add_argument("--latency", type=float, default=20.0,
                        help="round trip (ms) for the latency runs; 0 skips them (20)")
    parser.add_argument("--fresh-nodes", type=_counts, default=[4, 16],
                        help="counts at which --apply is also measured on fresh images (4,16)")
    parser.add_argument("--naive-max-nodes", type=int, default=16,
                        help="largest count the naive testinfra suite runs at (16)")
    parser.add_argument("--cpu", type=float, default=None,
                        help="cap each node to this many CPUs (simcluster --cpu), e.g. 0.25")
    parser.add_argument("--phase-minutes", type=float, default=16.0,
                        help="longest a phase holds the machine lock before it stops taking runs")
    parser.add_argument("--lock-wait-minutes", type=float, default=60.0)
    parser.add_argument("--suite-timeout", type=float, default=120.0,
                        help="limit of one suite run at 4 nodes, scaled with the count (120 s)")
    parser.add_argument("--only", choices=("check", "apply"), default=None,
                        help="run only the check-only or only the apply phases")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep each run's output here (default: a temporary directory)")
    return parser


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds through the phases' cluster.down()


def main() -> int:
    args = _parser().parse_args()
    if os.geteuid() != 0:
        print("bench_suite: run as root (it brings up simulated clusters)", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _terminate)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-suite-"))
    options = Options(runs=args.runs, warmup=args.warmup, budget=args.phase_minutes * 60,
                      lock_wait=args.lock_wait_minutes * 60, workdir=workdir,
                      latency_ms=args.latency, naive_max_nodes=args.naive_max_nodes, cpu=args.cpu,
                      timeout=args.suite_timeout)
    started = time.time()
    done: list[Phase] = []
    say(f"run outputs in {workdir}")
    for count in args.nodes:
        if args.only in (None, "check"):
            done.append(phases.check_phase(count, options))
            if count <= args.naive_max_nodes:
                done.append(phases.naive_phase(count, options))
            else:
                done.append(Phase("naive testinfra", count, notes=[
                    f"not run above --naive-max-nodes {args.naive_max_nodes}: at one command per "
                    "assertion it grows with the square of the node count (see smaller counts)"]))
        if args.only in (None, "apply"):
            done.append(phases.apply_phase(count, "full", options))
            if count in args.fresh_nodes:
                done.append(phases.apply_phase(count, "fresh", options))
        _write(args.json, done, options, started)  # after each count: a partial result survives
    found = report.rows(done, args.latency)
    print(report.table(found))
    print()
    print(report.phase_table(found))
    print(report.latency_text(found, args.latency))
    print()
    print(report.profile_text(done))
    for phase in done:
        for note in phase.notes:
            print(f"note ({phase.count} nodes, {phase.name}): {note}")
        if phase.machine:
            print(f"machine during {phase.name} at {phase.count} nodes: {_machine(phase.machine)}")
    _write(args.json, done, options, started)
    return 0


def _machine(state: dict[str, object]) -> str:
    before, after = cast(dict[str, Any], state["before"]), cast(dict[str, Any], state["after"])
    return (f"{before['cpus']} CPUs, load {before['loadavg'][0]:.2f} -> {after['loadavg'][0]:.2f}, "
            f"busy {100 * float(str(state['busy_share'])):.0f} % of all CPUs")


def _write(path: Path | None, done: list[Phase], options: Options, started: float) -> None:
    if path is None:
        return
    path.write_text(json.dumps({
        "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
        "seconds": round(time.time() - started, 1), "runs": options.runs, "warmup": options.warmup,
        "latency_ms": options.latency_ms, "cpu": options.cpu, "uname": " ".join(os.uname()),
        "rows": report.rows(done, options.latency_ms), "phases": [p.as_dict() for p in done],
    }, indent=1, default=str) + "\n")


if __name__ == "__main__":
    sys.exit(main())
