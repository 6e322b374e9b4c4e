"""How long validate() takes on a 10,000-brick layout that needs reordering (target: < 50 ms).

Run: .venv/bin/python bench/bench_layout.py. Prints the best of 30 runs per scenario.
"""

from __future__ import annotations

import time

from glustercheck.layout import CreateRequest, validate

BRICKS = 10_000


def _layout(servers: int, replica: int, arbiter: int = 0, total: int = BRICKS) -> CreateRequest:
    # the worst habit: all bricks of a server listed together, so every set is on one server
    per = total // servers
    bricks = tuple(f"node{s:03d}:/bricks/b{i}" for s in range(servers) for i in range(per))
    return CreateRequest("big", bricks, replica=replica, arbiter=arbiter)


def _best_ms(request: CreateRequest, runs: int = 30) -> tuple[float, float, bool]:
    """Best wall-clock and best CPU time over `runs` (CPU time is steadier on a busy machine)."""
    wall, cpu, fixed = float("inf"), float("inf"), False
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        verdict = validate(request)
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, time.process_time() - c0)
        fixed = verdict.suggestion is not None
    return wall * 1000, cpu * 1000, fixed


def _spread(servers: int, replica: int, total: int = BRICKS) -> CreateRequest:
    # the baseline: the same number of bricks already in a good order (nothing to reorder)
    bricks = tuple(f"node{i % servers:03d}:/bricks/b{i // servers}" for i in range(total))
    return CreateRequest("big", bricks, replica=replica)


def main() -> None:
    base_wall, base_cpu, _ = _best_ms(_spread(100, 2))
    print(f"{'baseline: replica 2, 100 servers, already spread':42s} {BRICKS:6d} bricks: "
          f"{base_wall:5.1f} ms wall, {base_cpu:5.1f} ms CPU")
    scenarios = {
        "replica 2, 100 servers, grouped by server": _layout(100, 2),
        "replica 3, 40 servers, grouped by server": _layout(40, 3),
        "replica 2 arbiter 1, 9 servers, grouped": _layout(9, 2, arbiter=1, total=9_999),
        "replica 2, 2 servers (how-to habit)": _layout(2, 2),
    }
    for name, request in scenarios.items():
        wall, cpu, fixed = _best_ms(request)
        print(
            f"{name:42s} {len(request.bricks):6d} bricks: {wall:5.1f} ms wall, {cpu:5.1f} ms CPU, "
            f"suggestion: {fixed}, {cpu / base_cpu:4.1f}x baseline CPU"
        )


if __name__ == "__main__":
    main()
