"""glusterd's peer records after a power loss (glustercheck/glusterd_store.py), offline: read from
files as a node prints them, judged by the diagnosis, planned by the daemon and peers steps, and
the repair scripts run for real by `sh` on a directory of this machine (with stand-ins for
glusterd's stop and start). The states are the ones simulated nodes powered off during a probe
were left in (rpi0: 'Probe Sent to Peer'; rpi3: an empty record beside its complete .tmp copy)."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glustercheck.actions import (
    UNCHANGED,
    PeerProbe,
    RepairPeerRecords,
    SetAsideRecords,
    StartGlusterd,
    StopGlusterd,
)
from glustercheck.actions.peer_store import REPAIR_BODY, RESTART_BODY, SET_ASIDE_BODY, STOP_BODY
from glustercheck.diagnose import diagnose
from glustercheck.facts import NodeFacts
from glustercheck.glusterd_store import (
    PEERS_DIR,
    PeerRecord,
    damaged,
    parse_records,
    record_script,
)
from glustercheck.pairings import forgotten
from glustercheck_setup_steps import Observed, daemon, peers
from tests.unit.test_setup_steps import CONVERGED, CTX, NAMES, SPEC, cluster_facts

UUID = {n: f.uuid or "" for n, f in CONVERGED.items()}


def _record(of: str, state: int) -> PeerRecord:
    return PeerRecord(UUID[of], 65, UUID[of], state, (of,))


def _with(node: str, *records: PeerRecord, **changes: object) -> dict[str, NodeFacts]:
    return dict(CONVERGED, **{node: dataclasses.replace(CONVERGED[node], peer_records=records,
                                                        **changes)})  # type: ignore[arg-type]


def _half_joined() -> dict[str, NodeFacts]:
    """rpi0 sent its probe; rpi3 lost power before the pairing finished on either side; rpi1
    had already learned rpi3 from rpi0 (a drill on the simulated cluster ended so)."""
    nodes = _with("rpi0", _record("rpi1", 3), _record("rpi2", 3), _record("rpi3", 1))
    nodes["rpi1"] = dataclasses.replace(nodes["rpi1"], peer_records=(
        _record("rpi0", 3), _record("rpi2", 3), _record("rpi3", 3)))
    return dict(nodes, rpi3=dataclasses.replace(nodes["rpi3"], peer_records=(_record("rpi0", 10),)))


# ----- reading ----------------------------------------------------------------------------------

def test_the_facts_lines_are_read_from_real_files(tmp_path: Path) -> None:
    peers_dir = tmp_path / "peers"
    peers_dir.mkdir()
    text = f"uuid={UUID['rpi1']}\nstate=3\nhostname1=rpi1\nhostname2=10.0.1.1\n"
    (peers_dir / UUID["rpi1"]).write_text(text)
    (peers_dir / UUID["rpi0"]).write_text("")
    (peers_dir / f"{UUID['rpi0']}.tmp").write_text(f"uuid={UUID['rpi0']}\nstate=2\nhostname1=rpi0\n")
    script = record_script().replace(PEERS_DIR, str(peers_dir))
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True, timeout=10)
    records = {r.file: r for r in parse_records(out.stdout)}
    assert records[UUID["rpi1"]] == PeerRecord(UUID["rpi1"], len(text), UUID["rpi1"], 3, ("rpi1", "10.0.1.1"))
    assert records[UUID["rpi0"]].empty
    assert records[f"{UUID['rpi0']}.tmp"].state_name == "Probe Received from Peer"
    assert damaged("rpi3", tuple(records.values()))[0].complete_copy


def test_a_record_cut_short_reads_as_far_as_it_goes(tmp_path: Path) -> None:
    # A torn write: no newline after the last line; an empty NAME.tmp is no record and not empty.
    peers_dir = tmp_path / "peers"
    peers_dir.mkdir()
    torn = f"uuid={UUID['rpi2']}\nstate=1\nhostname1=rp"
    (peers_dir / UUID["rpi2"]).write_text(torn)
    (peers_dir / f"{UUID['rpi3']}.tmp").write_text("")
    (peers_dir / "sub").mkdir()  # not a file: not listed
    script = record_script().replace(PEERS_DIR, str(peers_dir))
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True, timeout=10)
    records = {r.file: r for r in parse_records(out.stdout)}
    assert set(records) == {UUID["rpi2"], f"{UUID['rpi3']}.tmp"}
    assert records[UUID["rpi2"]] == PeerRecord(UUID["rpi2"], len(torn) + 1, UUID["rpi2"], 1, ("rp",))
    assert not records[UUID["rpi2"]].empty
    assert not records[f"{UUID['rpi3']}.tmp"].empty
    assert records[f"{UUID['rpi3']}.tmp"].size == 0


def test_a_line_that_does_not_fit_is_left_out() -> None:
    assert parse_records("garbage\n12\n\nx y state=1") == ()


def test_only_passing_states_are_half_joined() -> None:
    assert [s for s in range(11) if _record("rpi1", s).half_joined] == [0, 1, 2, 4, 5, 7, 8, 9, 10]


# ----- the diagnosis ------------------------------------------------------------------------------

def test_an_empty_record_is_why_glusterd_is_down_with_the_rename_as_fix() -> None:
    nodes = _with("rpi3", PeerRecord(UUID["rpi0"], 0),
                  PeerRecord(f"{UUID['rpi0']}.tmp", 65, UUID["rpi0"], 2, ("rpi0",)),
                  glusterd_running=False, peers=None, peers_error="glusterd is not running")
    found = diagnose(SPEC, nodes, {}, cluster_facts())
    cause = found.node("rpi3")
    assert cause is not None
    assert cause.key == "peer-record-empty:rpi3"
    assert "glusterd does not start" in cause.summary
    assert cause.fix.startswith(f"on rpi3: sudo mv {PEERS_DIR}/{UUID['rpi0']}.tmp "
                                f"{PEERS_DIR}/{UUID['rpi0']} (glusterd's own complete copy")
    assert "glusterd-down:rpi3" not in found.causes  # the cause, not its symptom


def test_an_empty_record_without_a_copy_is_set_aside_not_deleted() -> None:
    nodes = _with("rpi3", PeerRecord(UUID["rpi0"], 0))
    cause = diagnose(SPEC, nodes, {}, cluster_facts()).causes["peer-record-empty:rpi3"]
    assert "runs, but will not start again" in cause.summary
    assert "sudo mv" in cause.fix
    assert "/var/lib/glustercheck/set-aside" in cause.fix
    assert "rm " not in cause.fix


def test_a_half_joined_pairing_names_every_record_that_ties_the_newcomer() -> None:
    found = diagnose(SPEC, _half_joined(), {}, cluster_facts())
    cause = found.causes["peer-half-joined:rpi0:rpi3"]
    assert "rpi0's record of rpi3 says 'Probe Sent to Peer'" in cause.summary
    assert cause.fix.startswith("`pytest --apply` rejoins rpi3 afresh (it hosts no volume yet)")
    assert (f"(on rpi0: {PEERS_DIR}/{UUID['rpi3']}; on rpi1: {PEERS_DIR}/{UUID['rpi3']}; "
            f"on rpi3: {PEERS_DIR}/{UUID['rpi0']})") in cause.fix
    assert "stop glusterd on rpi0, rpi1, rpi3" in cause.fix
    assert cause.fix.endswith("then from rpi0: sudo gluster peer probe rpi3")
    assert found.peer("rpi3") is cause
    assert found.peer("rpi0") is cause


# ----- planning -----------------------------------------------------------------------------------

def test_the_daemon_step_repairs_records_before_starting_glusterd() -> None:
    facts = _with("rpi3", PeerRecord(UUID["rpi0"], 0), glusterd_running=False)["rpi3"]
    plan = daemon.plan(facts, CTX)
    assert plan.actions == [RepairPeerRecords("rpi3", (UUID["rpi0"],), False),
                            StartGlusterd("rpi3", start=True, enable=False, systemd=False)]


def test_the_newcomer_rejoins_afresh_every_glusterd_stopped_before_any_record_moves() -> None:
    plan = peers.plan(Observed(_half_joined()), CTX)
    assert plan.actions == [
        StopGlusterd("rpi0", "rpi3", False), StopGlusterd("rpi1", "rpi3", False),
        StopGlusterd("rpi3", "rpi3", False),
        SetAsideRecords("rpi0", "rpi3", ((UUID["rpi3"], 1, "rpi3"),), False),
        SetAsideRecords("rpi1", "rpi3", ((UUID["rpi3"], 3, "rpi3"),), False),
        SetAsideRecords("rpi3", "rpi3", ((UUID["rpi0"], 10, "rpi0"),), False)]
    assert not any(isinstance(a, PeerProbe) for a in plan.actions)
    assert plan.actions[-1].done() == (
        "rpi3: set aside its record of rpi0 ('Peer is connected and Accepted') in "
        "/var/lib/glustercheck/set-aside: rpi3 rejoins afresh",)


def test_a_probe_cut_before_the_uuids_were_exchanged_is_undone_by_the_record_named_for_the_host(
        ) -> None:
    """glusterd stores a peer whose UUID it does not know yet as `peers/<hostname>` with a null
    UUID; rpi3 lost power before it stored anything."""
    null = "00000000-0000-0000-0000-000000000000"
    nodes = _with("rpi0", _record("rpi1", 3), _record("rpi2", 3), PeerRecord("rpi3", 60, null, 1, ("rpi3",)))
    nodes["rpi3"] = dataclasses.replace(nodes["rpi3"], peer_records=())
    plan = peers.plan(Observed(nodes), CTX)
    assert plan.actions == [StopGlusterd("rpi0", "rpi3", False),
                            SetAsideRecords("rpi0", "rpi3", (("rpi3", 1, "rpi3"),), False)]


def test_it_is_undone_even_when_peer_status_fails() -> None:
    """After such a probe, rpi0's `peer status --xml` answered opRet -22 (a peer without a name)."""
    nodes = _half_joined()
    nodes["rpi0"] = dataclasses.replace(nodes["rpi0"], peers=None, peers_error="opRet -22")
    plan = peers.plan(Observed(nodes), CTX)
    assert {a.node for a in plan.actions} == {"rpi0", "rpi1", "rpi3"}


