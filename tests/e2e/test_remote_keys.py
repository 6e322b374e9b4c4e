"""Keys and host keys as ssh handles them, against a real sshd on 127.0.0.1: a key only in a running
ssh-agent, a passphrase-protected key, IdentityAgent none, a wrong key; StrictHostKeyChecking
accept-new, hashed and global known_hosts. Each failure is one message, in bounded time."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from glustercheck.errors import UnreachableError
from glustercheck.remote import Connection, ConnectOptions, SshTarget

from .loopback_sshd import (
    LOOPBACK,
    SSHD,
    LoopbackSshd,
    keygen,
    openssh_fingerprint,
    public_key,
    running_agent,
    ssh_add,
    start_sshd,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(60),
    pytest.mark.skipif(os.geteuid() != 0 or not SSHD.exists(), reason="needs root and /usr/sbin/sshd"),
]

TIMEOUT = 2.0


@pytest.fixture(scope="module")
def sshd() -> Iterator[LoopbackSshd]:
    server = start_sshd()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def bare_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No ~/.ssh keys and no agent unless a test starts one: only what the test gives counts."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return home


def authorize(server: LoopbackSshd, *keys: Path) -> None:
    """root may log in with exactly these keys."""
    (server.root / "authorized" / "root").write_text("".join(public_key(k) + "\n" for k in keys))


def write_config(path: Path, server: LoopbackSshd, extra: str = "", known: Path | None = None) -> Path:
    path.write_text(f"Host node\n    HostName {LOOPBACK}\n    Port {server.port}\n    User root\n"
                    f"    UserKnownHostsFile {known or server.known_hosts}\n{extra}")
    return path


def connect(config: Path, **options: object) -> Connection:
    return Connection(SshTarget("node"), ConnectOptions(ssh_config=config, system_ssh_config=None,
                                                        connect_timeout=TIMEOUT, **options))  # type: ignore[arg-type]


def accepted_key(server: LoopbackSshd, after: int) -> str:
    """The fingerprint of the key sshd accepted last (its log names it)."""
    found = re.findall(r"Accepted publickey for root from \S+ port \d+ ssh2: \S+ (SHA256:\S+)",
                       server.log.read_text()[after:])
    assert found, "sshd accepted no key"
    return str(found[-1])


def failure(config: Path, **options: object) -> tuple[str, float]:
    start = time.monotonic()
    with pytest.raises(UnreachableError) as caught, connect(config, **options) as conn:
        conn.run("true")
    return str(caught.value), time.monotonic() - start


# --- ssh-agent ------------------------------------------------------------------------------------


def test_login_with_a_key_only_in_a_running_agent(sshd: LoopbackSshd, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    key = keygen(tmp_path / "agent_only")
    fingerprint = openssh_fingerprint(key)
    authorize(sshd, key)
    config = write_config(tmp_path / "config", sshd)  # no IdentityFile: ssh's defaults + agent
    with running_agent() as agent:
        ssh_add(agent, key)
        key.unlink()  # from now on the agent holds the only copy
        Path(f"{key}.pub").unlink()
        monkeypatch.setenv("SSH_AUTH_SOCK", agent)
        log = len(sshd.log.read_text())
        with connect(config) as conn:
            assert conn.check("id -un").stdout == "root\n"
        assert accepted_key(sshd, log) == fingerprint


def test_passphrase_protected_key_is_used_through_the_agent(sshd: LoopbackSshd, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    plain = keygen(tmp_path / "k")
    locked = tmp_path / "locked"
    locked.write_bytes(plain.read_bytes())
    locked.chmod(0o600)
    Path(f"{locked}.pub").write_text(Path(f"{plain}.pub").read_text())
    subprocess.run(["ssh-keygen", "-q", "-p", "-N", "secret", "-P", "", "-f", str(locked)], check=True)
    authorize(sshd, plain)
    config = write_config(tmp_path / "config", sshd, f"    IdentityFile {locked}\n    IdentitiesOnly yes\n")

    message, took = failure(config)  # no agent: the key cannot be unlocked unattended
    assert "authentication failed for root@127.0.0.1 with keys: none" in message
    assert f"not offered: {locked} (passphrase-protected and not in the agent: ssh-add {locked})" in message
    assert took < TIMEOUT

    with running_agent() as agent:
        ssh_add(agent, plain)
        monkeypatch.setenv("SSH_AUTH_SOCK", agent)
        with connect(config) as conn:
            assert conn.check("true").rc == 0


def test_identity_agent_none_keeps_the_agent_out(sshd: LoopbackSshd, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    key = keygen(tmp_path / "agent_only")
    authorize(sshd, key)
    config = write_config(tmp_path / "config", sshd, "    IdentityAgent none\n")
    with running_agent() as agent:
        ssh_add(agent, key)
        monkeypatch.setenv("SSH_AUTH_SOCK", agent)
        message, _ = failure(config)
    assert "authentication failed for root@127.0.0.1 with keys: none (agent: ssh-agent not used)" in message


def test_wrong_keys_are_listed_with_the_fix(sshd: LoopbackSshd, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    authorize(sshd, keygen(tmp_path / "right"))
    wrong_file, wrong_agent = keygen(tmp_path / "wrong_file"), keygen(tmp_path / "wrong_agent")
    config = write_config(tmp_path / "config", sshd, f"    IdentityFile {wrong_file}\n")
    with running_agent() as agent:
        ssh_add(agent, wrong_agent)
        monkeypatch.setenv("SSH_AUTH_SOCK", agent)
        message, took = failure(config)
    assert message == (
        f"node ({LOOPBACK}:{sshd.port}) unreachable: authentication failed for root@{LOOPBACK} with keys: "
        f"agent (ssh-ed25519 {openssh_fingerprint(wrong_agent)}), "
        f"{wrong_file} (ssh-ed25519 {openssh_fingerprint(wrong_file)}) (agent: 1 key); "
        f"fix: add one of these public keys to ~root/.ssh/authorized_keys on node "
        f"(e.g. ssh-copy-id -i KEY.pub root@{LOOPBACK}), or name the right key (IdentityFile in ssh_config, "
        "identity_file in the spec, --ssh-identity-file) or load it into ssh-agent")
    assert took < TIMEOUT


def test_too_many_agent_keys_hit_max_auth_tries(sshd: LoopbackSshd, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    right = keygen(tmp_path / "right")
    authorize(sshd, right)
    config = write_config(tmp_path / "config", sshd, f"    IdentityFile {right}\n")
    with running_agent() as agent:
        for i in range(7):  # agent keys go first, as in ssh; sshd stops after 6 (MaxAuthTries)
            ssh_add(agent, keygen(tmp_path / f"wrong{i}"))
        monkeypatch.setenv("SSH_AUTH_SOCK", agent)
        message, took = failure(config)
        assert "the server hung up after 6 of them (its MaxAuthTries)" in message
        assert "name the right key with IdentityFile and IdentitiesOnly yes" in message
        assert took < TIMEOUT
        only = write_config(tmp_path / "only", sshd, f"    IdentityFile {right}\n    IdentitiesOnly yes\n")
        with connect(only) as conn:
            assert conn.check("true").rc == 0


def test_no_key_at_all(sshd: LoopbackSshd, tmp_path: Path) -> None:
    message, _ = failure(write_config(tmp_path / "config", sshd))
    assert "with keys: none (agent: no ssh-agent (SSH_AUTH_SOCK is not set))" in message
    assert "no default key in ~/.ssh (id_rsa, id_ecdsa, id_ecdsa_sk, id_ed25519" in message


# --- host keys ------------------------------------------------------------------------------------


@pytest.fixture
def keyed(sshd: LoopbackSshd) -> LoopbackSshd:
    authorize(sshd, sshd.client_key)
    return sshd


def test_accept_new_remembers_a_new_key_and_still_refuses_a_changed_one(keyed: LoopbackSshd,
                                                                       tmp_path: Path) -> None:
    known = tmp_path / "new_known_hosts"
    extra = f"    IdentityFile {keyed.client_key}\n    StrictHostKeyChecking accept-new\n"
    config = write_config(tmp_path / "config", keyed, extra, known=known)
    with connect(config) as conn:
        assert conn.check("true").rc == 0
    assert known.read_text().split() == keyed.known_hosts_line.split()[:3]  # name, type, key
    with connect(config) as conn:  # now known: no second line
        assert conn.check("true").rc == 0
    assert known.read_text().count("\n") == 1

    other = keygen(tmp_path / "other_host_key")
    known.write_text(f"[{LOOPBACK}]:{keyed.port} {public_key(other)}\n")
    message, _ = failure(config)
    assert "host key MISMATCH" in message
    assert f"{known} line 1 has ssh-ed25519 {openssh_fingerprint(other)}" in message
    assert known.read_text().count("\n") == 1  # accept-new never overwrites


def test_hashed_and_global_known_hosts(keyed: LoopbackSshd, tmp_path: Path) -> None:
    hashed = tmp_path / "hashed"
    hashed.write_text(f"{keyed.known_hosts_line}\n")
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(hashed)], check=True, capture_output=True)
    assert hashed.read_text().startswith("|1|")
    config = write_config(tmp_path / "c1", keyed, f"    IdentityFile {keyed.client_key}\n", known=hashed)
    with connect(config) as conn:
        assert conn.check("true").rc == 0

    empty = tmp_path / "empty"
    empty.write_text("")
    extra = f"    IdentityFile {keyed.client_key}\n    GlobalKnownHostsFile {keyed.known_hosts}\n"
    config = write_config(tmp_path / "c2", keyed, extra, known=empty)
    with connect(config) as conn:
        assert conn.check("true").rc == 0


def test_strict_unless_told_otherwise(keyed: LoopbackSshd, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    config = write_config(tmp_path / "c", keyed, f"    IdentityFile {keyed.client_key}\n", known=empty)
    message, took = failure(config)
    assert message.startswith(f"node ({LOOPBACK}:{keyed.port}) unreachable: unknown host key ssh-ed25519 "
                              f"{openssh_fingerprint(keyed.host_key)}")
    assert took < TIMEOUT
    lax = write_config(tmp_path / "lax", keyed, f"    IdentityFile {keyed.client_key}\n"
                                               "    StrictHostKeyChecking no\n", known=empty)
    with connect(lax) as conn:
        assert conn.check("true").rc == 0
    # The caller's word beats ssh_config's: strict_host_keys=True refuses even so.
    message, _ = failure(lax, strict_host_keys=True)
    assert "unknown host key" in message
    assert empty.read_text() == ""


def test_host_known_only_by_its_rsa_key(tmp_path: Path) -> None:
    """known_hosts from `ssh-keyscan -t rsa`: ask the server for that type first, as ssh does,
    instead of calling its ed25519 key unknown."""
    server = start_sshd(rsa_host_key=True)
    try:
        authorize(server, server.client_key)
        known = tmp_path / "rsa_only"
        rsa = public_key(server.keys / "ssh_host_rsa_key")
        known.write_text(f"[{LOOPBACK}]:{server.port} {rsa}\n")
        config = write_config(tmp_path / "c", server, f"    IdentityFile {server.client_key}\n", known=known)
        with connect(config) as conn:
            assert conn.check("true").rc == 0
            assert conn.transport is not None
            assert conn.transport.host_key_type in ("rsa-sha2-512", "rsa-sha2-256")
    finally:
        server.stop()
