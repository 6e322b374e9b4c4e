"""Root causes from recorded facts (offline): each fault gives the right cause, node and fix, and the
lookups the checks use find it; a converged cluster has no cause at all."""

from __future__ import annotations

import dataclasses

from glustercheck.diagnose import Diagnosis, access_cause, diagnose
from glustercheck.errors import RemoteError, SudoError, UnreachableError
from glustercheck.facts import ClusterFacts, DiskUsage, NodeFacts
from glustercheck.remote.sudo import SudoFailure, explain_sudo
from tests.unit.test_setup_steps import CONVERGED, NAMES, SPEC, cluster_facts


def run(nodes: dict[str, NodeFacts] | None = None, cluster: ClusterFacts | None = None,
        unreachable: dict[str, RemoteError] | None = None) -> Diagnosis:
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
    found = run(nodes, unreachable={"rpi2": UnreachableError(error)})
    cause = found.node("rpi2")
    assert cause is not None
    assert cause.key == "node-unreachable:rpi2"
    assert cause.summary == "rpi2 is unreachable: no answer within 5 s"
    assert cause.fix.startswith("power rpi2 on and check its network link")
    # its bricks are explained by it, not called offline on their own
    assert found.brick("gv", "rpi2", "/mnt/usb/gv", "rpi2") is cause


def test_a_fix_given_with_the_error_is_the_causes_fix_and_not_in_its_summary() -> None:
    fix = ("compare it with the node's `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub`, then add it: "
           "ssh-keyscan -p 22 10.0.1.2 >> /home/pi/.ssh/known_hosts")
    error = UnreachableError("rpi2 (10.0.1.2:22) unreachable: unknown host key ssh-ed25519 SHA256:x "
                             "(no entry for 10.0.1.2 in ~/.ssh/known_hosts). Compare it with the node's "
                             "`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub`, then add it: ssh-keyscan -p 22 "
                             "10.0.1.2 >> /home/pi/.ssh/known_hosts", fix=fix)
    cause = access_cause("rpi2", error)
    assert cause.key == "node-unreachable:rpi2"
    assert cause.fix == fix
    assert cause.summary == ("rpi2 is unreachable: unknown host key ssh-ed25519 SHA256:x (no entry for "
                             "10.0.1.2 in ~/.ssh/known_hosts)")


def test_a_wrong_key_names_the_keys_tried_and_the_fix_apart() -> None:
    error = UnreachableError("rpi1 (10.0.1.1:22) unreachable: authentication failed for pi@10.0.1.1 with "
                             "keys: /k (ssh-ed25519 SHA256:y) (agent: 0 keys); fix: add one of these "
                             "public keys", fix="add one of these public keys")
    cause = access_cause("rpi1", error)
    assert cause.summary == ("rpi1 is unreachable: authentication failed for pi@10.0.1.1 with keys: /k "
                             "(ssh-ed25519 SHA256:y) (agent: 0 keys)")
    assert cause.fix == "add one of these public keys"


def test_sudo_that_cannot_be_used_is_its_own_cause_not_an_unreachable_node() -> None:
    diagnosis = "Sorry, try again.\nsudo-l-rc=1\npi adm sudo\n"
    message, fix = explain_sudo(SudoFailure.PASSWORD, diagnosis, host="rpi3", user="pi")
    found = run({n: f for n, f in CONVERGED.items() if n != "rpi3"},
                unreachable={"rpi3": SudoError(message, fix=fix)})
    cause = found.node("rpi3")
    assert cause is not None
    assert cause.key == "sudo-refused:rpi3"
    assert cause.summary == ("sudo cannot be used on rpi3: sudo on rpi3 needs a password: user pi is in "
                             "group sudo, whose sudo rule asks for one, and this tool cannot type it")
    assert cause.fix == ("as root on the node: echo 'pi ALL=(ALL) NOPASSWD: ALL' > "
                         "/etc/sudoers.d/010_pi-nopasswd (Raspberry Pi OS does this for its first user); "
                         "or log in as root")
    assert "unreachable" not in cause.summary + cause.fix


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