def test_the_first_node_never_rejoins_and_nodes_with_volumes_are_left_to_the_operator() -> None:
    nodes = _half_joined()
    nodes["rpi3"] = dataclasses.replace(nodes["rpi3"], store_volumes=("gv",))
    plan = peers.plan(Observed(nodes), CTX)  # rpi0 knows no volume either, but it is the first
    assert plan.actions == []
    assert "not undone automatically" in plan.errors[0][1]


def test_a_converged_pool_with_records_plans_nothing() -> None:
    nodes = {n: dataclasses.replace(f, peer_records=tuple(_record(o, 3) for o in NAMES if o != n))
             for n, f in CONVERGED.items()}
    assert peers.plan(Observed(nodes), CTX).settled


# ----- the scripts, run --------------------------------------------------------------------------

# Stand-ins: glusterd runs or not (pgrep); stop, start and the wait append to a log.
STUBS = ('pgrep() {{ return {rc}; }}; stop_gd() {{ echo stop >> "$LOG"; }}; '
         'start_gd() {{ echo start >> "$LOG"; }}; wait_gd() {{ echo wait >> "$LOG"; }}\n')


def _run(body: str, tmp_path: Path, *args: str,
         running: bool = True) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = tmp_path / "log"
    script = STUBS.format(rc=0 if running else 1) + body
    result = subprocess.run(["sh", "-c", script, "sh", str(tmp_path / "peers"),
                             str(tmp_path / "aside"), *args], capture_output=True, text=True,
                            timeout=30, check=False, env={"LOG": str(log), "PATH": "/usr/bin:/bin"})
    return result, log.read_text().split() if log.exists() else []


