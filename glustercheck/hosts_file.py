"""Edit a node's /etc/hosts text so the cluster names resolve to the cluster spec's addresses.

Pure: text in, text out. The cluster entries live in one managed block (BEGIN ... END), rewritten in
place or appended at the end; every byte outside it is kept, except conflicting names when the caller
asks for them to be replaced. Lines are read the way glibc's files backend reads them: `#` starts a
comment anywhere, fields are split on C `isspace`, the first field is the address, the rest are names
matched case-insensitively, and a line whose address does not parse is ignored. The block is always
written with `\\n` endings; in a CRLF file that still works, since glibc treats `\\r` as whitespace.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from glustercheck.errors import GlusterCheckError
from glustercheck.inputs import address_problem, host_name_problem, shown

BEGIN = "# BEGIN glustercheck managed block: cluster nodes (edit the cluster spec, not these lines)"
END = "# END glustercheck managed block"
COMMENTED = "# glustercheck: "

# Markers are recognised by prefix so a block written with another wording is still found.
_BEGIN_PREFIX = "# BEGIN glustercheck managed block"
_END_PREFIX = END
_WS = " \t\r\f\v"
_FIELD = re.compile(r"[^ \t\r\f\v]+")
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class HostsFileError(GlusterCheckError, ValueError):
    """A hosts file whose managed block cannot be found safely (names the marker lines), or an
    entry that would not be one valid line (names the entry)."""


@dataclass(frozen=True)
class Conflict:
    """A line outside the block that maps a cluster name to another address of the same family."""

    line_number: int  # 1-based, in the text given to update_hosts
    line: str  # without its line ending
    name: str  # the cluster name, as in the entries
    address: str  # what the line maps it to
    expected: str  # what the cluster spec says

    def describe(self) -> str:
        return (
            f"line {self.line_number} `{self.line}` maps {self.name} to {self.address}, "
            f"the cluster spec says {self.expected}"
        )


@dataclass(frozen=True)
class HostsEdit:
    text: str  # the new file content
    changed: bool
    conflicts: tuple[Conflict, ...]  # reported and left alone
    replaced: tuple[Conflict, ...]  # names removed (or lines commented out) by replace_conflicts
    missing: tuple[tuple[str, str], ...] = ()  # (name, address) no line outside the block maps right
    differences: tuple[str, ...] = ()  # what the file gets wrong, in words ("does not map rpi2 to ...")


def managed_block(entries: Sequence[tuple[str, str]]) -> str:
    """The BEGIN line, `ADDRESS<TAB>NAME` per (name, address) entry in order, and the END line."""
    _check_entries(entries)
    return "".join(f"{line}\n" for line in [BEGIN, *(f"{a}\t{n}" for n, a in entries), END])


def update_hosts(
    text: str, entries: Sequence[tuple[str, str]], *, replace_conflicts: bool = False
) -> HostsEdit:
    """Write into the managed block of `text` the entries no line outside it already maps right,
    and report (or replace) conflicting lines. A file that already lists every node correctly gets
    no block at all: lines that are right are never duplicated."""
    managed_block(entries)  # validates every entry before anything is written
    wanted = {n.lower(): (n, ipaddress.ip_address(a)) for n, a in entries}
    lines = _split_lines(text)
    span = _find_block(lines)

    outside: list[str] = []
    conflicts: list[Conflict] = []
    for number, line in enumerate(lines, 1):
        if span and span[0] <= number <= span[1]:
            if number == span[0]:
                outside.append(_BLOCK_HERE)
            continue
        found = _conflicts(number, line, wanted)
        conflicts += found
        if found and replace_conflicts:
            outside.append(_remove_names(line, {c.name.lower() for c in found}))
        else:
            outside.append(line)
    right = _mapped_right(outside, wanted)
    missing = tuple((n, a) for n, a in entries if n.lower() not in right)
    block = managed_block(missing) if missing else ""
    if _BLOCK_HERE in outside:
        out = [block if line is _BLOCK_HERE else line for line in outside]
    else:
        out = list(outside)
        if block:
            if out and not out[-1].endswith("\n"):
                out.append("\n")
            out.append(block)

    new = "".join(out)
    done = tuple(conflicts)
    old_block = _block_entries(lines[span[0]:span[1] - 1]) if span else None
    return HostsEdit(
        text=new,
        changed=new != text,
        conflicts=() if replace_conflicts else done,
        replaced=done if replace_conflicts else (),
        missing=missing,
        differences=_differences(old_block, missing),
    )


def _block_entries(lines: Sequence[str]) -> dict[str, tuple[str, str]]:
    """name (lowercase) -> (name, address) as a managed block lists them."""
    found: dict[str, tuple[str, str]] = {}
    for line in lines:
        fields = _fields(line)
        if not fields or not _is_address(fields[0][0]):  # glibc skips such a line too
            continue
        for field in fields[1:]:
            found.setdefault(field[0].lower(), (field[0], fields[0][0]))
    return found


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _differences(old: dict[str, tuple[str, str]] | None,
                 missing: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """What the file gets wrong, in words: names it does not map, managed-block lines that map
    a name elsewhere, block lines no longer needed."""
    if old is None:
        return (("does not map " + ", ".join(f"{n} to {a}" for n, a in missing),) if missing else ())
    out = []
    absent = [(n, a) for n, a in missing if n.lower() not in old]
    if absent:
        out.append("does not map " + ", ".join(f"{n} to {a}" for n, a in absent))
    for name, address in missing:
        was = old.get(name.lower())
        if was is not None and ipaddress.ip_address(was[1]) != ipaddress.ip_address(address):
            out.append(f"maps {name} to {was[1]} in the managed block, the spec says {address}")
    needed = {n.lower() for n, _ in missing}
    extra = [n for key, (n, _) in old.items() if key not in needed]
    if extra:
        out.append(f"lists {', '.join(extra)} in the managed block, already mapped right elsewhere "
                   "or no longer in the spec")
    return tuple(out)


_BLOCK_HERE = "\0glustercheck block\0"  # where an existing block stood (no line can equal it)


def _mapped_right(lines: Sequence[str], wanted: dict[str, tuple[str, _Address]]) -> set[str]:
    """The wanted names (lowercase) some line maps to their expected address."""
    right: set[str] = set()
    for line in lines:
        fields = _fields(line)
        if len(fields) < 2:
            continue
        try:
            address = ipaddress.ip_address(fields[0][0])
        except ValueError:
            continue
        for field in fields[1:]:
            name = field[0].lower()
            if name in wanted and wanted[name][1] == address:
                right.add(name)
    return right


@dataclass(frozen=True)
class Mapping:
    """The line a resolver reading the file top down uses for a name."""

    line_number: int
    line: str
    address: str
    in_block: bool  # inside the glustercheck managed block


def first_mapping(text: str, name: str, version: int = 4) -> Mapping | None:
    """The first line of `text` that maps `name` (any case) in the IP `version` family, as glibc's
    files backend finds it; None when no line does."""
    lines = _split_lines(text)
    try:
        span = _find_block(lines)
    except HostsFileError:
        span = None
    for number, line in enumerate(lines, 1):
        fields = _fields(line)
        if len(fields) < 2 or name.lower() not in (f[0].lower() for f in fields[1:]):
            continue
        try:
            address = ipaddress.ip_address(fields[0][0])
        except ValueError:
            continue
        if address.version == version:
            inside = span is not None and span[0] <= number <= span[1]
            return Mapping(number, _content(line), fields[0][0], inside)
    return None


def _check_entries(entries: Sequence[tuple[str, str]]) -> None:
    """Every name and address is validated before a line is written: each entry must give exactly
    one `ADDRESS<TAB>NAME` line that glibc reads back as that name and address."""
    seen: set[str] = set()
    for name, address in entries:
        entry = f"hosts entry ({shown(name)}, {shown(address)})"
        problem = host_name_problem(name)
        if problem:
            raise HostsFileError(f"{entry}: the name {problem}; nothing was written")
        problem = address_problem(address)
        if problem:
            raise HostsFileError(f"{entry}: the address {problem}; nothing was written")
        if name.lower() in seen:
            raise HostsFileError(f"{entry}: the name appears more than once (names match "
                                 "case-insensitively); nothing was written")
        seen.add(name.lower())


def _split_lines(text: str) -> list[str]:
    """Lines with their endings; only `\\n` ends a line (str.splitlines also splits on \\f, \\x1c...)."""
    lines = [f"{part}\n" for part in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _content(line: str) -> str:
    return line.removesuffix("\n").removesuffix("\r")


def _find_block(lines: list[str]) -> tuple[int, int] | None:
    """1-based (BEGIN, END) line numbers, or None without markers; anything else is an error."""
    begins = [i for i, line in enumerate(lines, 1) if line.strip(_WS + "\n").startswith(_BEGIN_PREFIX)]
    ends = [i for i, line in enumerate(lines, 1) if line.strip(_WS + "\n").startswith(_END_PREFIX)]
    if not begins and not ends:
        return None
    if len(begins) == 1 and len(ends) == 1 and begins[0] < ends[0]:
        return begins[0], ends[0]
    where = ", ".join(f"BEGIN on line {i}" for i in begins) or "no BEGIN line"
    where += "; " + (", ".join(f"END on line {i}" for i in ends) or "no END line")
    raise HostsFileError(
        f"hosts file has a malformed glustercheck managed block ({where}): fix the file by hand so it "
        f"has one `{_BEGIN_PREFIX}` line followed by one `{END}` line, or neither, then run again"
    )


def _fields(line: str) -> list[re.Match[str]]:
    return list(_FIELD.finditer(line.split("#", 1)[0].removesuffix("\n")))


def _conflicts(
    number: int, line: str, wanted: dict[str, tuple[str, _Address]]
) -> list[Conflict]:
    fields = _fields(line)
    if len(fields) < 2:
        return []
    try:
        address = ipaddress.ip_address(fields[0][0])
    except ValueError:
        return []  # glibc skips such lines too
    found: dict[str, Conflict] = {}
    for field in fields[1:]:
        name, expected = wanted.get(field[0].lower(), (None, None))
        if name and expected and expected.version == address.version and expected != address:
            found.setdefault(name, Conflict(number, _content(line), name, fields[0][0], str(expected)))
    return list(found.values())


def _remove_names(line: str, names: set[str]) -> str:
    """`line` without the fields in `names`, keeping its spacing; commented out if no name is left."""
    if all(f[0].lower() in names for f in _fields(line)[1:]):
        return COMMENTED + line
    while True:
        fields = _fields(line)
        doomed = [i for i, f in enumerate(fields) if i and f[0].lower() in names]
        if not doomed:
            return line
        i = doomed[-1]
        # Drop the field with the whitespace after it, or before it when it is the last field, so
        # `127.0.1.1\trpi0 rpi0.lan` becomes `127.0.1.1\trpi0.lan`.
        if i + 1 < len(fields):
            line = line[: fields[i].start()] + line[fields[i + 1].start() :]
        else:
            line = line[: fields[i - 1].end()] + line[fields[i].end() :]
