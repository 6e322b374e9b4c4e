"""/etc/hosts editing: examples, every error, and Hypothesis properties over generated hosts files."""

import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glustercheck.errors import GlusterCheckError
from glustercheck.hosts_file import (
    BEGIN,
    END,
    Conflict,
    HostsFileError,
    managed_block,
    update_hosts,
)
from glustercheck.inputs import address_problem

ENTRIES = [("rpi0", "10.0.1.0"), ("rpi1", "10.0.1.1")]
BLOCK = f"{BEGIN}\n10.0.1.0\trpi0\n10.0.1.1\trpi1\n{END}\n"
DEBIAN = (
    "127.0.0.1\tlocalhost\n"
    "::1\t\tlocalhost ip6-localhost ip6-loopback\n"
    "ff02::1\t\tip6-allnodes\n"
    "ff02::2\t\tip6-allrouters\n"
    "\n"
    "127.0.1.1\t\trpi0\n"
)


def test_managed_block() -> None:
    assert managed_block(ENTRIES) == BLOCK
    assert managed_block([]) == f"{BEGIN}\n{END}\n"


def test_debian_pi_file_conflict_reported_and_left_alone() -> None:
    edit = update_hosts(DEBIAN, ENTRIES)
    assert edit.text == DEBIAN + BLOCK
    assert edit.changed
    assert edit.replaced == ()
    assert edit.conflicts == (Conflict(6, "127.0.1.1\t\trpi0", "rpi0", "127.0.1.1", "10.0.1.0"),)
    assert edit.conflicts[0].describe() == (
        "line 6 `127.0.1.1\t\trpi0` maps rpi0 to 127.0.1.1, the cluster spec says 10.0.1.0"
    )


def test_replace_conflicts_comments_out_a_single_name_line() -> None:
    edit = update_hosts(DEBIAN, ENTRIES, replace_conflicts=True)
    assert edit.text == DEBIAN.replace("127.0.1.1", "# glustercheck: 127.0.1.1") + BLOCK
    assert edit.conflicts == ()
    assert [c.line_number for c in edit.replaced] == [6]


def test_replace_conflicts_removes_just_the_names_from_a_multi_name_line() -> None:
    text = "10.9.9.9\trpi0 rpi0.lan  RPI1\tbackup # old lab\n10.9.9.8 nas rpi1\n"
    edit = update_hosts(text, ENTRIES, replace_conflicts=True)
    assert edit.text == "10.9.9.9\trpi0.lan  backup # old lab\n10.9.9.8 nas\n" + BLOCK
    assert [(c.line_number, c.name) for c in edit.replaced] == [(1, "rpi0"), (1, "rpi1"), (2, "rpi1")]


def test_everything_outside_the_block_is_kept() -> None:
    text = (
        "# static hosts  \n"
        "\n"
        "   \t\n"
        "127.0.0.1 localhost   \n"
        "fe80::1%eth0 rpi0\n"  # other family: not a conflict
        "10.0.1.0\trpi0 rpi0.lan # same address: fine\n"
        "192.168.1.5\t nas  printer\n"
        "not an address rpi1\n"  # ignored by the resolver, so not a conflict
        "10.9.9.9 # rpi1 only in a comment"
    )
    edit = update_hosts(text, ENTRIES)
    # rpi0 is already listed right: the block holds only what no line maps right yet.
    assert edit.text == text + "\n" + managed_block(ENTRIES[1:])
    assert edit.missing == tuple(ENTRIES[1:])
    assert edit.conflicts == ()


def test_a_file_that_lists_every_node_right_gets_no_block_even_with_debians_line() -> None:
    listed = "".join(f"{a}\t{n}\n" for n, a in ENTRIES)
    debian = "127.0.0.1\tlocalhost\n127.0.1.1\trpi0\n" + listed
    edit = update_hosts(debian, ENTRIES)
    assert not edit.changed
    assert edit.missing == ()
    assert [c.line for c in edit.conflicts] == ["127.0.1.1\trpi0"]  # still reported
    replaced = update_hosts(debian, ENTRIES, replace_conflicts=True)
    assert replaced.text == "127.0.0.1\tlocalhost\n# glustercheck: 127.0.1.1\trpi0\n" + listed
    assert BEGIN not in replaced.text
    # and a block an older run wrote is taken out once every line is right without it
    assert update_hosts(listed + BLOCK, ENTRIES).text == listed


