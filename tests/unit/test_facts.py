"""Node and cluster facts: the batched script's output parsed into values (offline)."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from glustercheck.errors import ParseError
from glustercheck.facts import (
    HEAL_COUNT,
    HEAL_INFO,
    MARK,
    BrickDir,
    gather_cluster_facts,
    heal_plan,
    heal_script,
    node_script,
    parse_cluster_facts,
    parse_node_facts,
    parse_op_versions,
    state_script,
)
from glustercheck.parsers import parse_volume_info_xml
from glustercheck.remote import CommandResult

LIVE = Path(__file__).parent.parent / "vectors" / "10.3-live"
NAMES = ["rpi0", "rpi1", "rpi2", "rpi3"]
# A hand-kept file: tabs, a trailing blank line and no final newline must all survive the trip.
HOSTS = "127.0.0.1\tlocalhost\n10.0.1.0\trpi0\n10.0.1.1\trpi1\n10.0.1.2\trpi2\n10.0.1.3\trpi3\n\n# end"


def sections(**parts: str) -> str:
    return "".join(f"{MARK}{name}\n{text}\n" for name, text in parts.items())


def healthy_rpi0() -> str:
    return sections(
        hostname="rpi0",
        hosts=base64.b64encode(HOSTS.encode()).decode(),
        getent="rpi0 10.0.1.0 \nrpi1 10.0.1.1 \nrpi2 10.0.1.2 \nrpi3 10.0.1.3 ",
        links="rpi2 yes yes yes\nrpi1 yes yes yes\nrpi3 yes no no",
        glusterd="running", pid1="python3", enabled="enabled",
        package="install ok installed 10.3-5", version="glusterfs 10.3",
        uuid="a33522e0-6f34-43c2-aab4-6381cb29146a",
        opversion="Option              Value\n------              -----\n"
                  "cluster.op-version  100000",
        peers=(LIVE / "peer-status.xml").read_text(),
        bricks="getfattr\nyes yes 0x25061cfdcf25485b9ae89f6b37cdd3d4 files /mnt/usb/gv",
        disks="/mnt/usb/gv /mnt/usb 134217728 67108864 3085457 308545",
    )


def test_getents_whole_answer_reads_as_the_names_addresses() -> None:
    # node_script prints `getent ahostsv4 NAME` on the name's line as getent answers it: each
    # address per socket type, the canonical name (here one that looks like neither) after the first.
    text = healthy_rpi0().replace(
        "rpi1 10.0.1.1 \n", "rpi1 10.0.1.1 STREAM rpi1.lan 10.0.1.1 DGRAM 10.0.1.1 RAW "
                            "10.0.9.1 STREAM 10.0.9.1 DGRAM 10.0.9.1 RAW\n")
    resolved = parse_node_facts("rpi0", NAMES, text).resolved
    assert resolved["rpi1"] == ("10.0.1.1", "10.0.9.1")
    assert resolved["rpi2"] == ("10.0.1.2",)


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
    assert facts.hosts_file == HOSTS
    assert facts.brick_dirs["/mnt/usb/gv"] == BrickDir("/mnt/usb/gv", True, True,
                                                       "0x25061cfdcf25485b9ae89f6b37cdd3d4", False)
    assert facts.create_intents == frozenset()
    assert facts.getfattr


def test_an_interrupted_create_shows_as_an_empty_directory_and_our_record() -> None:
    text = healthy_rpi0().replace(
        "yes yes 0x25061cfdcf25485b9ae89f6b37cdd3d4 files /mnt/usb/gv",
        "yes yes 0xf33c empty /mnt/usb/gv2\nno yes - - /mnt/usb/my brick")
    text += f"{MARK}intents\ngv2 /mnt/usb/gv2\ngv3 /mnt/usb/a b\n"
    facts = parse_node_facts("rpi0", NAMES, text)
    assert facts.brick_dirs["/mnt/usb/gv2"].empty is True
    assert facts.brick_dirs["/mnt/usb/my brick"] == BrickDir("/mnt/usb/my brick", False, True, None)
    assert facts.create_intents == {("gv2", "/mnt/usb/gv2"), ("gv3", "/mnt/usb/a b")}


def test_a_brick_line_of_another_shape_is_a_parse_error_naming_the_node() -> None:
    text = healthy_rpi0().replace("0x25061cfdcf25485b9ae89f6b37cdd3d4 files /mnt", "0x25061 /mnt")
    with pytest.raises(ParseError, match="node facts of rpi0: brick line 'yes yes 0x25061 /mnt/usb/gv'"):
        parse_node_facts("rpi0", NAMES, text)


def test_stopped_glusterd_gives_no_peers_and_says_why() -> None:
    text = healthy_rpi0().replace("running", "stopped")
    text = text[: text.index(f"{MARK}opversion")] + text[text.index(f"{MARK}bricks"):]
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
                    **{"status:gv": (LIVE / "volume-status.xml").read_text(),
                       "status:dist": (LIVE / "volume-status.xml").read_text()},
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
    scripts = (node_script(hostile, "rpi0", ["/mnt/usb/g v"]), state_script(["g'v", "x y"]),
               heal_script({"g'v": HEAL_INFO, "$(touch /tmp/pwned)": HEAL_COUNT}))
    for script in scripts:
        result = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True,
                                check=False, timeout=10)
        assert result.returncode == 0, result.stderr
    assert "'$(touch /tmp/pwned)'" in node_script(hostile, "rpi0", [])


LIVE_VOLUMES = {v.name: v for v in parse_volume_info_xml((LIVE / "volume-info.xml").read_text())}


def test_heal_plan_with_every_server_up_asks_heal_info_except_for_distribute() -> None:
    plan, known, unread = heal_plan(LIVE_VOLUMES, ["gv", "arb", "disp", "dist", "gone"], lambda h: False)
    assert plan == {"gv": HEAL_INFO, "arb": HEAL_INFO, "disp": HEAL_INFO}
    assert known.keys() == {"dist"}
    assert known["dist"].applicable is False
    assert unread == {}  # "gone" does not exist: the volume checks say so, not the heal state


def test_heal_plan_counts_instead_of_waiting_for_an_unreachable_server() -> None:
    plan, known, unread = heal_plan(LIVE_VOLUMES, ["gv", "arb", "disp", "dist"], lambda h: h == "rpi2")
    assert plan == {"gv": HEAL_COUNT, "arb": HEAL_COUNT}  # replicated: the self-heal daemons count
    assert set(known) == {"dist"}
    reason = unread["heal info disp"]  # disperse: gluster has no client-free count
    assert "rpi2 is unreachable" in reason
    assert "replicated volumes only" in reason
    plan, _, unread = heal_plan(LIVE_VOLUMES, ["gv", "disp"], lambda h: h == "rpi0")
    assert plan == {"gv": HEAL_COUNT, "disp": HEAL_INFO}  # disp has no brick on rpi0
    assert unread == {}


class FakeNode:
    """Answers the cluster scripts from live vectors and records which gluster commands ran."""

    def __init__(self, heal_count: str) -> None:
        self.heal_count = heal_count
        self.commands: list[str] = []

    def __call__(self, script: str) -> CommandResult:
        out = []
        for line in script.splitlines():
            if not line.startswith("s "):
                continue
            section = line.split(";")[0][2:].strip("'")
            self.commands.append(line.split("; ", 1)[1])
            vectors = {"info": "volume-info.xml", "status:gv": "volume-status.xml",
                       "status:dist": "volume-status.xml",
                       "heal:gv": "heal-info-gv.xml", "count:gv": self.heal_count}
            out.append(f"{MARK}{section}\n{(LIVE / vectors[section]).read_text()}")
        return CommandResult("rpi0", script, 0, "\n".join(out), "", 0.01)


def test_gather_cluster_facts_asks_heal_info_when_every_server_answers() -> None:
    node = FakeNode("heal-count-gv.txt")
    facts = gather_cluster_facts(node, "rpi0", ["gv", "dist"])
    assert facts.errors == {}
    assert facts.heal["gv"].counted_only is False
    assert facts.heal["gv"].pending_entries == 0
    assert facts.heal["dist"].applicable is False
    assert sum("volume heal" in c for c in node.commands) == 1  # none asked for the distribute volume


def test_gather_cluster_facts_counts_heal_while_a_brick_server_is_unreachable() -> None:
    node = FakeNode("heal-count-gv-pending-rpi2-off.txt")
    asked: list[str] = []

    def unreachable(host: str) -> bool:
        asked.append(host)
        return host == "rpi2"

    facts = gather_cluster_facts(node, "rpi0", ["gv"], unreachable)
    assert facts.errors == {}
    assert "rpi2" in asked
    heal = facts.heal["gv"]
    assert heal.counted_only
    assert [b.entries for b in heal.bricks] == [0, 0, None, 4]
    assert not any(c.endswith("volume heal gv info") for c in node.commands)
    assert any("volume heal gv statistics heal-count" in c for c in node.commands)


def test_status_is_asked_per_volume_and_a_missing_one_is_an_error() -> None:
    text = sections(info=(LIVE / "volume-info.xml").read_text(),
                    **{"status:gv": (LIVE / "volume-status.xml").read_text(),
                       "status:arb": "Another transaction is in progress for arb. Please try again after "
                                     "some time.",
                       "status:disp": (LIVE / "volume-info-none.xml").read_text().replace(
                           "<volInfo>", "<volStatus><volumes/></volStatus><volInfo>")})
    facts = parse_cluster_facts("rpi0", text, ["gv", "arb", "disp", "dist"])
    assert set(facts.status) == {"gv"}
    assert "Another transaction is in progress for arb" in facts.errors["volume status arb"]
    assert facts.errors["volume status disp"] == "gluster answered without this volume's status"
    assert "cut short" in facts.errors["volume status dist"]


def test_the_op_version_is_the_stored_one_and_the_pools_highest_the_first_nodes_answer() -> None:
    pool = "Option                  Value\n------                  -----\ncluster.max-op-version  110000"
    text = healthy_rpi0().replace(f"{MARK}opversion\n", f"{MARK}opstored\n90000\n{MARK}opversion\n") \
        .replace("cluster.op-version  100000", pool.split("\n", 2)[2])
    facts = parse_node_facts("rpi0", NAMES, text)
    assert (facts.op_version, facts.max_op_version) == (90000, 110000)
    # No glusterd.info yet (a node never used), or no value in it: unknown, not the CLI's word.
    never_used = healthy_rpi0().replace(f"{MARK}opversion\n", f"{MARK}opstored\n\n{MARK}opversion\n")
    assert parse_node_facts("rpi0", NAMES, never_used).op_version is None
    # A capture from before the stored value was read: the CLI's answer, as then.
    assert parse_node_facts("rpi0", NAMES, healthy_rpi0()).op_version == 100000


def test_only_the_first_node_asks_the_pools_max_op_version() -> None:
    first = node_script(NAMES, "rpi0", ["/mnt/usb/gv"], ["gv"], pool=True)
    other = node_script(NAMES, "rpi1", ["/mnt/usb/gv"])
    assert "volume get all cluster.max-op-version" in first
    assert "volume get" not in other
    for script in (first, other):
        assert "s opstored; sed -n 's/^operating-version=//p' /var/lib/glusterd/glusterd.info" in script


def test_op_versions_read_from_gluster_11_1s_own_answers() -> None:
    live = Path(__file__).parent.parent / "vectors" / "11.1-live"
    assert parse_op_versions((live / "volume-get-op-version.out").read_text()) == (110000, None)
    assert parse_op_versions((live / "volume-get-max-op-version.out").read_text()) == (None, 110000)
    assert parse_op_versions("volume get: failed: Another transaction is in progress") == (None, None)


# Stand-ins for what the guard runs: `pgrep` (glusterd runs), `ps` (its state) and `timeout`,
# which answers every gluster call as glusterd would: silent (exit 124, the way `timeout` reports
# its limit reached) the first SILENCES times, then with the live `peer status`. Each call's limit
# is logged.
_STAND_INS = {
    "pgrep": "#!/bin/sh\nexit 0\n",
    "ps": '#!/bin/sh\necho "$GLUSTERD_STATE"\n',
    "timeout": ('#!/bin/sh\necho "$1" >> "$CALLS"\nn=$(wc -l < "$CALLS")\n'
                '[ "$n" -le "$SILENCES" ] && exit 124\ncat "$PEERS"\n'),
}


@pytest.mark.parametrize(("state", "silences", "limits", "hung"), [
    ("Tl", 1, ["5"], "no answer within 5 s, and glusterd is stopped (SIGSTOP)"),
    ("Ssl", 2, ["5", "15"], "no answer within 20 s"),
    ("Ssl", 1, ["5", "15"], None),
], ids=["stopped: hung at once", "running, silent 20 s: hung", "running, answers late: peers"])
def test_a_silent_glusterd_is_hung_when_stopped_and_waited_for_while_it_runs(
        tmp_path: Path, state: str, silences: int, limits: list[str], hung: str | None) -> None:
    """At 64 simulated nodes under load 217 a running glusterd answered `peer status` after the
    guard's 5 s and a check-only run called it hung; a stopped one (SIGSTOP) never answers."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in _STAND_INS.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    calls = tmp_path / "calls"
    calls.touch()
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "GLUSTERD_STATE": state, "CALLS": str(calls),
           "SILENCES": str(silences), "PEERS": str(LIVE / "peer-status.xml")}
    script = node_script(["no-such-node-a", "no-such-node-b"], "no-such-node-a", [str(tmp_path)])
    result = subprocess.run(["sh", "-s"], input=script, text=True, capture_output=True, env=env,
                            check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert calls.read_text().split() == limits
    facts = parse_node_facts("rpi0", ["no-such-node-a", "no-such-node-b"], result.stdout)
    assert facts.glusterd_hung is (hung is not None)
    if hung is None:
        assert facts.peers is not None
        assert len(facts.peers) == 3
    else:
        assert facts.peers is None
        assert facts.peers_error == f"glusterd runs but does not answer (gluster peer status: {hung})"
