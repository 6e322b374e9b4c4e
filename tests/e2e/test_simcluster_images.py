"""Nodes boot their own Debian images: gluster 10.3 on bookworm, 11.1 on trixie, both in one
cluster; fresh nodes install glusterfs-server from the cluster's local package repository and
reach nothing outside 10.0.0.0/16; the USB stick is a real block device that can be pulled."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from simcluster import SimCluster, SimConfig
from tests.e2e.live_gluster import gluster, start_glusterd, wait_for
from tests.e2e.test_simcluster import assert_no_traces

pytestmark = pytest.mark.e2e

MIXED = "rpi0=bookworm,rpi1=trixie,rpi2=bookworm,rpi3=trixie"
GLUSTER_OF = {"bookworm": ("12", "10.3"), "trixie": ("13", "11.1")}
ENABLE = ("mkdir -p /etc/systemd/system/multi-user.target.wants && ln -sf "
                    "/lib/systemd/system/glusterd.service "
                    "/etc/systemd/system/multi-user.target.wants/glusterd.service")


def sh(cluster: SimCluster, node: str, script: str, *, timeout: float = 60,
       check: bool = True) -> str:
    return cluster.exec(node, ["sh", "-c", script], timeout=timeout, check=check).stdout


@pytest.fixture
def other_nodes(sim) -> Iterator[object]:
    """The session's cluster replaced by nodes of another kind for one test, then the default."""
    yield sim
    sim.reset()


@pytest.mark.timeout(240)
def test_mixed_cluster_runs_each_suites_gluster_and_serves_a_replicated_volume(other_nodes) -> None:
    cluster = other_nodes.replace(SimConfig(os=MIXED))
    for node, suite in cluster.config.suites.items():
        debian, version = GLUSTER_OF[suite]
        assert sh(cluster, node, ". /etc/os-release; echo $VERSION_ID") == f"{debian}\n", node
        assert sh(cluster, node, "gluster --version | head -1") == f"glusterfs {version}\n", node
        sh(cluster, node, "echo '10.0.1.0 rpi0\n10.0.1.1 rpi1\n10.0.1.2 rpi2\n10.0.1.3 rpi3' "
                          f">> /etc/hosts && {ENABLE}")
        start_glusterd(cluster, node)
    for node in ("rpi1", "rpi2", "rpi3"):
        wait_for(lambda n=node: gluster(cluster, "peer", "probe", n, check=False).returncode == 0,
                 30, f"rpi0 probes {node}")
    for node in cluster.config.names:
        wait_for(lambda n=node: sh(cluster, n, "gluster peer status").count("(Connected)") == 3,
                 60, f"{node} sees 3 peers connected")
    bricks = [f"{n}:/mnt/usb/gv" for n in cluster.config.names]
    gluster(cluster, "volume", "create", "gv", "replica", "2", *bricks)  # no force: own filesystems
    gluster(cluster, "volume", "start", "gv")
    for writer, reader in (("rpi0", "rpi1"), ("rpi3", "rpi2")):  # 10.3 -> 11.1, 11.1 -> 10.3
        for node in (writer, reader):
            sh(cluster, node, "mkdir -p /mnt/gv && (mountpoint -q /mnt/gv || "
                              "mount -t glusterfs localhost:/gv /mnt/gv)")
        sh(cluster, writer, f"echo from-{writer} > /mnt/gv/{writer}")
        assert sh(cluster, reader, f"cat /mnt/gv/{writer}") == f"from-{writer}\n"
    heal = gluster(cluster, "volume", "heal", "gv", "info", node="rpi1").stdout
    assert heal.count("Status: Connected") == 4, heal
    op = gluster(cluster, "volume", "get", "all", "cluster.op-version", node="rpi1").stdout
    assert re.search(r"cluster\.op-version\s+100000", op), op  # the 10.3 nodes' level


