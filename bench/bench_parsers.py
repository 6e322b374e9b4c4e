"""Parse throughput of `gluster volume info` for a 1,000-brick volume, plain and XML.

    .venv/bin/python bench/bench_parsers.py [--bricks N] [--runs N]

Builds the input with the test renderers (which reproduce gluster's formats byte for byte) and
prints the median of several runs: ms per parse and bricks per second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from defusedxml.ElementTree import fromstring as defused_fromstring

from glustercheck.parsers import Brick, Volume, parse_volume_info, parse_volume_info_xml
from glustercheck.volume_shape import VolumeShape
from tests.unit.test_parsers_render import render_volume_info, render_volume_info_xml


def big_volume(bricks: int) -> Volume:
    """A replica-2 volume over four hosts, one brick directory per (host, index)."""
    hosts = [(f"rpi{i}", str(uuid.uuid5(uuid.NAMESPACE_DNS, f"rpi{i}"))) for i in range(4)]
    return Volume(
        name="big",
        volume_id=str(uuid.uuid4()),
        type_name="Distributed-Replicate",
        status="Started",
        shape=VolumeShape(bricks, replica=2),
        transport="tcp",
        bricks=tuple(
            Brick(hosts[i % 4][0], f"/mnt/usb/big/b{i // 4}", hosts[i % 4][1], False) for i in range(bricks)
        ),
        options={
            "cluster.granular-entry-heal": "on",
            "nfs.disable": "on",
            "performance.client-io-threads": "off",
        },
        snapshot_count=0,
    )


def measure(parse: Callable[[str], object], text: str, runs: int) -> float:
    """Median seconds per parse."""
    parse(text)  # warm up (regex compilation, imports)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        parse(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bricks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    if args.bricks % 2:
        parser.error("--bricks must be even (the volume is replica 2)")
    volume = big_volume(args.bricks)
    inputs = {
        "plain": (parse_volume_info, render_volume_info([volume])),
        "xml": (parse_volume_info_xml, render_volume_info_xml([volume])),
    }
    # Baselines in the same run: the least any parser must do (split lines / build the XML tree).
    baselines = {"plain": lambda text: text.splitlines(), "xml": defused_fromstring}
    print(f"gluster volume info, {args.bricks} bricks, median of {args.runs} runs")
    for name, (parse, text) in inputs.items():
        (parsed,) = parse(text)
        if parsed.shape != volume.shape or [b.name for b in parsed.bricks] != [b.name for b in volume.bricks]:
            raise SystemExit(f"{name}: the parse does not give back the volume it was built from")
        seconds = measure(parse, text, args.runs)
        baseline = measure(baselines[name], text, args.runs)
        print(
            f"  {name:5}  {len(text) / 1024:7.1f} KiB  {seconds * 1000:8.2f} ms/parse  "
            f"{args.bricks / seconds:12,.0f} bricks/s  {seconds / baseline:6.1f}x baseline "
            f"({baseline * 1000:.2f} ms)"
        )


if __name__ == "__main__":
    main()
