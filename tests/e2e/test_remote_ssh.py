"""glustercheck.remote against a real OpenSSH server on 127.0.0.1 (no other address is used)."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from glustercheck.errors import CommandTimeout, RemoteError, UnreachableError
from glustercheck.remote import (
    CommandFailed,
    Connection,
    ConnectionPool,
    ConnectOptions,
    probe_all,
)
from glustercheck.remote.channel import NoAnswer, start_command

from .loopback_sshd import (
    LOOPBACK,
    SSHD,
    LoopbackSshd,
    add_user,
    free_port,
    grant_passwordless_sudo,
    keygen,
    openssh_fingerprint,
    public_key,
    revoke_sudo,
    start_sshd,
    tcp_socket_holders,
)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not SSHD.exists(), reason="needs root and /usr/sbin/sshd"
)

TIMEOUT = 2.0


@pytest.fixture(scope="session")
def sshd() -> Iterator[LoopbackSshd]:
    server = start_sshd()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def options(sshd: LoopbackSshd) -> ConnectOptions:
    return ConnectOptions(known_hosts=sshd.known_hosts, connect_timeout=TIMEOUT)


@pytest.fixture
def conn(sshd: LoopbackSshd, options: ConnectOptions) -> Iterator[Connection]:
    c = Connection(sshd.target(), options)
    yield c
    c.close()


def alive(marker: str) -> str:
    """Processes on this machine (the 'remote' one too) whose command line has `marker`."""
    return subprocess.run(["pgrep", "-af", marker], check=False, capture_output=True, text=True).stdout


def unique_sleep() -> str:
    """A sleep whose command line no other process has, so pgrep finds only ours."""
    return f"sleep {1000 + secrets.randbelow(10**6)}.{secrets.randbelow(1000):03d}"


# --- running commands --------------------------------------------------------------------


def test_run_returns_rc_stdout_stderr(conn: Connection) -> None:
    r = conn.run("echo out; echo err >&2; exit 3")
    assert (r.host, r.rc, r.stdout, r.stderr) == ("loopback", 3, "out\n", "err\n")
    assert r.command == "echo out; echo err >&2; exit 3"
    assert 0 < r.duration < TIMEOUT


def test_sequence_arguments_arrive_as_single_words(conn: Connection) -> None:
    args = ["a b", "it's", "$(id)", "`id`", "x\ny", "ü ✓"]
    r = conn.check(["printf", "%s\\0", *args])
    assert r.stdout.split("\0")[:-1] == args


def test_check_raises_with_rc_command_and_stderr(conn: Connection) -> None:
    with pytest.raises(CommandFailed, match=r"loopback: `ls /nonexistent-dir` failed") as e:
        conn.check(["ls", "/nonexistent-dir"])
    assert e.value.result.rc == 2
    assert "No such file or directory" in str(e.value)


def test_output_is_decoded_with_replacement(conn: Connection) -> None:
    assert conn.run(r"printf 'ok \377\n'").stdout == "ok \ufffd\n"


def test_stdin_is_delivered_then_closed(conn: Connection) -> None:
    assert conn.run("read x; echo got:$x", stdin="yes\n").stdout == "got:yes\n"
    big = "".join(f"{i}\n" for i in range(200_000))  # larger than the SSH window
    r = conn.check("cat", stdin=big)
    assert r.stdout == big


def test_stdin_known_later_is_read_when_it_comes(conn: Connection) -> None:
    """A command that starts now and reads what another thread decides later (the data path's
    reader, mounted while the writer works)."""
    decided = threading.Event()

    def later() -> str:
        assert decided.wait(10)
        return "go\n"

    timer = threading.Timer(0.5, decided.set)
    timer.start()
    started = time.monotonic()
    r = conn.run("echo started; read x; echo got:$x", stdin=later)
    assert r.stdout == "started\ngot:go\n"
    assert time.monotonic() - started >= 0.5


def test_a_prompt_sees_eof_and_returns_at_once(conn: Connection) -> None:
    start = time.monotonic()
    r = conn.run("read x; echo got:$x")
    assert r.stdout == "got:\n"
    assert time.monotonic() - start < 1.5


def test_timeout_raises_and_kills_the_remote_process_group(conn: Connection) -> None:
    first, second = unique_sleep(), unique_sleep()
    command = f"{first} & {second}; wait"
    start = time.monotonic()
    with pytest.raises(CommandTimeout, match=r"loopback: `.*` did not finish within 1 s") as e:
        conn.run(command, timeout=1)
    assert 0.9 < time.monotonic() - start < 1 + TIMEOUT
    assert command in str(e.value)
    time.sleep(0.2)
    assert alive(first) == ""
    assert alive(second) == ""


def test_a_command_killed_early_is_not_a_timeout(conn: Connection) -> None:
    r = conn.run("kill -9 $$", timeout=10)
    assert r.rc == -1  # killed by a signal: sshd sends no exit status
    assert r.duration < 5
    with pytest.raises(CommandFailed, match="was killed by a signal"):
        conn.check("kill -9 $$")


def test_command_timeout_option_is_the_default(sshd: LoopbackSshd) -> None:
    opts = ConnectOptions(known_hosts=sshd.known_hosts, command_timeout=0.5)
    with Connection(sshd.target(), opts) as c, pytest.raises(CommandTimeout, match=r"0\.5 s"):
        c.run("sleep 5")


def test_connection_is_reused(conn: Connection) -> None:
    conn.run("true")
    transport = conn.transport
    for _ in range(20):
        conn.check("true")
    assert conn.transport is transport


def test_dead_transport_is_reopened_once(conn: Connection) -> None:
    conn.run("true")
    old = conn.transport
    assert old is not None
    old.close()
    assert conn.check("echo back").stdout == "back\n"
    assert conn.transport is not old


@contextlib.contextmanager
def server_silent(conn: Connection) -> Iterator[None]:
    """The sshd processes serving `conn` stopped (SIGSTOP): the TCP connection stays up, nothing
    answers on it, no reset comes, as when a node loses power or its cable."""
    transport = conn.transport
    assert transport is not None
    client, server = transport.sock.getsockname(), transport.sock.getpeername()  # type: ignore[union-attr]
    holders = tcp_socket_holders(server, client)
    assert holders, "no sshd process holds the connection"
    for pid in holders:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in holders:
            os.kill(pid, signal.SIGCONT)


def test_a_command_the_server_never_takes_is_given_up_at_its_bound(conn: Connection) -> None:
    conn.run("true")
    assert conn.transport is not None
    channel = conn.transport.open_session(timeout=TIMEOUT)
    with server_silent(conn):
        start = time.monotonic()
        with pytest.raises(NoAnswer):
            start_command(channel, "true", time.monotonic() + 1.0)
        took = time.monotonic() - start
    # At its 1 s bound, not before; the upper limit leaves a loaded machine room to wake the timer
    # late and is still far from paramiko's own wait, until TCP gives up: a quarter of an hour.
    assert 0.9 < took < 5


def test_a_connection_gone_silent_is_dropped_with_a_clear_message(
        conn: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    conn.run("true")
    silent = contextlib.ExitStack()
    opened = conn._channel

    def open_then_fall_silent() -> paramiko.Channel:  # the node dies between open and exec
        channel = opened()
        silent.enter_context(server_silent(conn))
        return channel

    monkeypatch.setattr(conn, "_channel", open_then_fall_silent)
    with silent, pytest.raises(UnreachableError) as caught:
        conn.run("echo hi")
    assert str(caught.value) == (
        f"{conn.label} unreachable: no answer within {TIMEOUT:g} s to starting `echo hi` on a "
        "connection that had worked - is the node powered and on the network?")
    assert conn.transport is None  # dropped: the next command connects afresh
    monkeypatch.undo()
    assert conn.check("echo back").stdout == "back\n"


def test_pool_shares_one_connection_between_threads(sshd: LoopbackSshd, options: ConnectOptions) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ConnectionPool(options) as pool:
        target = sshd.target()

        def work(i: int) -> str:
            return pool.get(target).check(["echo", str(i)]).stdout

        with ThreadPoolExecutor(8) as ex:
            assert list(ex.map(work, range(16))) == [f"{i}\n" for i in range(16)]
        assert pool.get(target).transport is not None


# --- host keys ---------------------------------------------------------------------------


def test_unknown_host_key_is_rejected_clearly(sshd: LoopbackSshd, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    opts = ConnectOptions(known_hosts=empty, connect_timeout=TIMEOUT)
    with pytest.raises(UnreachableError) as e:
        Connection(sshd.target("rpi9"), opts).run("true")
    message = str(e.value)
    assert message.startswith(f"rpi9 ({LOOPBACK}:{sshd.port}) unreachable: unknown host key")
    assert "ssh-ed25519" in message
    assert openssh_fingerprint(sshd.host_key) in message
    assert str(empty) in message


def test_mismatched_host_key_is_rejected(sshd: LoopbackSshd, tmp_path: Path) -> None:
    other = keygen(tmp_path / "other_host_key")
    known = tmp_path / "known_hosts"
    known.write_text(f"[{LOOPBACK}]:{sshd.port} {public_key(other)}\n")
    opts = ConnectOptions(known_hosts=known, connect_timeout=TIMEOUT)
    with pytest.raises(UnreachableError, match="host key MISMATCH") as e:
        Connection(sshd.target(), opts).run("true")
    assert openssh_fingerprint(sshd.host_key) in str(e.value)
    assert openssh_fingerprint(other) in str(e.value)


def test_non_strict_mode_accepts_unknown_keys_in_memory(sshd: LoopbackSshd, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    opts = ConnectOptions(known_hosts=known, strict_host_keys=False, connect_timeout=TIMEOUT)
    with Connection(sshd.target(), opts) as c:
        assert c.check("echo ok").stdout == "ok\n"
    assert known.read_text() == ""


# --- unreachable -------------------------------------------------------------------------


def test_connection_refused_is_quick_and_clear(sshd: LoopbackSshd, options) -> None:
    port = free_port()
    start = time.monotonic()
    with pytest.raises(UnreachableError) as e:
        Connection(sshd.target("rpi2", port=port), options).run("true")
    assert time.monotonic() - start < 1
    assert str(e.value) == (f"rpi2 ({LOOPBACK}:{port}) unreachable: connection refused - is sshd running?")


def test_wrong_key_is_an_authentication_failure(sshd: LoopbackSshd, options, tmp_path) -> None:
    stranger = keygen(tmp_path / "stranger")
    with pytest.raises(UnreachableError) as e:
        Connection(sshd.target(identity_file=stranger), options).run("true")
    message = str(e.value)
    assert message.startswith(
        f"loopback ({LOOPBACK}:{sshd.port}) unreachable: authentication failed for root@{LOOPBACK} "
        f"with keys: {stranger} (ssh-ed25519 {openssh_fingerprint(stranger)})")
    assert "~root/.ssh/authorized_keys on loopback" in message


class BlackHole:
    """A port that accepts TCP but never says a word: a hung node, as far as SSH can tell."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


