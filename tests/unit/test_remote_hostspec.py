"""Host specs: testinfra's syntax, one typed value, and an error (never a silent guess) otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testinfra import backend as testinfra_backend
from testinfra.backend.base import BaseBackend

from glustercheck.errors import GlusterCheckError
from glustercheck.remote import SshTarget
from glustercheck.remote.hostspec import (
    HostSpec,
    HostSpecError,
    HostSpecOptions,
    UnsupportedSchemeError,
    parse_hostspec,
)


def test_full_spec() -> None:
    spec = parse_hostspec("ssh://pi@rpi0:2222?sudo=true&sudo_user=gluster&timeout=10"
                          "&ssh_config=/etc/gc/ssh_config&ssh_identity_file=~/.ssh/pi")
    assert spec == HostSpec("ssh", "pi", "rpi0", 2222, HostSpecOptions(
        sudo=True, sudo_user="gluster", timeout=10.0, ssh_config=Path("/etc/gc/ssh_config"),
        ssh_identity_file=Path("~/.ssh/pi").expanduser()))
    assert spec.target() == SshTarget("rpi0", user="pi", port=2222,
                                      identity_file=Path("~/.ssh/pi").expanduser(),
                                      sudo=True, sudo_user="gluster", connect_timeout=10.0)


@pytest.mark.parametrize(("text", "expected"), [
    ("rpi0", HostSpec(None, None, "rpi0", None)),
    ("pi@10.0.1.2", HostSpec(None, "pi", "10.0.1.2", None)),
    ("paramiko://rpi1:22", HostSpec("paramiko", None, "rpi1", 22)),
    ("SSH://rpi1", HostSpec("ssh", None, "rpi1", None)),
    ("ssh://[fe80::1]:22", HostSpec("ssh", None, "fe80::1", 22)),
    ("[::1]", HostSpec(None, None, "::1", None)),
    ("pi@[fe80::1%25eth0]", HostSpec(None, "pi", "fe80::1%eth0", None)),
    ("first%2Elast@rpi0", HostSpec(None, "first.last", "rpi0", None)),
    ("rpi0?sudo=YES", HostSpec(None, None, "rpi0", None, HostSpecOptions(sudo=True))),
    ("rpi0?sudo=0", HostSpec(None, None, "rpi0", None, HostSpecOptions(sudo=False))),
    ("rpi0?timeout=2.5", HostSpec(None, None, "rpi0", None, HostSpecOptions(timeout=2.5))),
])
def test_accepted(text: str, expected: HostSpec) -> None:
    assert parse_hostspec(text) == expected


@pytest.mark.parametrize("scheme", ["docker", "local", "winrm", "ansible", "podman", "kubectl", "lxc", "salt",
                                    "chroot", "openshift", "safe-ssh", "http"])
def test_other_schemes_are_refused_by_name(scheme: str) -> None:
    with pytest.raises(UnsupportedSchemeError) as caught:
        parse_hostspec(f"{scheme}://c1")
    message = str(caught.value)
    assert f"the {scheme}:// connection is not supported" in message
    assert "ssh://, paramiko:// or no scheme" in message
    assert isinstance(caught.value, HostSpecError)
    assert isinstance(caught.value, GlusterCheckError)


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty host spec"),
    ("ssh://", "no host name"),
    ("rpi0?sudo=maybe", "sudo='maybe' is not one of true, false, 1, 0, yes, no"),
    ("rpi0?sudo=", "option 'sudo' has no value"),
    ("rpi0?sudo=true&sudo=false", "option 'sudo' is given twice"),
    ("rpi0?color=blue", "unknown option 'color'; supported: sudo, sudo_user, timeout, ssh_config"),
    ("rpi0?namespace=x", "option 'namespace' belongs to testinfra's kubectl connection, not SSH"),
    ("rpi0?timeout=-1", "timeout='-1' is not a positive number"),
    ("rpi0?timeout=inf", "timeout='inf' is not a positive number"),
    ("rpi0:0", "port '0' is not a number from 1 to 65535"),
    ("rpi0:ssh", "port 'ssh' is not a number"),
    ("fe80::1", "an IPv6 address needs brackets"),
    ("[fe80::1", "write a bracketed IPv6 address as"),
    ("[rpi0]", "'rpi0' in brackets is not an IPv6 address"),
    ("ssh://rpi0/path", "a host spec has no /path"),
    ("rpi 0", "'rpi 0' is not a host name"),
    ("rpi0?sudo_user=a%20b", "sudo_user='a b' is not a user name"),
    ("pi:secret@rpi0", "passwords in host specs are not supported"),
])
def test_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(HostSpecError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_hostspec(text)


def test_password_is_not_repeated_in_the_error() -> None:
    with pytest.raises(HostSpecError) as caught:
        parse_hostspec("ssh://pi:hunter2@rpi0")
    assert "hunter2" not in str(caught.value)
    assert "pi:***@rpi0" in str(caught.value)


def test_str_round_trips() -> None:
    for text in ("ssh://pi@[fe80::1]:2222?sudo=true&sudo_user=gluster&timeout=2.5", "rpi0", "paramiko://rpi1:22"):
        spec = parse_hostspec(text)
        assert parse_hostspec(str(spec)) == spec


# --- compatible with testinfra for every spec it and we both accept --------------------------------

NAME = st.from_regex(r"\A[a-z][a-z0-9-]{0,8}[a-z0-9]\Z")
IPV6 = st.ip_addresses(v=6).map(str)


@settings(max_examples=200, deadline=None)
@given(scheme=st.sampled_from(["ssh", "paramiko"]), user=st.one_of(st.none(), NAME),
       host=st.one_of(NAME, IPV6), port=st.one_of(st.none(), st.integers(1, 65535)),
       sudo=st.one_of(st.none(), st.booleans()), sudo_user=st.one_of(st.none(), NAME),
       timeout=st.one_of(st.none(), st.integers(1, 600)))
def test_same_reading_as_testinfra(*, scheme: str, user: str | None, host: str, port: int | None,
                                   sudo: bool | None, sudo_user: str | None, timeout: int | None) -> None:
    spec = HostSpec(scheme, user, host, port, HostSpecOptions(
        sudo=sudo, sudo_user=sudo_user, timeout=None if timeout is None else float(timeout)))
    text = str(spec)
    assert parse_hostspec(text) == spec
    theirs_host, kw = testinfra_backend.parse_hostspec(text)
    theirs = BaseBackend.parse_hostspec(theirs_host)
    assert kw["connection"] == scheme
    assert (theirs.name, theirs.user) == (host, user)
    assert theirs.port == (None if port is None else str(port))
    assert kw.get("sudo", False) == bool(sudo)
    assert kw.get("sudo_user") == sudo_user
    assert kw.get("timeout") == (None if timeout is None else f"{timeout:g}")
