"""Check and convert the values of the keywords glustercheck acts on, as ssh does."""

from __future__ import annotations

import re
from enum import StrEnum

from .lexer import Line

# Keywords that take exactly one argument (more is an error in ssh: "extra arguments").
SINGLE = frozenset({
    "user", "port", "hostname", "identityfile", "identitiesonly", "identityagent",
    "stricthostkeychecking", "connecttimeout", "hostkeyalias", "batchmode", "hashknownhosts",
})
# Keywords whose arguments are a list of files; "none" may only stand alone.
FILE_LISTS = frozenset({"userknownhostsfile", "globalknownhostsfile"})
# Keywords whose value is the raw rest of the line (quotes kept).
RAW = frozenset({"proxycommand", "proxyjump"})

_TIME = re.compile(r"(\d+)([smhdw]?)", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class HostKeyChecking(StrEnum):
    """StrictHostKeyChecking, with "ask" folded into "yes": nobody answers a prompt here."""

    YES = "yes"
    ACCEPT_NEW = "accept-new"
    NO = "no"


_HOST_KEY_CHECKING = {
    "yes": HostKeyChecking.YES, "true": HostKeyChecking.YES, "ask": HostKeyChecking.YES,
    "accept-new": HostKeyChecking.ACCEPT_NEW,
    "no": HostKeyChecking.NO, "false": HostKeyChecking.NO, "off": HostKeyChecking.NO,
}


def check(line: Line) -> None:
    """Raise for a value ssh would refuse, whether or not its block applies (ssh does too)."""
    if line.keyword in SINGLE and len(line.args) != 1:
        raise line.fail(f"keyword {line.keyword} takes one argument, got {len(line.args)}: {line.rest!r}")
    if line.keyword == "port":
        port(line)
    elif line.keyword in ("identitiesonly", "batchmode", "hashknownhosts"):
        yes_no(line)
    elif line.keyword == "stricthostkeychecking":
        host_key_checking(line)
    elif line.keyword == "connecttimeout":
        seconds(line)
    elif line.keyword in FILE_LISTS:
        lowered = [a.lower() for a in line.args]
        if "none" in lowered and len(lowered) > 1:
            raise line.fail(f'keyword {line.keyword}: "none" must appear alone')


def port(line: Line) -> int:
    text = line.args[0]
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise line.fail(f"bad port {text!r} (a number from 1 to 65535)")
    return int(text)


def yes_no(line: Line) -> bool:
    value = line.args[0].lower()
    if value in ("yes", "true"):
        return True
    if value in ("no", "false"):
        return False
    raise line.fail(f"{line.keyword} is {line.args[0]!r}; expected yes or no")


def host_key_checking(line: Line) -> HostKeyChecking:
    try:
        return _HOST_KEY_CHECKING[line.args[0].lower()]
    except KeyError:
        raise line.fail(
            f"StrictHostKeyChecking is {line.args[0]!r}; expected yes, ask, accept-new, no or off") from None


def seconds(line: Line) -> float | None:
    """ConnectTimeout: `none`, or a time like 10, 90s, 1m30s (OpenSSH's convtime)."""
    text = line.args[0]
    if text == "none":
        return None
    pos, total = 0, 0
    for match in _TIME.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        pos = match.end()
    if pos != len(text) or not text:
        raise line.fail(f"ConnectTimeout {text!r} is not a time (e.g. 10, 30s, 1m)")
    return float(total)
