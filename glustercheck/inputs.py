"""One validation layer for values a user gives: node names, addresses, brick paths, volume names,
volume options, login names. Every function returns None for an acceptable value, or why gluster,
glibc, the shell or the OS would refuse or misread it (the caller says where the value came from).

Used by the spec (spec.py, also for the nodes `--hosts` adds, after remote/hostspec.py has read
the entry's syntax) and the /etc/hosts editor (hosts_file.py), so both accept the same values.
"""

from __future__ import annotations

import ipaddress
import re

from glustercheck.errors import cap
from glustercheck.glusterd_limits import (
    MAX_BRICK_PATH,
    MAX_PATH_COMPONENT,
    MAX_VOLUME_NAME,
    RESERVED_NAMES,
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_ADDRESS_CHARS = re.compile(r"[0-9A-Fa-f:.]+")
_INTERFACE = re.compile(r"[A-Za-z0-9_.-]{1,15}")  # Linux: IFNAMSIZ - 1, no '/', no white space
_VOLUME_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_OPTION_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\$?")
# glibc's /etc/hosts and Debian's default give these names a loopback address on every node
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
MAX_OPTION_VALUE = 4096
MAX_USER = 32  # useradd's limit


def shown(value: str, limit: int = 200) -> str:
    """`value` quoted for a message (control characters escaped), capped to `limit` characters."""
    return cap(repr(value), limit)


def _char_problem(text: str) -> str | None:
    """The first character a shell, a line-based file or glusterd's brick list would misread."""
    for i, char in enumerate(text):
        if char.isspace() or not char.isprintable():
            name = {" ": "a space", "\n": "a newline", "\t": "a tab", "\x00": "a NUL byte"}.get(
                char, f"the control or invisible character U+{ord(char):04X}")
            return f"{name} at position {i + 1}"
    return None


def host_name_problem(name: str) -> str | None:
    """RFC 1123 host name (as glibc's /etc/hosts and gluster's `valid_host_name` read it)."""
    bad = _char_problem(name)
    if bad:
        return f"contains {bad}; a host name has letters, digits, '-' and '.' only"
    if not name or len(name) > 253:
        return f"is {len(name)} characters long; a host name has 1 to 253"
    if name.endswith("."):
        return "ends with '.': gluster's valid_host_name refuses that (`peer probe` would too)"
    labels = name.split(".")
    wrong = next((label for label in labels if not _LABEL.fullmatch(label)), None)
    if wrong is not None:
        return (f"has the label {wrong!r}: labels are 1-63 letters, digits and '-', not starting "
                "or ending with '-'")
    if all(label.isdigit() for label in labels):
        return ("reads as an IPv4 address (glibc takes all-numeric names such as 10.1 or 7 as "
                "addresses): give the node a name and put the address in `address`")
    folded = name.casefold()
    if folded in LOOPBACK_NAMES or folded.endswith(".localhost"):
        return ("is a loopback name: every node resolves it to itself (and an /etc/hosts entry "
                "for it would take it over on every node); use the node's own name")
    return None


def address_problem(text: str) -> str | None:
    """An IPv4/IPv6 address a peer can use and /etc/hosts can hold."""
    head, percent, scope = text.partition("%")
    if percent:
        what = ("is not an interface name" if not _INTERFACE.fullmatch(scope)
                else "cannot be used")
        return (f"carries the IPv6 scope id {scope!r}, which {what}: glibc reads /etc/hosts "
                "addresses with inet_pton, which takes no scope id (the line would be ignored), and "
                "gluster peers cannot use link-local addresses; use a global or unique-local address")
    if not _ADDRESS_CHARS.fullmatch(text):
        bad = _char_problem(text)
        return f"is not an IPv4 or IPv6 address{f' (it contains {bad})' if bad else ''}"
    try:
        address: Address = ipaddress.ip_address(head)
    except ValueError:
        return "is not an IPv4 or IPv6 address"
    return usable_address_problem(address)


def usable_address_problem(address: Address) -> str | None:
    """Addresses that can never be a peer's."""
    if address.is_loopback or address.is_unspecified:
        return "is a loopback/unspecified address; peers cannot use it"
    if address.is_multicast:
        return "is a multicast address; a peer has a unicast address"
    if isinstance(address, ipaddress.IPv4Address) and (
            address == ipaddress.IPv4Address("255.255.255.255") or address.is_reserved):
        return "is a broadcast/reserved (240.0.0.0/4) address; no host can have it"
    if isinstance(address, ipaddress.IPv6Address) and address.is_link_local:
        return ("is an IPv6 link-local address, which needs a scope id that /etc/hosts and gluster "
                "peers cannot carry; use a global or unique-local address")
    return None


def brick_path_problem(path: str) -> str | None:
    """An absolute brick path that glusterd, the shell and the OS all read as written."""
    bad = _char_problem(path)
    if bad:
        return (f"contains {bad}: glusterd cuts brick paths at white space and a pasted command "
                "would split there too; use letters, digits, '/', '.', '_' and '-'")
    if not path.startswith("/"):
        return "is not an absolute path"
    if ":" in path:
        return "contains ':'; gluster splits HOST:PATH at the last colon and would misread it"
    if path == "/":
        return "is the server's root directory; use a directory on a data disk"
    if "//" in path or path.endswith("/"):
        canonical = "/" + "/".join(p for p in path.split("/") if p)
        return f"has repeated or trailing slashes; write it as {canonical!r}, as gluster shows it"
    parts = path.split("/")[1:]
    if "." in parts or ".." in parts:
        return ("has a '.' or '..' component; gluster keeps the path as written while the OS "
                "resolves it elsewhere: write the real path")
    if len(path) > MAX_BRICK_PATH:
        return f"is {len(path)} characters long; glusterd keeps at most {MAX_BRICK_PATH}"
    longest = max(parts, key=len)
    if len(longest) > MAX_PATH_COMPONENT:
        return (f"has a component of {len(longest)} characters; glusterd and Linux allow at most "
                f"{MAX_PATH_COMPONENT}")
    return None


def volume_name_problem(name: str) -> str | None:
    """A volume name gluster's CLI and glusterd both accept (the newest release's rules)."""
    if name in RESERVED_NAMES:
        return f"is a reserved word of gluster ({', '.join(RESERVED_NAMES)})"
    if not name:
        return "is empty"
    if name.startswith("-"):
        return "starts with '-', which gluster reads as an option"
    if not _VOLUME_NAME.fullmatch(name):
        bad = _char_problem(name) or next(
            f"{c!r} at position {i + 1}" for i, c in enumerate(name)
            if not (c.isascii() and (c.isalnum() or c in "_-")))
        return f"contains {bad}; gluster takes letters, digits, '_' and '-' only"
    if len(name) > MAX_VOLUME_NAME:
        return f"is {len(name)} characters long; glusterd stores at most {MAX_VOLUME_NAME}"
    return None


def option_key_problem(key: str) -> str | None:
    if not _OPTION_KEY.fullmatch(key) or len(key) > 256:
        return "is not a gluster option name (e.g. cluster.granular-entry-heal)"
    return None


def option_value_problem(value: str) -> str | None:
    """Values go to `gluster volume set` as one argument: anything printable, no line breaks."""
    if len(value) > MAX_OPTION_VALUE:
        return f"is {len(value)} characters long; at most {MAX_OPTION_VALUE}"
    for i, char in enumerate(value):
        if not char.isprintable():
            return f"contains the control or invisible character U+{ord(char):04X} at position {i + 1}"
    return None


def user_problem(user: str) -> str | None:
    """A login name ssh and sudo take as one word."""
    if not user:
        return "is empty"
    if len(user) > MAX_USER or not _USER.fullmatch(user):
        bad = _char_problem(user)
        return ((f"contains {bad}; " if bad else "")
                + f"a login name has at most {MAX_USER} letters, digits, '_', '.' and '-', "
                "not starting with '-' or '.'")
    return None