@pytest.fixture
def store(tmp_path: Path) -> Path:
    (tmp_path / "peers").mkdir()
    return tmp_path / "peers"


def test_repair_puts_glusterds_complete_copy_in_place(tmp_path: Path, store: Path) -> None:
    name = UUID["rpi0"]
    (store / name).write_text("")
    (store / f"{name}.tmp").write_text(f"uuid={name}\nstate=3\nhostname1=rpi0\n")
    result, log = _run(REPAIR_BODY, tmp_path, name)
    assert result.returncode == 0, result.stderr
    assert (store / name).read_text() == f"uuid={name}\nstate=3\nhostname1=rpi0\n"
    assert not (store / f"{name}.tmp").exists()
    assert log == ["stop", "start", "wait"]


def test_repair_sets_an_empty_record_aside_when_the_copy_is_someone_elses(tmp_path: Path,
                                                                           store: Path) -> None:
    name = UUID["rpi0"]
    (store / name).write_text("")
    (store / f"{name}.tmp").write_text(f"uuid={UUID['rpi1']}\nstate=3\n")  # not this record's
    result, _ = _run(REPAIR_BODY, tmp_path, name)
    assert result.returncode == 0, result.stderr
    assert not (store / name).exists()
    (kept,) = (tmp_path / "aside").iterdir()
    assert kept.name.startswith(f"{name}.empty-")
    assert kept.read_text() == ""
    assert (store / f"{name}.tmp").exists()  # not ours to judge: left alone


