"""ProxyJump chains, ProxyCommand and a shared bastion, with real sshd's on 127.0.0.2-4.

jump1 (127.0.0.2) -> jump2 (127.0.0.3) -> final (127.0.0.4), each its own sshd with its own host
key; only the jump hosts allow TCP forwarding. Where a connection came from is proven from the
kernel's socket table: the socket an sshd accepted belongs to a process of the jump host's sshd.
No simulated cluster, no address outside 127.0.0.0/8.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from glustercheck.errors import UnreachableError
from glustercheck.remote import Connection, ConnectionPool, ConnectOptions, SshTarget, probe_all

from .loopback_sshd import (
    SSHD,
    LoopbackSshd,
    connections_to,
    descends_from,
    free_port,
    public_key,
    running_agent,
    ssh_add,
    start_sshd,
    tcp_socket_owner,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(60),
    pytest.mark.skipif(os.geteuid() != 0 or not SSHD.exists(), reason="needs root and /usr/sbin/sshd"),
]

TIMEOUT = 2.0  # the connect timeout of the hosts whose failure a test times
# Hosts that must log in get room: under CI's load a `ssh -W` proxy's own login to jump1 plus the
# handshake through it once took over 2 s (stop 21), and that is load, not what a test here proves.
LOGIN_TIMEOUT = 15.0


class Chain:
    """Three sshd's and one client key authorized on all of them."""

    def __init__(self) -> None:
        self.jump1 = start_sshd("127.0.0.2", allow_forwarding=True)
        self.jump2 = start_sshd("127.0.0.3", allow_forwarding=True)
        self.final = start_sshd("127.0.0.4")
        self.key = self.jump1.client_key
        for server in self.servers:
            server.authorize("root", self.key)

    @property
    def servers(self) -> tuple[LoopbackSshd, ...]:
        return (self.jump1, self.jump2, self.final)

    def known_hosts(self, path: Path, *servers: LoopbackSshd) -> Path:
        path.write_text("".join(f"{s.known_hosts_line}\n" for s in servers or self.servers))
        return path

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    servers = Chain()
    yield servers
    servers.stop()


@pytest.fixture
def config(chain: Chain, tmp_path: Path) -> Path:
    """An ssh_config a user would write: names for the hosts, one key, the jumps."""
    known = chain.known_hosts(tmp_path / "known_hosts")
    dead = free_port("127.0.0.2")
    text = f"""
Host jump1
    HostName 127.0.0.2
    Port {chain.jump1.port}
Host jump2
    HostName 127.0.0.3
    Port {chain.jump2.port}
Host final
    HostName 127.0.0.4
    Port {chain.final.port}
    ProxyJump jump1,jump2
Host node*
    HostName 127.0.0.4
    Port {chain.final.port}
    ProxyJump jump1
Host final-pc
    HostName 127.0.0.4
    Port {chain.final.port}
    ProxyCommand ssh -F {tmp_path / "ssh_config"} -W %h:%p jump1
Host deadjump
    HostName 127.0.0.2
    Port {dead}
    ConnectTimeout {int(TIMEOUT)}
Host via-dead
    HostName 127.0.0.4
    Port {chain.final.port}
    ProxyJump deadjump
Host pc-dead
    HostName 127.0.0.4
    Port {chain.final.port}
    ConnectTimeout {int(TIMEOUT)}
    ProxyCommand ssh -F {tmp_path / "ssh_config"} -W %h:%p deadjump
Host closed-behind-jump
    HostName 127.0.0.4
    Port {free_port("127.0.0.4")}
    ProxyJump jump1
Host via-no-forwarding
    HostName 127.0.0.3
    Port {chain.jump2.port}
    ProxyJump final
Host *
    User root
    IdentityFile {chain.key}
    IdentitiesOnly yes
    UserKnownHostsFile {known}
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout {int(LOGIN_TIMEOUT)}
"""
    path = tmp_path / "ssh_config"
    path.write_text(text)
    return path


def options(config: Path) -> ConnectOptions:
    return ConnectOptions(ssh_config=config, system_ssh_config=None)


def accepted_from(server: LoopbackSshd, after: int = 0) -> list[tuple[str, int]]:
    """(address, port) of every connection the sshd logged, from byte `after` of its log."""
    text = server.log.read_text()[after:]
    return [(a, int(p)) for a, p in re.findall(r"Connection from (\S+) port (\d+) on ", text)]


def came_through(server: LoopbackSshd, peer: tuple[str, int], via: LoopbackSshd) -> bool:
    """Whether the socket `server` accepted from `peer` is held by `via`'s sshd (a descendant)."""
    owner = tcp_socket_owner(peer, (server.address, server.port))
    assert owner is not None, f"no socket {peer} -> {server.address}:{server.port}"
    assert via.process is not None
    return descends_from(owner, via.process.pid)


