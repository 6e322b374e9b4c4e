"""The ssh_config reader where `ssh -G` cannot be the oracle: ~/.ssh-relative Includes (ssh takes ~
from the passwd entry), errors, token expansion into files, IdentityAgent, ProxyJump chains."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glustercheck.remote import ConnectOptions, SshConfigError, SshTarget, resolve
from glustercheck.remote.jumps import JumpHop, parse_proxy_jump
from glustercheck.remote.resolver import local_user
from glustercheck.remote.sshconfig import SshConfig


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return home


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def lookup(config: Path, host: str, home: Path) -> SshConfig:
    return SshConfig.load(config, home=home, local_user="me", system=None)


def resolved(config: Path, name: str, **target: object):  # type: ignore[no-untyped-def]
    return resolve(SshTarget(name, **target), ConnectOptions(ssh_config=config))  # type: ignore[arg-type]


# --- Include -------------------------------------------------------------------------------------


def test_relative_include_is_under_home_ssh_for_user_configs(home: Path, tmp_path: Path) -> None:
    write(home / ".ssh/config.d/cluster.conf", "Host rpi*\n  User pi\n")
    config = write(tmp_path / "elsewhere/config", "Include config.d/*.conf\n")
    assert lookup(config, "rpi0", home).lookup("rpi0").user == "pi"


def test_relative_include_is_under_etc_ssh_for_the_system_config(home: Path, tmp_path: Path) -> None:
    system = write(tmp_path / "system", "Include no-such-dir-for-glustercheck/*.conf\nUser sys\n")
    config = SshConfig.load(None, home=home, local_user="me", system=system)
    assert config.lookup("a").user == "sys"


def test_tilde_include_is_refused_in_the_system_config(home: Path, tmp_path: Path) -> None:
    system = write(tmp_path / "system", "Include ~/x\n")
    with pytest.raises(SshConfigError, match=r"system line 1: Include ~/x: '~' is not allowed"):
        SshConfig.load(None, home=home, local_user="me", system=system)


def test_include_loop_stops_at_the_depth_limit(tmp_path: Path, home: Path) -> None:
    loop = write(tmp_path / "loop", f"Include {tmp_path}/loop\n")
    with pytest.raises(SshConfigError, match="Include nested more than 16 levels deep"):
        lookup(loop, "a", home)


def test_writable_included_file_is_refused(tmp_path: Path, home: Path) -> None:
    included = write(tmp_path / "inc", "User x\n")
    included.chmod(0o666)
    config = write(tmp_path / "c", f"Include {included}\n")
    with pytest.raises(SshConfigError, match="bad owner or permissions"):
        lookup(config, "a", home)


# --- errors name the file and line ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Host a\n  Port abc\n", r"c line 2: bad port 'abc'"),
        ("Host b\n  Port 70000\n", r"c line 2: bad port '70000'"),
        ("User pi extra\n", r"c line 1: keyword user takes one argument, got 2"),
        ("IdentitiesOnly maybe\n", r"c line 1: identitiesonly is 'maybe'; expected yes or no"),
        ("StrictHostKeyChecking sometimes\n", r"expected yes, ask, accept-new, no or off"),
        ("ConnectTimeout soon\n", r"ConnectTimeout 'soon' is not a time"),
        ("User\n", r"c line 1: no argument after keyword 'user'"),
        ('User "pi\n', r"c line 1: unbalanced quotes"),
        ("UserKnownHostsFile none /x\n", r'"none" must appear alone'),
        ("Match localnetwork 10.0.0.0/8\n  User x\n", r"Match localnetwork is not supported here"),
        ("Match all host a\n", r"Match all cannot be combined"),
        ("Match host\n", r"Match host needs an argument"),
    ],
)
def test_bad_config_lines_are_named(text: str, message: str, tmp_path: Path, home: Path) -> None:
    config = write(tmp_path / "c", text)
    with pytest.raises(SshConfigError, match=message):
        lookup(config, "a", home).lookup("a")


def test_match_exec_is_refused_only_where_ssh_would_run_it(tmp_path: Path, home: Path) -> None:
    config = write(tmp_path / "c", 'Match host other exec "test -e /x"\n  User ran\n')
    assert lookup(config, "a", home).lookup("a").user is None  # an earlier criterion failed
    with pytest.raises(SshConfigError, match=r'c line 1: Match exec "test -e /x" is not supported'):
        lookup(config, "other", home).lookup("other")


# --- tokens in files, IdentityAgent --------------------------------------------------------------


def test_identity_file_tokens(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYS", "/keys")
    config = write(tmp_path / "c", "Host rpi*\n  HostName 10.0.1.%h\n  User pi\n  Port 2222\n"
                                   "  IdentityFile ~/.ssh/%r@%h:%p\n  IdentityFile %d/%u/%n/%%\n"
                                   "  IdentityFile ${KEYS}/%k\n")
    t = resolved(config, "rpi1")
    me = local_user()
    assert t.identity_files == (
        home / ".ssh/pi@10.0.1.rpi1:2222", home / me / "rpi1" / "%", Path("/keys/rpi1"))
    # Tokens see the final values: an explicit user and port win over ssh_config's.
    explicit = resolved(config, "rpi1", user="admin", port=22)
    assert explicit.identity_files[0] == home / ".ssh/admin@10.0.1.rpi1:22"


@pytest.mark.parametrize(("line", "message"), [
    ("IdentityFile ~/%z\n", r"unknown token %z"),
    ("IdentityFile ${NOT_SET_FOR_GLUSTERCHECK}\n", r"variable NOT_SET_FOR_GLUSTERCHECK .* is not set"),
    ("ProxyCommand ssh -W %d\n", r"unknown token %d .*allowed here: %% %h %n %p %r"),
])
def test_bad_tokens_are_errors(line: str, message: str, tmp_path: Path) -> None:
    config = write(tmp_path / "c", line)
    with pytest.raises(SshConfigError, match=message):
        resolved(config, "a")


def test_identity_agent(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSH_AUTH_SOCK", "/run/agent.sock")
    monkeypatch.setenv("OTHER_SOCK", "/run/other.sock")
    config = write(tmp_path / "c", "Host none\n  IdentityAgent none\n"
                                   "Host env\n  IdentityAgent SSH_AUTH_SOCK\n"
                                   "Host var\n  IdentityAgent $OTHER_SOCK\n"
                                   "Host path\n  IdentityAgent ~/a.%h\n")
    assert resolved(config, "none").agent_socket is None
    assert resolved(config, "env").agent_socket == "/run/agent.sock"
    assert resolved(config, "var").agent_socket == "/run/other.sock"
    assert resolved(config, "path").agent_socket == f"{home}/a.path"
    assert resolved(config, "unset").agent_socket == "/run/agent.sock"
    no_agent = ConnectOptions(ssh_config=config, allow_agent=False)
    assert resolve(SshTarget("env"), no_agent).agent_socket is None


# --- ProxyJump, ProxyCommand ---------------------------------------------------------------------


def test_proxy_jump_parsing() -> None:
    assert parse_proxy_jump("none") == ()
    assert parse_proxy_jump("pi@bastion:2222,ssh://admin@[fe80::1]:22,inner") == (
        JumpHop("pi", "bastion", 2222), JumpHop("admin", "fe80::1", 22), JumpHop(None, "inner", None))
    assert parse_proxy_jump("[::1]") == (JumpHop(None, "::1", None),)
    assert str(JumpHop("pi", "fe80::1", 22)) == "pi@[fe80::1]:22"


@pytest.mark.parametrize(("value", "message"), [
    ("fe80::1", "an IPv6 address needs brackets"),
    ("a:0", "bad port '0'"),
    ("@host", "empty user name"),
    ("ssh://a/b", "not ssh://"),
    ("a,,b", "no host"),
])
def test_bad_proxy_jump_is_named(value: str, message: str) -> None:
    with pytest.raises(SshConfigError, match=message):
        parse_proxy_jump(value, where="rpi1")


def test_each_jump_host_is_resolved_through_the_config(tmp_path: Path) -> None:
    config = write(tmp_path / "c", "Host bastion\n  HostName 192.0.2.1\n  User jump\n  Port 2200\n"
                                   "Host inner\n  ProxyJump elsewhere\n  HostName 10.0.0.9\n"
                                   "Host rpi*\n  ProxyJump bastion,admin@inner:2022\n  User pi\n")
    t = resolved(config, "rpi2")
    bastion, inner = t.jumps
    assert t.via is inner
    # A later hop is reached through the one before it: its own ProxyJump does not apply.
    assert (inner.name, inner.hostname, inner.user, inner.port) == ("inner", "10.0.0.9", "admin", 2022)
    assert (bastion.name, bastion.hostname, bastion.user, bastion.port, bastion.via) == (
        "bastion", "192.0.2.1", "jump", 2200, None)


def test_first_jump_host_keeps_its_own_proxy_jump(tmp_path: Path) -> None:
    config = write(tmp_path / "c", "Host outer\n  ProxyJump gate\nHost node\n  ProxyJump outer\n")
    t = resolved(config, "node")
    assert [h.name for h in t.jumps] == ["gate", "outer"]


def test_proxy_jump_loop_is_an_error_naming_the_fix(tmp_path: Path) -> None:
    config = write(tmp_path / "c", "Host rpi*\n  ProxyJump rpi0\n")
    with pytest.raises(SshConfigError, match=r"ProxyJump loop: rpi2 -> rpi0 -> rpi0 .*`Host rpi\* !rpi0`"):
        resolved(config, "rpi2")
    ok = write(tmp_path / "ok", "Host rpi* !rpi0\n  ProxyJump rpi0\n")
    assert resolved(ok, "rpi2").via is not None


def test_explicit_proxy_jump_wins_over_the_config(tmp_path: Path) -> None:
    config = write(tmp_path / "c", "Host *\n  ProxyCommand nc %h %p\n")
    assert resolved(config, "a").proxy_command == "nc a 22"
    t = resolved(config, "a", proxy_jump="gate")
    assert t.proxy_command is None
    assert t.via is not None
    assert t.via.name == "gate"
    assert resolved(config, "a", proxy_jump="none").proxy_command is None


def test_proxy_command_tokens(tmp_path: Path) -> None:
    config = write(tmp_path / "c", "Host n\n  HostName 10.0.0.5\n  User pi\n  Port 2200\n"
                                   "  ProxyCommand ssh -W %h:%p -l %r jump # for %n %%\n")
    assert resolved(config, "n").proxy_command == "ssh -W 10.0.0.5:2200 -l pi jump # for n %"


def test_host_key_alias_names_the_known_hosts_entry(tmp_path: Path) -> None:
    config = write(tmp_path / "c", "Host a\n  HostKeyAlias Cluster\n  Port 2200\n")
    assert resolved(config, "a").known_hosts_name == "cluster"
    assert resolved(config, "b").known_hosts_name == "b"
    no_config = ConnectOptions(ssh_config=Path(os.devnull))
    assert resolve(SshTarget("b", port=2200), no_config).known_hosts_name == "[b]:2200"
