"""Helpers shared by the plain-text and the XML parsers: error building and small value readers."""

from __future__ import annotations

import re

from glustercheck.errors import ParseError

_SHOWN = 120  # characters of an offending line or value quoted in a message
_MESSAGE_LINES = 5  # a gluster error message is a line or two; more is not a message


class GlusterError(ParseError):
    """Gluster answered with an error message instead of the expected output.

    `message` is gluster's own text (e.g. "Another transaction is in progress for gv. Please try
    again after some time."), so callers can decide to retry without parsing our wording.
    """

    def __init__(self, command: str, where: str, expected: str, message: str) -> None:
        self.command = command
        self.message = message
        super().__init__(f"{command}: {where}: expected {expected}; gluster said: {message}")


def shown(value: str) -> str:
    """`value` quoted for an error message, shortened if long."""
    if len(value) > _SHOWN:
        value = value[:_SHOWN] + "..."
    return repr(value)


def fail(command: str, where: str, expected: str, got: str | None) -> ParseError:
    """A ParseError naming the command, the place and the expectation (raise the result)."""
    found = "end of output" if got is None else shown(got)
    return ParseError(f"{command}: {where}: expected {expected}, got {found}")


def unexpected(command: str, where: str, expected: str, text: str) -> ParseError:
    """The error for output that is not what `command` prints (raise the result).

    Gluster puts its own error messages (a line or two) where the output should be, also in XML
    mode; those become a GlusterError carrying the message, anything longer a plain ParseError.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and len(lines) <= _MESSAGE_LINES:
        return GlusterError(command, where, expected, " ".join(lines))
    return fail(command, where, expected, lines[0] if lines else None)


_INT = re.compile(r"-?[0-9]{1,18}", re.ASCII)  # int() would also take "٣" or 5,000 digits


def to_int(text: str, command: str, where: str, what: str) -> int:
    if not _INT.fullmatch(text):
        raise fail(command, where, what, text)
    return int(text)


def to_port(text: str, command: str, where: str) -> int | None:
    """A port column: "N/A", "0" (none) and "-1" read as None."""
    if text == "N/A":
        return None
    value = to_int(text, command, where, "a port number or N/A")
    return value if value > 0 else None


def to_pid(text: str, command: str, where: str) -> int | None:
    if text == "N/A":
        return None
    value = to_int(text, command, where, "a pid or N/A")
    return value if value > 0 else None


_SPACE = re.compile(r"\s")


def split_brick(name: str, command: str, where: str) -> tuple[str, str]:
    """`host:/path` -> (host, path). Splits at the first ":/" so IPv6 hosts stay whole."""
    host, sep, rest = name.partition(":/")
    if not sep or not host or _SPACE.search(name):
        raise fail(command, where, "a brick as HOST:/ABSOLUTE/PATH", name)
    return host, "/" + rest


# glfsheal (distribute volumes): 3.x "Volume gv is not of type replicate/disperse";
# 10.x+ "This command is supported for only volumes of replicate/disperse type. Volume gv ..."
_NOT_REPLICATED = re.compile(r"supported for only volumes? of replicate|is not of type replicate")
_NAMED = re.compile(r"Volume (\S+) is not of type")


def heal_not_applicable(message: str) -> tuple[bool, str | None]:
    """Whether a heal error message says the volume is not replicated, and the volume it names."""
    if not _NOT_REPLICATED.search(message):
        return False, None
    named = _NAMED.search(message)
    return True, named.group(1) if named else None
