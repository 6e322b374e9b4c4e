"""Benchmark: time to bring the simulated cluster up and down, 4 and 16 nodes (run as root).

    .venv/bin/python bench/bench_simcluster.py [--rounds 3]

Prints the median and worst of each phase. Targets on a 2-core machine: 4 nodes up < 10 s,
16 nodes up < 30 s. Refuses to run while a simulated cluster is up.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from simcluster import SimCluster, SimConfig


def measure(count: int, rounds: int) -> tuple[list[float], list[float]]:
    ups, downs = [], []
    for _ in range(rounds):
        cluster = SimCluster(SimConfig(count=count))
        started = time.perf_counter()
        cluster.up()
        ups.append(time.perf_counter() - started)
        started = time.perf_counter()
        cluster.down()
        downs.append(time.perf_counter() - started)
    return ups, downs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if SimCluster(SimConfig()).is_running():
        print("a simulated cluster is up: run `simcluster down` first", file=sys.stderr)
        return 1
    print(f"{'nodes':>5} {'phase':>5} {'median s':>9} {'max s':>7} {'target s':>9}")
    for count, target in ((4, 10.0), (16, 30.0)):
        ups, downs = measure(count, args.rounds)
        print(f"{count:>5} {'up':>5} {statistics.median(ups):>9.2f} {max(ups):>7.2f} {target:>9.0f}")
        print(f"{count:>5} {'down':>5} {statistics.median(downs):>9.2f} {max(downs):>7.2f} {'':>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
