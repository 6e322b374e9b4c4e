"""run_gluster: --mode=script, the cluster lock, and retrying only while glusterd is busy."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from glustercheck.errors import RemoteError
from glustercheck.remote import (
    ClusterLock,
    CommandResult,
    GlusterError,
    is_busy,
    retrying_gluster_sh,
    run_gluster,
)
from glustercheck.remote.gluster import backoff_delays

BUSY = "volume create: gv: failed: Another transaction is in progress for gv. Please try again."
LOCKING = "Locking failed on rpi1. Another transaction could be in progress. Please try again."


class FakeRunner:
    """Answers each call with the next (rc, stdout, stderr); records commands and lock state."""

    def __init__(self, answers: list[tuple[int, str, str]], lock: ClusterLock | None = None):
        self.answers = list(answers)
        self.lock = lock
        self.calls: list[Sequence[str] | str] = []
        self.locked_during_call: list[bool] = []

    def run(self, command, *, timeout=None, sudo=None, stdin=None) -> CommandResult:
        self.calls.append(command)
        self.locked_during_call.append(bool(self.lock and self.lock.is_locked))
        rc, out, err = self.answers.pop(0)
        return CommandResult("rpi0", "ignored", rc, out, err, 0.01)


def gluster(runner: FakeRunner, args: list[str], **kw):
    sleeps: list[float] = []
    kw.setdefault("write", True)
    result = run_gluster(runner, args, sleep=sleeps.append, **kw)
    return result, sleeps


def test_write_uses_script_mode_and_succeeds_first_time() -> None:
    runner = FakeRunner([(0, "volume start: gv: success\n", "")])
    result, sleeps = gluster(runner, ["volume", "start", "gv"])
    assert runner.calls == [["gluster", "--mode=script", "volume", "start", "gv"]]
    assert result.command == "gluster --mode=script volume start gv"
    assert (result.rc, result.attempts, sleeps) == (0, 1, [])


def test_reads_keep_their_own_xml_flag() -> None:
    runner = FakeRunner([(0, "<cliOutput/>", "")])
    gluster(runner, ["--xml", "peer", "status"], write=False)
    assert runner.calls == [["gluster", "--mode=script", "--xml", "peer", "status"]]


@pytest.mark.parametrize("message", [BUSY, LOCKING])
def test_busy_glusterd_is_retried_with_backoff(message: str) -> None:
    runner = FakeRunner([(1, "", message), (1, "", message), (0, "ok", "")])
    result, sleeps = gluster(runner, ["volume", "create", "gv", "rpi0:/b"])
    assert (result.rc, result.attempts) == (0, 3)
    assert sleeps == [0.5, 1.0]


def test_busy_message_on_stdout_counts_too() -> None:
    runner = FakeRunner([(1, BUSY, ""), (0, "ok", "")])
    assert gluster(runner, ["volume", "stop", "gv"])[0].attempts == 2


def test_other_failures_are_not_retried() -> None:
    runner = FakeRunner([(1, "", "volume start: gv: failed: Volume gv already started")])
    with pytest.raises(GlusterError, match="Volume gv already started") as caught:
        gluster(runner, ["volume", "start", "gv"])
    assert len(runner.calls) == 1
    assert caught.value.result.rc == 1
    assert isinstance(caught.value, RemoteError)


def test_plain_locking_failure_without_busy_text_is_not_retried() -> None:
    runner = FakeRunner([(1, "", "Locking failed on rpi1. Please check log file for details.")])
    with pytest.raises(GlusterError, match="Locking failed on rpi1"):
        gluster(runner, ["volume", "stop", "gv"])
    assert len(runner.calls) == 1


def test_gives_up_after_the_retries_and_says_how_often_it_tried() -> None:
    runner = FakeRunner([(1, "", BUSY)] * 6)
    with pytest.raises(GlusterError, match=r"after 6 attempts: .*Another transaction") as caught:
        gluster(runner, ["volume", "create", "gv", "rpi0:/b"])
    assert caught.value.result.attempts == 6
    assert len(runner.calls) == 6


def test_backoff_doubles_up_to_the_cap() -> None:
    assert backoff_delays(6, (0.5, 8.0)) == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff_delays(0, (0.5, 8.0)) == []


def test_zero_retries_means_one_attempt() -> None:
    runner = FakeRunner([(1, "", BUSY)])
    with pytest.raises(GlusterError):
        gluster(runner, ["volume", "stop", "gv"], retries=0)
    assert len(runner.calls) == 1


def test_writes_hold_the_lock_for_every_attempt(tmp_path: Path) -> None:
    lock = ClusterLock(tmp_path / "cluster.lock")
    runner = FakeRunner([(1, "", BUSY), (0, "ok", "")], lock=lock)
    gluster(runner, ["volume", "start", "gv"], lock=lock)
    assert runner.locked_during_call == [True, True]
    assert not lock.is_locked


def test_reads_do_not_take_the_lock(tmp_path: Path) -> None:
    lock = ClusterLock(tmp_path / "cluster.lock")
    runner = FakeRunner([(0, "ok", "")], lock=lock)
    gluster(runner, ["volume", "info"], write=False, lock=lock)
    assert runner.locked_during_call == [False]


def test_lock_is_released_when_the_command_fails(tmp_path: Path) -> None:
    lock = ClusterLock(tmp_path / "cluster.lock")
    runner = FakeRunner([(1, "", "volume stop: gv: failed: Volume gv is not in the started state")])
    with pytest.raises(GlusterError):
        gluster(runner, ["volume", "stop", "gv"], lock=lock)
    assert not lock.is_locked


def test_is_busy_ignores_success() -> None:
    assert not is_busy(CommandResult("h", "c", 0, BUSY, "", 0.0))
    assert is_busy(CommandResult("h", "c", 1, "", BUSY, 0.0))


HOLDER = """
import sys, time
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_cluster_lock_excludes_another_process(tmp_path: Path) -> None:
    path = tmp_path / "cluster.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), "1.0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with ClusterLock(path):
            waited = time.monotonic() - start
        assert waited > 0.5, "the lock was granted while another process held it"
    finally:
        holder.wait(10)


