"""Target resolution: explicit values, then ssh_config, then defaults."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from glustercheck.errors import UnreachableError
from glustercheck.remote import ConnectionPool, ConnectOptions, SshTarget, resolve

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


@pytest.fixture
def options(tmp_path: Path) -> ConnectOptions:
    path = tmp_path / "ssh_config"
    path.write_text(CONFIG)
    return ConnectOptions(ssh_config=path)


def test_values_come_from_ssh_config(options: ConnectOptions) -> None:
    t = resolve(SshTarget("rpi2"), options)
    assert (t.hostname, t.user, t.port) == ("10.0.1.2", "pi", 2222)
    assert t.identity_file == Path("~/.ssh/cluster_ed25519").expanduser()
    assert t.known_hosts == (Path("/etc/cluster/known_hosts"),)
    assert t.label == "rpi2 (10.0.1.2:2222)"


def test_explicit_values_win(options: ConnectOptions, tmp_path: Path) -> None:
    target = SshTarget("rpi2", hostname="192.0.2.7", user="admin", port=2200, identity_file=tmp_path / "k")
    t = resolve(target, options)
    assert (t.hostname, t.user, t.port, t.identity_file) == ("192.0.2.7", "admin", 2200, tmp_path / "k")


def test_host_without_hostname_line_uses_its_name(options: ConnectOptions) -> None:
    t = resolve(SshTarget("rpi1"), options)
    assert (t.hostname, t.user, t.port) == ("rpi1", "pi", 22)


def test_first_matching_value_wins_like_openssh(options: ConnectOptions) -> None:
    assert resolve(SshTarget("other"), options).user == "fallback"


def test_no_ssh_config_means_plain_defaults() -> None:
    t = resolve(SshTarget("rpi3"), ConnectOptions())
    assert (t.hostname, t.user, t.port, t.identity_file) == ("rpi3", getpass.getuser(), 22, None)
    assert t.known_hosts == (Path("~/.ssh/known_hosts").expanduser(),)


def test_known_hosts_option_beats_ssh_config(options: ConnectOptions, tmp_path: Path) -> None:
    opts = ConnectOptions(ssh_config=options.ssh_config, known_hosts=tmp_path / "kh")
    assert resolve(SshTarget("rpi2"), opts).known_hosts == (tmp_path / "kh",)


def test_missing_ssh_config_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnreachableError, match=r"rpi0: cannot read ssh_config .*nope"):
        resolve(SshTarget("rpi0"), ConnectOptions(ssh_config=tmp_path / "nope"))


def test_root_login_needs_no_sudo_prefix() -> None:
    assert resolve(SshTarget("rpi0", user="root"), ConnectOptions()).is_root
    assert not resolve(SshTarget("rpi0", user="pi"), ConnectOptions()).is_root


def test_pool_gives_one_connection_per_target() -> None:
    with ConnectionPool() as pool:
        a = pool.get(SshTarget("rpi0", hostname="127.0.0.1"))
        assert pool.get(SshTarget("rpi0", hostname="127.0.0.1")) is a
        assert pool.get(SshTarget("rpi1", hostname="127.0.0.1")) is not a
