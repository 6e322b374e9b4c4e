"""Node and cluster facts: the batched script's output parsed into values (offline)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from glustercheck.errors import ParseError
from glustercheck.facts import (
    MARK,
    cluster_script,
    node_script,
    parse_cluster_facts,
    parse_node_facts,
)

LIVE = Path(__file__).parent.parent / "vectors" / "10.3-live"
NAMES = ["rpi0", "rpi1", "rpi2", "rpi3"]


def sections(**parts: str) -> str:
    return "".join(f"{MARK}{name}\n{text}\n" for name, text in parts.items())


def healthy_rpi0() -> str:
    return sections(
        hostname="rpi0",
        hosts="127.0.0.1\tlocalhost\n10.0.1.0\trpi0\n10.0.1.1\trpi1\n10.0.1.2\trpi2\n10.0.1.3\trpi3",
        getent="rpi0 10.0.1.0 \nrpi1 10.0.1.1 \nrpi2 10.0.1.2 \nrpi3 10.0.1.3 ",
        links="rpi2 yes yes yes\nrpi1 yes yes yes\nrpi3 yes no no",
        glusterd="running", pid1="python3", enabled="enabled",
        package="install ok installed 10.3-5", version="glusterfs 10.3",
        uuid="a33522e0-6f34-43c2-aab4-6381cb29146a",
        opversion="Option              Value\n------              -----\n"
                  "cluster.op-version  100000",
        peers=(LIVE / "peer-status.xml").read_text(),
        disks="/mnt/usb/gv /mnt/usb 134217728 67108864 3085457 308545",
    )


def test_healthy_node_facts_parse_to_values() -> None:
    facts = parse_node_facts("rpi0", NAMES, healthy_rpi0())
    assert facts.hostname == "rpi0"
    assert facts.resolved["rpi2"] == ("10.0.1.2",)
    assert facts.links["rpi1"].problem is None
    assert facts.links["rpi3"].problem == "no ICMP reply (ping by name)"
    assert (facts.glusterd_running, facts.glusterd_enabled, facts.systemd) == (True, True, False)
    assert (facts.package, facts.version, facts.op_version) == ("10.3-5", (10, 3), 100000)
    assert [p.hostname for p in facts.peers] == ["rpi1", "rpi2", "rpi3"]
    disk = facts.disks["/mnt/usb/gv"]
    assert (disk.mount, round(disk.percent), round(disk.inode_percent)) == ("/mnt/usb", 50, 10)


def test_stopped_glusterd_gives_no_peers_and_says_why() -> None:
    text = healthy_rpi0().replace("running", "stopped")
    text = text[: text.index(f"{MARK}opversion")] + text[text.index(f"{MARK}disks"):]
    facts = parse_node_facts("rpi0", NAMES, text)
    assert facts.peers is None
    assert facts.peers_error == "glusterd is not running"
    assert facts.op_version is None


def test_truncated_output_names_the_missing_section() -> None:
    text = healthy_rpi0()
    with pytest.raises(ParseError, match="section 'disks' missing"):
        parse_node_facts("rpi0", NAMES, text[: text.index(f"{MARK}disks")])


def test_cluster_facts_from_live_vectors() -> None:
    text = sections(info=(LIVE / "volume-info.xml").read_text(),
                    status=(LIVE / "volume-status.xml").read_text(),
                    **{"heal:gv": (LIVE / "heal-info-gv.xml").read_text(),
                       "heal:dist": (LIVE / "heal-info-dist.xml").read_text()})
    facts = parse_cluster_facts("rpi0", text, ["gv", "dist"])
    assert facts.errors == {}
    assert facts.volumes["gv"].count_string == "2 x 2 = 4"
    assert facts.heal["gv"].pending_entries == 0
    assert facts.heal["dist"].applicable is False
    assert all(b.online for b in facts.status["gv"].bricks)


def test_scripts_are_valid_shell_and_quote_hostile_names() -> None:
    hostile = ["rpi0", "a'b", "$(touch /tmp/pwned)", "x y"]
    for script in (node_script(hostile, "rpi0", ["/mnt/usb/g v"]), cluster_script(["g'v"])):
        result = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True,
                                check=False, timeout=10)
        assert result.returncode == 0, result.stderr
    assert "'$(touch /tmp/pwned)'" in node_script(hostile, "rpi0", [])
