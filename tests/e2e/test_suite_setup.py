"""The suite's setup steps end to end: bare nodes to a started `gv` in one --apply run, idempotent,
check-only changes nothing, /etc/hosts kept byte for byte, existing volumes and old bricks untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from simcluster import SimCluster
from tests.e2e.suite_runner import (
    ALL_CHECKS,
    NODES,
    ConvergedCluster,
    cluster_state,
    gluster,
    run_suite,
    sh,
    write_spec,
)

pytestmark = pytest.mark.e2e

# From bare nodes: per node hosts block + Debian's `127.0.1.1 <name>` commented out + glusterd
# started + enabled (4 x 4), then 3 peer probes, volume created, volume started.
FIRST_APPLY_CHANGES = 21


def _assert_converged_from_bare(first, second, cluster: SimCluster) -> None:
    assert first.rc == 0, first.describe()
    assert first.failed == set(), first.describe()
    assert len(first.passed) == ALL_CHECKS, first.describe()
    assert first.changes == FIRST_APPLY_CHANGES, first.describe()
    assert "changed: created volume gv: 2 x 2 = 4 Distributed-Replicate" in first.summary
    info = gluster(cluster, "rpi0", "volume", "info", "gv")
    assert "Status: Started" in info, info
    assert "Number of Bricks: 2 x 2 = 4" in info, info
    assert [line.split(": ", 1)[1] for line in info.splitlines() if line.startswith("Brick")
            and ":" in line and line[5:6].isdigit()] == [f"{n}:/mnt/usb/gv" for n in NODES], info
    assert second.rc == 0, second.describe()
    assert second.failed == set(), second.describe()
    assert second.changes == 0, second.describe()


def test_apply_from_bare_nodes_then_idempotent_and_check_only_changes_nothing(
        sim, converged_cluster: ConvergedCluster, tmp_path: Path) -> None:
    converged_cluster.invalidate()
    cluster = sim.fresh()
    first = run_suite(tmp_path, "--apply", "--replace-hosts-conflicts")
    second = run_suite(tmp_path, "--apply", "--replace-hosts-conflicts")
    _assert_converged_from_bare(first, second, cluster)
    before = cluster_state(cluster)
    check = run_suite(tmp_path)
    assert check.rc == 0, check.describe()
    assert len(check.passed) == ALL_CHECKS, check.describe()
    assert check.changes == 0, check.describe()
    assert "setup steps (check-only" in check.summary, check.describe()
    assert cluster_state(cluster) == before
    converged_cluster.adopt()


def test_apply_with_four_workers_runs_setup_once(sim, converged_cluster: ConvergedCluster,
                                                 tmp_path: Path) -> None:
    converged_cluster.invalidate()
    cluster = sim.fresh()
    first = run_suite(tmp_path, "--apply", "--replace-hosts-conflicts", "-n", "4")
    second = run_suite(tmp_path, "--apply", "--replace-hosts-conflicts", "-n", "4")
    _assert_converged_from_bare(first, second, cluster)
    assert first.summary.count("started volume gv") == 1, first.describe()
    # glusterd's own record: every state-changing command, once, whichever worker ran setup.
    history = sh(cluster, "rpi0", "cat /var/log/glusterfs/cmd_history.log")
    assert history.count("volume create gv ") == 1, history
    assert history.count("volume start gv ") == 1, history
    for node in NODES[1:]:
        assert history.count(f"peer probe {node} ") == 1, history
    converged_cluster.adopt()


HAND_KEPT_HOSTS = (
    "# /etc/hosts of rpi1, kept by hand\n"
    "127.0.0.1\tlocalhost\n"
    "\n"
    "# the NAS and the printer\n"
    "192.168.1.50   nas.lan nas   # trailing comment\n"
    "192.168.1.51\t\tprinter\n"
    "\t\n"
    "::1     localhost ip6-localhost ip6-loopback\n"
    "ff02::1\tip6-allnodes\n"
    "fe00::0 ip6-localnet\n"
    "10.0.9.9\trpi2\n"
    "   # an indented comment, then trailing blanks\n"
    "\n"
)


def _outside_block(text: str) -> str:
    lines = text.splitlines(keepends=True)
    begin = next(i for i, line in enumerate(lines) if line.startswith("# BEGIN glustercheck"))
    end = next(i for i, line in enumerate(lines) if line.startswith("# END glustercheck"))
    return "".join(lines[:begin] + lines[end + 1:])


def test_hand_kept_hosts_file_is_kept_byte_for_byte_and_conflict_left_alone(
        healthy: SimCluster, tmp_path: Path) -> None:
    converged_hosts = sh(healthy, "rpi1", "cat /etc/hosts")
    sh(healthy, "rpi1", "cat > /etc/hosts", stdin=HAND_KEPT_HOSTS)
    try:
        result = run_suite(tmp_path, "--apply", "-k", "test_names")
        after = sh(healthy, "rpi1", "cat /etc/hosts")
    finally:
        sh(healthy, "rpi1", "cat > /etc/hosts", stdin=converged_hosts)
    assert _outside_block(after) == HAND_KEPT_HOSTS, after
    assert "10.0.1.2\trpi2\n" in after
    assert "10.0.9.9\trpi2\n" in after
    assert result.changes == 1, result.describe()
    assert "rpi1: changed: /etc/hosts: managed block with 4 nodes written" in result.summary
    assert ("rpi1: problem: /etc/hosts line 11 `10.0.9.9\trpi2` maps rpi2 to 10.0.9.9, the cluster "
            "spec says 10.0.1.2: left alone") in result.summary, result.describe()
    # The conflict is not hidden by the managed block: rpi1 may reach rpi2 at the wrong address.
    assert result.failed == {"test_cluster_names_resolve_to_spec_addresses[rpi1]",
                             "test_every_name_means_one_address_across_nodes"}, result.describe()
    assert "10.0.9.9" in result.message("test_cluster_names_resolve_to_spec_addresses[rpi1]")
    assert {f"test_cluster_names_resolve_to_spec_addresses[{n}]" for n in ("rpi0", "rpi2", "rpi3")} \
        <= result.passed


def test_different_layout_for_existing_volume_fails_and_changes_nothing(
        healthy: SimCluster, tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "replica4.toml", replace=("replica = 2", "replica = 4"))
    before = gluster(healthy, "rpi0", "volume", "info")
    result = run_suite(tmp_path, "--apply", "-k", "test_volume_started_as_declared", spec=spec)
    assert gluster(healthy, "rpi0", "volume", "info") == before
    assert result.changes == 0, result.describe()
    assert result.failed == {"test_volume_started_as_declared[volume=gv]"}, result.describe()
    message = result.message("test_volume_started_as_declared[volume=gv]")
    assert "Number of Bricks '2 x 2 = 4', declared '1 x 4 = 4'" in message, message
    assert "volume=gv: ERROR: volumes: " not in result.summary
    assert ("volume gv exists with a different layout: Number of Bricks '2 x 2 = 4', declared "
            "'1 x 4 = 4'") in result.summary, result.describe()
    assert "Nothing was changed" in result.summary


def test_brick_path_of_a_deleted_volume_is_refused_and_its_data_kept(
        healthy: SimCluster, tmp_path: Path) -> None:
    old = ("rpi0:/mnt/usb/old", "rpi1:/mnt/usb/old")
    try:
        gluster(healthy, "rpi0", "volume", "create", "old", "replica", "2", *old)
        gluster(healthy, "rpi0", "volume", "start", "old")
        sh(healthy, "rpi0", "mkdir -p /mnt/oldvol && mount -t glusterfs rpi0:/old /mnt/oldvol && "
                            "echo 'precious data' > /mnt/oldvol/keep.txt && umount /mnt/oldvol && "
                            "rmdir /mnt/oldvol")
        gluster(healthy, "rpi0", "volume", "stop", "old")
        gluster(healthy, "rpi0", "volume", "delete", "old")
        spec = write_spec(tmp_path / "reuse.toml", '[[volumes]]\nname = "nv"\nreplica = 2\n'
                          'bricks = ["rpi0:/mnt/usb/old", "rpi1:/mnt/usb/old"]\n')
        result = run_suite(tmp_path, "--apply", "-k", "test_volume_started_as_declared", spec=spec)
        assert result.changes == 0, result.describe()
        assert result.failed == {"test_volume_started_as_declared[volume=nv]"}, result.describe()
        assert "test_volume_started_as_declared[volume=gv]" in result.passed
        assert ("volume=nv: ERROR: brick rpi0:/mnt/usb/old already belongs to a volume "
                "(trusted.glusterfs.volume-id=0x") in result.summary, result.describe()
        assert "Nothing was changed and its data is untouched" in result.summary
        assert "already belongs to a volume" in result.message(
            "test_volume_started_as_declared[volume=nv]")
        assert "does not exist" in gluster(healthy, "rpi0", "volume", "info", "nv", check=False)
        for node in ("rpi0", "rpi1"):
            assert sh(healthy, node, "cat /mnt/usb/old/keep.txt") == "precious data\n"
    finally:
        gluster(healthy, "rpi0", "volume", "stop", "old", check=False)
        gluster(healthy, "rpi0", "volume", "delete", "old", check=False)
        for node in ("rpi0", "rpi1"):
            sh(healthy, node, "rm -rf /mnt/usb/old", check=False)