def test_proxy_jump_chain_of_two_jump_hosts(chain: Chain, config: Path) -> None:
    final_log = len(chain.final.log.read_text())
    jump2_log = len(chain.jump2.log.read_text())
    with Connection(SshTarget("final"), options(config)) as conn:
        # $SSH_CONNECTION on the final host: who it sees as the client.
        client_ip, client_port, server_ip, server_port = conn.check("echo $SSH_CONNECTION").stdout.split()
        assert (server_ip, int(server_port)) == ("127.0.0.4", chain.final.port)
        peer = (client_ip, int(client_port))
        # The final sshd logged that connection, and its other end belongs to jump2's sshd ...
        assert peer in accepted_from(chain.final, final_log)
        assert came_through(chain.final, peer, via=chain.jump2)
        # ... whose own connection came from jump1's sshd.
        (jump2_peer,) = accepted_from(chain.jump2, jump2_log)
        assert came_through(chain.jump2, jump2_peer, via=chain.jump1)
        # This process talks to jump1 only.
        assert len(connections_to(chain.jump1.port)) == 1
        assert connections_to(chain.jump2.port) == []
        assert connections_to(chain.final.port) == []
        assert [h.name for h in conn.resolved.jumps] == ["jump1", "jump2"]


def test_proxy_command_with_ssh_W(chain: Chain, config: Path) -> None:
    final_log = len(chain.final.log.read_text())
    with Connection(SshTarget("final-pc"), options(config)) as conn:
        assert conn.check("id -un").stdout == "root\n"
        (peer,) = accepted_from(chain.final, final_log)
        # `ssh -W` asked jump1 to connect: jump1's sshd holds the socket, not this process.
        assert came_through(chain.final, peer, via=chain.jump1)
        assert connections_to(chain.final.port) == []
        proxy_pid = conn._stream.process.pid  # type: ignore[union-attr]
    assert not Path(f"/proc/{proxy_pid}").exists()  # stopped and reaped on close


def test_nodes_behind_one_bastion_share_its_connection(chain: Chain, config: Path) -> None:
    before = chain.jump1.log.read_text().count("Accepted publickey")
    names = [f"node{i}" for i in range(6)]
    with ConnectionPool(options(config)) as pool:
        assert probe_all([SshTarget(n) for n in names], pool=pool) == dict.fromkeys(names)
        assert pool.jump_connections.open_count == 1
        assert len(connections_to(chain.jump1.port)) == 1
        for name in names:
            assert pool.get(SshTarget(name)).check("hostname").rc == 0
    assert chain.jump1.log.read_text().count("Accepted publickey") == before + 1