def test_probe_all_waits_for_dead_hosts_side_by_side(sshd: LoopbackSshd, options) -> None:
    holes = [BlackHole() for _ in range(3)]
    try:
        targets = [sshd.target(f"dead{i}", port=h.port) for i, h in enumerate(holes)]
        targets.append(sshd.target("refused", port=free_port()))
        targets.append(sshd.target("live"))
        start = time.monotonic()
        results = probe_all(targets, options)
        elapsed = time.monotonic() - start
    finally:
        for h in holes:
            h.close()
    print(f"probe_all: 5 hosts (3 hung, 1 refused, 1 live) in {elapsed:.2f} s, connect timeout {TIMEOUT} s")
    assert list(results) == ["dead0", "dead1", "dead2", "refused", "live"]
    assert results["live"] is None
    for name in ("dead0", "dead1", "dead2"):
        assert "handshake did not complete within 2 s" in str(results[name])
    assert "connection refused" in str(results["refused"])
    assert TIMEOUT * 0.9 < elapsed < TIMEOUT * 1.5


def test_probe_all_keeps_connections_in_the_given_pool(sshd: LoopbackSshd, options) -> None:
    with ConnectionPool(options) as pool:
        assert probe_all([sshd.target()], pool=pool) == {"loopback": None}
        assert pool.get(sshd.target()).transport is not None