def test_cluster_lock_timeout_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cluster.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), "5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RemoteError, match=r"cluster lock .* still held"), ClusterLock(path, timeout=0.2):
            pass
    finally:
        holder.kill()
        holder.wait(10)


# ----- the retrying `g` function of the fact scripts, run by a real sh against a fake gluster ---

def fake_gluster(tmp_path: Path, answers: list[str]) -> Path:
    """A `gluster` on PATH that prints the next answer each call (the last one from then on) and
    logs its arguments; exit status 0, as gluster's --xml mode has even for errors."""
    (tmp_path / "answers").write_text("\n".join(answers) + "\n")
    script = tmp_path / "bin" / "gluster"
    script.parent.mkdir()
    script.write_text(f"""#!/bin/sh
echo "$*" >> {tmp_path}/calls
n=$(wc -l < {tmp_path}/calls)
total=$(wc -l < {tmp_path}/answers)
[ "$n" -gt "$total" ] && n=$total
sed -n "${{n}}p" {tmp_path}/answers
""")
    script.chmod(0o755)
    return script.parent


def run_g(tmp_path: Path, answers: list[str], **kwargs: object) -> tuple[str, list[str]]:
    path = fake_gluster(tmp_path, answers)
    script = retrying_gluster_sh(**kwargs) + "g 5 --xml volume status 'g v'\n"
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30, check=True,
                            env={"PATH": f"{path}:/usr/bin:/bin"})
    return result.stdout, (tmp_path / "calls").read_text().splitlines()


def test_fact_script_gluster_asks_again_while_busy(tmp_path: Path) -> None:
    out, calls = run_g(tmp_path, [BUSY, LOCKING, "<opRet>0</opRet>"], backoff=(0.01, 0.02))
    assert out == "<opRet>0</opRet>\n"
    assert calls == ["--mode=script --xml volume status g v"] * 3  # arguments kept whole


def test_fact_script_gluster_gives_up_with_the_busy_answer(tmp_path: Path) -> None:
    out, calls = run_g(tmp_path, [BUSY], retries=2, backoff=(0.01, 0.02))
    assert out == BUSY + "\n"
    assert len(calls) == 3  # the first try and two more


def test_fact_script_gluster_does_not_retry_other_errors(tmp_path: Path) -> None:
    out, calls = run_g(tmp_path, ["Volume g v is not started", "<opRet>0</opRet>"], backoff=(0.01, 0.02))
    assert out == "Volume g v is not started\n"
    assert len(calls) == 1


def test_a_transient_answer_the_caller_names_is_asked_again() -> None:
    from glustercheck.actions import PeerProbe

    command = PeerProbe("rpi0", "rpi7", ("rpi0", "rpi7")).command()
    lost = (1, "", "peer probe: failed: Probe returned with Transport endpoint is not connected\n")
    runner = FakeRunner([lost, (0, "peer probe: success\n", "")])
    result, sleeps = gluster(runner, list(command.argv), transient=command.transient)
    assert (result.rc, result.attempts, sleeps) == (0, 2, [0.5])
    # Without the caller's word, the same answer is a failure at once (gluster's own message).
    with pytest.raises(GlusterError, match="Transport endpoint is not connected"):
        gluster(FakeRunner([lost]), list(command.argv))


class SlowRunner:
    """Each attempt takes `cost` seconds of a fake clock and answers that the peer's transport is
    not connected (a probe of a node that lost power); records the time each attempt was given."""

    def __init__(self, cost: float) -> None:
        self.now, self.cost = 0.0, cost
        self.given: list[float | None] = []

    def run(self, command, *, timeout=None, sudo=None, stdin=None) -> CommandResult:
        self.given.append(timeout)
        self.now += min(self.cost, timeout) if timeout is not None else self.cost
        return CommandResult("rpi0", "ignored", 1, "",
                             "peer probe: failed: Probe returned with Transport endpoint is not connected", 0)


def test_the_timeout_bounds_every_attempt_together() -> None:
    runner = SlowRunner(cost=50.0)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        runner.now += seconds

    with pytest.raises(GlusterError, match="Transport endpoint is not connected"):
        run_gluster(runner, ["peer", "probe", "rpi3"], write=True, timeout=120, sleep=sleep,
                    transient=r"transport endpoint is not connected", clock=lambda: runner.now)
    # Each attempt gets what is left of the 120 s; none starts once too little is left.
    assert runner.given == [120, 69.5, 18.5]
    assert runner.now <= 120
    assert sleeps == [0.5, 1.0]


def test_a_quick_transient_failure_is_still_asked_again_within_the_bound() -> None:
    runner = SlowRunner(cost=0.2)
    with pytest.raises(GlusterError):
        run_gluster(runner, ["peer", "probe", "rpi3"], write=True, timeout=120, sleep=lambda s: None,
                    transient=r"transport endpoint is not connected", clock=lambda: runner.now)
    assert len(runner.given) == 6  # every retry: the bound was never near