def test_repair_leaves_a_record_that_was_filled_meanwhile(tmp_path: Path, store: Path) -> None:
    name = UUID["rpi0"]
    (store / name).write_text(f"uuid={name}\nstate=3\n")
    result, log = _run(REPAIR_BODY, tmp_path, name)
    assert result.returncode == 0
    assert f"{UNCHANGED} no record is empty any more" in result.stdout
    assert (store / name).read_text() == f"uuid={name}\nstate=3\n"
    assert log == []


@pytest.mark.parametrize(("running", "expected"), [(True, ["stop"]), (False, [])])
def test_stop_stops_only_a_running_glusterd(tmp_path: Path, running: bool, expected: list[str]) -> None:
    result, log = _run(STOP_BODY, tmp_path, running=running)
    assert result.returncode == 0, result.stderr
    assert log == expected


@pytest.mark.parametrize(("running", "expected"), [(True, ["stop", "start", "wait"]),
                                                   (False, ["start", "wait"])])
def test_restart_stops_a_running_glusterd_then_starts_it_and_waits(
        tmp_path: Path, running: bool, expected: list[str]) -> None:
    result, log = _run(RESTART_BODY, tmp_path, running=running)
    assert result.returncode == 0, result.stderr
    assert log == expected


def test_set_aside_starts_a_glusterd_that_was_not_running(tmp_path: Path, store: Path) -> None:
    name = UUID["rpi3"]
    (store / name).write_text(f"uuid={name}\nstate=1\n")
    result, log = _run(SET_ASIDE_BODY, tmp_path, name, "1", running=False)
    assert result.returncode == 0, result.stderr
    assert log == ["start", "wait"]


def test_set_aside_keeps_the_records_as_planned_and_starts_glusterd(tmp_path: Path, store: Path) -> None:
    three, zero = UUID["rpi3"], UUID["rpi0"]
    (store / three).write_text(f"uuid={three}\nstate=1\nhostname1=rpi3\n")
    (store / zero).write_text(f"uuid={zero}\nstate=3\nhostname1=rpi0\n")
    result, log = _run(SET_ASIDE_BODY, tmp_path, three, "1", zero, "10")
    assert result.returncode == 0, result.stderr
    assert not (store / three).exists()
    (kept,) = (tmp_path / "aside").iterdir()
    assert kept.read_text() == f"uuid={three}\nstate=1\nhostname1=rpi3\n"
    assert (store / zero).exists()  # state 3, not the 10 planned from: left alone, said so
    assert f"{store}/{zero} no longer says state=10: left alone" in result.stderr
    assert UNCHANGED not in result.stdout  # one record moved: a change
    assert log == ["wait"]  # glusterd "runs" (the stand-in pgrep): only waited for


def test_set_aside_that_moves_nothing_says_unchanged(tmp_path: Path, store: Path) -> None:
    result, _ = _run(SET_ASIDE_BODY, tmp_path, UUID["rpi3"], "1")
    assert result.returncode == 0, result.stderr
    assert f"{UNCHANGED} nothing moved" in result.stdout


@given(st.text(alphabet=st.sampled_from("0123456789abcdef-= .tmp\nstaehoum"), max_size=300))
def test_any_listing_reads_without_raising(text: str) -> None:
    for record in parse_records(text):
        assert record.size >= 0
        assert record.file
        assert isinstance(record.state_name, str)


def test_a_peer_status_that_fails_with_whole_records_is_named_with_a_restart_as_fix() -> None:
    error = ("gluster --xml peer status: XML element <cliOutput/opRet>: expected 0; gluster said: "
             "opRet -1, opErrno -22")
    nodes = dict(CONVERGED, rpi2=dataclasses.replace(CONVERGED["rpi2"], peers=None, peers_error=error))
    found = diagnose(SPEC, nodes, {}, cluster_facts())
    cause = found.peer("rpi2")
    assert cause is not None
    assert cause.key == "peer-status-failing:rpi2"
    assert cause.summary == f"glusterd on rpi2 answers `gluster peer status` with an error ({error})"
    assert cause.fix.startswith("on rpi2: restart glusterd (it reads its peer records afresh")
    assert "`pytest --apply` (restarts it when peer status keeps failing for 20 s)" in cause.fix


