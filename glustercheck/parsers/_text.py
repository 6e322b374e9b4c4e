"""A line cursor for the plain-text parsers: every error names the command and the line."""

from __future__ import annotations

import re

from glustercheck.errors import ParseError
from glustercheck.parsers._common import fail, unexpected


class Lines:
    """The output's lines, right-stripped (gluster leaves trailing spaces), with a position."""

    def __init__(self, text: str, command: str) -> None:
        self.command = command
        self.lines = [line.rstrip() for line in text.splitlines()]
        self.pos = 0

    def peek(self) -> str | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def take(self) -> str | None:
        line = self.peek()
        if line is not None:
            self.pos += 1
        return line

    def skip_blank(self) -> None:
        while self.peek() == "":
            self.pos += 1

    def where(self) -> str:
        return f"line {self.pos + 1}"

    def error(self, expected: str) -> ParseError:
        """The error for the current line (raise the result)."""
        return fail(self.command, self.where(), expected, self.peek())

    def expect(self, pattern: re.Pattern[str], expected: str) -> re.Match[str]:
        """Match the current line against `pattern` and move past it."""
        line = self.peek()
        found = pattern.fullmatch(line) if line is not None else None
        if found is None:
            raise self.error(expected)
        self.pos += 1
        return found

    def start(self, pattern: re.Pattern[str], expected: str) -> re.Match[str]:
        """`expect` for the first line, where gluster puts its error messages instead."""
        self.skip_blank()
        line = self.peek()
        found = pattern.fullmatch(line) if line is not None else None
        if found is None:
            rest = "\n".join(self.lines[self.pos :])
            raise unexpected(self.command, self.where(), expected, rest)
        self.pos += 1
        return found