def test_a_users_first_run_home_config_agent_and_bastion(chain: Chain, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new user has: ~/.ssh/config (Host rpi*, no IdentityFile, rpi1 and up behind rpi0),
    ~/.ssh/known_hosts, the key only in ssh-agent, and no options at all."""
    home = tmp_path / "home"
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(parents=True, mode=0o700)
    (ssh_dir / "config").write_text(
        f"Host rpi0\n    HostName 127.0.0.2\n    Port {chain.jump1.port}\n"
        f"Host rpi1 rpi2\n    HostName 127.0.0.4\n    Port {chain.final.port}\n"
        "Host rpi* !rpi0\n    ProxyJump rpi0\nHost rpi*\n    User root\n")
    (ssh_dir / "config").chmod(0o600)
    (ssh_dir / "known_hosts").write_text(f"{chain.jump1.known_hosts_line}\n{chain.final.known_hosts_line}\n")
    monkeypatch.setenv("HOME", str(home))
    with running_agent() as agent:
        ssh_add(agent, chain.key)
        monkeypatch.setenv("SSH_AUTH_SOCK", agent)
        with ConnectionPool(ConnectOptions()) as pool:
            targets = [SshTarget(f"rpi{i}") for i in range(3)]
            assert probe_all(targets, pool=pool) == {"rpi0": None, "rpi1": None, "rpi2": None}
            for target in targets[1:]:
                conn = pool.get(target)
                assert conn.resolved.identity_files[0] == ssh_dir / "id_rsa"  # ssh's defaults
                client = conn.check("echo $SSH_CONNECTION").stdout.split()
                assert came_through(chain.final, (client[0], int(client[1])), via=chain.jump1)
            assert pool.jump_connections.open_count == 1


# --- failures name the hop, and take about one connect timeout at most --------------------------


def unreachable(config: Path, name: str) -> tuple[str, float]:
    start = time.monotonic()
    with pytest.raises(UnreachableError) as caught, Connection(SshTarget(name), options(config)) as conn:
        conn.run("true")
    return str(caught.value), time.monotonic() - start


def test_dead_jump_host_is_named(chain: Chain, config: Path) -> None:
    message, took = unreachable(config, "via-dead")
    dead = re.search(r"Host deadjump\n\s+HostName 127.0.0.2\n\s+Port (\d+)", config.read_text())
    assert dead is not None
    assert message == (f"via-dead (127.0.0.4:{chain.final.port}) unreachable: via jump host deadjump "
                       f"(127.0.0.2:{dead.group(1)}): connection refused - is sshd running?")
    assert took < 1


def test_jump_host_that_cannot_reach_the_node(chain: Chain, config: Path) -> None:
    message, took = unreachable(config, "closed-behind-jump")
    assert re.fullmatch(
        rf"closed-behind-jump \(127\.0\.0\.4:(\d+)\) unreachable: via jump host jump1 \(127\.0\.0\.2:"
        rf"{chain.jump1.port}\): it could not open a connection to 127\.0\.0\.4:\1: it could not connect "
        r"there \(refused, unreachable, or the name does not resolve on it\)", message), message
    assert took < LOGIN_TIMEOUT / 2  # the refusal answered; no connect timeout was waited out


def test_jump_host_without_forwarding(chain: Chain, config: Path) -> None:
    message, _ = unreachable(config, "via-no-forwarding")
    assert f"unreachable: via jump host final (127.0.0.4:{chain.final.port}): it could not open" in message
    assert "it does not allow TCP forwarding (AllowTcpForwarding / PermitOpen in its sshd_config)" in message


def test_failing_proxy_command_reports_its_stderr(chain: Chain, config: Path) -> None:
    message, took = unreachable(config, "pc-dead")
    assert message.startswith(f"pc-dead (127.0.0.4:{chain.final.port}) unreachable: ProxyCommand `ssh -F ")
    refused = r"exited with status 255: ssh: connect to host 127\.0\.0\.2 port \d+: Connection refused"
    assert re.search(refused, message), message
    assert took < TIMEOUT + 1


def test_hung_jump_host_costs_one_connect_timeout(chain: Chain, config: Path) -> None:
    hole = socket.socket()
    hole.bind(("127.0.0.2", 0))
    hole.listen(8)
    try:
        config.write_text(config.read_text().replace(
            "Host jump1\n", f"Host hung\n    HostName 127.0.0.2\n    Port {hole.getsockname()[1]}\n"
                            f"    ConnectTimeout {int(TIMEOUT)}\n"
                            "Host via-hung\n    HostName 127.0.0.4\n    ProxyJump hung\nHost jump1\n"))
        message, took = unreachable(config, "via-hung")
    finally:
        hole.close()
    assert re.search(r"unreachable: via jump host hung \(127\.0\.0\.2:\d+\): TCP connected, but the SSH "
                     r"handshake did not complete within 2 s", message), message
    assert TIMEOUT * 0.9 < took < TIMEOUT * 2


def test_hung_node_behind_a_proxy_command_is_a_handshake_timeout(chain: Chain, config: Path) -> None:
    # `ssh -W` reaches a port that accepts and never speaks: the proxy stays up, the handshake through
    # it runs out of time. The message says so; the exit status our stop gives the proxy is no reason.
    hole = socket.socket()
    hole.bind(("127.0.0.4", 0))
    hole.listen(8)
    port = hole.getsockname()[1]
    try:
        config.write_text(config.read_text().replace(
            "Host jump1\n", f"Host pc-hung\n    HostName 127.0.0.4\n    Port {port}\n"
                            f"    ConnectTimeout {int(TIMEOUT)}\n"
                            f"    ProxyCommand ssh -F {config} -W %h:%p jump1\nHost jump1\n"))
        message, took = unreachable(config, "pc-hung")
    finally:
        hole.close()
    assert message == (f"pc-hung (127.0.0.4:{port}) unreachable: its ProxyCommand runs, but the SSH "
                       f"handshake did not complete within 2 s - is sshd on port {port} hung or "
                       "overloaded, or is something else listening?")
    assert TIMEOUT * 0.9 < took < TIMEOUT * 3


def test_unknown_key_of_a_node_behind_a_jump_host(chain: Chain, config: Path, tmp_path: Path) -> None:
    partial = chain.known_hosts(tmp_path / "partial", chain.jump1, chain.jump2)
    config.write_text(config.read_text().replace(f"UserKnownHostsFile {tmp_path / 'known_hosts'}",
                                                 f"UserKnownHostsFile {partial}"))
    message, _ = unreachable(config, "final")
    assert message.startswith(
        f"final (127.0.0.4:{chain.final.port}) unreachable: unknown host key ssh-ed25519")
    # The controller cannot scan a node behind a jump host; the jump host can.
    assert f"ssh jump2 ssh-keyscan -p {chain.final.port} 127.0.0.4 >> {partial}" in message


def test_unknown_key_of_a_jump_host(chain: Chain, config: Path, tmp_path: Path) -> None:
    partial = chain.known_hosts(tmp_path / "partial", chain.jump2, chain.final)
    config.write_text(config.read_text().replace(f"UserKnownHostsFile {tmp_path / 'known_hosts'}",
                                                 f"UserKnownHostsFile {partial}"))
    message, _ = unreachable(config, "final")
    assert message.startswith(f"final (127.0.0.4:{chain.final.port}) unreachable: via jump host jump2 "
                              f"(127.0.0.3:{chain.jump2.port}): via jump host jump1 "
                              f"(127.0.0.2:{chain.jump1.port}): unknown host key ssh-ed25519")
    assert public_key(chain.jump1.host_key).split()[1] not in partial.read_text()
