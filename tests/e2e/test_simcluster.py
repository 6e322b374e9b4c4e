"""The simulated cluster is real: private /etc per node, SSH and sudo, ping, glusterd, and faults
that behave like the real thing."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from simcluster import SimCluster

pytestmark = pytest.mark.e2e


def ssh(cluster: SimCluster, node: str, command: str, *, user: str = "pi",
        timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-F", str(cluster.config.ssh_config), "-o", "BatchMode=yes",
         "-o", "ConnectTimeout=3", f"{user}@{node}", command],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def wait_for(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.2)
    return time.monotonic() - started


def start_gluster(cluster: SimCluster) -> None:
    """Enable and start glusterd everywhere and probe the peers from the first node, by address."""
    for node in cluster.config.names:
        cluster.exec(node, ["sh", "-c", "mkdir -p /etc/systemd/system/multi-user.target.wants && "
                            "ln -sf /lib/systemd/system/glusterd.service "
                            "/etc/systemd/system/multi-user.target.wants/glusterd.service && "
                            "(pgrep -x glusterd || /usr/sbin/glusterd -p /run/glusterd.pid)"])
    for index in range(1, cluster.config.count):
        cluster.exec("rpi0", ["gluster", "--mode=script", "peer", "probe",
                              cluster.config.address(index)])
    wait_for(lambda: peer_states(cluster, "rpi0").count("Peer in Cluster (Connected)") == 3,
             30, "rpi0 sees 3 connected peers")


def peer_states(cluster: SimCluster, node: str) -> list[str]:
    out = cluster.exec(node, ["gluster", "peer", "status"], check=False).stdout
    return [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("State: ")]


@pytest.fixture(scope="module")
def bare(sim) -> SimCluster:
    """Nodes as after first boot (earlier test modules may have converged the session's cluster)."""
    return sim.fresh()


def test_each_node_has_its_own_etc_hosts(bare: SimCluster) -> None:
    cluster = bare
    for node in cluster.config.names:
        result = ssh(cluster, node, "cat /etc/hosts; hostname")
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"127.0.0.1\tlocalhost\n127.0.1.1\t{node}\n{node}\n"
    edit = ssh(cluster, "rpi0", "sudo sed -i '$a 10.0.1.1 rpi1' /etc/hosts && getent hosts rpi1")
    assert edit.returncode == 0, edit.stderr
    assert edit.stdout.split() == ["10.0.1.1", "rpi1"]
    assert "rpi1" not in ssh(cluster, "rpi2", "cat /etc/hosts").stdout.replace("rpi2", "")
    assert "10.0.1.1" not in Path("/etc/hosts").read_text()
    ssh(cluster, "rpi0", "sudo sed -i '/^10.0.1.1 rpi1$/d' /etc/hosts")


def test_host_keys_are_checked(bare: SimCluster, tmp_path: Path) -> None:
    cluster = bare
    wrong = tmp_path / "known_hosts"
    lines = cluster.config.known_hosts.read_text().splitlines()
    rpi1_key = lines[1].split(" ", 1)[1]
    wrong.write_text(f"rpi0,10.0.1.0 {rpi1_key}\n")  # rpi0 now "has" rpi1's key
    result = subprocess.run(
        ["ssh", "-F", str(cluster.config.ssh_config), "-o", f"UserKnownHostsFile={wrong}",
         "-o", "BatchMode=yes", "rpi0", "true"],
        capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in result.stderr


def test_nodes_ping_each_other_by_address(bare: SimCluster) -> None:
    cluster = bare
    for node in cluster.config.names:
        others = [cluster.config.address(i) for i, n in enumerate(cluster.config.names) if n != node]
        result = ssh(cluster, node, " && ".join(f"ping -c1 -W1 {a} >/dev/null" for a in others))
        assert result.returncode == 0, f"{node}: {result.stderr}"


def test_nodes_have_private_pid_namespaces_and_brick_disks(bare: SimCluster) -> None:
    cluster = bare
    result = cluster.exec("rpi1", ["sh", "-c", "ps -e -o comm= | sort | uniq; mountpoint /mnt/usb"])
    assert "sshd" in result.stdout
    assert "is a mountpoint" in result.stdout
    assert "simcluster" not in result.stdout  # the host's processes are not visible
    cluster.exec("rpi1", ["sh", "-c", "echo one > /mnt/usb/marker"])
    assert cluster.exec("rpi2", ["ls", "/mnt/usb"]).stdout == "lost+found\n"  # a fresh ext4


def test_glusterd_starts_in_each_node_and_peers_probe(sim) -> None:
    cluster = sim.fresh()
    for node in cluster.config.names:
        assert cluster.exec(node, ["pgrep", "-x", "glusterd"], check=False).returncode == 1
    start_gluster(cluster)
    uuids = {cluster.exec(n, ["cat", "/var/lib/glusterd/glusterd.info"]).stdout.splitlines()[0]
             for n in cluster.config.names}
    assert len(uuids) == 4  # every node has its own UUID
    for node in cluster.config.names[1:]:
        assert peer_states(cluster, node).count("Peer in Cluster (Connected)") == 3


def test_power_off_and_on_keeps_state_and_restarts_enabled_glusterd(cluster: SimCluster) -> None:
    if peer_states(cluster, "rpi0").count("Peer in Cluster (Connected)") != 3:
        start_gluster(cluster)
    uuid = cluster.exec("rpi2", ["cat", "/var/lib/glusterd/glusterd.info"]).stdout
    cluster.exec("rpi2", ["sh", "-c", "echo kept > /mnt/usb/survivor"])
    cluster.stop_node("rpi2")
    assert ssh(cluster, "rpi2", "true", timeout=10).returncode == 255
    wait_for(lambda: "Peer in Cluster (Disconnected)" in peer_states(cluster, "rpi0"), 10,
             "rpi0 sees rpi2 disconnected")
    cluster.start_node("rpi2")
    assert cluster.exec("rpi2", ["cat", "/var/lib/glusterd/glusterd.info"]).stdout == uuid
    assert cluster.exec("rpi2", ["cat", "/mnt/usb/survivor"]).stdout == "kept\n"
    wait_for(lambda: peer_states(cluster, "rpi0").count("Peer in Cluster (Connected)") == 3, 30,
             "rpi2 reconnected after power-on (glusterd enabled, so started at boot)")


def test_kill_glusterd_only_kills_that_nodes_glusterd(cluster: SimCluster) -> None:
    if peer_states(cluster, "rpi0").count("Peer in Cluster (Connected)") != 3:
        start_gluster(cluster)
    cluster.kill_glusterd("rpi3")
    assert cluster.exec("rpi3", ["pgrep", "-x", "glusterd"], check=False).returncode == 1
    assert cluster.exec("rpi1", ["pgrep", "-x", "glusterd"], check=False).returncode == 0
    assert ssh(cluster, "rpi3", "true").returncode == 0  # the node itself is still up
    wait_for(lambda: "Peer in Cluster (Disconnected)" in peer_states(cluster, "rpi0"), 10,
             "rpi0 sees rpi3's glusterd gone")
    cluster.exec("rpi3", ["/usr/sbin/glusterd", "-p", "/run/glusterd.pid"])
    wait_for(lambda: peer_states(cluster, "rpi0").count("Peer in Cluster (Connected)") == 3, 30,
             "rpi3 back")


def test_partition_cuts_the_network_and_unpartition_restores_it(cluster: SimCluster) -> None:
    cluster.partition("rpi1")
    try:
        assert ssh(cluster, "rpi0", "ping -c1 -W1 10.0.1.1").returncode == 1
        assert ssh(cluster, "rpi1", "true", timeout=15).returncode == 255
        assert cluster.exec("rpi1", ["true"]).returncode == 0  # the node itself runs on
    finally:
        cluster.unpartition("rpi1")
    wait_for(lambda: ssh(cluster, "rpi0", "ping -c1 -W1 10.0.1.1").returncode == 0, 10,
             "rpi1 reachable again")


OUR_COMMANDS = {"ip", "unshare", "nsenter", "python3", "sshd", "glusterd", "glusterfs", "glusterfsd"}


def _traces() -> dict[str, str]:
    mounts = [line for line in Path("/proc/self/mountinfo").read_text().splitlines()
              if "simcluster" in line or "gvsim" in line]
    procs = subprocess.run(["pgrep", "-af", "node_init.py|glusterd|http.server 8642"],
                           capture_output=True, text=True, check=False).stdout
    procs += "".join(f"{pid} (in another PID namespace)\n" for pid in _foreign_pid_namespace())
    loops = subprocess.run(["losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"],
                           capture_output=True, text=True, check=False).stdout
    zombies = [line for line in subprocess.run(
        ["ps", "-eo", "stat=,pid=,ppid=,comm="], capture_output=True, text=True, check=False
    ).stdout.splitlines() if line.startswith("Z") and line.split()[-1] in OUR_COMMANDS]
    return {
        "netns": subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                                check=False).stdout,
        "links": " ".join(p.name for p in Path("/sys/class/net").iterdir() if "gvsim" in p.name),
        "mounts": "\n".join(mounts), "processes": procs, "zombies": "\n".join(zombies),
        "loop devices": "\n".join(line for line in loops.splitlines() if "simcluster" in line),
    }


def _foreign_pid_namespace() -> list[str]:
    """Processes in a PID namespace other than ours: what is left of a node (its sshd...)."""
    ours = os.readlink("/proc/self/ns/pid")
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.readlink(proc / "ns/pid") != ours:
                found.append(proc.name)
        except OSError:
            continue
    return found


def assert_no_traces(*, except_zombies: bool = False) -> None:
    def traces() -> dict[str, str]:
        found = _traces()
        if except_zombies:
            found.pop("zombies")
        return found

    # Killed processes are reaped by the host's init, asynchronously: allow it a moment.
    deadline = time.monotonic() + 5
    while any(traces().values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(traces().values()), traces()


def test_five_up_down_cycles_leave_nothing_behind(sim) -> None:
    sim.down()
    assert_no_traces()
    for _ in range(5):
        cluster = sim.ensure_up()
        assert all(state.ssh_open for state in cluster.status())
        sim.down()
        assert_no_traces()


def test_up_after_a_crash_recovers(sim) -> None:
    cluster = sim.ensure_up()
    cluster.config.state_file.unlink()  # as if the controlling process died mid-run
    notes = SimCluster(cluster.config).up()
    assert notes
    assert "cleaned leftovers" in notes[0]
    assert all(state.ssh_open for state in SimCluster(cluster.config).status())
