"""The setup steps as pure planners, over facts recorded on real nodes (offline).

tests/vectors/facts/10.3 holds what the fact scripts printed on four simulated Pis right after first
boot (`bare/`) and after `--apply` converged them (`converged/`): planners read them exactly as
they read live facts, so every expected action here is what a real run would do.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from glustercheck.actions import (
    CLUSTER,
    ClearHalfMadeBrick,
    ForgetCreate,
    GlusterdAnswers,
    InstallPackage,
    MakeDirectory,
    PeerProbe,
    PeersConnected,
    RecordCreate,
    SetupError,
    SetupReport,
    StartGlusterd,
    VolumeCreate,
    VolumeSet,
    VolumeStart,
    WriteHostsFile,
    record_missing,
)
from glustercheck.facts import (
    BrickDir,
    ClusterFacts,
    NodeFacts,
    add_heal,
    parse_cluster_facts,
    parse_node_facts,
    split_sections,
)
from glustercheck.hosts_file import BEGIN
from glustercheck.spec import ClusterSpec, loads_spec
from glustercheck_setup_steps import Observed, StepContext, daemon, hosts_file, package, peers, volumes

VECTORS = Path(__file__).parent.parent / "vectors" / "facts" / "10.3"
SPEC = loads_spec((VECTORS / "spec.toml").read_text())
NAMES = [n.name for n in SPEC.nodes]
CTX = StepContext(SPEC)


def node_facts(state: str) -> dict[str, NodeFacts]:
    return {n: parse_node_facts(n, NAMES, (VECTORS / state / f"{n}.txt").read_text()) for n in NAMES}


def cluster_facts() -> ClusterFacts:
    facts = parse_cluster_facts("rpi0", (VECTORS / "converged" / "state.txt").read_text(), ["gv"])
    add_heal(facts, split_sections((VECTORS / "converged" / "heal.txt").read_text()), ["gv"])
    return facts


BARE, CONVERGED = node_facts("bare"), node_facts("converged")


def missing_lines(plan_actions: list) -> dict[str, list[str]]:  # type: ignore[type-arg]
    report = SetupReport(apply=False)
    record_missing(report, plan_actions)
    return report.missing


# ----- the no-op plan: a converged cluster needs nothing ---------------------------------------

@pytest.mark.parametrize("step", [hosts_file, package, daemon], ids=lambda s: s.NAME)
def test_node_steps_plan_nothing_on_converged_nodes(step) -> None:  # type: ignore[no-untyped-def]
    for name in NAMES:
        plan = step.plan(CONVERGED[name], CTX)
        assert (plan.actions, plan.problems, plan.errors) == ([], [], []), name


def test_cluster_steps_plan_nothing_on_a_converged_cluster() -> None:
    observed = Observed(CONVERGED, cluster_facts())
    peers_plan = peers.plan(observed, CTX)
    assert peers_plan.settled
    assert not peers_plan.errors
    volumes_plan = volumes.plan(observed, CTX)
    assert volumes_plan.settled
    assert not volumes_plan.errors
    assert ("volume=gv", "exists as declared (2 x 2 = 4)") in volumes_plan.inspected
    # The only note: gluster's own advice on replica 2 (a problem, not an error).
    assert [k for k, _ in volumes_plan.problems] == ["volume=gv"]
    assert "Replica 2 volumes are prone to split-brain" in volumes_plan.problems[0][1]


# ----- bare nodes, as after first boot ------------------------------------------------------------

def test_hosts_file_on_a_bare_node_writes_the_block_and_reports_debians_line() -> None:
    plan = hosts_file.plan(BARE["rpi1"], CTX)
    (write,) = plan.actions
    assert isinstance(write, WriteHostsFile)
    assert write.node == "rpi1"
    assert len(write.adds) == 4
    assert write.text.startswith("127.0.0.1\tlocalhost\n127.0.1.1\trpi1\n" + BEGIN)
    assert "10.0.1.2\trpi2\n" in write.text
    assert write.replaced == ()
    assert plan.problems == [("rpi1", "/etc/hosts line 2 `127.0.1.1\trpi1` maps rpi1 to 127.0.1.1, "
                                      "the cluster spec says 10.0.1.1: left alone "
                                      "(--apply --replace-hosts-conflicts comments it out)")]
    assert missing_lines(plan.actions) == {"rpi1": [
        "not configured: /etc/hosts does not map rpi0 to 10.0.1.0, rpi1 to 10.0.1.1, rpi2 to "
        "10.0.1.2, rpi3 to 10.0.1.3; run with --apply"]}


def test_hosts_file_with_replace_comments_the_conflict_out() -> None:
    plan = hosts_file.plan(BARE["rpi1"], StepContext(SPEC, replace_hosts_conflicts=True))
    (write,) = plan.actions
    assert plan.problems == []
    assert "# glustercheck: 127.0.1.1\trpi1" in write.text
    assert write.done()[1].startswith("/etc/hosts: line 2 `127.0.1.1\trpi1` maps rpi1 to 127.0.1.1")


def test_hosts_file_rewrite_is_byte_exact_and_travels_encoded() -> None:
    odd = dataclasses.replace(BARE["rpi0"], hosts_file="10.9.9.9 nas\r\n\n\n# no final newline")
    (write,) = hosts_file.plan(odd, CTX).actions
    assert write.text.startswith("10.9.9.9 nas\r\n\n\n# no final newline\n" + BEGIN)
    command = write.command()
    assert "base64 -d" in (command.script or "")
    import base64
    assert base64.b64decode(command.stdin or "").decode() == write.text


def test_hosts_file_not_managed_without_addresses() -> None:
    spec = loads_spec('[[nodes]]\nname = "rpi0"\n[[nodes]]\nname = "rpi1"\naddress = "10.0.1.1"\n')
    plan = hosts_file.plan(BARE["rpi0"], StepContext(spec))
    assert plan.actions == []
    assert plan.inspected == [("rpi0", "/etc/hosts not managed: the spec gives no address for some "
                                       "nodes")]


def test_package_missing_plans_the_install() -> None:
    plan = package.plan(dataclasses.replace(BARE["rpi2"], package=None), CTX)
    assert plan.actions == [InstallPackage("rpi2")]
    command = plan.actions[0].command()
    assert "apt-get -o DPkg::Lock::Timeout=300 -q update" in (command.script or "")
    assert command.script.endswith("install glusterfs-server")  # type: ignore[union-attr]
    assert command.timeout == 900
    assert missing_lines(plan.actions) == {"rpi2": [
        "not configured: package glusterfs-server is not installed; run with --apply"]}


def test_package_installed_on_bare_nodes_plans_nothing() -> None:
    plan = package.plan(BARE["rpi0"], CTX)
    assert plan.actions == []
    assert plan.inspected == [("rpi0", "glusterfs-server 10.3-5 installed")]


def test_daemon_on_a_bare_node_starts_and_enables_without_systemd() -> None:
    plan = daemon.plan(BARE["rpi3"], CTX)
    assert plan.actions == [StartGlusterd("rpi3", start=True, enable=True, systemd=False)]
    action = plan.actions[0]
    script = action.command().script or ""
    assert "ln -sf /lib/systemd/system/glusterd.service" in script
    assert "/usr/sbin/glusterd -p /run/glusterd.pid" in script
    assert action.done() == ("started glusterd", "enabled glusterd at boot")
    assert missing_lines(plan.actions) == {"rpi3": [
        "not configured: glusterd not running and not enabled at boot; run with --apply"]}


def test_daemon_with_systemd_uses_systemctl_and_only_what_lacks() -> None:
    facts = dataclasses.replace(CONVERGED["rpi3"], systemd=True, glusterd_enabled=False)
    (action,) = daemon.plan(facts, CTX).actions
    assert action == StartGlusterd("rpi3", start=False, enable=True, systemd=True)
    assert (action.command().script or "").startswith("systemctl enable --now glusterd")
    assert action.done() == ("enabled glusterd at boot",)


# ----- peers ------------------------------------------------------------------------------------

def _without_peers(facts: NodeFacts) -> NodeFacts:
    return dataclasses.replace(facts, peers=(), peers_error=None)


def test_peers_from_nothing_the_first_node_probes_the_others_by_name() -> None:
    nodes = {n: _without_peers(f) for n, f in CONVERGED.items()}
    plan = peers.plan(Observed(nodes), CTX)
    assert plan.actions == [PeerProbe("rpi0", n, tuple(NAMES)) for n in NAMES[1:]]
    assert plan.actions[0].command().argv == ("peer", "probe", "rpi1")
    assert plan.actions[0].command().gluster
    assert plan.actions[0].settle == PeersConnected(tuple(NAMES))
    assert missing_lines(plan.actions)["rpi2"] == [
        "not configured: not in rpi0's trusted pool (`gluster peer probe rpi2`); run with --apply"]


def test_peers_known_by_address_are_not_probed_again() -> None:
    first = CONVERGED["rpi0"]
    by_address = tuple(dataclasses.replace(p, hostname=f"10.0.1.{NAMES.index(p.hostname)}",
                                           other_names=()) for p in first.peers or ())
    nodes = dict(CONVERGED, rpi0=dataclasses.replace(first, peers=by_address))
    plan = peers.plan(Observed(nodes), CTX)
    assert not any(a.node == "rpi0" for a in plan.actions)


def test_peers_that_know_the_first_node_only_by_address_probe_it_back() -> None:
    def only_address(facts: NodeFacts) -> NodeFacts:
        peers_ = tuple(dataclasses.replace(p, hostname="10.0.1.0", other_names=())
                       if p.uuid == CONVERGED["rpi0"].uuid else p for p in facts.peers or ())
        return dataclasses.replace(facts, peers=peers_)

    nodes = {n: only_address(f) if n != "rpi0" else f for n, f in CONVERGED.items()}
    plan = peers.plan(Observed(nodes), CTX)
    assert plan.actions == [PeerProbe(n, "rpi0", tuple(NAMES), back=True) for n in NAMES[1:]]
    assert plan.actions[0].done() == ("rpi1: gluster peer probe rpi0 (probe back, so rpi0 is known "
                                      "by name, not only by address)",)
    assert plan.actions[0].key == CLUSTER


def test_peers_not_yet_connected_are_waited_for_before_probing_back() -> None:
    peers_of_rpi2 = tuple(dataclasses.replace(p, connected=False) for p in CONVERGED["rpi2"].peers or ())
    nodes = dict(CONVERGED, rpi2=dataclasses.replace(CONVERGED["rpi2"], peers=peers_of_rpi2))
    plan = peers.plan(Observed(nodes), CTX)
    assert plan.actions == []
    assert plan.waits == [PeersConnected(tuple(NAMES))]


def test_peers_step_fails_clearly_when_the_first_node_cannot_say() -> None:
    error = "glusterd is not running"
    nodes = dict(CONVERGED, rpi0=dataclasses.replace(CONVERGED["rpi0"], peers=None,
                                                     peers_error=error, glusterd_running=False))
    with pytest.raises(SetupError, match=re.escape(f"rpi0: cannot read peer status: {error}")):
        peers.plan(Observed(nodes), CTX)


@pytest.mark.parametrize("silent", [("rpi0",), ("rpi0", "rpi2")], ids=["first node", "two nodes"])
def test_a_glusterd_silent_past_the_facts_5_s_is_waited_for_and_named_meanwhile(
        silent: tuple[str, ...]) -> None:
    """Busy (just probed 63 peers) or hung: --apply waits for an answer (pool_waits), a
    check-only run records what the facts saw; nothing is probed meanwhile."""
    error = "glusterd runs but does not answer (gluster peer status: no answer within 5 s)"
    nodes = dict(CONVERGED) | {n: dataclasses.replace(CONVERGED[n], peers=None, peers_error=error,
                                                      glusterd_hung=True) for n in silent}
    plan = peers.plan(Observed(nodes), CTX)
    assert plan.actions == []
    assert plan.waits == [GlusterdAnswers(silent)]
    assert plan.errors == [(CLUSTER, f"{n}: cannot read peer status: {error}") for n in silent]


def test_a_glusterd_that_answers_peer_status_with_an_error_is_waited_for() -> None:
    """opRet -22 mid-handshake passes, or is stuck so: the wait restarts glusterd if it lasts."""
    nodes = dict(CONVERGED, rpi2=dataclasses.replace(
        CONVERGED["rpi2"], peers=None, peers_error="`gluster --xml peer status`: opRet -22"))
    assert nodes["rpi2"].peer_status_refused
    plan = peers.plan(Observed(nodes), CTX)
    assert plan.actions == []
    assert plan.waits == [PeersConnected(tuple(NAMES))]


# ----- volumes ----------------------------------------------------------------------------------

def _no_volumes() -> ClusterFacts:
    facts = cluster_facts()
    return dataclasses.replace(facts, volumes={}, status={}, heal={})


def _unused_bricks(nodes: dict[str, NodeFacts]) -> dict[str, NodeFacts]:
    return {n: dataclasses.replace(f, brick_dirs={"/mnt/usb/gv": BrickDir("/mnt/usb/gv", False, True,
                                                                            None)})
            for n, f in nodes.items()}


def test_missing_volume_is_created_with_an_argument_vector_then_started() -> None:
    plan = volumes.plan(Observed(_unused_bricks(CONVERGED), _no_volumes()), CTX)
    *records, create = plan.actions[:5]
    *forgets, start = plan.actions[5:]
    # Each brick's node notes the create first, and forgets it once the create went through.
    assert records == [RecordCreate(n, "gv", ("/mnt/usb/gv",)) for n in NAMES]
    assert forgets == [ForgetCreate(n, "gv") for n in NAMES]
    assert isinstance(create, VolumeCreate)
    assert isinstance(start, VolumeStart)
    assert create.command().argv == ("volume", "create", "gv", "replica", "2", "rpi0:/mnt/usb/gv",
                                     "rpi1:/mnt/usb/gv", "rpi2:/mnt/usb/gv", "rpi3:/mnt/usb/gv")
    assert create.done() == ("created volume gv: 2 x 2 = 4 Distributed-Replicate",)
    assert start.command().argv == ("volume", "start", "gv")
    assert missing_lines(plan.actions) == {"volume=gv": [
        "not configured: volume gv does not exist (gluster volume create gv replica 2 "
        "rpi0:/mnt/usb/gv rpi1:/mnt/usb/gv rpi2:/mnt/usb/gv rpi3:/mnt/usb/gv); run with --apply"]}


def test_missing_parent_directories_are_made_first() -> None:
    nodes = {n: dataclasses.replace(f, brick_dirs={}) for n, f in CONVERGED.items()}
    plan = volumes.plan(Observed(nodes, _no_volumes()), CTX)
    assert plan.actions[:4] == [MakeDirectory(n, "/mnt/usb") for n in NAMES]
    assert plan.actions[0].command().argv == ("mkdir", "-p", "--", "/mnt/usb")
    assert missing_lines(plan.actions[:4]) == {}  # a prerequisite, not something to report


def test_a_brick_that_held_a_volume_is_refused_with_a_quoted_hand_fix() -> None:
    spec = loads_spec((VECTORS / "spec.toml").read_text().replace(
        "replica = 2", 'replica = 2\nbricks = ["rpi0:/mnt/usb/old(1)", "rpi1:/mnt/usb/old(1)", '
        '"rpi2:/mnt/usb/gv", "rpi3:/mnt/usb/gv"]'))
    used = BrickDir("/mnt/usb/old(1)", True, True, "0xabc")
    nodes = dict(_unused_bricks(CONVERGED))
    nodes["rpi0"] = dataclasses.replace(nodes["rpi0"], brick_dirs={"/mnt/usb/old(1)": used})
    plan = volumes.plan(Observed(nodes, _no_volumes()), StepContext(spec))
    assert plan.actions == []
    ((key, error),) = plan.errors
    assert key == "volume=gv"
    assert error.startswith("brick rpi0:/mnt/usb/old(1) already belongs to a volume "
                            "(trusted.glusterfs.volume-id=0xabc;")
    assert "setfattr -x trusted.glusterfs.volume-id '/mnt/usb/old(1)';" in error
    assert "rm -rf '/mnt/usb/old(1)/.glusterfs'" in error


def _interrupted(volume_id: str = "0xf33c", *, empty: bool = True,
                 recorded: bool = True) -> dict[str, NodeFacts]:
    """After `volume create gv` was cut short: rpi0's and rpi1's directories carry its ID."""
    nodes = dict(_unused_bricks(CONVERGED))
    for name in ("rpi0", "rpi1"):
        nodes[name] = dataclasses.replace(
            nodes[name], brick_dirs={"/mnt/usb/gv": BrickDir("/mnt/usb/gv", True, True, volume_id, empty)},
            create_intents=frozenset({("gv", "/mnt/usb/gv")}) if recorded else frozenset())
    return nodes


def test_what_an_interrupted_create_of_ours_left_is_cleared_then_created_again() -> None:
    plan = volumes.plan(Observed(_interrupted(), _no_volumes()), CTX)
    assert plan.errors == []
    clears = [a for a in plan.actions if isinstance(a, ClearHalfMadeBrick)]
    assert clears == [ClearHalfMadeBrick(n, "/mnt/usb/gv", "gv", "0xf33c") for n in ("rpi0", "rpi1")]
    kinds = [type(a).__name__ for a in plan.actions]
    assert kinds.index("ClearHalfMadeBrick") < kinds.index("RecordCreate") < kinds.index("VolumeCreate")
    assert missing_lines(clears)["volume=gv"][0].startswith(
        "not configured: brick rpi0:/mnt/usb/gv was left half-made by an interrupted `volume create gv`")


@pytest.mark.parametrize("nodes", [
    pytest.param(_interrupted(empty=False), id="the directory holds files"),
    pytest.param(_interrupted(recorded=False), id="no record of our create"),
])
def test_a_volume_id_that_is_not_our_empty_leftover_stays_refused(nodes: dict[str, NodeFacts]) -> None:
    plan = volumes.plan(Observed(nodes, _no_volumes()), CTX)
    assert plan.actions == []
    ((_key, error),) = plan.errors
    assert error.startswith("brick rpi0:/mnt/usb/gv already belongs to a volume (trusted.glusterfs."
                            "volume-id=0xf33c;")


def test_an_id_owned_by_a_live_volume_is_never_cleared_even_with_our_record() -> None:
    live = cluster_facts()  # gv exists, with its own ID; declare a second volume on its bricks
    gv_id = "0x" + live.volumes["gv"].volume_id.replace("-", "")
    spec = loads_spec((VECTORS / "spec.toml").read_text() + '\n[[volumes]]\nname = "gv2"\n'
                      'replica = 2\nbricks = ["rpi0:/mnt/usb/gv", "rpi1:/mnt/usb/gv"]\n')
    nodes = {n: dataclasses.replace(f, create_intents=frozenset({("gv2", "/mnt/usb/gv")}))
             for n, f in _interrupted(gv_id).items()}
    plan = volumes.plan(Observed(nodes, live), StepContext(spec))
    assert not [a for a in plan.actions if isinstance(a, ClearHalfMadeBrick)]
    assert any("already belongs to a volume: the live volume gv" in e for _, e in plan.errors)


def test_a_create_record_left_after_the_volume_exists_is_removed() -> None:
    nodes = {n: dataclasses.replace(f, create_intents=frozenset({("gv", "/mnt/usb/gv")}))
             for n, f in CONVERGED.items()}
    plan = volumes.plan(Observed(nodes, cluster_facts()), CTX)
    assert plan.actions == [ForgetCreate(n, "gv") for n in NAMES]
    assert missing_lines(plan.actions) == {}


def test_without_getfattr_a_brick_is_not_guessed_unused() -> None:
    nodes = dict(_unused_bricks(CONVERGED))
    nodes["rpi2"] = dataclasses.replace(nodes["rpi2"], getfattr=False)
    plan = volumes.plan(Observed(nodes, _no_volumes()), CTX)
    assert plan.actions == []
    assert plan.errors == [("volume=gv", "rpi2: getfattr is missing, so brick rpi2:/mnt/usb/gv cannot "
                                         "be checked for an earlier volume; install it: apt-get "
                                         "install attr")]


def test_a_rejected_layout_never_reaches_glusterd() -> None:
    spec = loads_spec((VECTORS / "spec.toml").read_text().replace(
        "replica = 2", 'replica = 2\nbricks = ["rpi0:/mnt/usb/a", "rpi0:/mnt/usb/b"]'))
    plan = volumes.plan(Observed(CONVERGED, _no_volumes()), StepContext(spec))
    assert plan.actions == []
    ((key, error),) = plan.errors
    assert key == "volume=gv"
    assert error.startswith("declared layout rejected before reaching glusterd: volume create: gv: "
                            "failed: Multiple bricks of a replicate volume are present on the same "
                            "server")


def test_an_existing_volume_with_another_layout_is_never_touched() -> None:
    spec = loads_spec((VECTORS / "spec.toml").read_text().replace("replica = 2", "replica = 4"))
    plan = volumes.plan(Observed(CONVERGED, cluster_facts()), StepContext(spec))
    assert plan.actions == []
    assert plan.errors == [("volume=gv", "volume gv exists with a different layout: Number of Bricks "
                                         "'2 x 2 = 4', declared '1 x 4 = 4'; type "
                                         "Distributed-Replicate, declared Replicate. Nothing was "
                                         "changed; a volume is never recreated or reshaped by this "
                                         "suite")]


def test_a_stopped_volume_is_started_and_an_option_set() -> None:
    facts = cluster_facts()
    stopped = dataclasses.replace(facts.volumes["gv"], status="Stopped")
    facts = dataclasses.replace(facts, volumes={"gv": stopped})
    spec = loads_spec((VECTORS / "spec.toml").read_text()
                      + 'options = { "performance.cache-size" = "64MB" }\n')
    plan = volumes.plan(Observed(CONVERGED, facts), StepContext(spec))
    assert plan.actions == [VolumeSet("rpi0", "gv", "performance.cache-size", "64MB"),
                            VolumeStart("rpi0", "gv", "Stopped")]
    assert missing_lines(plan.actions) == {"volume=gv": [
        "not configured: option performance.cache-size=64MB; run with --apply",
        "not configured: volume gv is Stopped, not Started; run with --apply"]}


def test_a_started_volume_with_an_offline_brick_is_a_problem_not_an_action() -> None:
    facts = cluster_facts()
    status = facts.status["gv"]
    offline = dataclasses.replace(status, bricks=status.bricks[:3])  # rpi3's row is absent
    facts = dataclasses.replace(facts, status={"gv": offline})
    plan = volumes.plan(Observed(CONVERGED, facts), CTX)
    assert plan.actions == []
    assert ("volume=gv", "started, but not every brick or self-heal daemon is online") in plan.problems


def test_volume_info_unreadable_stops_the_step() -> None:
    facts = dataclasses.replace(cluster_facts(), errors={"volume info": "Connection failed"})
    with pytest.raises(SetupError, match="rpi0: cannot read volume info: Connection failed"):
        volumes.plan(Observed(CONVERGED, facts), CTX)


def test_spec_fixture_is_the_how_to() -> None:
    assert isinstance(SPEC, ClusterSpec)
    assert [str(b) for b in SPEC.volumes[0].brick_list(SPEC.nodes)] == [
        f"{n}:/mnt/usb/gv" for n in NAMES]


def test_a_brick_of_a_live_volume_is_refused_without_advice_to_clear_it() -> None:
    spec = loads_spec((VECTORS / "spec.toml").read_text().replace('name = "gv"', 'name = "gv2"'))
    plan = volumes.plan(Observed(CONVERGED, cluster_facts()), StepContext(spec))
    assert plan.actions == []
    ((key, error),) = plan.errors
    assert key == "volume=gv2"
    assert "already belongs to a volume: the live volume gv" in error
    assert "setfattr" not in error