def test_a_failing_peer_status_of_a_half_joined_node_is_named_by_the_pairing() -> None:
    nodes = _half_joined()
    nodes["rpi0"] = dataclasses.replace(nodes["rpi0"], peers=None, peers_error="opRet -22")
    found = diagnose(SPEC, nodes, {}, cluster_facts())
    assert found.peer("rpi0") is found.causes["peer-half-joined:rpi0:rpi3"]
    assert "peer-status-failing:rpi0" not in found.causes


# ----- a node that came back knowing nobody (pairings.forgotten) --------------------------------------

def _forgotten_rpi3(**rpi3: object) -> dict[str, NodeFacts]:
    """As CI's drill left it (rpi3 powered off as it took rpi0's probe): rpi3 answers with no peer
    and keeps no record; rpi0 holds it 'Peer in Cluster (Disconnected)', rpi1 and rpi2 hold it
    'Peer Rejected (Connected)' (it refuses them as strangers)."""
    def holding_rpi3(node: str, state: str, connected: bool, record_state: int) -> NodeFacts:
        facts = CONVERGED[node]
        peers = tuple(dataclasses.replace(p, state=state, connected=connected)
                      if p.uuid == UUID["rpi3"] else p for p in facts.peers or ())
        return dataclasses.replace(facts, peers=peers, peer_records=(_record("rpi3", record_state),))
    return dict(CONVERGED,
                rpi0=holding_rpi3("rpi0", "Peer in Cluster", False, 3),
                rpi1=holding_rpi3("rpi1", "Peer Rejected", True, 6),
                rpi2=holding_rpi3("rpi2", "Peer Rejected", True, 6),
                rpi3=dataclasses.replace(CONVERGED["rpi3"], peers=(), peer_records=(), **rpi3))  # type: ignore[arg-type]


def test_a_node_that_knows_nobody_while_the_others_hold_it_is_forgotten() -> None:
    assert forgotten(SPEC, _forgotten_rpi3()) == ["rpi3"]
    assert forgotten(SPEC, CONVERGED) == []
    # Knowing nobody is not enough: a node no other holds is just not probed yet.
    alone = dict(CONVERGED, rpi3=dataclasses.replace(CONVERGED["rpi3"], peers=(), peer_records=()))
    alone = {n: dataclasses.replace(f, peers=tuple(p for p in f.peers or () if p.uuid != UUID["rpi3"]))
             for n, f in alone.items()}
    assert forgotten(SPEC, alone) == []


def test_the_forgotten_node_rejoins_afresh_from_the_holders_records() -> None:
    plan = peers.plan(Observed(_forgotten_rpi3()), CTX)
    assert plan.actions == [
        StopGlusterd("rpi0", "rpi3", False), StopGlusterd("rpi1", "rpi3", False),
        StopGlusterd("rpi2", "rpi3", False),
        SetAsideRecords("rpi0", "rpi3", ((UUID["rpi3"], 3, "rpi3"),), False),
        SetAsideRecords("rpi1", "rpi3", ((UUID["rpi3"], 6, "rpi3"),), False),
        SetAsideRecords("rpi2", "rpi3", ((UUID["rpi3"], 6, "rpi3"),), False)]
    found = diagnose(SPEC, _forgotten_rpi3(), {}, cluster_facts())
    cause = found.causes["peer-forgotten:rpi3"]
    assert "peer-rejected:rpi3" not in found.causes  # the rejections are its symptom
    assert cause.summary.startswith("rpi3 knows no peer and keeps no peer record, while rpi0, rpi1, "
                                    "rpi2 still hold it in the pool")
    assert cause.fix.startswith("`pytest --apply` rejoins rpi3 afresh (it hosts no volume)")
    assert found.peer("rpi3") is cause


def test_a_forgotten_node_that_hosts_volumes_is_left_to_the_operator() -> None:
    nodes = _forgotten_rpi3(store_volumes=("gv",))
    plan = peers.plan(Observed(nodes), CTX)
    assert not plan.actions
    assert any("rpi3 knows no peer" in e and "hosts volumes" in e for _, e in plan.errors)
    cause = diagnose(SPEC, nodes, {}, cluster_facts()).causes["peer-forgotten:rpi3"]
    assert cause.fix.startswith("by hand (rpi3 hosts volumes, so --apply does not rejoin it), on rpi3: "
                                "stop glusterd, remove everything in /var/lib/glusterd except")
