"""Fault drills during `--apply`, as the most trusted tools run them: a node powered off after the
hosts step, during the peer probes, during `volume create`; the controller killed during `volume
create`; two runs at once (apply + nightly check, apply + apply from two controller processes with
separate state). Each drill is bounded in time and ends the same way: the node back, `--apply`
converges, a second `--apply` changes nothing, every check passes, and no data is lost (files the
user kept on the USB sticks, and files in the volume written before the drill).

The moment to strike is taken from the node itself (a watcher polls its hosts file, glusterd's
command history or its process list every 20 ms), not from a sleep. The table (drill, outcome,
time, data lost) is printed with -s and used in the closing note.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from glustercheck.hosts_file import BEGIN, END
from simcluster import SimCluster
from tests.e2e.suite_runner import (
    NODES,
    ConvergedCluster,
    RunningSuite,
    SuiteRun,
    gluster,
    sh,
    start_suite,
    wait_healthy,
    write_spec,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

APPLY = ("--apply", "--replace-hosts-conflicts")
VICTIM = "rpi3"
WATCH_TIMEOUT = 120.0
# What the user kept on each USB stick beside the brick: an apply must never touch it.
KEEP = "/mnt/usb/keep"
TABLE: list[str] = []


def _watch(cluster: SimCluster, node: str, condition: str, then: str = "") -> Callable[[], float]:
    """Start polling `condition` (a shell test) on `node`; the returned call waits for it to hold
    and gives the seconds waited. Polled inside the node: no SSH, no controller in between.
    `then` runs inside the node the moment it holds (a cable cut lands within milliseconds)."""
    # (`until` ends with its body's last status: hence the explicit exit 0.)
    script = (f"i=0; until {condition}; do sleep 0.02; i=$((i+1)); "
              f"[ $i -gt {int(WATCH_TIMEOUT / 0.02)} ] && exit 1; done; {then or ':'}; exit 0")
    started = time.monotonic()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(cluster.exec, node, ["sh", "-c", script], timeout=WATCH_TIMEOUT + 10)
    pool.shutdown(wait=False)

    def wait() -> float:
        future.result()
        return time.monotonic() - started
    return wait


def _keep_user_files(cluster: SimCluster) -> dict[str, str]:
    """Files a user has on each stick next to the brick; returns their checksums per node."""
    script = (f"mkdir -p {KEEP} && for i in 1 2 3; do head -c 200000 /dev/urandom > {KEEP}/photo-$i.jpg; "
              f"done && cd {KEEP} && sha256sum *")
    return {node: sh(cluster, node, script) for node in NODES}


def _user_files(cluster: SimCluster) -> dict[str, str]:
    return {node: sh(cluster, node, f"cd {KEEP} && sha256sum *", check=False) for node in NODES}


def _hosts_files_whole(cluster: SimCluster, *, but: str | None = None) -> None:
    """Every hosts file still has its own lines and either no managed block or a whole one."""
    for node in (n for n in NODES if n != but):
        text = sh(cluster, node, "cat /etc/hosts")
        assert "localhost" in text, (node, text)
        assert text.count(BEGIN) == text.count(END) <= 1, (node, text)


def _history(cluster: SimCluster) -> str:
    return sh(cluster, "rpi0", "cat /var/log/glusterfs/cmd_history.log 2>/dev/null", check=False)


def _pool_state(cluster: SimCluster) -> str:
    """Each node's peer records and `peer status`, for the message of a drill that failed."""
    script = ("for f in /var/lib/glusterd/peers/*; do [ -f \"$f\" ] && echo \"$f: $(tr '\\n' ' ' "
              "< \"$f\")\"; done; timeout 10 gluster peer status 2>&1 | grep -E 'Hostname|State'")
    return "\n".join(f"--- {node}\n{sh(cluster, node, script, check=False)}" for node in NODES)


