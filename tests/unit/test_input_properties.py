"""Hypothesis over the input validators (glustercheck/inputs.py): what they accept is read back
exactly by every consumer (glibc's inet_pton, the /etc/hosts block, a real `sh`, gluster's brick
split), and names they accept need no shell quoting (checks print them in commands as they are).
"""

from __future__ import annotations

import ipaddress
import shlex
import socket
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from glustercheck.brick import parse_brick
from glustercheck.errors import SpecError
from glustercheck.hosts_file import BEGIN, END, HostsFileError, managed_block
from glustercheck.inputs import (
    address_problem,
    brick_path_problem,
    host_name_problem,
    volume_name_problem,
)
from glustercheck.layout import CreateRequest, parse_create_command, validate
from glustercheck.spec import default_spec

# Mostly near-valid text, with the characters that break files and shells mixed in.
_nasty = st.sampled_from(list(" \t\n\r\x00\x1b\u202e\u00a0%:#;$`'\"\\/.-_[]?&@*"))
_word = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)) | _nasty, max_size=24)
_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.-]{0,30}", fullmatch=True) | _word
_addresses = (st.ip_addresses().map(str)
              | st.tuples(st.ip_addresses(v=6).map(str), _word).map(lambda t: f"{t[0]}%{t[1]}")
              | _word)
_paths = st.lists(st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True) | _word,
                  min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts))


@given(st.lists(st.tuples(_names, _addresses), min_size=1, max_size=4))
def test_accepted_entries_give_exactly_one_line_each(entries: list[tuple[str, str]]) -> None:
    valid = all(host_name_problem(n) is None and address_problem(a) is None for n, a in entries)
    unique = len({n.lower() for n, _ in entries}) == len(entries)
    try:
        block = managed_block(entries)
    except HostsFileError:
        assert not (valid and unique)
        return
    assert valid
    assert unique
    lines = block.split("\n")
    assert lines[0] == BEGIN
    assert lines[-2] == END
    assert lines[-1] == ""
    assert lines[1:-2] == [f"{a}\t{n}" for n, a in entries]  # one line per entry, nothing else
    for line, (name, address) in zip(lines[1:-2], entries, strict=True):
        fields = line.split()  # glibc: fields split on white space, first the address
        assert fields == [address, name]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        socket.inet_pton(family, address)  # glibc reads the address the way it is written


@given(_addresses)
def test_accepted_addresses_are_usable_peer_addresses(text: str) -> None:
    if address_problem(text) is None:
        address = ipaddress.ip_address(text)
        assert not (address.is_loopback)
        assert not (address.is_multicast)
        assert not (address.is_unspecified)
        assert "%" not in text


@given(_names)
def test_accepted_node_names_need_no_quoting_and_are_no_addresses(name: str) -> None:
    if host_name_problem(name) is None:
        assert shlex.quote(name) == name  # checks print `gluster peer probe NAME` as it is
        assert not name.replace(".", "").isdigit()
        assert default_spec([name]).nodes[0].name == name  # --hosts takes what the spec takes


@given(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,40}", fullmatch=True) | _word)
def test_accepted_volume_names_need_no_quoting_and_glusterd_takes_them(name: str) -> None:
    if volume_name_problem(name) is None:
        assert shlex.quote(name) == name  # checks print `gluster volume start NAME` as it is
        assert validate(CreateRequest(name, ("a:/b/1",))).accepted


@given(_paths)
def test_accepted_brick_paths_read_back_through_gluster_and_the_brick_parser(path: str) -> None:
    if brick_path_problem(path) is None:
        assert parse_brick(f"rpi0:{path}").path == path
        request = parse_create_command(["gv", f"rpi0:{path}"])
        assert request.bricks == (f"rpi0:{path}",)  # gluster's split at the last colon agrees
        assert shlex.split(shlex.quote(path)) == [path]


@settings(max_examples=40)  # each example runs a real sh
@given(_paths.filter(lambda p: brick_path_problem(p) is None))
def test_accepted_brick_paths_round_trip_through_a_real_shell(path: str) -> None:
    out = subprocess.run(["sh", "-c", f"printf %s {shlex.quote(path)}"], capture_output=True,
                         timeout=10, check=True).stdout
    assert out.decode("utf-8") == path


@given(st.tuples(st.sampled_from(["", "ssh://", "paramiko://", "docker://", "local://"]),
                 st.sampled_from(["", "pi@", "pi:pw@"]), _names | _addresses,
                 st.sampled_from(["", ":22", ":0", "?sudo=true", "?sudo=ture", "?x=1"]))
       .map("".join))
def test_host_entries_are_accepted_only_with_a_usable_host(entry: str) -> None:
    try:
        (node,) = default_spec([entry]).nodes
    except SpecError as error:
        message = str(error)
    else:
        message = ""
    if message:
        assert message.startswith("--hosts")
        return
    named_by_address = node.address is not None
    assert (address_problem(node.name) if named_by_address else host_name_problem(node.name)) is None
    assert node.port != 0
