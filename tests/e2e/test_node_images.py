"""The suite on nodes like the Pis people run today: fresh Debian 13 (gluster 11.1) and Debian 12
(10.3) nodes that still need `apt-get install`, a cluster mid-way through an upgrade, and the USB
stick that did not mount."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from simcluster import SimCluster, SimConfig
from tests.e2e.suite_runner import ALL_CHECKS, NODES, ConvergedCluster, gluster, run_suite, sh, wait_healthy

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("os_name", "release"), [("trixie", "11.1"), ("bookworm", "10.3")])
def test_fresh_nodes_get_gluster_through_apt_and_converge(
        sim, converged_cluster: ConvergedCluster, tmp_path: Path, os_name: str, release: str) -> None:
    converged_cluster.invalidate()
    cluster = sim.replace(SimConfig(os=os_name, variant="fresh"))
    try:
        assert "install ok installed" not in sh(
            cluster, "rpi0", "dpkg-query -W -f='${Status}' glusterfs-server 2>/dev/null", check=False)
        first = run_suite(tmp_path, "--apply", "--replace-hosts-conflicts", timeout=900)
        second = run_suite(tmp_path, "--apply", "--replace-hosts-conflicts")
        check = run_suite(tmp_path)
        for node in NODES:
            assert f"{node}: changed: installed glusterfs-server" in first.summary, first.describe()
            assert gluster(cluster, node, "--version").startswith(f"glusterfs {release}")
            # the operator saw each step start and end on each node, in order, apt's time shown
            lines = [line for line in first.stdout.splitlines() if line.startswith(f"setup {node}: ")]
            steps = [line.split(": ")[1].split(" ")[0] for line in lines if line.endswith(" ...")
                     and line.split(": ")[1] in ("hosts_file ...", "package ...", "daemon ...")]
            assert steps == ["hosts_file", "package", "daemon"], lines
            assert any(re.fullmatch(rf"setup {node}: apt-get install glusterfs-server \(\d+\.\d s\)",
                                    line) for line in lines), lines
        assert "setup cluster: peers ..." in first.stdout
        assert "setup cluster: volumes: 2 change(s) (" in first.stdout
        assert first.failed == set(), first.describe()
        assert len(first.passed) == ALL_CHECKS, first.describe()
        assert "created volume gv: 2 x 2 = 4 Distributed-Replicate" in first.summary
        assert "Number of Bricks: 2 x 2 = 4" in gluster(cluster, "rpi0", "volume", "info", "gv")
        assert second.changes == 0, second.describe()
        assert check.rc == 0, check.describe()
        assert len(check.passed) == ALL_CHECKS, check.describe()
        logged = run_suite(tmp_path, "--log-cli-level=DEBUG", "-k", "not data_path")
        commands = re.findall(r"glustercheck.remote.commands:\S+ (\S+): `(.*)` -> rc (\d+) in "
                              r"[0-9.]+ s", logged.stdout)
        for node in NODES:  # each remote command once, with its node, status and duration
            facts = [c for c in commands if c[0] == node and c[1].startswith(
                f"# glustercheck: facts of {node} (+")]
            assert len(facts) == 1, commands
            assert commands.count((node, "true", "0")) == 1, commands
        assert len([c for c in commands if c[1].startswith("# glustercheck: volume state")]) == 1
    finally:
        sim.reset()


def test_a_cluster_mid_upgrade_warns_with_the_steps_to_finish(
        sim, converged_cluster: ConvergedCluster, tmp_path: Path) -> None:
    converged_cluster.invalidate()
    sim.replace(SimConfig(os="bookworm,rpi1=trixie,rpi3=trixie"))
    try:
        run_suite(tmp_path, "--apply", "--replace-hosts-conflicts")
        check = run_suite(tmp_path)
        assert check.rc == 0, check.describe()  # healthy: a rolling upgrade is a supported state
        assert len(check.passed) == ALL_CHECKS, check.describe()
        (warning,) = check.summary_json["warnings"]
        assert warning["text"].startswith("gluster versions differ (rpi0 10.3, rpi1 11.1, rpi2 10.3, "
                                          "rpi3 11.1): a rolling upgrade is not finished; the pool "
                                          "runs at op-version 100000"), warning
        assert warning["fix"].startswith("upgrade rpi0, rpi2 to 11.1")
        assert warning["fix"].endswith("sudo gluster volume set all cluster.op-version 110000")
        assert "warning (test_one_gluster_version_and_op_version): cluster: gluster versions differ" \
            in check.stdout
    finally:
        sim.reset()


def _wait_peers_connected(cluster: SimCluster, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while any(gluster(cluster, n, "peer", "status", check=False).count("(Connected)") != len(NODES) - 1
              for n in NODES):
        assert time.monotonic() < deadline, "peers did not reconnect after the reboot"
        time.sleep(0.5)


def test_the_stick_not_mounted_after_a_reboot_and_the_brick_recreated_on_the_sd_card(
        healthy: SimCluster, tmp_path: Path) -> None:
    healthy.usb_unplug("rpi2")
    healthy.stop_node("rpi2")
    healthy.start_node("rpi2")
    _wait_peers_connected(healthy)  # a reboot is not the fault under test
    try:
        unmounted = run_suite(tmp_path)
        sh(healthy, "rpi2", "mkdir -p /mnt/usb/gv")  # someone "fixes" the missing directory
        on_sd_card = run_suite(tmp_path)
    finally:
        sh(healthy, "rpi2", "rmdir /mnt/usb/gv", check=False)
        healthy.usb_plug("rpi2")
        healthy.stop_node("rpi2")
        healthy.start_node("rpi2")
        wait_healthy(healthy)
    for run, where in ((unmounted, "would be"), (on_sd_card, "is")):
        message = run.message("test_bricks_on_their_own_disk[rpi2]")
        assert message.startswith(f"rpi2: /mnt/usb is listed in /etc/fstab but not mounted: brick "
                                  f"/mnt/usb/gv {where} on the root filesystem (the SD card)"), message
        assert "fix: on rpi2: plug the disk (the USB stick) in and run `sudo mount /mnt/usb`" in message
        assert {f"test_bricks_on_their_own_disk[{n}]" for n in ("rpi0", "rpi1", "rpi3")} <= run.passed
        top = run.summary_json["causes"][0]
        assert top["key"] == "disk-not-mounted:rpi2:/mnt/usb", run.summary_json["causes"]
        assert "disk-not-mounted:rpi2:/mnt/usb" in run.verdict_line
        for check in ("test_glusterd_running_and_enabled", "test_peers_in_cluster_and_connected",
                      "test_cluster_names_resolve_to_spec_addresses"):
            assert {f"{check}[{n}]" for n in NODES} <= run.passed, run.describe()
