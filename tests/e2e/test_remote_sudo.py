"""sudo without ceremony, against the real sudo binary: a throwaway unprivileged user logs in to a
loopback sshd and the library uses `sudo -n` for it. Every way sudo can refuse is one message
naming node, user and fix. The user and every sudoers file are removed again."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from glustercheck.remote import Connection, ConnectionPool, ConnectOptions, SudoError, probe_all

from .loopback_sshd import SSHD, LoopbackSshd, add_user, revoke_sudo, start_sshd, sudoers_file, write_sudoers

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(60),
    pytest.mark.skipif(os.geteuid() != 0 or not SSHD.exists() or shutil.which("sudo") is None
                       or shutil.which("useradd") is None, reason="needs root, sshd, sudo and useradd"),
]

TIMEOUT = 2.0


@pytest.fixture(scope="module")
def sshd() -> Iterator[LoopbackSshd]:
    server = start_sshd()
    yield server
    server.stop()  # removes the users it added, and their sudoers files


@pytest.fixture(scope="module")
def options(sshd: LoopbackSshd) -> ConnectOptions:
    return ConnectOptions(known_hosts=sshd.known_hosts, connect_timeout=TIMEOUT, system_ssh_config=None,
                          ssh_config=sshd.root / "no_ssh_config")


@pytest.fixture(scope="module", autouse=True)
def empty_ssh_config(sshd: LoopbackSshd) -> None:
    (sshd.root / "no_ssh_config").write_text("")


@pytest.fixture
def user(sshd: LoopbackSshd) -> Iterator[str]:
    """A fresh account per test, with no sudo rights until the test gives some."""
    name = add_user(sshd)
    yield name
    revoke_sudo(name)
    assert not sudoers_file(name).exists()


def sudo_failure(sshd: LoopbackSshd, options: ConnectOptions, user: str,
                 **target: object) -> tuple[str, float]:
    start = time.monotonic()
    node = sshd.target("rpi1", user=user, **target)
    with pytest.raises(SudoError) as caught, Connection(node, options) as c:
        c.run("true", sudo=True)
    return str(caught.value), time.monotonic() - start


def test_passwordless_sudo_and_sudo_user(sshd: LoopbackSshd, options: ConnectOptions, user: str) -> None:
    write_sudoers(user, f"{user} ALL=(ALL) NOPASSWD: ALL\n")
    with Connection(sshd.target("rpi1", user=user, sudo=True), options) as c:
        assert c.check("id -un").stdout == "root\n"
        assert c.check("id -un", sudo=False).stdout == f"{user}\n"
    with Connection(sshd.target("rpi1", user=user, sudo=True, sudo_user="nobody"), options) as c:
        assert c.check("id -un").stdout == "nobody\n"


def test_unknown_sudo_user(sshd: LoopbackSshd, options: ConnectOptions, user: str) -> None:
    write_sudoers(user, f"{user} ALL=(ALL) NOPASSWD: ALL\n")
    message, _ = sudo_failure(sshd, options, user, sudo_user="gcnosuchuser")
    assert message == "sudo on rpi1: there is no user gcnosuchuser to run commands as - fix the sudo user"


def test_group_sudo_that_asks_for_a_password(sshd: LoopbackSshd, options: ConnectOptions, user: str) -> None:
    # As on Debian and Raspberry Pi OS before the NOPASSWD file: %sudo ALL=(ALL:ALL) ALL.
    subprocess.run(["usermod", "-aG", "sudo", user], check=True)
    message, took = sudo_failure(sshd, options, user)
    assert message.startswith(f"sudo on rpi1 needs a password: user {user} is in group sudo, whose sudo rule "
                              "asks for one, and this tool cannot type it; fix: as root on the node: "
                              f"echo '{user} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/010_{user}-nopasswd")
    assert took < 5


def test_user_not_in_sudoers(sshd: LoopbackSshd, options: ConnectOptions, user: str) -> None:
    # sudo 1.9 -n says only "a password is required" here: the message must still say what is wrong.
    message, took = sudo_failure(sshd, options, user)
    assert message.startswith(f"user {user} may not use sudo on rpi1 without a password: most likely it is "
                              "not in the sudoers file at all")
    assert f"/etc/sudoers.d/010_{user}-nopasswd" in message
    assert took < 5


def test_not_in_sudoers_said_outright(sshd: LoopbackSshd, options: ConnectOptions, user: str) -> None:
    # With authentication off, sudo itself says "USER is not in the sudoers file".
    write_sudoers(user, f"Defaults:{user} !authenticate\n")
    message, _ = sudo_failure(sshd, options, user)
    assert message.startswith(f"user {user} may not use sudo on rpi1 (not in the sudoers file, or not "
                              "allowed to run commands as root)")


def test_not_allowed_to_execute(sshd: LoopbackSshd, options: ConnectOptions, user: str) -> None:
    # "Sorry, user X is not allowed to execute '/usr/bin/timeout ...' as root".
    write_sudoers(user, f"Defaults:{user} !authenticate\n{user} ALL=(ALL) /usr/bin/id\n")
    message, _ = sudo_failure(sshd, options, user)
    assert message.startswith(f"user {user} may not use sudo on rpi1 (not in the sudoers file, or not "
                              "allowed to run commands as root)")


def test_rules_for_other_commands_only(sshd: LoopbackSshd, options: ConnectOptions, user: str) -> None:
    write_sudoers(user, f"{user} ALL=(ALL) NOPASSWD: /usr/bin/id\n")
    message, _ = sudo_failure(sshd, options, user)
    assert message.startswith(f"sudo on rpi1 needs a password: user {user} may not run commands as root "
                              "without one (its sudo rules: (ALL) NOPASSWD: /usr/bin/id); fix:")


def test_probe_reports_broken_sudo_once_per_node(sshd: LoopbackSshd, options: ConnectOptions,
                                                 user: str) -> None:
    write_sudoers(user, f"{user} ALL=(ALL) ALL\n")  # sudo asks for a password
    targets = [sshd.target(f"rpi{i}", user=user, sudo=True) for i in range(3)]
    targets.append(sshd.target("rootnode", user="root", sudo=True))
    start = time.monotonic()
    with ConnectionPool(options) as pool:
        results = probe_all(targets, pool=pool)
    assert time.monotonic() - start < 5
    assert results["rootnode"] is None
    for i in range(3):
        error = results[f"rpi{i}"]
        assert isinstance(error, SudoError)  # it answers: not called unreachable
        assert str(error).startswith(f"user {user} may not use sudo on rpi{i} without a password")
