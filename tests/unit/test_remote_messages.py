"""Operator messages built offline: sudo (with what `sudo -n -l` really prints), failed logins,
a ProxyCommand that ends. Each names the node, what was expected, what was found, and the fix."""

from __future__ import annotations

import time
from pathlib import Path

import paramiko
import pytest

from glustercheck.errors import UnreachableError
from glustercheck.remote import Connection, ConnectOptions, SshTarget
from glustercheck.remote.auth import Keys, Offer, auth_failed
from glustercheck.remote.routes import ShellProxy
from glustercheck.remote.sudo import SudoFailure, classify, describe, sudo_target
from glustercheck.remote.targets import ResolvedTarget

# `LC_ALL=C sudo -n -l; echo sudo-l-rc=$?; id -Gn` as sudo 1.9.13 answers it.
LISTED = """Matching Defaults entries for pi on rpi1:
    env_reset, mail_badpass,
    secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin,
    use_pty

User pi may run the following commands on rpi1:
    (ALL) NOPASSWD: /usr/bin/id
    (root) NOPASSWD: /usr/sbin/gluster
sudo-l-rc=0
pi adm
"""
NEEDS_PASSWORD_IN_GROUP = "sudo: a password is required\nsudo-l-rc=1\npi adm sudo video\n"
NEEDS_PASSWORD_NO_GROUP = "sudo: a password is required\nsudo-l-rc=1\nalice\n"


@pytest.mark.parametrize(("rc", "stderr", "kind"), [
    (1, "sudo: a password is required\n", SudoFailure.PASSWORD),
    (1, "sudo: a terminal is required to read the password; either use the -S option\n",
     SudoFailure.PASSWORD),
    (1, "pi is not in the sudoers file.\n", SudoFailure.NOT_ALLOWED),
    (1, "Sorry, user pi is not allowed to execute '/usr/bin/timeout 5 sh -c true' as root on rpi1.\n",
     SudoFailure.NOT_ALLOWED),
    (1, "sudo: unknown user gluster\nsudo: error initializing audit plugin sudoers_audit\n",
     SudoFailure.UNKNOWN_USER),
    (127, "sh: 1: sudo: not found\n", SudoFailure.NOT_INSTALLED),
    (1, "grep: /x: No such file or directory\n", None),
    (0, "", None),
])
def test_classify_real_sudo_messages(rc: int, stderr: str, kind: SudoFailure | None) -> None:
    assert classify(rc, stderr) is kind


def test_diagnosed_password_messages() -> None:
    listed = describe(SudoFailure.PASSWORD, LISTED, host="rpi1", user="pi")
    assert listed == ("sudo on rpi1 needs a password: user pi may not run commands as root without one "
                      "(its sudo rules: (ALL) NOPASSWD: /usr/bin/id; (root) NOPASSWD: /usr/sbin/gluster); "
                      "fix: as root on the node: echo 'pi ALL=(ALL) NOPASSWD: ALL' > "
                      "/etc/sudoers.d/010_pi-nopasswd (Raspberry Pi OS does this for its first user)")
    grouped = describe(SudoFailure.PASSWORD, NEEDS_PASSWORD_IN_GROUP, host="rpi1", user="pi")
    assert grouped.startswith("sudo on rpi1 needs a password: user pi is in group sudo, whose sudo rule asks")
    stranger = describe(SudoFailure.PASSWORD, NEEDS_PASSWORD_NO_GROUP, host="rpi3", user="alice",
                        as_user="gluster")
    assert stranger.startswith("user alice may not use sudo on rpi3 without a password: most likely it is "
                               "not in the sudoers file at all")
    assert "echo 'alice ALL=(gluster) NOPASSWD: ALL' > /etc/sudoers.d/010_alice-nopasswd" in stranger


def test_sudo_target() -> None:
    assert sudo_target("pi", True, None) == "root"
    assert sudo_target("root", True, None) is None
    assert sudo_target("pi", False, "gluster") is None
    assert sudo_target("pi", True, "gluster") == "gluster"
    assert sudo_target("gluster", True, "gluster") is None
    assert sudo_target("root", True, "pi") == "pi"