def _converge_again(cluster: SimCluster, tmp_path: Path,
                    spec: Path | None = None) -> tuple[SuiteRun, SuiteRun]:
    """The operator's way back: power the node on, `--apply`, then `--apply` once more."""
    cluster.start_node(VICTIM)
    kwargs = {"spec": spec} if spec else {}
    again = start_suite(tmp_path / "again", *APPLY, **kwargs).wait()  # type: ignore[arg-type]
    assert again.rc == 0, again.describe() + "\n" + _pool_state(cluster)
    assert again.failed == set(), again.describe()
    second = start_suite(tmp_path / "again", *APPLY, **kwargs).wait()  # type: ignore[arg-type]
    assert second.rc == 0, second.describe()
    assert second.changes == 0, second.describe()
    return again, second


def _record(drill: str, outcome: str, seconds: float, lost: int) -> None:
    TABLE.append(f"{drill:44s} | {outcome:58s} | {seconds:6.1f} s | {lost}")
    print(TABLE[-1])


POWER_OFF_DRILLS = {
    # drill -> (node to watch, condition that marks the moment, run inside it then)
    "power off rpi3 after the hosts step": (VICTIM, f"grep -qF '{END}' /etc/hosts", ""),
    "power off rpi3 during the peer probes": ("rpi0", "grep -q 'peer probe' "
                                              "/var/log/glusterfs/cmd_history.log 2>/dev/null", ""),
    # The moment rpi3's glusterd takes rpi0's probe: the cable is cut from inside within ms, so
    # the pairing stops mid-handshake (rpi0 'Probe Sent to Peer'), and rpi3 may keep an empty
    # peer record beside its .tmp copy, over which glusterd 10.3 refuses to start.
    "power off rpi3 as it takes rpi0's probe": (
        VICTIM, "grep -q 'Received probe from' /var/log/glusterfs/glusterd.log 2>/dev/null",
        "ip link set eth0 down"),
}


