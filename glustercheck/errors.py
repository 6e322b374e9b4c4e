"""Error types. Every message is written for a cluster operator: what, where, and what to do."""

from __future__ import annotations

MAX_MESSAGE = 2000
"""Characters of a message kept for reports and terminals: parse errors quoting gluster output or
a user's input can otherwise carry megabytes into summary.json, HTML and the Nagios line."""


def cap(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text`, cut to `limit` characters with a note of how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


class GlusterCheckError(Exception):
    """Base of every error this library raises on purpose (the message is capped, see cap())."""

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (cap(args[0]),)
        super().__init__(*args)


class HostRangeError(GlusterCheckError, ValueError):
    """A `--hosts` token that cannot be expanded (names the token and why)."""


class SpecError(GlusterCheckError, ValueError):
    """A cluster spec file that is invalid (names the file, the key and the problem)."""


class ParseError(GlusterCheckError, ValueError):
    """Gluster output that does not have the expected shape (names command, place, expectation)."""


class LayoutError(GlusterCheckError, ValueError):
    """A `volume create` request that cannot even be read (unknown option, bad brick syntax)."""


class RemoteError(GlusterCheckError):
    """A remote command could not be run, timed out, or failed where failure is not expected.

    `fix`, when the raiser knows it, is the operator's next step on its own (the message already
    includes it): the diagnosis shows it as the cause's fix without cutting it out of the text."""

    def __init__(self, *args: object, fix: str | None = None) -> None:
        super().__init__(*args)
        self.fix = fix


class UnreachableError(RemoteError):
    """A node that cannot be reached over SSH (DNS, TCP, authentication or host-key failure)."""


class SudoError(RemoteError):
    """A node answers, but sudo there could not be used: the message names node, user and fix."""


class CommandTimeout(RemoteError):
    """A remote command that did not finish within its timeout (it was killed)."""