def test_failed_login_lists_keys_agent_and_fix() -> None:
    msg = paramiko.Message()
    msg.add_string("ssh-ed25519")
    msg.add_string(b"\x07" * 32)
    public = paramiko.Ed25519Key(data=msg.asbytes())
    target = ResolvedTarget(name="rpi2", hostname="10.0.1.2", user="pi", port=22,
                            identity_files=(Path("/home/me/.ssh/pi_key"),))
    keys = Keys(offers=[Offer(public, "/home/me/.ssh/pi_key")],
                skipped=["/home/me/.ssh/old (does not exist)"], agent_keys=2)
    message = str(auth_failed(target, keys))
    assert message == (
        f"rpi2 (10.0.1.2:22) unreachable: authentication failed for pi@10.0.1.2 with keys: "
        f"/home/me/.ssh/pi_key (ssh-ed25519 {public.fingerprint}) (agent: 2 keys); "
        "not offered: /home/me/.ssh/old (does not exist); fix: add one of these public keys to "
        "~pi/.ssh/authorized_keys on rpi2 (e.g. ssh-copy-id -i KEY.pub pi@10.0.1.2), or name the right "
        "key (IdentityFile in ssh_config, identity_file in the spec, --ssh-identity-file) or load it "
        "into ssh-agent")


def test_ended_proxy_command_reports_status_and_stderr() -> None:
    # Run as ssh runs it: `exec` + the command, so the command's own status is reported.
    command = "sh -c 'echo ssh: connect to host 10.0.1.0 port 22: Connection refused >&2; exit 255'"
    proxy = ShellProxy(command)
    proxy.settimeout(5)
    start = time.monotonic()
    assert proxy.recv(100) == b""  # EOF is seen at once, not after a timeout
    assert time.monotonic() - start < 2
    assert proxy.failure() == (f"ProxyCommand `{command}` exited with status 255: ssh: connect to host "
                               "10.0.1.0 port 22: Connection refused")
    proxy.close()


def test_proxy_command_is_stopped_and_reaped_on_close() -> None:
    proxy = ShellProxy("sleep 30")
    pid = proxy.process.pid
    proxy.close()
    assert proxy.process.returncode is not None
    assert not Path(f"/proc/{pid}").exists()


def _through_proxy(tmp_path: Path, command: str) -> str:
    """The message of connecting (1 s timeout) to a node reached only through `command`."""
    config = tmp_path / "ssh_config"
    config.write_text(f"Host slowpc\n    HostName 10.0.1.9\n    User pi\n    ProxyCommand {command}\n"
                      f"    ConnectTimeout 1\n    UserKnownHostsFile {tmp_path / 'known_hosts'}\n")
    with pytest.raises(UnreachableError) as failed:
        Connection(SshTarget("slowpc"), ConnectOptions(ssh_config=config, system_ssh_config=None)).open()
    return str(failed.value)


def test_a_proxy_that_never_speaks_is_a_handshake_timeout_not_its_exit(tmp_path: Path) -> None:
    # The proxy is alive and silent until the timeout; closing the transport then stops it.
    # The message must tell the timeout, not the exit status the stop gave it (CI, stop 21:
    # "ProxyCommand `ssh ... -W ...` exited with status 0" for a handshake that ran out of time).
    message = _through_proxy(tmp_path, "sleep 30")
    assert message == ("slowpc (10.0.1.9:22) unreachable: its ProxyCommand runs, but the SSH handshake "
                       "did not complete within 1 s - is sshd on port 22 hung or overloaded, or is "
                       "something else listening?")


def test_a_proxy_that_ends_by_itself_is_reported_with_its_words(tmp_path: Path) -> None:
    message = _through_proxy(tmp_path, "sh -c 'echo no route to rpi9 >&2; exit 3'")
    assert message == ("slowpc (10.0.1.9:22) unreachable: ProxyCommand `sh -c 'echo no route to rpi9 "
                       ">&2; exit 3'` exited with status 3: no route to rpi9")
