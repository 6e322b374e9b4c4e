"""How long validate() takes on a 10,000-brick layout that needs reordering (target: < 50 ms).

Run: .venv/bin/python bench/bench_layout.py. Prints the best of several runs per scenario.
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


def _best_ms(request: CreateRequest, runs: int = 15) -> tuple[float, bool]:
    best, fixed = float("inf"), False
    for _ in range(runs):
        start = time.perf_counter()
        verdict = validate(request)
        best = min(best, time.perf_counter() - start)
        fixed = verdict.suggestion is not None
    return best * 1000, fixed


def main() -> None:
    scenarios = {
        "replica 2, 100 servers, grouped by server": _layout(100, 2),
        "replica 3, 40 servers, grouped by server": _layout(40, 3),
        "replica 2 arbiter 1, 9 servers, grouped": _layout(9, 2, arbiter=1, total=9_999),
        "replica 2, 2 servers (how-to habit)": _layout(2, 2),
    }
    for name, request in scenarios.items():
        ms, fixed = _best_ms(request)
        print(f"{name:45s} {len(request.bricks)} bricks: {ms:6.1f} ms (suggestion: {fixed})")


if __name__ == "__main__":
    main()
