"""The ssh_config reader against OpenSSH itself: `ssh -G -F FILE HOST` for many handwritten configs
and for Hypothesis-generated Host and Match patterns (offline: `ssh -G` never connects)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glustercheck.remote.resolver import local_user
from tests.unit.ssh_oracle import compare, needs_ssh, passwd_home, ssh_g

pytestmark = needs_ssh


@pytest.fixture(autouse=True)
def ssh_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our `~` is $HOME, ssh's the passwd entry: make them one for the comparison."""
    monkeypatch.setenv("HOME", str(passwd_home()))


ME = local_user()

# (config, hosts to look up). Each case is compared key by key with `ssh -G`.
CASES: list[tuple[str, tuple[str, ...]]] = [
    ("Host rpi*\n  User pi\n  IdentityFile ~/.ssh/pi_key\n", ("rpi0", "rpi12", "other", "RPI0")),
    # First obtained value wins, also across blocks; Host * last gives defaults.
    ("Host rpi2\n  Port 2222\nHost rpi*\n  Port 2200\n  User pi\nHost *\n  User fallback\n  Port 22\n",
     ("rpi2", "rpi3", "x")),
    # Negation vetoes the whole line, whatever else matches.
    ("Host rpi* !rpi3\n  User pi\nHost *\n  User other\n", ("rpi1", "rpi3", "rpi33")),
    ("Host !rpi3 rpi*\n  User pi\n", ("rpi3", "rpi4")),
    ("Host !rpi3\n  User neg\n", ("rpi3", "rpi4")),
    # ? is one character; several patterns per line; commas are literal on Host lines.
    ("Host rpi? node??\n  User q\nHost a,b\n  User comma\n", ("rpi1", "rpi10", "node01", "a", "b")),
    # Host patterns are case-sensitive; HostName %h, lowercased unless an address.
    ("Host Rpi*\n  HostName %h.Cluster.LAN\n", ("Rpi1", "rpi1")),
    ("Host *\n  HostName 10.0.1.%h\n", ("7",)),
    ("Host x\n  HostName FE80::1\n", ("x",)),
    ("Host a\n  HostName first\n  HostName second\n", ("a",)),
    # Several IdentityFiles accumulate in order without duplicates; "none" stops the defaults.
    ("Host *\n  IdentityFile ~/.ssh/a\n  IdentityFile /k/%h_%r\nHost b\n  IdentityFile ~/.ssh/a\n",
     ("b", "c")),
    ("Host n\n  IdentityFile none\n", ("n", "m")),
    ("Host *\n  IdentitiesOnly yes\n  IdentityFile ~/.ssh/%u_%h_%p_%r_%%\n", ("z",)),
    # ProxyJump: chains, ssh:// URIs, none; exclusive with ProxyCommand, whichever comes first.
    ("Host rpi* !rpi0\n  ProxyJump rpi0\n", ("rpi0", "rpi1")),
    ("Host * !bastion !inner !last\n  ProxyJump pi@bastion:2222,ssh://admin@inner:2200,last\n", ("n",)),
    ("Host a\n  ProxyCommand ssh -W %h:%p jump\n  ProxyJump other\n", ("a",)),
    ("Host a\n  ProxyJump other\n  ProxyCommand ssh -W %h:%p jump\n", ("a",)),
    ("Host a\n  ProxyJump none\n  ProxyCommand nc %h %p\n", ("a",)),
    ("Host a\n  ProxyCommand none\n  ProxyJump jump\n", ("a",)),
    ("Host a\n  ProxyCommand=ssh -W '%h:%p' \"j j\" # kept\n", ("a",)),
    # StrictHostKeyChecking spellings; ConnectTimeout times; HostKeyAlias lowercased.
    ("Host a\n  StrictHostKeyChecking accept-new\nHost b\n  StrictHostKeyChecking off\n"
     "Host c\n  StrictHostKeyChecking yes\nHost d\n  StrictHostKeyChecking ask\n"
     "Host e\n  StrictHostKeyChecking false\n", ("a", "b", "c", "d", "e", "f")),
    ("Host a\n  ConnectTimeout 1m30s\nHost b\n  ConnectTimeout none\nHost c\n  ConnectTimeout 7\n",
     ("a", "b", "c")),
    ("Host a\n  HostKeyAlias Cluster-Key\n  HashKnownHosts yes\nHost *\n  HashKnownHosts no\n", ("a", "b")),
    # UserKnownHostsFile: several files, tokens, none; GlobalKnownHostsFile.
    ("Host *\n  UserKnownHostsFile ~/kh /tmp/kh_%h_%p_%r %d/x_%n %C\n", ("rpi0",)),
    ("Host a\n  UserKnownHostsFile none\n  GlobalKnownHostsFile /g/1 /g/2\n", ("a", "b")),
    # keyword=value, quotes, trailing comments, tabs, odd case.
    ('hOsT\t"qhost" other\n  USER=pi\n  Port = 2022 # comment\n', ("qhost", "other")),
    ("Host a\n  User 'single quoted'\n", ("a",)),
    # Match: all, host (sees HostName so far), originalhost, user (User so far), localuser, negation.
    ("Match all\n  User everyone\n", ("a",)),
    ("Host a\n  HostName 10.1.2.3\nMatch host 10.1.2.*\n  User byaddress\n", ("a", "b")),
    ("Match host 10.1.2.*\n  User early\nHost a\n  HostName 10.1.2.3\n", ("a",)),
    ("Match originalhost a,b,!c\n  Port 2001\n", ("a", "b", "c", "d")),
    ("Match host A*\n  User upper\n", ("a1", "A1")),
    ("Host a\n  User pi\nMatch user pi\n  Port 2002\nMatch !user pi\n  Port 2003\n", ("a", "b")),
    (f"Match localuser {ME}\n  Port 2004\nMatch localuser !{ME},*\n  User never\n", ("a",)),
    ("Match host a originalhost b\n  User both\n", ("a", "b")),
    ("Match !host a\n  User nota\n", ("a", "b")),
    # Match final: a second pass in which Host lines see the final hostname.
    ("Host a\n  HostName b.example\nHost b.example\n  User fromfinal\nMatch final\n  Port 2005\n",
     ("a",)),
    ("Match canonical\n  User canon\nMatch !canonical\n  Port 2006\n", ("a",)),
]


