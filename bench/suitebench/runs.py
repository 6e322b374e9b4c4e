"""The runs the benchmark times, each against the simulated cluster's own ssh_config and spec, each
under a hard time limit, each with what it cost every node counted in the node's own sshd log."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from glustercheck.spec import load_spec
from simcluster import SimCluster
from simcluster.sshd_log import LogMarks, SshdCounts
from suitebench import commands_log
from suitebench.measure import Measured, run_measured

BENCH = Path(__file__).resolve().parents[1]
NAIVE_SUITE = BENCH / "naive_testinfra"
HOWTO_SCRIPT = BENCH / "howto_script.sh"
FLOOR_SCRIPT = BENCH / "floor_script.sh"
_SETUP_LINE = re.compile(r"^setup steps \((apply|check-only), ([0-9.]+) s\)", re.M)
_OUTCOMES = re.compile(r"(\d+) (passed|failed|error|errors|skipped)")


@dataclass
class Sample:
    seconds: float
    ok: bool
    rc: int = 0
    peak_rss_kb: int = 0
    tree_rss_kb: int = 0
    per_node: dict[str, SshdCounts] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"seconds": round(self.seconds, 4), "ok": self.ok, "rc": self.rc,
                "peak_rss_kb": self.peak_rss_kb, "tree_rss_kb": self.tree_rss_kb,
                "per_node": {n: vars(c) for n, c in self.per_node.items()},
                "phases": {k: round(v, 4) for k, v in self.phases.items()}, "note": self.note}


@dataclass
class Bench:
    """One simulated cluster and where this benchmark keeps its files."""

    cluster: SimCluster
    workdir: Path
    timeout: float  # for one suite run; the floor gets a fraction of it
    runs: int = 0

    @property
    def names(self) -> list[str]:
        return self.cluster.config.names

    def rundir(self, label: str) -> Path:
        self.runs += 1
        path = self.workdir / f"{self.runs:04d}-{label}"
        path.mkdir(parents=True)
        return path

    def env(self) -> dict[str, str]:
        # The outer run's pytest/xdist variables must not leak in; bench/ for the phase timer.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GLUSTERCHECK_"))}
        env["PYTHONPATH"] = str(BENCH)
        return env

    def counted(self, run: Measured, marks: LogMarks, ok: bool, note: str = "") -> Sample:
        return Sample(run.seconds, ok and not run.timed_out, run.rc, run.peak_rss_kb,
                      run.tree_rss_kb, marks.counts(self.cluster.config),
                      note="timed out" if run.timed_out else note)


def floor(bench: Bench) -> Sample:
    """bench/floor_script.sh: the checks by hand, one plain `ssh` per node, all at once (the
    first two nodes also write and read back through a mount), through the cluster's ssh_config.
    The least a check-only run can cost on these nodes: the same remote work, no controller."""
    config = bench.cluster.config
    marks = LogMarks.take(config)
    nodes = [f"{n}={config.address(i)}" for i, n in enumerate(bench.names)]
    volume = load_spec(config.spec_file).volumes[0]  # simcluster's: the how-to's gv
    argv = ["sh", str(FLOOR_SCRIPT), str(config.ssh_config), volume.name, volume.brick_path, *nodes]
    run = run_measured(argv, timeout=bench.timeout, env=bench.env())
    return bench.counted(run, marks, ok=run.rc == 0, note="" if run.rc == 0 else run.stderr[-300:])


def login(bench: Bench) -> Sample:
    """One plain `ssh NODE true` per node, all at once, through the cluster's ssh_config."""
    config = bench.cluster.config
    marks = LogMarks.take(config)
    started = time.perf_counter()
    procs = [subprocess.Popen(["ssh", "-F", str(config.ssh_config), "-o", "BatchMode=yes", name,
                               "true"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True) for name in bench.names]
    failed = []
    deadline = started + bench.timeout / 4
    for name, proc in zip(bench.names, procs, strict=True):
        try:
            _, err = proc.communicate(timeout=max(0.1, deadline - time.perf_counter()))
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if proc.returncode != 0:
            failed.append(f"{name}: {err.decode(errors='replace').strip()[-200:]}")
    seconds = time.perf_counter() - started
    return Sample(seconds, not failed, len(failed), per_node=marks.counts(config),
                  note="; ".join(failed[:3]))


# This venv has the project's test extras; a user's `pip install gluster_verify-*.whl` has no
# Hypothesis, whose pytest plugin imports all of it for its terminal summary (measured: the
# largest share of a 1.4 s tail after the last check, from a directory outside the checkout, where
# pyproject.toml's `-p no:hypothesispytest` does not apply). Every pytest run here leaves it out.
PYTEST = [sys.executable, "-m", "pytest", "-p", "no:hypothesispytest", "-p", "no:cacheprovider"]


def _suite_argv(bench: Bench, rundir: Path, *extra: str) -> list[str]:
    return [*PYTEST, f"--spec={bench.cluster.config.spec_file}", "-q",
            f"--report-dir={rundir / 'reports'}", "-p", "suitebench.phase_timer", *extra]


def _phases(path: Path, launched: float, seconds: float) -> dict[str, float]:
    """Seconds of start-up, collection, first setup (setup steps + facts), checks, report."""
    try:
        marks = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    at = {k: v - launched for k, v in marks.items() if k != "first_setup_s"}
    first_setup = marks.get("first_setup_s", 0.0)
    phases = {"startup": at.get("configured", 0.0)}
    if "collected" in at:  # not on an xdist controller: its workers collect
        phases["collection"] = at["collected"] - at["configured"]
    if "first_test" in at and "last_test" in at:
        phases["first_setup"] = first_setup
        phases["checks"] = at["last_test"] - at["first_test"] - first_setup
        phases["report"] = seconds - at["last_test"]
    return phases


def suite(bench: Bench, label: str, *extra: str, expect_ok: bool = True) -> Sample:
    """`pytest --spec=cluster.toml ARGS` from a directory of its own, as a user runs it."""
    rundir = bench.rundir(label)
    env = bench.env()
    env["SUITEBENCH_PHASES"] = str(rundir / "phases.json")
    marks = LogMarks.take(bench.cluster.config)
    launched = time.time()
    run = run_measured(_suite_argv(bench, rundir, *extra), timeout=bench.timeout, cwd=rundir, env=env)
    (rundir / "output.txt").write_text(run.tail(200_000))
    sample = bench.counted(run, marks, ok=(run.rc == 0) == expect_ok, note=_outcomes(run.stdout))
    sample.phases = _phases(rundir / "phases.json", launched, run.seconds)
    if setup := _SETUP_LINE.search(run.stdout):
        sample.phases["setup_steps"] = float(setup.group(2))
    return sample


def _outcomes(stdout: str) -> str:
    last = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    return ", ".join(f"{n} {w}" for n, w in _OUTCOMES.findall(last))


def collect_only(bench: Bench, *, inert: bool = False) -> Sample:
    """`pytest --spec=... --collect-only -q`; `inert`: pytest with its plugins, ours switched off."""
    rundir = bench.rundir("collect")
    cluster = ["-p", "no:glustercheck"] if inert else [f"--spec={bench.cluster.config.spec_file}"]
    argv = [*PYTEST, *cluster, "--collect-only", "-q"]
    run = run_measured(argv, timeout=60, cwd=rundir, env=bench.env())
    ok = run.rc == (5 if inert else 0)  # 5: no tests collected in an empty directory
    return Sample(run.seconds, ok and not run.timed_out, run.rc, run.peak_rss_kb, note=run.stderr[-300:])


IMPORT_PROBE = ("import time, pytest\n"
                "t = time.perf_counter()\n"
                "import pytest_glustercheck.plugin\n"
                "print(time.perf_counter() - t)\n")


def plugin_import(bench: Bench) -> Sample:
    """Importing the plugin module once pytest itself is imported (what pytest's start-up adds)."""
    run = run_measured([sys.executable, "-c", IMPORT_PROBE], timeout=60, env=bench.env())
    try:
        return Sample(float(run.stdout.split()[-1]), run.rc == 0, run.rc, run.peak_rss_kb)
    except (ValueError, IndexError):
        return Sample(float("nan"), False, run.rc, note=run.stderr[-300:])


def import_profile(bench: Bench, top: int = 12) -> list[dict[str, object]]:
    """python -X importtime: the modules whose import (with what they import) costs the most."""
    run = run_measured([sys.executable, "-X", "importtime", "-c", IMPORT_PROBE], timeout=60,
                       env=bench.env())
    rows: list[dict[str, object]] = []
    for line in run.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            if parts[2].strip() == "pytest":  # only what the plugin brought in: the lines after
                rows = []
                continue
            rows.append({"module": parts[2].rstrip(), "self_us": int(parts[0].split(":")[1]),
                         "cumulative_us": int(parts[1])})
    return sorted(rows, key=lambda r: -int(str(r["cumulative_us"])))[:top]


def naive(bench: Bench) -> Sample:
    """The naive testinfra suite (bench/naive_testinfra): one remote command per assertion."""
    rundir = bench.rundir("naive")
    config = bench.cluster.config
    env = bench.env()
    env["NAIVE_SPEC"] = str(config.spec_file)
    marks = LogMarks.take(config)
    argv = [*PYTEST, str(NAIVE_SUITE), "-p", "no:glustercheck", "-q",
            "--hosts=" + ",".join(f"paramiko://{n}" for n in bench.names),
            f"--ssh-config={config.ssh_config}", "--sudo"]
    run = run_measured(argv, timeout=bench.timeout * 4, cwd=rundir, env=env)
    (rundir / "output.txt").write_text(run.tail(200_000))
    return bench.counted(run, marks, ok=run.rc == 0, note=_outcomes(run.stdout))


def howto(bench: Bench, *, fresh: bool) -> Sample:
    """bench/howto_script.sh: the how-to's commands as a plain script over ssh."""
    config = bench.cluster.config
    marks = LogMarks.take(config)
    nodes = [f"{n}={config.address(i)}" for i, n in enumerate(bench.names)]
    argv = ["sh", str(HOWTO_SCRIPT), str(config.ssh_config), *(["--fresh"] if fresh else []), *nodes]
    run = run_measured(argv, timeout=bench.timeout, env=bench.env())
    rundir = bench.rundir("howto")
    (rundir / "output.txt").write_text(run.tail(200_000))
    return bench.counted(run, marks, ok=run.rc == 0, note="" if run.rc == 0 else run.stderr[-300:])


def profile(bench: Bench, *extra: str) -> dict[str, object]:
    """One run (check-only, or `extra`'s) with the DEBUG command log and --durations; its time is
    not a figure of the table (logging every command costs)."""
    rundir = bench.rundir("profile")
    env = bench.env()
    env["SUITEBENCH_PHASES"] = str(rundir / "phases.json")
    log = rundir / "debug.log"
    launched = time.time()
    run = run_measured(_suite_argv(bench, rundir, *extra, "--durations=12", f"--log-file={log}",
                                   "--log-file-level=DEBUG", "--log-file-mode=a",
                                   f"--log-file-format={commands_log.LOG_FORMAT}"),
                       timeout=bench.timeout, cwd=rundir, env=env)
    (rundir / "output.txt").write_text(run.tail(200_000))
    text = log.read_text(errors="replace") if log.exists() else ""
    durations = re.search(r"=+ slowest \d+ durations =+\n(.*?)\n(?:=|\n)", run.stdout, re.S)
    return {"seconds": run.seconds, "rc": run.rc,
            "phases": _phases(rundir / "phases.json", launched, run.seconds),
            "remote": commands_log.summary(commands_log.parse(text), launched),
            "durations": durations.group(1).splitlines() if durations else []}
