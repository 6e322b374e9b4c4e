"""The simulated nodes in a user's own SSH setup: ~/.ssh/config blocks, known_hosts merged (an
old key of a node replaced, the user's other lines kept), and clear errors from agent-add."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import subprocess
from pathlib import Path

import pytest

from simcluster import SimConfig, cli
from simcluster.user_ssh import UserSshError, agent_add, merge_known_hosts, user_ssh_config

CONFIG = SimConfig(count=3)


def blocks(text: str) -> dict[str, list[str]]:
    """Host name -> its keyword lines."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("Host "):
            current = found.setdefault(line.split()[1], [])
        elif line.strip() and not line.startswith("#"):
            assert current is not None, line
            current.append(line.strip())
    return found


def test_user_config_names_address_user_and_key_of_each_node() -> None:
    found = blocks(user_ssh_config(CONFIG, bastion=False, agent=False))
    assert found == {f"rpi{i}": [f"HostName 10.0.1.{i}", "User pi",
                                 f"IdentityFile {CONFIG.client_key}"] for i in range(3)}


def test_behind_a_bastion_the_others_jump_through_the_first_and_the_agent_needs_no_file() -> None:
    found = blocks(user_ssh_config(CONFIG, bastion=True, agent=True))
    assert found["rpi0"] == ["HostName 10.0.1.0", "User pi"]
    assert found["rpi2"] == ["HostName 10.0.1.2", "User pi", "ProxyJump rpi0"]


def _hashed(name: str) -> str:
    salt = os.urandom(20)
    digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def test_known_hosts_keeps_the_users_lines_and_replaces_old_keys_of_the_nodes(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text("github.com ssh-ed25519 AAAAkeep\n"
                    "rpi1,10.0.1.1 ssh-ed25519 AAAAold\n"
                    f"{_hashed('10.0.1.2')} ssh-ed25519 AAAAoldhashed\n"
                    f"{_hashed('rpi9')} ssh-ed25519 AAAAkeephashed\n"
                    "@cert-authority *.example ssh-ed25519 AAAAca\n"
                    "10.0.1.10 ssh-ed25519 AAAAkeepother")  # no newline at the end
    new = [f"rpi{i},10.0.1.{i} ssh-ed25519 AAAAnew{i}\n" for i in range(3)]
    assert merge_known_hosts(path, CONFIG, new) == 2
    text = path.read_text()
    assert "old" not in text
    for kept in ("AAAAkeep\n", "AAAAkeephashed\n", "AAAAca\n", "AAAAkeepother\n"):
        assert kept in text
    assert text.endswith("".join(new))


def test_known_hosts_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".ssh" / "known_hosts"
    assert merge_known_hosts(path, CONFIG, ["rpi0,10.0.1.0 ssh-ed25519 AAAA\n"]) == 0
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_agent_add_without_an_agent_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(UserSshError, match=r"SSH_AUTH_SOCK is not set\. Start one \(eval"):
        agent_add(tmp_path / "key", None)
    with pytest.raises(UserSshError, match=r"no ssh-agent at SSH_AUTH_SOCK=\S+ \(No such file"):
        agent_add(tmp_path / "key", str(tmp_path / "gone.sock"))
    (tmp_path / "file").write_text("")
    with pytest.raises(UserSshError, match="is not a socket"):
        agent_add(tmp_path / "key", str(tmp_path / "file"))


def test_agent_add_loads_the_key_into_a_running_agent(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sim", "-f", str(key)],
                   check=True)
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert "Identity added" in agent_add(key, str(sock))
        listed = subprocess.run(["ssh-add", "-l"], env={"SSH_AUTH_SOCK": str(sock), "PATH": "/usr/bin:/bin"},
                                capture_output=True, text=True, check=True).stdout
        assert "(ED25519)" in listed
        with pytest.raises(UserSshError, match=r"no cluster key at \S+nokey yet: run `simcluster up`"):
            agent_add(tmp_path / "nokey", str(sock))
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def test_agent_add_against_a_dead_socket_is_one_line(tmp_path: Path) -> None:
    dead = tmp_path / "dead.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(dead))
    listener.close()  # a socket file nobody listens on: an agent that died
    key = tmp_path / "k"
    key.write_text("")
    with pytest.raises(UserSshError, match=r"ssh-add \S+ failed against the ssh-agent at \S+dead.sock"):
        agent_add(key, str(dead))


def test_cli_parses_the_user_commands() -> None:
    args = cli._parser().parse_args(["user-ssh-config", "--bastion", "--agent",
                                     "--known-hosts", "/tmp/kh"])
    assert (args.bastion, args.agent, str(args.known_hosts)) == (True, True, "/tmp/kh")
    assert cli._parser().parse_args(["agent-add"]).command == "agent-add"
