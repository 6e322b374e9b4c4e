"""Modelling real Pis: latency through simcluster's relay and a CPU cap per node, measured on live
nodes; sshd's own log counts what a client did to each node.

Measured, not assumed: an SSH banner (TCP connect + the server's first line) takes 2 round trips,
one command on an open connection about 2, and a whole `ssh node true` several, all through the
same relay that ssh_config names. Bounds are loose (this is a shared 2-core machine); the figures
are printed.
"""

from __future__ import annotations

import re
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from simcluster import SimCluster, SimConfig, cpu_cap, latency, sshd_log

pytestmark = pytest.mark.e2e
RTT_MS = 20.0
SAMPLES = 7


def banner_ms(address: str, port: int) -> float:
    """connect() until the server's first line arrives (a real TCP connect: 2 round trips)."""
    started = time.perf_counter()
    with socket.create_connection((address, port), timeout=5) as sock:
        sock.recv(64)
    return (time.perf_counter() - started) * 1000


def ssh_true_ms(config: SimConfig, node: str) -> float:
    started = time.perf_counter()
    subprocess.run(["ssh", "-F", str(config.ssh_config), "-o", "BatchMode=yes", node, "true"],
                   check=True, timeout=30, capture_output=True)
    return (time.perf_counter() - started) * 1000


def command_ms(config: SimConfig, port: int) -> float:
    """The median time of `true` on one open SSH connection: its round trips, without the login."""
    client = paramiko.SSHClient()
    client.load_host_keys(str(config.known_hosts))
    client.connect(config.address(0), port=port, username=config.login_user,
                   key_filename=str(config.client_key), timeout=5, allow_agent=False,
                   look_for_keys=False)
    try:
        times = []
        for _ in range(SAMPLES):
            started = time.perf_counter()
            _, out, _ = client.exec_command("true", timeout=10)
            out.channel.recv_exit_status()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)
    finally:
        client.close()


@pytest.fixture
def delayed(sim: object) -> Iterator[SimCluster]:
    cluster = sim.replace(SimConfig(latency_ms=RTT_MS))  # type: ignore[attr-defined]
    try:
        yield cluster
    finally:
        sim.reset()  # type: ignore[attr-defined]


def test_latency_is_added_to_every_round_trip_through_the_relay(delayed: SimCluster) -> None:
    config = delayed.config
    address = config.address(0)
    relayed = statistics.median(banner_ms(address, latency.RELAY_PORT) for _ in range(SAMPLES))
    direct = statistics.median(banner_ms(address, 22) for _ in range(SAMPLES))
    relayed_cmd = command_ms(config, latency.RELAY_PORT)
    direct_cmd = command_ms(config, 22)
    relayed_ssh = statistics.median(ssh_true_ms(config, "rpi0") for _ in range(SAMPLES))
    delayed.set_latency(0)
    plain_ssh = statistics.median(ssh_true_ms(config, "rpi0") for _ in range(SAMPLES))
    print(f"banner {relayed:.1f} ms through the relay, {direct:.1f} ms direct; one command "
          f"{relayed_cmd:.1f} / {direct_cmd:.1f} ms; ssh true {relayed_ssh:.1f} / {plain_ssh:.1f} ms "
          f"= {(relayed_ssh - plain_ssh) / RTT_MS:.1f} round trips")
    assert 2 * RTT_MS - 2 <= relayed <= 2 * RTT_MS + 25, relayed
    assert direct < 15, direct
    assert 1.5 * RTT_MS <= relayed_cmd - direct_cmd <= 3 * RTT_MS + 15
    assert relayed_ssh - plain_ssh >= 4 * RTT_MS  # a login is several round trips
    assert "Port 2022" not in config.ssh_config.read_text()
    assert not latency.relay_pids(config.state_dir)


def test_jitter_varies_each_round_trip_within_its_bounds(delayed: SimCluster) -> None:
    delayed.set_latency(RTT_MS, 10)
    config = delayed.config
    times = [banner_ms(config.address(1), latency.RELAY_PORT) for _ in range(15)]
    print("banner times with 10 ms of jitter:", " ".join(f"{t:.0f}" for t in times))
    assert statistics.stdev(times) > 1
    assert min(times) >= 2 * RTT_MS - 20 - 1  # 4 legs of 10 +- 5 ms each
    assert max(times) <= 2 * RTT_MS + 20 + 25


def test_each_node_counts_connections_and_commands_in_its_own_log(delayed: SimCluster) -> None:
    config = delayed.config
    sshd_log.wait_quiet(config)  # the boot's port check is logged a moment late
    marks = sshd_log.LogMarks.take(config)
    ssh_true_ms(config, "rpi1")
    counts = marks.counts(config)
    assert counts["rpi1"] == sshd_log.SshdCounts(connections=1, logins=1, sessions=1, commands=1)
    assert counts["rpi0"] == sshd_log.SshdCounts()


def _children_cpu_seconds(times_output: str) -> float:
    """dash's `times`: the shell's user/system time, then its children's (`0m0.49s 0m0.01s`)."""
    values = [int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", times_output)]
    return values[2] + values[3]


def test_cpu_cap_limits_what_a_node_can_use(sim: object) -> None:
    cluster = sim.replace(SimConfig(cpu=0.25))  # type: ignore[attr-defined]
    try:
        group = cpu_cap.find_controller().group("rpi0")
        init = cluster.init_pid("rpi0")
        assert ":/simcluster/rpi0\n" in Path(f"/proc/{init}/cgroup").read_text()
        busy = "timeout 2 sh -c 'while :; do :; done'; times"
        capped = _children_cpu_seconds(subprocess.run(
            ["ssh", "-F", str(cluster.config.ssh_config), "rpi0", busy], capture_output=True,
            text=True, timeout=30, check=False).stdout)
        # The same loop started from the host (nsenter: outside the node's group) is not capped.
        free = _children_cpu_seconds(cluster.exec("rpi0", ["sh", "-c", busy], check=False).stdout)
        print(f"2 s of busy loop: {capped:.2f} s of CPU in a node capped to 0.25 CPUs, "
              f"{free:.2f} s uncapped")
        assert capped <= 0.25 * 2 * 1.3 + 0.05
        assert capped < free
    finally:
        sim.reset()  # type: ignore[attr-defined]
    assert not group.exists()