@pytest.mark.parametrize("drill", POWER_OFF_DRILLS)
def test_power_off_during_apply_then_power_on_and_reapply_converges(
        drill: str, sim, converged_cluster: ConvergedCluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    converged_cluster.invalidate()
    cluster = sim.fresh()
    kept = _keep_user_files(cluster)
    watched, condition, then = POWER_OFF_DRILLS[drill]
    moment = _watch(cluster, watched, condition, then)
    started = time.monotonic()
    apply = start_suite(tmp_path / "drill", *APPLY)
    struck = moment()
    cluster.stop_node(VICTIM)
    interrupted = apply.wait()
    # The run that lost a node says so, names it, and ends in bounded time.
    assert interrupted.rc != 0, interrupted.describe()
    assert VICTIM in interrupted.stdout, interrupted.describe()
    _hosts_files_whole(cluster, but=VICTIM)
    again, _ = _converge_again(cluster, tmp_path)
    _hosts_files_whole(cluster)
    lost = sum(kept[n] != now for n, now in _user_files(cluster).items())
    _record(drill, f"struck at {struck:.1f} s; apply rc {interrupted.rc}; re-apply {again.changes} "
                   "changes, then 0", time.monotonic() - started, lost)
    assert lost == 0
    converged_cluster.adopt()


def _volume_data(cluster: SimCluster, node: str, volume: str = "gv") -> str:
    """Checksums of every file in `volume`, read through a FUSE mount on `node`."""
    mount = f"/mnt/drill-{volume}"
    return sh(cluster, node, f"mkdir -p {mount} && mount -t glusterfs {node}:/{volume} {mount} && "
                             f"(cd {mount} && find . -type f | sort | xargs -r sha256sum); "
                             f"umount {mount}; rmdir {mount}", timeout=120)


def _write_volume_data(cluster: SimCluster, node: str, volume: str = "gv") -> str:
    mount = f"/mnt/drill-{volume}"
    sh(cluster, node, f"mkdir -p {mount} && mount -t glusterfs {node}:/{volume} {mount} && "
                      f"mkdir -p {mount}/drill && for i in $(seq 1 20); do "
                      f"head -c 50000 /dev/urandom > {mount}/drill/file-$i; done; "
                      f"umount {mount}; rmdir {mount}", timeout=120)
    return _volume_data(cluster, node, volume)


SECOND_VOLUME = '[[volumes]]\nname = "gv2"\nreplica = 2\nbrick_path = "/mnt/usb/gv2"\n'
CREATING = "pgrep -f 'volume [c]reate gv2' >/dev/null"


# What the drill above may leave depends on the millisecond it strikes; both states it was seen to
# leave are made here on purpose (glusterd stopped, its own records rewritten as it would have
# left them), so every run meets them with real glusterds: rpi0's record of rpi3 back at 'Probe
# Sent to Peer', rpi3's record of rpi0 at 'Probe Received from Peer' and only in glusterd's .tmp
# copy beside an empty record (as a power loss between create and rename leaves it), rpi3's
# glusterd not started (as when it refuses to start over such a record).
HALF_JOIN = {
    "rpi0": 'f=$(grep -lxE "hostname[0-9]+=rpi3" {peers}/*) && sed -i "s/^state=.*/state=1/" "$f"',
    "rpi3": ('f=$(grep -lxE "hostname[0-9]+=rpi0" {peers}/*) && sed "s/^state=.*/state=2/" "$f" '
             '> "$f.tmp" && : > "$f"'),
}


def _pool_without_volumes(sim, converged_cluster: ConvergedCluster, tmp_path: Path) -> SimCluster:  # type: ignore[no-untyped-def]
    """Fresh nodes in one pool, as a probe cut short finds them: no volume yet (a node that hosts
    one is never rejoined automatically; tests/unit/test_peer_store.py has that refusal)."""
    converged_cluster.invalidate()
    cluster: SimCluster = sim.fresh()
    pool_only = write_spec(tmp_path / "pool-only.toml", replace=('[[volumes]]\nname = "gv"\nreplica = 2', ""))
    first = start_suite(tmp_path / "first", *APPLY, spec=pool_only).wait()
    assert first.rc == 0, first.describe()
    return cluster


def test_a_half_joined_node_and_an_empty_peer_record_are_named_then_repaired(
        sim, converged_cluster: ConvergedCluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cluster = _pool_without_volumes(sim, converged_cluster, tmp_path)
    started = time.monotonic()
    for node, edit in HALF_JOIN.items():
        sh(cluster, node, f"kill $(cat /run/glusterd.pid); while pgrep -x glusterd >/dev/null; "
                          f"do sleep 0.1; done; {edit.format(peers='/var/lib/glusterd/peers')}")
    sh(cluster, "rpi0", "/usr/sbin/glusterd -p /run/glusterd.pid")
    check = start_suite(tmp_path / "check").wait()
    causes = [c["key"] for c in check.summary_json["causes"]]
    assert "peer-record-empty:rpi3" in causes, check.describe()
    assert "peer-half-joined:rpi0:rpi3" in causes, check.describe()
    again, _ = _converge_again(cluster, tmp_path)
    changed = "\n".join(again.summary_json["setup"]["changed"].get("cluster", []))
    assert "rpi3 rejoins afresh" in changed, again.describe()
    assert sh(cluster, "rpi3", "ls /var/lib/glustercheck/set-aside | wc -l").strip() != "0"
    _record("half-joined rpi3 + empty record (made)", f"named both causes; re-apply {again.changes} "
            "changes, then 0", time.monotonic() - started, 0)
    converged_cluster.adopt()


def test_a_node_that_came_back_knowing_nobody_is_named_then_rejoins(
        sim, converged_cluster: ConvergedCluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """What the 'takes rpi0's probe' drill left once in CI: rpi3 back with no peer record at all,
    rpi0..rpi2 still holding it ('Peer Rejected' once it refuses them as strangers). Made on
    purpose here (glusterd stopped, its records removed, started), so every run meets it."""
    cluster = _pool_without_volumes(sim, converged_cluster, tmp_path)
    started = time.monotonic()
    sh(cluster, VICTIM, "kill $(cat /run/glusterd.pid); while pgrep -x glusterd >/dev/null; do sleep 0.1; "
                        "done; rm -f /var/lib/glusterd/peers/*; /usr/sbin/glusterd -p /run/glusterd.pid")
    check = start_suite(tmp_path / "check").wait()
    causes = [c["key"] for c in check.summary_json["causes"]]
    assert "peer-forgotten:rpi3" in causes, check.describe()
    assert "peer-rejected:rpi3" not in causes, check.describe()  # a symptom of it, with no by-hand fix
    again, _ = _converge_again(cluster, tmp_path)
    changed = "\n".join(again.summary_json["setup"]["changed"].get("cluster", []))
    assert "rpi3 rejoins afresh" in changed, again.describe()
    _record("rpi3 back knowing nobody (made)", f"named; re-apply {again.changes} changes, then 0",
            time.monotonic() - started, 0)
    converged_cluster.adopt()


@pytest.mark.parametrize("strike", ["power off rpi3", "kill the controller"])
def test_struck_during_volume_create_the_next_apply_converges_and_data_is_intact(
        strike: str, healthy: SimCluster, converged_cluster: ConvergedCluster, tmp_path: Path) -> None:
    """A second volume is being created on a cluster that holds data in the first when rpi3 loses
    power, or the controller dies, mid-`volume create`: the half-made volume is found and finished
    by the next `--apply`, and the first volume's files read back unchanged."""
    cluster = healthy
    before = _write_volume_data(cluster, "rpi0")
    spec = write_spec(tmp_path / "two-volumes.toml", SECOND_VOLUME)
    try:
        moment = _watch(cluster, "rpi0", CREATING)
        started = time.monotonic()
        apply = start_suite(tmp_path / "drill", *APPLY, spec=spec)
        struck = moment()
        if strike == "kill the controller":
            apply.kill()
            outcome = "controller killed"
        else:
            cluster.stop_node(VICTIM)
            interrupted = apply.wait()
            assert interrupted.rc != 0, interrupted.describe()
            outcome = f"apply rc {interrupted.rc}"
        state = gluster(cluster, "rpi0", "volume", "info", "gv2", check=False)
        made = ("half-made (Created)" if "Status: Created" in state else "whole" if "Status:" in state
                else "not made: " + _leftover_ids(cluster))
        again, _ = _converge_again(cluster, tmp_path, spec)
        _hosts_files_whole(cluster)
        wait_healthy(cluster)
        after = _volume_data(cluster, "rpi1")
        lost = sum(1 for line in before.splitlines() if line not in after.splitlines())
        _record(f"{strike} during volume create", f"struck at {struck:.1f} s; {outcome}; gv2 "
                f"{made}; re-apply converged", time.monotonic() - started, lost)
        assert lost == 0, (before, after)
        # The half-made volume is not left for the operator: the re-apply made and started it.
        assert "Status: Started" in gluster(cluster, "rpi0", "volume", "info", "gv2")
        assert again.rc == 0, again.describe()
        assert sh(cluster, "rpi0", "ls /var/lib/glustercheck/creating 2>/dev/null || true") == ""
    finally:
        _drop_second_volume(cluster)


def _leftover_ids(cluster: SimCluster) -> str:
    """Which gv2 brick directories carry a volume ID (what glusterd leaves of a failed create)."""
    marked = [node for node in NODES if cluster.init_pid(node) and "volume-id" in sh(
        cluster, node, "getfattr -n trusted.glusterfs.volume-id /mnt/usb/gv2 2>&1 || true")]
    return f"volume ID left on {', '.join(marked) or 'no brick'}"


def _drop_second_volume(cluster: SimCluster) -> None:
    """gv2 and every trace of it go, whatever state the drill left (the next drill starts clean)."""
    for node in NODES:
        cluster.start_node(node)  # (does nothing to a running node)
    wait_healthy(cluster)
    gluster(cluster, "rpi0", "volume", "stop", "gv2", check=False)
    gluster(cluster, "rpi0", "volume", "delete", "gv2", check=False)
    for node in NODES:
        sh(cluster, node, "rm -rf /mnt/usb/gv2 /var/lib/glustercheck/creating")
    sh(cluster, "rpi0", "mkdir -p /mnt/drill && mount -t glusterfs rpi0:/gv /mnt/drill && "
                        "rm -rf /mnt/drill/drill; umount /mnt/drill; rmdir /mnt/drill")


def _wait_for_lock_holder(cluster: SimCluster, what: str) -> float:
    return _watch(cluster, "rpi0", f"grep -q '^{what}' /run/lock/glustercheck-cluster.lock.owner "
                                   "2>/dev/null")()


def test_nightly_check_during_an_apply_waits_for_the_lock_then_checks(
        sim, converged_cluster: ConvergedCluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    converged_cluster.invalidate()
    cluster = sim.fresh()
    started = time.monotonic()
    apply = start_suite(tmp_path / "apply", *APPLY)
    _wait_for_lock_holder(cluster, "converging")
    nightly = start_suite(tmp_path / "nightly", "--nightly")
    converged = apply.wait()
    checked = nightly.wait()
    assert converged.rc == 0, converged.describe()
    # The check waited for the converge, said for whom, then found the cluster converged.
    assert "waiting for the cluster lock on rpi0: converging (--apply)" in checked.stdout, checked.describe()
    assert checked.rc == 0, checked.describe()
    assert checked.failed == set(), checked.describe()
    _record("nightly check during an apply", "nightly waited for the lock, then HEALTHY",
            time.monotonic() - started, 0)
    converged_cluster.adopt()


# The peers wait's own question (pool_waits.ASK_TIMEOUT), as the node's process list shows it;
# [K] keeps the watcher's own command line from matching.
SILENCE_ASKED = "pgrep -f '[K]ILL 10.000 sh -c gluster --mode=script --xml peer status' >/dev/null"


def test_a_glusterd_silent_past_the_facts_5_s_is_waited_for_and_apply_converges(
        healthy: SimCluster, tmp_path: Path) -> None:
    """At 64 nodes rpi0's glusterd, busy after probing 63 peers, did not answer the facts'
    `peer status` within 5 s and --apply stopped there, calling it hung. Here rpi0's glusterd is
    stopped (SIGSTOP) until --apply asks it again in its wait, then resumed from inside the node."""
    first = NODES[0]
    started = time.monotonic()
    sh(healthy, first, "kill -STOP $(pgrep -x glusterd)")
    try:
        asked = _watch(healthy, first, SILENCE_ASKED, then="kill -CONT $(pgrep -x glusterd)")
        run = start_suite(tmp_path / "apply", *APPLY).wait()
    finally:
        sh(healthy, first, "kill -CONT $(pgrep -x glusterd)")
    assert run.rc == 0, run.describe()
    assert run.failed == set(), run.describe()
    resumed_at = asked()  # the run asked again, and was answered once resumed
    notes = run.summary_json["setup"]["inspected"]["cluster"]
    assert any(n.startswith(f"glusterd answered on {first} after ") for n in notes), notes
    _record("rpi0's glusterd silent until --apply waits", f"resumed at {resumed_at:.1f} s; "
            "apply waited, converged", time.monotonic() - started, 0)


def test_two_controllers_applying_at_once_never_run_a_step_twice(
        sim, converged_cluster: ConvergedCluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Two operators, two controllers (separate working directories, separate local lock
    directories), same spec, started together on bare nodes."""
    converged_cluster.invalidate()
    cluster = sim.fresh()
    started = time.monotonic()
    runs: list[RunningSuite] = []
    for name in ("alice", "bob"):
        lock_dir = tmp_path / f"{name}-locks"
        lock_dir.mkdir()
        runs.append(start_suite(tmp_path / name, *APPLY, env={"GLUSTERCHECK_LOCK_DIR": str(lock_dir)}))
    first, second = (run.wait() for run in runs)
    for run in (first, second):
        assert run.rc == 0, run.describe()
        assert run.failed == set(), run.describe()
    # One converged, the other waited for it and found nothing to do.
    assert sorted([first.changes == 0, second.changes == 0]) == [False, True], (
        first.describe(), second.describe())
    waited = first if first.changes == 0 else second
    assert "waiting for the cluster lock on rpi0: converging (--apply)" in waited.stdout, waited.describe()
    history = _history(cluster)
    assert history.count("volume create gv ") == 1, history
    assert history.count("volume start gv ") == 1, history
    for node in NODES[1:]:
        assert history.count(f"peer probe {node} ") == 1, history
    _record("two controllers apply at once", "one converged, the other waited: 0 changes; "
            "each step once", time.monotonic() - started, 0)
    converged_cluster.adopt()


def test_print_drill_table() -> None:
    """The drills run in this session (shown with -s; the closing note uses it)."""
    for line in TABLE:
        print(line)
