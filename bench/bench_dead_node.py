"""Benchmark: what one powered-off node costs a verification run (run as root, ~5 min).

    .venv/bin/python bench/bench_dead_node.py [--rounds 3]

Brings up the simulated cluster, converges it once with `pytest --apply`, then per round times
three check-only runs of the whole suite (`pytest checks --hosts=rpi0..rpi3`, as a user runs it):
healthy; rpi2 just powered off (the other nodes' ARP entries for it still look valid, so TCP
connects to it hang instead of failing); rpi2 off for a while (its ARP entries have failed).
Prints each run, the medians, and the extra time over the healthy run of the same round next to
the target: one SSH connect timeout (the simulated cluster's spec says 5 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import filelock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.e2e.suite_runner

from simcluster import SimCluster, SimConfig
from tests.e2e.suite_runner import CONNECT_TIMEOUT, run_suite, wait_healthy

MACHINE_LOCK = "/run/glustercheck-e2e.lock"  # one simulated cluster per machine (tests/e2e too)
DEAD, WATCHER = "rpi2", "rpi0"
ARP_TIMEOUT = 120.0


def neighbour_state(cluster: SimCluster, node: str, address: str) -> str:
    out = cluster.exec(node, ["ip", "neigh", "show", address], check=False, timeout=10).stdout.split()
    return out[-1] if out else "NONE"


def wait_arp_failed(cluster: SimCluster) -> float:
    """Until WATCHER no longer holds a valid-looking MAC for DEAD: as after a long power-off."""
    address = cluster.config.address(cluster.config.names.index(DEAD))
    started = time.monotonic()
    while neighbour_state(cluster, WATCHER, address) not in ("FAILED", "INCOMPLETE", "NONE"):
        if time.monotonic() - started > ARP_TIMEOUT:
            raise SystemExit(f"{WATCHER} still has a valid ARP entry for {DEAD} after {ARP_TIMEOUT:g} s")
        time.sleep(1)
    return time.monotonic() - started


def timed(workdir: Path, expect_ok: bool) -> float:
    result = run_suite(workdir)
    if (result.rc == 0) != expect_ok:
        raise SystemExit(f"unexpected outcome:\n{result.describe()}")
    return result.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cluster = SimCluster(SimConfig())
    with filelock.FileLock(MACHINE_LOCK, timeout=10):
        if cluster.is_running():
            print("a simulated cluster is up: run `simcluster down` first", file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory(prefix="bench-dead-node-") as tmp:
            try:
                cluster.up()
                converge = run_suite(Path(tmp) / "apply", "--apply", "--replace-hosts-conflicts")
                if converge.rc != 0:
                    raise SystemExit(f"--apply failed:\n{converge.describe()}")
                wait_healthy(cluster)
                rows = [measure(cluster, Path(tmp) / f"round-{i}") for i in range(args.rounds)]
            finally:
                cluster.down()
    report(rows)
    return 0


def measure(cluster: SimCluster, workdir: Path) -> tuple[float, float, float, float]:
    healthy = timed(workdir, expect_ok=True)
    cluster.stop_node(DEAD)
    try:
        just_off = timed(workdir, expect_ok=False)
        arp = wait_arp_failed(cluster)
        off_a_while = timed(workdir, expect_ok=False)
    finally:
        cluster.start_node(DEAD)
        wait_healthy(cluster)
    print(f"round: healthy {healthy:.2f} s, {DEAD} just off {just_off:.2f} s, "
          f"off {arp:.0f} s later {off_a_while:.2f} s", flush=True)
    return healthy, just_off, off_a_while, arp


def report(rows: list[tuple[float, float, float, float]]) -> None:
    healthy = statistics.median(r[0] for r in rows)
    print(f"\n{'run':<22} {'median s':>9} {'max s':>7} {'extra s':>8} {'target s':>9} {'x healthy':>10}")
    print(f"{'healthy':<22} {healthy:>9.2f} {max(r[0] for r in rows):>7.2f}")
    for label, column in ((f"{DEAD} just powered off", 1), (f"{DEAD} off a while", 2)):
        values = [r[column] for r in rows]
        extra = statistics.median(r[column] - r[0] for r in rows)  # against the same round's healthy
        print(f"{label:<22} {statistics.median(values):>9.2f} {max(values):>7.2f} {extra:>8.2f} "
              f"{CONNECT_TIMEOUT:>9.1f} {statistics.median(values) / healthy:>10.2f}")


if __name__ == "__main__":
    sys.exit(main())
