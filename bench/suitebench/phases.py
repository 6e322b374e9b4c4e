"""The benchmark's phases, each on a simulated cluster of its own, each holding the machine lock
only while its cluster is up (other sessions queue on the same lock), each bounded in time: a phase
takes no further round once its budget would be exceeded, and says so."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import filelock

from glustercheck.parsers import parse_peer_status_xml, parse_volume_info_xml, parse_volume_status_xml
from simcluster import SimCluster, SimClusterError, SimConfig, sshd_log
from suitebench import runs
from suitebench.measure import busy_share, machine_state
from suitebench.runs import Bench, Sample

MACHINE_LOCK = "/run/glustercheck-e2e.lock"  # one simulated cluster per machine (tests/e2e too)
APPLY = ("--apply", "--replace-hosts-conflicts")


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


@dataclass
class Options:
    runs: int
    warmup: int
    budget: float  # seconds one phase may hold the machine lock
    lock_wait: float
    workdir: Path
    latency_ms: float
    naive_max_nodes: int
    cpu: float | None
    timeout: float  # one suite run at 4 nodes; scaled with the node count


@dataclass
class Phase:
    name: str
    count: int
    series: dict[str, list[Sample]] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    machine: dict[str, object] = field(default_factory=dict)

    def add(self, kind: str, sample: Sample, keep: bool) -> None:
        if not sample.ok:
            self.notes.append(f"{kind}: run not OK (rc {sample.rc}): {sample.note[:200]}")
        if keep:
            self.series.setdefault(kind, []).append(sample)

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "nodes": self.count, "notes": self.notes, "machine": self.machine,
                "extra": self.extra,
                "series": {k: [s.as_dict() for s in v] for k, v in self.series.items()}}


@contextmanager
def locked_cluster(config: SimConfig, options: Options, phase: Phase) -> Iterator[SimCluster]:
    """Bring `config` up under the machine lock; always down again before the lock is released."""
    say(f"{phase.name}, {config.count} nodes: waiting for the machine lock {MACHINE_LOCK}")
    with filelock.FileLock(MACHINE_LOCK, timeout=options.lock_wait):
        if SimCluster(SimConfig()).is_running():
            raise SimClusterError("a simulated cluster is already up (not ours): `simcluster down` "
                                  "it first, or wait for the session that owns it")
        before = machine_state()
        cluster = SimCluster(config, progress=say)
        try:
            started = time.monotonic()
            cluster.up()
            say(f"{config.count} nodes up in {time.monotonic() - started:.1f} s")
            sshd_log.wait_quiet(config)
            yield cluster
        finally:
            cluster.down()
            after = machine_state()
            phase.machine = {"before": before, "after": after, "busy_share": round(busy_share(
                before["cpu_jiffies"], after["cpu_jiffies"]), 3)}  # type: ignore[arg-type]
            say(f"{phase.name}, {config.count} nodes: cluster down, lock released")


class Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.longest_round = 0.0

    def another_round(self, round_started: float) -> bool:
        self.longest_round = max(self.longest_round, time.monotonic() - round_started)
        return time.monotonic() + self.longest_round * 1.2 < self.deadline


def verify_converged(cluster: SimCluster) -> str:
    """What differs from the how-to's converged cluster ("" when nothing): volume gv started with a
    brick per node, all online, every node with every other as a connected peer known by name."""
    names = cluster.config.names
    first = names[0]

    def gluster(node: str, *args: str) -> str:
        return cluster.exec(node, ["gluster", "--mode=script", "--xml", *args], timeout=60,
                            check=False).stdout

    try:
        volumes = parse_volume_info_xml(gluster(first, "volume", "info", "gv"))
        status = parse_volume_status_xml(gluster(first, "volume", "status", "gv"))
    except Exception as exc:  # a parse error is a "not converged" too
        return f"volume gv: {exc}"
    if not volumes or volumes[0].status != "Started" or len(volumes[0].bricks) != len(names):
        return "volume gv not started with a brick per node"
    if sum(b.online for s in status for b in s.bricks) != len(names):
        return "not every brick online"

    def peer_problem(node: str) -> str:
        peers = parse_peer_status_xml(gluster(node, "peer", "status"))
        ok = len(peers) == len(names) - 1 and all(p.connected and set(p.names) & set(names)
                                                  for p in peers)
        return "" if ok else f"{node}: peers {[(p.names, p.connected) for p in peers]}"

    with ThreadPoolExecutor(max_workers=8) as pool:
        problems = [p for p in pool.map(peer_problem, names) if p]
    return "; ".join(problems[:3])


def apply_phase(count: int, variant: str, options: Options) -> Phase:
    """`pytest --apply` from bare nodes against the how-to's plain script, alternating, each on
    freshly booted nodes (down + up between runs)."""
    phase = Phase(f"apply vs plain script ({variant} image)", count)
    config = SimConfig(count=count, variant=variant, cpu=options.cpu)
    timeout = _timeout(options, count) * (3 if variant == "fresh" else 1)
    with locked_cluster(config, options, phase) as cluster:
        bench = Bench(cluster, options.workdir / f"{count}-apply-{variant}", timeout)
        budget = Budget(options.budget)
        bare = True  # just brought up
        for round_no in range(options.warmup + options.runs):
            started = time.monotonic()
            keep = round_no >= options.warmup
            for kind, measure in ((f"apply_{variant}", lambda: runs.suite(bench, "apply", *APPLY)),
                                  (f"script_{variant}", lambda: runs.howto(
                                      bench, fresh=variant == "fresh"))):
                if not bare:
                    _reboot_bare(cluster)
                bare = False
                sample = measure()
                if problem := verify_converged(cluster):
                    sample.ok, sample.note = False, f"not converged: {problem}; {sample.note}"
                phase.add(kind, sample, keep)
                say(f"{count} nodes {kind}: {sample.seconds:.2f} s {'ok' if sample.ok else 'NOT OK'}")
            if not budget.another_round(started):
                phase.notes.append(f"time budget reached after {round_no + 1} rounds")
                break
        _reboot_bare(cluster)
        phase.extra["profile"] = runs.profile(bench, *APPLY)
    return phase


def _reboot_bare(cluster: SimCluster) -> None:
    cluster.down()
    cluster.up()
    sshd_log.wait_quiet(cluster.config)


def _timeout(options: Options, count: int) -> float:
    return options.timeout * max(1.0, count / 4)


def check_phase(count: int, options: Options) -> Phase:
    """Converge once with --apply, then in rounds: the floor (the checks by hand, one plain ssh per
    node) and a bare login (`ssh NODE true`), check-only in one process and with
    -n auto, the naive testinfra suite, --collect-only and the plugin import; one profiled run; the
    same floor and check-only runs again through the latency relay."""
    phase = Phase("check-only", count)
    config = SimConfig(count=count, cpu=options.cpu)
    with locked_cluster(config, options, phase) as cluster:
        bench = Bench(cluster, options.workdir / f"{count}-check", _timeout(options, count))
        if not _converge(bench, phase):
            return phase
        kinds: list[tuple[str, Callable[[], Sample]]] = [
            ("floor", lambda: runs.floor(bench)),
            ("login", lambda: runs.login(bench)),
            ("check", lambda: runs.suite(bench, "check")),
            ("check_auto", lambda: runs.suite(bench, "check-auto", "-n", "auto")),
            ("collect", lambda: runs.collect_only(bench)),
            ("collect_inert", lambda: runs.collect_only(bench, inert=True)),
            ("import", lambda: runs.plugin_import(bench)),
        ]
        _rounds(phase, kinds, options, Budget(options.budget * 0.6))
        phase.extra["profile"] = runs.profile(bench)
        phase.extra["profile_auto"] = runs.profile(bench, "-n", "auto")
        phase.extra["import_profile"] = runs.import_profile(bench)
        if options.latency_ms:
            cluster.set_latency(options.latency_ms)
            try:
                _rounds(phase, [("floor_latency", lambda: runs.floor(bench)),
                                ("login_latency", lambda: runs.login(bench)),
                                ("check_latency", lambda: runs.suite(bench, "check-latency")),
                                ("check_auto_latency", lambda: runs.suite(
                                    bench, "check-auto-latency", "-n", "auto"))],
                        options, Budget(options.budget * 0.3))
            finally:
                cluster.set_latency(0)
    return phase


def _rounds(phase: Phase, kinds: list[tuple[str, Callable[[], Sample]]], options: Options,
            budget: Budget) -> None:
    for round_no in range(options.warmup + options.runs):
        started = time.monotonic()
        shown = []
        for kind, measure in kinds:
            sample = measure()
            phase.add(kind, sample, keep=round_no >= options.warmup)
            shown.append(f"{kind} {sample.seconds:.2f}{'' if sample.ok else ' NOT OK'}")
        warm = " (warm-up)" if round_no < options.warmup else ""
        say(f"{phase.count} nodes, round {round_no + 1}{warm}: {', '.join(shown)}")
        if not budget.another_round(started):
            phase.notes.append(f"time budget reached after {round_no + 1} rounds of "
                               f"{', '.join(k for k, _ in kinds)}")
            break


def naive_phase(count: int, options: Options) -> Phase:
    """The naive testinfra suite on a converged cluster of its own (it is the slowest run by far:
    a lock period of its own lets other sessions in between)."""
    phase = Phase("naive testinfra", count)
    with locked_cluster(SimConfig(count=count, cpu=options.cpu), options, phase) as cluster:
        bench = Bench(cluster, options.workdir / f"{count}-naive", _timeout(options, count))
        if not _converge(bench, phase):
            return phase
        _rounds(phase, [("naive", lambda: runs.naive(bench))], options, Budget(options.budget))
    return phase


def _converge(bench: Bench, phase: Phase) -> bool:
    """--apply once (again once if it did not converge, as a user would: issue 17 saw a transient
    `peer probe: failed: ... Transport endpoint is not connected` at 64 nodes)."""
    for attempt in (1, 2):
        converge = runs.suite(bench, "converge", *APPLY)
        phase.extra[f"converge_{attempt}"] = converge.as_dict()
        if converge.ok and not verify_converged(bench.cluster):
            return True
        phase.notes.append(f"--apply (attempt {attempt}) did not converge: {converge.note}")
    return False