@pytest.mark.timeout(300)
def test_fresh_nodes_install_glusterfs_from_the_local_repository_only(other_nodes) -> None:
    cluster = other_nodes.replace(SimConfig(count=2, os="rpi0=bookworm,rpi1=trixie", variant="fresh"))
    log = cluster.config.state_dir / "repo-server.log"
    for index, (node, suite) in enumerate(cluster.config.suites.items()):
        assert cluster.exec(node, ["dpkg-query", "-W", "glusterfs-server"], check=False).returncode == 1
        assert sh(cluster, node, "command -v gluster glusterd || echo none") == "none\n"
        assert sh(cluster, node, "ip -4 route").split() == [
            "10.0.0.0/16", "dev", "eth0", "proto", "kernel", "scope", "link", "src",
            cluster.config.address(index)]
        unreachable = cluster.exec(node, ["ip", "route", "get", "192.0.2.1"], check=False)
        assert unreachable.returncode != 0, unreachable  # no route: no packet can leave the node
        assert "Network is unreachable" in unreachable.stderr, unreachable
        started = time.monotonic()
        result = cluster.exec(node, ["sh", "-c", "apt-get update && DEBIAN_FRONTEND=noninteractive "
                                     "apt-get -q -y install glusterfs-server"], timeout=240)
        seconds = time.monotonic() - started
        print(f"{node} ({suite}): apt-get update + install glusterfs-server in {seconds:.1f} s")
        assert f"http://10.0.255.254:8642/{suite}" in result.stdout, result.stdout
        version = GLUSTER_OF[suite][1]
        assert sh(cluster, node, "gluster --version | head -1") == f"glusterfs {version}\n"
        downloads = [line for line in log.read_text().splitlines()
                     if line.startswith(cluster.config.address(index) + " ")
                     and f"glusterfs-server_{version}" in line]
        assert downloads, log.read_text()[-2000:]
        assert '" 200 ' in downloads[-1], downloads
        sh(cluster, node, ENABLE)
        start_glusterd(cluster, node)  # as on a full node: the package's postinst left it startable
        wait_for(lambda n=node: "localhost" in sh(cluster, n, "gluster pool list", check=False),
                 30, f"glusterd answers on {node}")


@pytest.mark.timeout(120)
def test_usb_stick_is_a_mounted_block_device_and_survives_power_off(cluster: SimCluster) -> None:
    for node in cluster.config.names:
        assert sh(cluster, node, "findmnt -n -o SOURCE,FSTYPE /mnt/usb").split() == ["/dev/sda1", "ext4"]
        assert sh(cluster, node, "test -b /dev/sda1 && stat -c %d / /mnt/usb | uniq | wc -l") == "2\n"
    sh(cluster, "rpi2", "echo kept > /mnt/usb/survivor")
    cluster.stop_node("rpi2")
    cluster.start_node("rpi2")
    assert sh(cluster, "rpi2", "cat /mnt/usb/survivor; rm /mnt/usb/survivor") == "kept\n"


@pytest.mark.timeout(120)
def test_usb_unplug_and_reboot_leaves_mnt_usb_unmounted_until_plugged_again(cluster: SimCluster) -> None:
    sh(cluster, "rpi2", "echo on-the-stick > /mnt/usb/marker")
    cluster.usb_unplug("rpi2")
    try:
        cluster.stop_node("rpi2")
        cluster.start_node("rpi2")
        assert cluster.usb_state("rpi2") == "unplugged"
        assert cluster.exec("rpi2", ["mountpoint", "/mnt/usb"], check=False).stdout == \
            "/mnt/usb is not a mountpoint\n"
        assert sh(cluster, "rpi2", "ls -A /mnt/usb; test -e /dev/sda1 || echo no-device") == "no-device\n"
        sh(cluster, "rpi2", "mkdir -p /mnt/usb/gv")  # the brick directory, now on the SD card
        assert sh(cluster, "rpi2", "stat -c %d / /mnt/usb/gv | uniq | wc -l") == "1\n"
    finally:
        cluster.usb_plug("rpi2")
    cluster.stop_node("rpi2")
    cluster.start_node("rpi2")
    assert cluster.usb_state("rpi2") == "mounted"
    assert sh(cluster, "rpi2", "cat /mnt/usb/marker; rm /mnt/usb/marker") == "on-the-stick\n"


@pytest.mark.timeout(120)
def test_down_after_a_crash_with_sticks_attached_leaves_nothing_behind(sim) -> None:
    cluster = sim.ensure_up()
    cluster.usb_unplug("rpi3")  # an unplugged stick of a running node stays attached until reboot
    cluster.config.state_file.unlink()  # as if the controlling process died
    SimCluster(cluster.config).down()
    # The dead controller's launchers would be reaped by init; ours still hold them as zombies.
    assert_no_traces(except_zombies=True)
    sim.down()
    assert_no_traces()


@pytest.mark.timeout(120)
def test_xfs_stick(other_nodes) -> None:
    cluster = other_nodes.replace(SimConfig(count=1, fs="xfs"))
    assert sh(cluster, "rpi0", "findmnt -n -o SOURCE,FSTYPE /mnt/usb").split() == ["/dev/sda1", "xfs"]
    assert sh(cluster, "rpi0", "grep /mnt/usb /etc/fstab").split()[:3] == ["/dev/sda1", "/mnt/usb", "xfs"]
