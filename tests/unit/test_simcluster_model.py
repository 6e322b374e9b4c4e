"""The pure parts of modelling real Pis in the simulated cluster: durations, the relay's delays and
settings, the client files that point at it, the CPU-cap cgroup values."""

from __future__ import annotations

import json
import math
import random
import subprocess
from pathlib import Path

import pytest

from simcluster import SimConfig, cli, cpu_cap, latency, relay
from simcluster.cpu_cap import CpuController

# ----- durations and limits ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "ms"), [("20ms", 20.0), ("20", 20.0), ("2.5ms", 2.5),
                                          ("0.02s", 20.0), (" 5 ms ", 5.0), ("0", 0.0)])
def test_durations_read_as_milliseconds(text: str, ms: float) -> None:
    assert latency.parse_ms(text) == pytest.approx(ms)


@pytest.mark.parametrize("text", ["fast", "-5ms", "20us", "1e3", "", "20 ms 5", "11s"])
def test_bad_durations_name_the_option(text: str) -> None:
    with pytest.raises(ValueError, match=r"^--jitter "):
        latency.parse_ms(text, "--jitter")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"latency_ms": -1.0}, "latency -1 ms must be between 0 and 10000 ms"),
    ({"latency_ms": math.nan}, "latency nan ms"),
    ({"latency_ms": 10.0, "jitter_ms": 12.0}, "jitter 12 ms must be between 0 and the latency"),
    ({"cpu": 0.0}, "CPU share 0 must be between 0.01 and 64"),
    ({"cpu": math.inf}, "CPU share inf"),
])
def test_impossible_models_are_refused_before_anything_starts(kwargs: dict[str, float],
                                                             message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimConfig(**kwargs)  # type: ignore[arg-type]


def test_up_takes_the_model_options() -> None:
    args = cli._parser().parse_args(["up", "--latency", "20ms", "--jitter", "5ms", "--cpu", "0.25"])
    assert (args.latency, args.jitter, args.cpu) == ("20ms", "5ms", 0.25)
    args = cli._parser().parse_args(["latency", "0"])
    assert (args.command, args.latency, args.jitter) == ("latency", "0", "0")


# ----- the relay's delays ------------------------------------------------------------------

def test_round_trip_is_split_over_both_directions() -> None:
    assert relay.one_way_delays(20, 5) == pytest.approx((0.010, 0.0025))


def test_without_jitter_every_chunk_waits_half_the_round_trip() -> None:
    delay = relay.Delay(0.010, 0.0, random.Random(1))
    assert [delay.due(t) for t in (0.0, 0.001, 0.5)] == pytest.approx([0.010, 0.011, 0.510])


def test_jitter_delays_within_its_bounds_and_never_reorders() -> None:
    delay = relay.Delay(0.010, 0.005, random.Random(7))
    arrivals = [i * 0.0005 for i in range(2000)]  # faster than the jitter: reordering would show
    dues = [delay.due(t) for t in arrivals]
    assert dues == sorted(dues)
    assert all(due - t >= 0.005 for t, due in zip(arrivals, dues, strict=True))
    samples = [relay.Delay(0.010, 0.005, random.Random(s)).sample() for s in range(500)]
    assert min(samples) >= 0.005
    assert max(samples) <= 0.015
    assert sum(samples) / len(samples) == pytest.approx(0.010, abs=0.0005)


def test_a_delay_never_goes_below_zero() -> None:
    assert relay.Delay(0.001, 0.002, random.Random(3)).sample() >= 0.0


def test_the_tcp_handshake_costs_one_and_a_half_round_trips() -> None:
    assert relay.handshake_delay(20, 0, random.Random(1)) == pytest.approx(0.030)


# ----- relay settings and client files -----------------------------------------------------

def _config(tmp_path: Path, count: int = 2) -> SimConfig:
    return SimConfig(count=count, state_dir=tmp_path, latency_ms=20)


def test_one_listener_per_node_in_its_own_network_in_front_of_its_sshd(tmp_path: Path) -> None:
    settings = latency.relay_settings(_config(tmp_path), 20, 5)
    assert settings["latency_ms"] == 20
    assert settings["jitter_ms"] == 5
    assert settings["listeners"] == [
        {"netns": "/run/netns/gvsim-rpi0", "address": "10.0.1.0", "port": 2022,
         "target": "10.0.1.0", "target_port": 22},
        {"netns": "/run/netns/gvsim-rpi1", "address": "10.0.1.1", "port": 2022,
         "target": "10.0.1.1", "target_port": 22},
    ]
    path = tmp_path / "relay.json"  # what relay.py reads back
    path.write_text(json.dumps(settings))
    latency_ms, jitter_ms, _ready, _seed, listeners = relay.load_settings(path)
    assert (latency_ms, jitter_ms, listeners[1].netns) == (20, 5, "/run/netns/gvsim-rpi1")


GENERATED_SSH_CONFIG = ("Host rpi0 10.0.1.0\n  HostName 10.0.1.0\n  User pi\n\n"
                        "Host rpi1 10.0.1.1\n  HostName 10.0.1.1\n  User pi\n")
GENERATED_KNOWN_HOSTS = "rpi0,10.0.1.0 ssh-ed25519 AAAA0\nrpi1,10.0.1.1 ssh-ed25519 AAAA1\n"


def _client_files(config: SimConfig) -> None:
    config.ssh_dir.mkdir(parents=True)
    config.ssh_config.write_text(GENERATED_SSH_CONFIG)
    config.known_hosts.write_text(GENERATED_KNOWN_HOSTS)
    for i, name in enumerate(config.names):
        key = config.node_dir(name) / "upper/etc/ssh/ssh_host_ed25519_key.pub"
        key.parent.mkdir(parents=True)
        key.write_text(f"ssh-ed25519 AAAA{i} root@{name}\n")


def test_client_files_point_at_the_relay_and_back(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _client_files(config)
    latency.point_client_files(config, 20, 5)
    text = config.ssh_config.read_text()
    assert text.startswith("# >>> simcluster latency: 20 ms round trip to each node, jitter +-5 ms")
    assert "Host rpi0 10.0.1.0\n  Port 2022\n" in text  # ahead of the generated block: it wins
    assert text.endswith(GENERATED_SSH_CONFIG)
    assert config.known_hosts.read_text() == GENERATED_KNOWN_HOSTS + (
        "[rpi0]:2022,[10.0.1.0]:2022 ssh-ed25519 AAAA0\n[rpi1]:2022,[10.0.1.1]:2022 ssh-ed25519 AAAA1\n")
    latency.point_client_files(config, 40, 0)  # a new latency replaces the old block
    assert config.ssh_config.read_text().count("Port 2022") == 2
    assert config.known_hosts.read_text().count(":2022") == 4
    latency.point_client_files(config, 0, 0)
    assert config.ssh_config.read_text() == GENERATED_SSH_CONFIG
    assert config.known_hosts.read_text() == GENERATED_KNOWN_HOSTS


def test_the_latency_is_described_for_operators() -> None:
    assert latency.describe(0, 0) == "no added latency"
    assert latency.describe(20, 5) == ("20 ms round trip to each node, jitter +-5 ms "
                                       "(relay on port 2022)")


# ----- CPU cap -----------------------------------------------------------------------------

def test_cpu_share_becomes_a_quota_per_period() -> None:
    v1 = CpuController(1, Path("/sys/fs/cgroup/cpu"))
    assert v1.limits(0.25) == {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "25000"}
    assert v1.limits(2) == {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "200000"}
    assert v1.limits(0.001)["cpu.cfs_quota_us"] == "1000"  # the kernel's minimum
    assert CpuController(2, Path("/sys/fs/cgroup")).limits(0.5) == {"cpu.max": "50000 100000"}
    assert v1.group("rpi3") == Path("/sys/fs/cgroup/cpu/simcluster/rpi3")


def test_the_cpu_controller_is_found_in_either_cgroup_version(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="--cpu needs the cgroup cpu controller"):
        cpu_cap.find_controller(tmp_path)
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    assert cpu_cap.find_controller(tmp_path) == CpuController(2, tmp_path)
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu/cpu.cfs_quota_us").write_text("-1\n")
    assert cpu_cap.find_controller(tmp_path) == CpuController(1, tmp_path / "cpu")


def test_each_node_gets_a_capped_group(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu/cpu.cfs_quota_us").write_text("-1\n")
    controller = cpu_cap.find_controller(tmp_path)
    cpu_cap.create(["rpi0", "rpi1"], 0.25, controller)
    assert (tmp_path / "cpu/simcluster/rpi1/cpu.cfs_quota_us").read_text() == "25000\n"
    assert [p.name for p in cpu_cap.leftover_groups(tmp_path)] == ["rpi0", "rpi1"]


def test_the_launcher_joins_its_group_before_it_execs(tmp_path: Path) -> None:
    procs = tmp_path / "cgroup.procs"
    prefix = cpu_cap.launch_prefix("rpi0", 0.25)
    prefix[-1] = str(procs)  # the node's group's cgroup.procs, here a plain file
    shown = subprocess.run([*prefix, "sh", "-c", "echo $$"], capture_output=True, text=True,
                           check=True, timeout=10).stdout
    assert procs.read_text() == shown  # the exec'd launcher is the process that joined
    assert cpu_cap.launch_prefix("rpi0", None) == []
