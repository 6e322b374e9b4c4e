"""Root causes from recorded facts (offline): each fault gives the right cause, node and fix, and the
lookups the checks use find it; a converged cluster has no cause at all."""

from __future__ import annotations

import dataclasses

from glustercheck.diagnose import Diagnosis, diagnose
from glustercheck.facts import ClusterFacts, DiskUsage, NodeFacts
from tests.unit.test_setup_steps import CONVERGED, NAMES, SPEC, cluster_facts


def run(nodes: dict[str, NodeFacts] | None = None, cluster: ClusterFacts | None = None,
        unreachable: dict[str, str] | None = None) -> Diagnosis:
    return diagnose(SPEC, nodes if nodes is not None else CONVERGED, unreachable or {},
                    cluster if cluster is not None else cluster_facts())


def replaced(node: str, **changes: object) -> dict[str, NodeFacts]:
    return dict(CONVERGED, **{node: dataclasses.replace(CONVERGED[node], **changes)})  # type: ignore[arg-type]


def test_a_converged_cluster_has_no_cause() -> None:
    assert run().causes == {}


def test_an_unreachable_node_takes_the_probes_reason_and_hint() -> None:
    nodes = {n: f for n, f in CONVERGED.items() if n != "rpi2"}
    error = ("rpi2 (10.0.1.2:22) unreachable: no answer within 5 s - is the node powered and on the "
             "network?")
    found = run(nodes, unreachable={"rpi2": error})
    cause = found.node("rpi2")
    assert cause is not None
    assert cause.key == "node-unreachable:rpi2"
    assert cause.summary == "rpi2 is unreachable: no answer within 5 s"
    assert cause.fix.startswith("power rpi2 on and check its network link")
    # its bricks are explained by it, not called offline on their own
    assert found.brick("gv", "rpi2", "/mnt/usb/gv", "rpi2") is cause


def test_glusterd_down_fix_follows_what_runs_the_node() -> None:
    plain = run(replaced("rpi1", glusterd_running=False)).node("rpi1")
    assert plain is not None
    assert (plain.key, plain.fix) == ("glusterd-down:rpi1", "on rpi1: sudo /usr/sbin/glusterd")
    systemd = run(replaced("rpi1", glusterd_running=False, systemd=True, glusterd_enabled=False))
    assert systemd.node("rpi1").fix == "on rpi1: sudo systemctl enable --now glusterd"  # type: ignore[union-attr]
    missing = run(replaced("rpi1", glusterd_running=False, package=None)).node("rpi1")
    assert missing is not None
    assert missing.key == "package-missing:rpi1"


def test_debians_own_name_line_is_keyed_by_its_address_and_names_the_line() -> None:
    hosts = "127.0.0.1\tlocalhost\n127.0.1.1\trpi0\n" + CONVERGED["rpi0"].hosts_file
    resolved = dict(CONVERGED["rpi0"].resolved, rpi0=("10.0.1.0", "127.0.1.1"))
    (cause,) = run(replaced("rpi0", hosts_file=hosts, resolved=resolved)).names("rpi0")
    assert cause.key == "name-conflict:rpi0:127.0.1.1"
    assert "line 2 `127.0.1.1\trpi0` of /etc/hosts" in cause.summary
    assert "--replace-hosts-conflicts" in cause.fix


def test_a_wrong_line_in_the_managed_block_is_fixed_by_apply() -> None:
    facts = CONVERGED["rpi1"]
    hosts = facts.hosts_file.replace("10.0.1.2\trpi2", "10.0.1.99\trpi2")
    found = run(replaced("rpi1", hosts_file=hosts, resolved=dict(facts.resolved, rpi2=("10.0.1.99",))))
    (cause,) = found.names("rpi1", about="rpi2")
    assert cause.key == "name-conflict:rpi1:rpi2"
    assert cause.fix == "`pytest --apply` rewrites the managed block on rpi1 with the spec's addresses"