# --- sudo --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def plain_user(sshd: LoopbackSshd) -> str:
    """A throwaway non-root account (removed with the server) for the sudo paths."""
    if shutil.which("useradd") is None or shutil.which("sudo") is None:
        pytest.skip("needs useradd and sudo")
    return add_user(sshd)


@pytest.fixture
def sudo_user(plain_user: str) -> Iterator[str]:
    grant_passwordless_sudo(plain_user)
    yield plain_user
    revoke_sudo(plain_user)


def test_sudo_runs_as_root_for_a_non_root_login(sshd, options, sudo_user: str) -> None:
    with Connection(sshd.target(user=sudo_user, sudo=True), options) as c:
        assert c.check("id -un").stdout == "root\n"
        assert c.check("id -un", sudo=False).stdout == f"{sudo_user}\n"


def test_timeout_kills_a_command_running_under_sudo(sshd, options, sudo_user: str) -> None:
    marker = unique_sleep()
    with Connection(sshd.target(user=sudo_user), options) as c, pytest.raises(CommandTimeout):
        c.run(marker, sudo=True, timeout=1)
    time.sleep(0.2)
    assert alive(marker) == ""


def test_sudo_that_wants_a_password_is_explained(sshd, options, plain_user: str) -> None:
    # As on Debian before a NOPASSWD line: group sudo, whose rule asks for the password.
    subprocess.run(["usermod", "-aG", "sudo", plain_user], check=True)
    try:
        with (
            Connection(sshd.target("rpi1", user=plain_user), options) as c,
            pytest.raises(RemoteError) as e,
        ):
            c.run("true", sudo=True)
    finally:
        subprocess.run(["gpasswd", "-d", plain_user, "sudo"], check=True, capture_output=True)
    assert str(e.value).startswith(f"sudo on rpi1 needs a password: user {plain_user} is in group sudo")


def test_root_login_needs_no_sudo(conn: Connection) -> None:
    assert conn.check("id -un", sudo=True).stdout == "root\n"