@pytest.mark.parametrize(("config", "hosts"), CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_lookup_agrees_with_ssh_G(config: str, hosts: tuple[str, ...], tmp_path: Path) -> None:
    path = tmp_path / "ssh_config"
    path.write_text(config)
    for host in hosts:
        compare(path, host)


def test_include_applies_inside_its_block_like_ssh(tmp_path: Path) -> None:
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "10-a.conf").write_text("Host *\n  Port 2101\n")
    (inc / "20-b.conf").write_text("User fromb\nHost zz\n  User zz\n")
    (inc / "ignored").write_text("User never\n")
    config = tmp_path / "ssh_config"
    # The include sits in `Host rpi*`: for other hosts even its `Host *` does not apply; a Host
    # line inside an included file does not end the including block.
    config.write_text(f"Host rpi*\n  Include {inc}/*.conf\n  IdentityFile /after/include\n"
                      "Host *\n  Port 22\n")
    for host in ("rpi0", "other", "zz"):
        compare(config, host)


def test_nested_includes_and_missing_globs_like_ssh(tmp_path: Path) -> None:
    (tmp_path / "one").write_text(f"Include {tmp_path}/two {tmp_path}/nothing-*\nUser one\n")
    (tmp_path / "two").write_text("Match originalhost a\n  User two\n")
    config = tmp_path / "ssh_config"
    config.write_text(f"Include {tmp_path}/one\nHost *\n  User last\n")
    for host in ("a", "b"):
        compare(config, host)


# --- Hypothesis: random Host and Match lines, each block leaves a trace in IdentityFile ------------

NAMES = st.text(alphabet="ab.1", min_size=1, max_size=5)
PATTERN = st.text(alphabet="ab.1*?", min_size=1, max_size=5)
WORD = st.builds(lambda neg, p: ("!" if neg else "") + p, st.booleans(), PATTERN)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blocks=st.lists(st.lists(WORD, min_size=1, max_size=3), min_size=1, max_size=6), hosts=st.lists(
    NAMES, min_size=1, max_size=3))
def test_random_host_lines_match_like_ssh(blocks: list[list[str]], hosts: list[str], tmp_path: Path) -> None:
    config = tmp_path / "hosts_config"
    config.write_text("".join(f"Host {' '.join(words)}\n  IdentityFile /block{i}\n"
                              for i, words in enumerate(blocks)))
    for host in hosts:
        compare(config, host)


CRITERION = st.sampled_from(["host", "originalhost", "user", "!host", "!originalhost", "!user"])
PATTERN_LIST = st.lists(WORD, min_size=1, max_size=3).map(",".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    matches=st.lists(st.lists(st.tuples(CRITERION, PATTERN_LIST), min_size=1, max_size=2), min_size=1,
                     max_size=5),
    hostname=st.one_of(st.none(), NAMES, st.just("%h.1")),
    user=st.one_of(st.none(), NAMES),
    host=NAMES,
)
def test_random_match_lines_match_like_ssh(matches: list[list[tuple[str, str]]], hostname: str | None,
                                           user: str | None, host: str, tmp_path: Path) -> None:
    head = "".join([f"HostName {hostname}\n" if hostname else "", f"User {user}\n" if user else ""])
    body = "".join(f"Match {' '.join(f'{c} {p}' for c, p in criteria)}\n  IdentityFile /match{i}\n"
                   for i, criteria in enumerate(matches))
    config = tmp_path / "match_config"
    config.write_text(head + body)
    compare(config, host)


def test_oracle_sees_what_we_compare(tmp_path: Path) -> None:
    """Guard: the oracle really prints the keys compared (a silent `ssh -G` change would hide bugs)."""
    config = tmp_path / "c"
    config.write_text("Host a\n  ProxyJump j\n  HostKeyAlias k\n")
    printed = ssh_g(config, "a")
    compared = ("user", "hostname", "port", "identityfile", "proxyjump", "hostkeyalias", "userknownhostsfile")
    assert all(key in printed for key in compared), printed