def test_a_stopped_volume_explains_its_bricks() -> None:
    facts = cluster_facts()
    stopped = dataclasses.replace(facts, volumes={"gv": dataclasses.replace(facts.volumes["gv"],
                                                                             status="Stopped")},
                                  status={})
    found = run(cluster=stopped)
    cause = found.volume("gv")
    assert cause is not None
    assert (cause.key, cause.fix) == ("volume-stopped:gv", "sudo gluster volume start gv")
    assert found.brick("gv", "rpi1", "/mnt/usb/gv", "rpi1") is cause


def test_a_missing_volume_gives_the_exact_create_command() -> None:
    facts = dataclasses.replace(cluster_facts(), volumes={}, status={}, heal={})
    unused = {n: dataclasses.replace(f, brick_dirs={}) for n, f in CONVERGED.items()}
    cause = run(unused, cluster=facts).volume("gv")
    assert cause is not None
    assert cause.key == "volume-missing:gv"
    assert ("gluster volume create gv replica 2 rpi0:/mnt/usb/gv rpi1:/mnt/usb/gv rpi2:/mnt/usb/gv "
            "rpi3:/mnt/usb/gv") in cause.fix


def test_bricks_of_a_deleted_volume_block_the_create_and_say_how_to_clear_them() -> None:
    facts = dataclasses.replace(cluster_facts(), volumes={}, status={}, heal={})
    cause = run(cluster=facts).volume("gv")  # the bricks still carry the old volume's ID
    assert cause is not None
    assert cause.key == "brick-in-use:rpi0:/mnt/usb/gv"
    assert cause.summary.startswith("brick rpi0:/mnt/usb/gv already belongs to a volume")
    assert "no volume of the pool owns that ID" in cause.summary
    assert "setfattr -x trusted.glusterfs.volume-id /mnt/usb/gv" in cause.fix


def test_a_brick_owned_by_a_live_volume_is_never_advised_to_be_cleared() -> None:
    live = cluster_facts()
    spec = SPEC.__class__(SPEC.nodes, (dataclasses.replace(SPEC.volumes[0], name="gv2"),),
                          SPEC.connection, SPEC.source, SPEC.defaults)
    found = diagnose(spec, CONVERGED, {}, live)
    cause = found.volume("gv2")
    assert cause is not None
    assert "the live volume gv" in cause.summary
    assert "setfattr" not in cause.fix
    assert cause.fix.startswith("Declare another brick path")


def test_a_dead_brick_process_on_a_healthy_node() -> None:
    facts = cluster_facts()
    status = facts.status["gv"]
    bricks = tuple(dataclasses.replace(b, online=False) if b.host == "rpi1" else b for b in status.bricks)
    found = run(cluster=dataclasses.replace(facts, status={"gv": dataclasses.replace(status, bricks=bricks)}))
    cause = found.brick("gv", "rpi1", "/mnt/usb/gv", "rpi1")
    assert cause is not None
    assert cause.key == "brick-offline:rpi1:/mnt/usb/gv"
    assert cause.fix.startswith("sudo gluster volume start gv force")


def test_a_full_brick_disk() -> None:
    disk = DiskUsage("/mnt/usb/gv", "/mnt/usb", 100, 95, 1000, 10)
    (cause,) = run(replaced("rpi2", disks={"/mnt/usb/gv": disk})).disks("rpi2")
    assert cause.key == "disk-full:rpi2:/mnt/usb"


def test_the_rejected_peer_is_the_odd_one_out() -> None:
    def rejecting(node: str, whom: set[str]) -> NodeFacts:
        facts = CONVERGED[node]
        uuids = {CONVERGED[n].uuid: n for n in NAMES}
        peers = tuple(dataclasses.replace(p, state="Peer Rejected") if uuids[p.uuid] in whom else p
                      for p in facts.peers or ())
        return dataclasses.replace(facts, peers=peers)

    nodes = dict(CONVERGED, rpi0=rejecting("rpi0", {"rpi3"}),
                 rpi3=rejecting("rpi3", {"rpi0", "rpi1", "rpi2"}))
    found = run(nodes)
    assert [c.key for c in found.causes.values() if c.key.startswith("peer-rejected")] == [
        "peer-rejected:rpi3"]
    assert "on rpi3: stop glusterd" in found.peer("rpi3").fix  # type: ignore[union-attr]
