"""Target resolution: explicit values, then ssh_config, then defaults (one rule for every value)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glustercheck.errors import UnreachableError
from glustercheck.remote import (
    ConnectionPool,
    ConnectOptions,
    HostKeyChecking,
    SshConfigError,
    SshTarget,
    first_given,
    resolve,
)
from glustercheck.remote.resolver import local_user

CONFIG = """\
Host rpi*
    User pi
    IdentityFile ~/.ssh/cluster_ed25519

Host rpi2
    HostName 10.0.1.2
    Port 2222
    UserKnownHostsFile /etc/cluster/known_hosts

Host *
    User fallback
"""


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private $HOME without keys, and no ssh-agent: nothing of this machine's leaks in."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return home


@pytest.fixture
def options(tmp_path: Path) -> ConnectOptions:
    path = tmp_path / "ssh_config"
    path.write_text(CONFIG)
    return ConnectOptions(ssh_config=path)


def test_values_come_from_ssh_config(options: ConnectOptions, home: Path) -> None:
    t = resolve(SshTarget("rpi2"), options)
    assert (t.hostname, t.user, t.port) == ("10.0.1.2", "pi", 2222)
    assert t.identity_files == (home / ".ssh/cluster_ed25519",)
    assert t.known_hosts == (Path("/etc/cluster/known_hosts"),)
    assert t.label == "rpi2 (10.0.1.2:2222)"


def test_explicit_values_win(options: ConnectOptions, tmp_path: Path, home: Path) -> None:
    target = SshTarget("rpi2", hostname="192.0.2.7", user="admin", port=2200, identity_file=tmp_path / "k")
    t = resolve(target, options)
    assert (t.hostname, t.user, t.port) == ("192.0.2.7", "admin", 2200)
    # As `ssh -i`: the given key first, ssh_config's after it.
    assert t.identity_files == (tmp_path / "k", home / ".ssh/cluster_ed25519")


def test_port_22_given_explicitly_beats_ssh_config(options: ConnectOptions) -> None:
    assert resolve(SshTarget("rpi2", port=22), options).port == 22
    assert resolve(SshTarget("rpi2"), options).port == 2222


def test_host_without_hostname_line_uses_its_name(options: ConnectOptions) -> None:
    t = resolve(SshTarget("rpi1"), options)
    assert (t.hostname, t.user, t.port) == ("rpi1", "pi", 22)


def test_first_matching_value_wins_like_openssh(options: ConnectOptions) -> None:
    assert resolve(SshTarget("other"), options).user == "fallback"


def test_without_any_config_ssh_defaults_apply(home: Path) -> None:
    t = resolve(SshTarget("rpi3"), ConnectOptions(system_ssh_config=None))
    assert (t.hostname, t.user, t.port) == ("rpi3", local_user(), 22)
    assert t.default_identities
    assert t.identity_files[0] == home / ".ssh/id_rsa"
    assert home / ".ssh/id_ed25519" in t.identity_files
    assert t.known_hosts == (home / ".ssh/known_hosts", home / ".ssh/known_hosts2")
    assert t.host_key_checking is HostKeyChecking.YES
    assert t.connect_timeout == 5.0
    assert t.agent_socket is None


def test_home_ssh_config_is_read_when_none_is_named(home: Path) -> None:
    (home / ".ssh/config").write_text("Host rpi*\n  User pi\n  IdentityFile ~/.ssh/pi_key\n")
    (home / ".ssh/config").chmod(0o600)
    t = resolve(SshTarget("rpi0"), ConnectOptions(system_ssh_config=None))
    assert (t.user, t.identity_files) == ("pi", (home / ".ssh/pi_key",))


def test_writable_home_ssh_config_is_refused_like_ssh(home: Path) -> None:
    config = home / ".ssh/config"
    config.write_text("Host *\n  ProxyCommand evil\n")
    config.chmod(0o666)
    with pytest.raises(SshConfigError, match=r"bad owner or permissions .* chmod go-w"):
        resolve(SshTarget("rpi0"), ConnectOptions(system_ssh_config=None))


def test_system_config_is_read_after_the_user_config(home: Path, tmp_path: Path) -> None:
    system = tmp_path / "ssh_config.system"
    system.write_text("Host *\n  User sysuser\n  Port 2200\n")
    (home / ".ssh/config").write_text("Host rpi0\n  User pi\n")
    t = resolve(SshTarget("rpi0"), ConnectOptions(system_ssh_config=system))
    assert (t.user, t.port) == ("pi", 2200)


def test_known_hosts_option_beats_ssh_config(options: ConnectOptions, tmp_path: Path) -> None:
    opts = ConnectOptions(ssh_config=options.ssh_config, known_hosts=tmp_path / "kh")
    assert resolve(SshTarget("rpi2"), opts).known_hosts == (tmp_path / "kh",)


def test_missing_ssh_config_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnreachableError, match=r"cannot read ssh_config .*nope"):
        resolve(SshTarget("rpi0"), ConnectOptions(ssh_config=tmp_path / "nope"))


def test_root_login_needs_no_sudo_prefix() -> None:
    options = ConnectOptions(ssh_config=Path(os.devnull))
    assert resolve(SshTarget("rpi0", user="root"), options).is_root
    assert not resolve(SshTarget("rpi0", user="pi"), options).is_root


def test_pool_gives_one_connection_per_target() -> None:
    with ConnectionPool(ConnectOptions(ssh_config=Path(os.devnull))) as pool:
        a = pool.get(SshTarget("rpi0", hostname="127.0.0.1"))
        assert pool.get(SshTarget("rpi0", hostname="127.0.0.1")) is a
        assert pool.get(SshTarget("rpi1", hostname="127.0.0.1")) is not a


def test_first_given_layers_command_line_over_spec() -> None:
    command_line = SshTarget("rpi1", user="admin", sudo_user="gluster")
    spec = SshTarget("rpi1", hostname="10.0.1.1", user="pi", port=2222, sudo=True)
    merged = first_given(command_line, spec)
    assert merged == SshTarget("rpi1", hostname="10.0.1.1", user="admin", port=2222, sudo=True,
                               sudo_user="gluster")
    assert first_given(spec) == spec


def test_strict_host_keys_precedence(tmp_path: Path) -> None:
    config = tmp_path / "c"
    config.write_text("Host lax\n  StrictHostKeyChecking no\nHost new\n  StrictHostKeyChecking accept-new\n"
                      "Host asks\n  StrictHostKeyChecking ask\n")
    given = ConnectOptions(ssh_config=config)
    assert resolve(SshTarget("lax"), given).host_key_checking is HostKeyChecking.NO
    assert resolve(SshTarget("new"), given).host_key_checking is HostKeyChecking.ACCEPT_NEW
    # Nobody answers a prompt in this tool: "ask" is strict.
    assert resolve(SshTarget("asks"), given).host_key_checking is HostKeyChecking.YES
    assert resolve(SshTarget("other"), given).host_key_checking is HostKeyChecking.YES
    strict = ConnectOptions(ssh_config=config, strict_host_keys=True)
    assert resolve(SshTarget("lax"), strict).host_key_checking is HostKeyChecking.YES
    lax = ConnectOptions(ssh_config=config, strict_host_keys=False)
    assert resolve(SshTarget("other"), lax).host_key_checking is HostKeyChecking.NO


def test_connect_timeout_precedence(tmp_path: Path) -> None:
    config = tmp_path / "c"
    config.write_text("Host *\n  ConnectTimeout 1m\n")
    assert resolve(SshTarget("a"), ConnectOptions(ssh_config=config)).connect_timeout == 60
    assert resolve(SshTarget("a"), ConnectOptions(ssh_config=config, connect_timeout=3)).connect_timeout == 3
    assert resolve(SshTarget("a", connect_timeout=2), ConnectOptions(ssh_config=config,
                                                                      connect_timeout=3)).connect_timeout == 2
