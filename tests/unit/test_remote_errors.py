"""The operator-facing messages: connect failures, sudo problems, failed commands."""

from __future__ import annotations

import errno
import re
import socket
from pathlib import Path

import paramiko
import pytest

from glustercheck.errors import RemoteError, UnreachableError
from glustercheck.remote import CommandFailed, CommandResult, fingerprint
from glustercheck.remote.connect_errors import explain
from glustercheck.remote.hostkeys import RejectUnknownKey, mismatch_error
from glustercheck.remote.result import sudo_problem
from glustercheck.remote.targets import ResolvedTarget

TARGET = ResolvedTarget(
    name="rpi2",
    hostname="10.0.1.2",
    user="pi",
    port=22,
    identity_files=(Path("/home/me/.ssh/id_ed25519"),),
    sudo=True,
    known_hosts=(Path("/nonexistent/known_hosts"),),
)


def refused() -> OSError:
    inner = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    return paramiko.ssh_exception.NoValidConnectionsError({("10.0.1.2", 22): inner})


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (refused(), r"^rpi2 \(10\.0\.1\.2:22\) unreachable: connection refused - is sshd running\?$"),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "does not resolve"),
        (TimeoutError("timed out"), r"no answer within 5 s"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "no route to host"),
        (
            paramiko.AuthenticationException("Authentication failed."),
            r"authentication failed for pi@10\.0\.1\.2 with keys: /home/me/.ssh/id_ed25519 - "
            r"is one of their public keys in ~pi/.ssh/authorized_keys on rpi2\?",
        ),
        (paramiko.SSHException("Error reading SSH protocol banner"), "handshake did not complete within 5 s"),
        (paramiko.SSHException("No existing session"), "handshake did not complete within 5 s"),
        (EOFError(), "closed the connection"),
    ],
)
def test_each_connect_failure_has_its_own_message(exc: BaseException, expected: str) -> None:
    error = explain(exc, TARGET, 5.0)
    assert isinstance(error, UnreachableError)
    assert re.search(expected, str(error)), str(error)


def test_unknown_host_key_names_type_fingerprint_and_file() -> None:
    key = paramiko.Ed25519Key(data=_ed25519_blob())
    with pytest.raises(UnreachableError) as caught:
        RejectUnknownKey(TARGET).missing_host_key(None, "10.0.1.2", key)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "unknown host key ssh-ed25519 SHA256:" in message
    assert fingerprint(key) in message
    assert "/nonexistent/known_hosts (missing)" in message


def test_mismatch_names_both_keys() -> None:
    got = paramiko.Ed25519Key(data=_ed25519_blob(b"\x01"))
    expected = paramiko.Ed25519Key(data=_ed25519_blob(b"\x02"))
    message = str(mismatch_error(TARGET, paramiko.BadHostKeyException("10.0.1.2", got, expected)))
    assert "MISMATCH" in message
    assert fingerprint(got) in message
    assert fingerprint(expected) in message
    assert fingerprint(got) != fingerprint(expected)


def test_fingerprint_is_openssh_style() -> None:
    fp = fingerprint(paramiko.Ed25519Key(data=_ed25519_blob()))
    assert fp.startswith("SHA256:")
    assert not fp.endswith("=")
    assert len(fp) == 7 + 43


@pytest.mark.parametrize(
    ("rc", "stderr", "expected"),
    [
        (1, "sudo: a password is required\n", "sudo on rpi1 needs a password: give user pi"),
        (127, "sh: 1: sudo: not found\n", "sudo is not installed on rpi1"),
        (127, "bash: line 1: sudo: command not found\n", "sudo is not installed on rpi1"),
        (1, "pi is not in the sudoers file.\n", "user pi may not use sudo on rpi1"),
        (
            1,
            "Sorry, user pi is not allowed to execute '/usr/bin/timeout' as root on rpi1.\n",
            "user pi may not use sudo on rpi1",
        ),
    ],
)
def test_sudo_problems_are_explained(rc: int, stderr: str, expected: str) -> None:
    problem = sudo_problem(rc, stderr, host="rpi1", user="pi")
    assert problem is not None
    assert problem.startswith(expected)


@pytest.mark.parametrize(
    ("rc", "stderr"),
    [(0, ""), (1, "grep: /etc/x: No such file or directory\n"), (127, "sh: 1: gluster: not found")],
)
def test_ordinary_failures_are_not_blamed_on_sudo(rc: int, stderr: str) -> None:
    assert sudo_problem(rc, stderr, host="rpi1", user="pi") is None


def test_command_failed_carries_rc_command_and_stderr_tail() -> None:
    stderr = "".join(f"line {i}\n" for i in range(30))
    error = CommandFailed(CommandResult("rpi0", "ls /bricks", 2, "", stderr, 0.1))
    assert isinstance(error, RemoteError)
    assert error.result.rc == 2
    text = str(error)
    assert "rpi0: `ls /bricks` failed with exit status 2" in text
    assert "line 29" in text
    assert "line 5\n" not in text


def _ed25519_blob(seed: bytes = b"\x00") -> bytes:
    """A public-key blob (any 32 bytes make a syntactically valid ed25519 public key)."""
    msg = paramiko.Message()
    msg.add_string("ssh-ed25519")
    msg.add_string(seed * 32)
    return msg.asbytes()


def test_a_failures_reason_is_the_tail_of_its_output_and_bounded() -> None:
    def result(stdout: str, stderr: str) -> CommandResult:
        return CommandResult("rpi1", "cmd", 1, stdout, stderr, 0.1)

    assert result("out\n", "E: Unable to locate package glusterfs-server\n").reason == (
        "E: Unable to locate package glusterfs-server")
    assert result("only stdout says why\n", "  \n").reason == "only stdout says why"
    assert result("", "").reason == "(no output)"
    flood = result("", "x" * 100_000 + " the end")
    assert len(flood.reason) <= 803
    assert flood.reason.startswith("...")
    assert flood.reason.endswith(" the end")
    assert len(str(CommandFailed(flood))) < 1000