def test_existing_block_replaced_in_place_and_idempotent() -> None:
    old = f"{BEGIN.split(':')[0]}: old wording\n10.0.0.7\trpi0\n{END}\n"
    text = "127.0.0.1 localhost\n" + old + "# after\n"
    edit = update_hosts(text, ENTRIES)
    assert edit.text == "127.0.0.1 localhost\n" + BLOCK + "# after\n"
    again = update_hosts(edit.text, ENTRIES)
    assert again.text == edit.text
    assert not again.changed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", BLOCK),
        ("127.0.0.1 localhost", "127.0.0.1 localhost\n" + BLOCK),
        ("127.0.0.1 localhost\r\n127.0.1.1 rpi0\r\n", "127.0.0.1 localhost\r\n127.0.1.1 rpi0\r\n" + BLOCK),
        (f"{BEGIN}\n{END}", BLOCK),
    ],
)
def test_final_newline_and_crlf(text: str, expected: str) -> None:
    assert update_hosts(text, ENTRIES).text == expected


def test_crlf_conflict_line_has_no_line_ending() -> None:
    edit = update_hosts("127.0.1.1 rpi0\r\n", ENTRIES, replace_conflicts=True)
    assert edit.replaced[0].line == "127.0.1.1 rpi0"
    assert edit.text == "# glustercheck: 127.0.1.1 rpi0\r\n" + BLOCK


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (f"a\n{BEGIN}\n10.0.1.0 rpi0\n", "BEGIN on line 2; no END line"),
        (f"{BEGIN}\n{BEGIN}\n{END}\n", "BEGIN on line 1, BEGIN on line 2; END on line 3"),
        (f"{END}\n{BEGIN}\n", "BEGIN on line 2; END on line 1"),
        (f"{END}\n", "no BEGIN line; END on line 1"),
    ],
)
def test_malformed_block(text: str, where: str) -> None:
    with pytest.raises(HostsFileError, match="fix the file by hand") as info:
        update_hosts(text, ENTRIES)
    assert where in str(info.value)
    assert isinstance(info.value, GlusterCheckError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ([("rpi_0", "10.0.1.0")], "the name has the label 'rpi_0'"),
        ([("-rpi", "10.0.1.0")], "the name has the label '-rpi'"),
        ([("", "10.0.1.0")], "the name is 0 characters long"),
        ([("rpi0\n", "10.0.1.0")], "the name contains a newline"),
        ([("rpi0 rpi1", "10.0.1.0")], "the name contains a space"),
        ([("10.0.1.0", "10.0.1.0")], "reads as an IPv4 address"),
        ([("rpi0", "10.0.1.256")], "not an IPv4 or IPv6 address"),
        ([("rpi0", " 10.0.1.0")], "not an IPv4 or IPv6 address"),
        ([("rpi0", "10.0.1.0\n")], "not an IPv4 or IPv6 address"),
        ([("rpi0", "10.0.1.0"), ("RPI0", "10.0.1.1")], "more than once"),
    ],
)
def test_bad_entries(entries: list[tuple[str, str]], problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        update_hosts("", entries)
    assert repr(entries[-1][0]) in str(info.value)


# ---- Hypothesis: hosts files from a grammar, plus arbitrary lines --------------------------------

CLUSTER_NAMES = ["rpi0", "rpi1", "gluster-a", "node01.lan"]
_ws = st.text(" \t", min_size=1, max_size=3)
_opt_ws = st.text(" \t", max_size=2)
# Mostly a few addresses, so lines often agree or collide with the entries; sometimes any address.
_v4 = st.sampled_from(["127.0.0.1", "127.0.1.1", "10.0.1.0", "10.0.1.1", "10.0.1.2"])
_v4 |= st.ip_addresses(v=4).map(str)
_v6 = st.sampled_from(["::1", "fe80::1", "fd00::1", "ff02::1"]) | st.ip_addresses(v=6).map(str)
_cluster_name = st.sampled_from(CLUSTER_NAMES).flatmap(
    lambda n: st.sampled_from([n, n.upper(), n.capitalize()])
)
_name = _cluster_name | st.from_regex(r"\A[a-z][a-z0-9-]{0,8}(\.lan)?\Z")
_comment = st.text(st.characters(blacklist_characters="\n"), max_size=12).map(lambda t: "#" + t)


@st.composite
def _host_line(draw: st.DrawFn) -> str:
    names = draw(st.lists(_name, min_size=1, max_size=4))
    parts = [draw(_opt_ws), draw(_v4 | _v6)]
    for name in names:
        parts += [draw(_ws), name]
    parts.append(draw(_opt_ws))
    if draw(st.booleans()):
        parts.append(draw(_comment))
    return "".join(parts)


_arbitrary = st.text(st.characters(blacklist_characters="\n"), max_size=30).filter(
    lambda t: "glustercheck" not in t
)
_line = _host_line() | _comment | _opt_ws | _arbitrary
_entries = st.lists(  # entries are validated (hosts_file._check_entries): usable addresses only
    st.tuples(st.sampled_from(CLUSTER_NAMES), (_v4 | _v6).filter(lambda a: not address_problem(a))),
    max_size=4, unique_by=lambda e: e[0]
)


@st.composite
def _hosts_text(draw: st.DrawFn) -> tuple[str, str | None, str]:
    """(before, old block or None, after): the file is their concatenation."""
    lines = [line + draw(st.sampled_from(["\n", "\r\n"])) for line in draw(st.lists(_line, max_size=12))]
    at = draw(st.integers(0, len(lines)))
    before, after = "".join(lines[:at]), "".join(lines[at:])
    old = managed_block(draw(_entries)) if draw(st.booleans()) else None
    if draw(st.booleans()):  # no final newline
        if after:
            after = after.removesuffix("\n")
        elif old is not None:
            old = old.removesuffix("\n")
        else:
            before = before.removesuffix("\n")
    return before, old, after


def _lines_outside_block(text: str) -> list[str]:
    """The lines outside the block, without `\\n` (so the one added before an appended block is moot)."""
    lines = [line.removesuffix("\n") for line in re.findall(r"[^\n]*\n|[^\n]+", text)]
    if BEGIN in lines:
        del lines[lines.index(BEGIN) : lines.index(END) + 1]
    return lines


def _fields(line: str) -> list[str]:
    """Address and names as glibc splits them: up to `#`, on C isspace."""
    return re.findall(r"[^ \t\r\f\v]+", line.split("#", 1)[0])


def _is_address(text: str, expected: str) -> bool:
    try:
        return ipaddress.ip_address(text) == ipaddress.ip_address(expected)
    except ValueError:
        return False


def _resolve(text: str, name: str, version: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """glibc `files` order: the first line of the right family naming `name` wins."""
    for line in text.split("\n"):
        fields = _fields(line)
        try:
            address = ipaddress.ip_address(fields[0])
        except (IndexError, ValueError):
            continue
        if address.version == version and name.lower() in (f.lower() for f in fields[1:]):
            return address
    return None


@given(_hosts_text(), _entries)
def test_property_outside_bytes_kept_idempotent_block_exact(
    parts: tuple[str, str | None, str], entries: list[tuple[str, str]]
) -> None:
    before, old, after = parts
    text = before + (old or "") + after
    outside = [_fields(line) for line in (before + "\n" + after).split("\n")]
    missing = [(n, a) for n, a in entries if not any(
        len(f) > 1 and _is_address(f[0], a) and n.lower() in (x.lower() for x in f[1:])
        for f in outside)]
    block = managed_block(missing) if missing else ""
    edit = update_hosts(text, entries)

    if old is None:
        assert edit.text == text + ("\n" if block and text and not text.endswith("\n") else "") + block
    else:
        assert edit.text == before + block + after
    assert edit.changed == (edit.text != text)
    assert edit.replaced == ()
    again = update_hosts(edit.text, entries)
    assert (again.text, again.changed) == (edit.text, False)
    # Same conflicts; only their line numbers move when the block changes size above them.
    assert [(c.line, c.name) for c in again.conflicts] == [(c.line, c.name) for c in edit.conflicts]

    lines = edit.text.split("\n")
    if missing:
        start = lines.index(BEGIN)
        assert lines[start : start + len(missing) + 2] == [BEGIN, *(f"{a}\t{n}" for n, a in missing), END]
    else:
        assert BEGIN not in lines

    if not edit.conflicts:  # then every cluster name already resolves to its spec address
        for name, address in entries:
            wanted = ipaddress.ip_address(address)
            assert _resolve(edit.text, name, wanted.version) == wanted


@given(_hosts_text(), _entries)
def test_property_replace_conflicts_loses_nothing_and_resolves(
    parts: tuple[str, str | None, str], entries: list[tuple[str, str]]
) -> None:
    text = "".join(p for p in parts if p)
    reported = update_hosts(text, entries)
    edit = update_hosts(text, entries, replace_conflicts=True)
    assert edit.conflicts == ()
    assert edit.replaced == reported.conflicts
    again = update_hosts(edit.text, entries, replace_conflicts=True)
    assert (again.text, again.changed, again.replaced) == (edit.text, False, ())

    cluster = {n.lower() for n, _ in entries}
    for old, new in zip(_lines_outside_block(text), _lines_outside_block(edit.text), strict=True):
        if new in (old, "# glustercheck: " + old):
            continue
        # Only cluster names were removed: same address, same comment, other names kept in order.
        assert old.partition("#")[1:] == new.partition("#")[1:]
        old_fields, new_fields = _fields(old), _fields(new)
        assert new_fields[0] == old_fields[0]
        kept = iter(new_fields[1:])
        wanted, removed = next(kept, None), []
        for field in old_fields[1:]:
            if field == wanted:
                wanted = next(kept, None)
            else:
                removed.append(field.lower())
        assert wanted is None
        assert removed
        assert set(removed) <= cluster

    for name, address in entries:
        wanted = ipaddress.ip_address(address)
        assert _resolve(edit.text, name, wanted.version) == wanted
