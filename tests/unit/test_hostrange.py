"""`--hosts` expansion and compaction: examples, every error, and Hypothesis properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glustercheck.errors import HostRangeError
from glustercheck.hostrange import MAX_HOSTS, compact_hosts, expand_hosts, host_of

RPIS = ["rpi0", "rpi1", "rpi2", "rpi3"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("rpi0..rpi3", RPIS),
        ("rpi[0-3]", RPIS),
        ("rpi[0-3,7]", [*RPIS, "rpi7"]),
        ("rpi[7,0-1]", ["rpi7", "rpi0", "rpi1"]),
        ("node[01-03]", ["node01", "node02", "node03"]),
        ("node08..node10", ["node08", "node09", "node10"]),
        ("node9..node11", ["node9", "node10", "node11"]),
        ("node[007]", ["node007"]),
        ("10.0.1.0..10.0.1.3", ["10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3"]),
        ("10.0.1.[2-3]", ["10.0.1.2", "10.0.1.3"]),
        ("rpi0.lan..rpi1.lan", ["rpi0.lan", "rpi1.lan"]),
        ("rpi1..rpi1", ["rpi1"]),
        (" rpi0 , gluster-a ,rpi1", ["rpi0", "gluster-a", "rpi1"]),
        ("rpi3,rpi0..rpi2", ["rpi3", "rpi0", "rpi1", "rpi2"]),
        (
            "paramiko://pi@rpi0..rpi1?sudo=true&timeout=5",
            ["paramiko://pi@rpi0?sudo=true&timeout=5", "paramiko://pi@rpi1?sudo=true&timeout=5"],
        ),
        ("ssh://root@node[1-2]:2222", ["ssh://root@node1:2222", "ssh://root@node2:2222"]),
        ("pi@rpi[0-1]", ["pi@rpi0", "pi@rpi1"]),
        ("local://", ["local://"]),
        ("docker://gv[1-2]", ["docker://gv1", "docker://gv2"]),
        ("paramiko://[fe80::1]:22,[::1]", ["paramiko://[fe80::1]:22", "[::1]"]),
    ],
)
def test_expand(value: str, expected: list[str]) -> None:
    assert expand_hosts(value) == expected


@pytest.mark.parametrize(
    ("spec", "host"),
    [
        ("rpi0", "rpi0"),
        ("paramiko://pi@rpi0:22?sudo=true", "rpi0"),
        ("ssh://10.0.1.3", "10.0.1.3"),
        ("pi@rpi2:2222", "rpi2"),
        ("local://", "local"),
        ("docker://gv1", "gv1"),
        ("paramiko://[fe80::1]:22", "fe80::1"),
        ("ansible://all?ansible_inventory=hosts", "all"),
    ],
)
def test_host_of(spec: str, host: str) -> None:
    assert host_of(spec) == host


@pytest.mark.parametrize(
    ("hosts", "compact"),
    [
        (RPIS, "rpi[0-3]"),
        ([*RPIS, "rpi7"], "rpi[0-3,7]"),
        (["rpi3", "rpi2"], "rpi[3,2]"),
        (["node09", "node10", "node11"], "node[09-11]"),
        (["node9", "node10"], "node[9-10]"),
        (["node9", "node010"], "node[9,010]"),
        (["10.0.1.0", "10.0.1.1"], "10.0.1.[0-1]"),
        (["r1n1", "r1n2", "r2n1"], "r1n[1-2],r2n1"),
        (
            ["paramiko://rpi0?sudo=true", "paramiko://rpi1?sudo=true", "rpi2"],
            "paramiko://rpi[0-1]?sudo=true,rpi2",
        ),
        (["rpi0"], "rpi0"),
        ([], ""),
    ],
)
def test_compact(hosts: list[str], compact: str) -> None:
    assert compact_hosts(hosts) == compact
    if hosts:
        assert expand_hosts(compact) == hosts


@pytest.mark.parametrize(
    ("value", "token", "why"),
    [
        ("rpi3..rpi0", "rpi3..rpi0", "reversed range rpi3..rpi0"),
        ("rpi[3-0]", "rpi[3-0]", "reversed range [3-0]"),
        ("rpi0..", "rpi0..", "open range"),
        ("..rpi3", "..rpi3", "open range"),
        ("rpi[3-]", "rpi[3-]", "open range '[3-]'"),
        ("rpi[-3]", "rpi[-3]", "open range '[-3]'"),
        ("rpi0..node3", "rpi0..node3", "differ in more than a number"),
        ("rpi0..rpi3a", "rpi0..rpi3a", "differ in more than a number"),
        ("10.0.0.9..10.0.1.3", "10.0.0.9..10.0.1.3", "more than one number"),
        ("10.0.1.250..10.0.1.256", "10.0.1.250..10.0.1.256", "octet above 255"),
        ("node01..node9", "node01..node9", "zero padding differs between '01' and '9'"),
        ("node[01-9]", "node[01-9]", "zero padding differs"),
        ("rpi0,rpi[0-1]", "rpi[0-1]", "'rpi0' comes from both token 1 'rpi0' and token 2"),
        ("rpi0,paramiko://pi@rpi0", "paramiko://pi@rpi0", "host 'rpi0' comes from both"),
        ("rpi[0-1,1]", "rpi[0-1,1]", "host 'rpi1' comes from both"),
        ("node[0-1024]", "node[0-1024]", "expands to 1025 hosts"),
        ("a[0-1000],b[0-99]", "b[0-99]", "with 1001 before it that exceeds the limit of 1024"),
        ("rpi[]", "rpi[]", "empty brackets"),
        ("rpi[0,,1]", "rpi[0,,1]", "empty item"),
        ("rpi[a-b]", "rpi[a-b]", "not a number or a range"),
        ("rpi[0-3", "rpi[0-3", "unbalanced brackets"),
        ("r[0-1]n[0-1]", "r[0-1]n[0-1]", "more than one '[...]' group"),
        ("rpi[0-1]..rpi[2-3]", "rpi[0-1]..rpi[2-3]", "mixes range forms"),
        ("a..b", "a..b", "differ in more than a number"),
        ("x!y[0-1]", "x!y[0-1]", "not a host name part"),
        ("paramiko://", "paramiko://", "no host"),
        ("rpi 0", "rpi 0", "white space"),
        ("rpi0,,rpi1", "rpi0,,rpi1", "token 2 is empty"),
        ("rpi0,", "rpi0,", "token 2 is empty"),
        ("", "", "token 1 is empty"),
    ],
)
def test_errors_name_token_and_why(value: str, token: str, why: str) -> None:
    with pytest.raises(HostRangeError) as info:
        expand_hosts(value)
    assert f"'{token}'" in str(info.value)
    assert why in str(info.value)


def test_limit_is_inclusive() -> None:
    assert len(expand_hosts(f"n[1-{MAX_HOSTS}]")) == MAX_HOSTS
    with pytest.raises(HostRangeError, match="more than 1024 hosts in total"):
        expand_hosts(f"n[1-{MAX_HOSTS}],extra")


def test_huge_range_fails_before_generating() -> None:
    with pytest.raises(HostRangeError, match="expands to 100000000000 hosts"):
        expand_hosts("n0..n99999999999")


@pytest.mark.parametrize("hosts", [["rpi0", "rpi0"], ["a,b"], ["rpi[0]"], ["a..b"], [""], [" a"]])
def test_compact_refuses_what_it_cannot_write(hosts: list[str]) -> None:
    with pytest.raises(HostRangeError, match="--hosts token"):
        compact_hosts(hosts)


# --- Hypothesis ----------------------------------------------------------------------------

_label = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=6).filter(
    lambda s: not s.startswith("-")
)
_number = st.one_of(st.integers(0, 120).map(str), st.integers(0, 120).map(lambda n: str(n).zfill(3)))
_host = st.one_of(
    st.builds(lambda p, n, s: f"{p}{n}{s}", _label, _number, st.sampled_from(["", ".lan", "-b"])),
    st.builds(lambda a, b, c: f"10.{a}.{b}.{c}", *[st.integers(0, 3)] * 2, st.integers(0, 255)),
    _label,
)
_frame = st.sampled_from(
    [("", ""), ("paramiko://pi@", "?sudo=true&timeout=5"), ("ssh://", ":2222"), ("docker://", "")]
)
_spec = st.builds(lambda f, h: f"{f[0]}{h}{f[1]}", _frame, _host)
_specs = st.lists(_spec, max_size=30, unique_by=host_of)


@given(_specs)
def test_compact_round_trips(specs: list[str]) -> None:
    compact = compact_hosts(specs)
    assert (expand_hosts(compact) if specs else []) == specs
    assert len(compact) <= len(",".join(specs))


@given(st.lists(st.integers(0, 300), unique=True, min_size=1, max_size=60), _label)
def test_compact_of_numbered_hosts_is_one_token(numbers: list[int], prefix: str) -> None:
    hosts = [f"{prefix}{n}" for n in numbers]
    compact = compact_hosts(hosts)
    assert expand_hosts(compact) == hosts
    if len(hosts) > 1:
        assert compact.startswith(f"{prefix}[")
        assert compact.count("[") == 1


@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 20), st.booleans()),
        min_size=1,
        max_size=8,
    )
)
def test_expansion_is_ordered_and_duplicate_free(ranges: list[tuple[int, int, bool]]) -> None:
    # Each token ranges over its own prefix, so the tokens never overlap.
    tokens, expected = [], []
    for i, (start, length, dots) in enumerate(ranges):
        end = start + length
        tokens.append(f"h{i}x{start}..h{i}x{end}" if dots else f"h{i}x[{start}-{end}]")
        expected += [f"h{i}x{n}" for n in range(start, end + 1)]
    hosts = expand_hosts(",".join(tokens))
    assert hosts == expected
    assert len(set(hosts)) == len(hosts)


_bad_token = st.one_of(
    st.builds(lambda a, b: f"rpi{max(a, b) + 1}..rpi{min(a, b)}", st.integers(0, 99), st.integers(0, 99)),
    st.builds(lambda n: f"node[{n}-]", st.integers(0, 99)),
    st.builds(lambda n: f"..node{n}", st.integers(0, 99)),
    st.builds(lambda n: f"x[0{n}-{n}00]", st.integers(1, 9)),
    st.tuples(_label, _label).filter(lambda t: t[0] != t[1]).map(lambda t: f"{t[0]}0..{t[1]}3"),
)


@given(st.lists(_spec, max_size=5, unique_by=host_of), _bad_token, st.integers(0, 5))
def test_every_error_names_its_token(good: list[str], bad: str, where: int) -> None:
    tokens = [*good[:where], bad, *good[where:]]
    with pytest.raises(HostRangeError) as info:
        expand_hosts(",".join(tokens))
    assert f"'{bad}'" in str(info.value)
