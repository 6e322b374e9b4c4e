"""Split ssh_config lines the way OpenSSH's readconf.c does (strdelim + argv_split)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import SshConfigError

# A keyword ends at whitespace, a quote or '=' (OpenSSH's strdelim).
_KEYWORD = re.compile(r'[^\s"=]+')
_WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class Line:
    """One directive: `keyword` lowercased, `rest` the raw text after it, `args` that text split."""

    path: Path
    number: int
    keyword: str
    rest: str
    args: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.path} line {self.number}"

    @property
    def command(self) -> str:
        """The value of ProxyCommand-like keywords: the raw rest, without a leading '='."""
        return self.rest.lstrip(_WHITESPACE + "=")

    def fail(self, why: str) -> SshConfigError:
        return SshConfigError(f"{self.where}: {why}")


def split_line(text: str, path: Path, number: int) -> Line | None:
    """The directive on one line, or None for blank lines and comments."""
    text = text.rstrip(_WHITESPACE + "\f").lstrip(_WHITESPACE)
    if not text or text.startswith("#"):
        return None
    match = _KEYWORD.match(text)
    if match is None:
        raise SshConfigError(f"{path} line {number}: no keyword at the start of {text!r}")
    keyword = match.group().lower()
    rest = text[match.end():].lstrip(_WHITESPACE)
    if rest.startswith("="):  # one '=' may separate keyword and value
        rest = rest[1:].lstrip(_WHITESPACE)
    if not rest:
        raise SshConfigError(f"{path} line {number}: no argument after keyword {keyword!r}")
    line = Line(path, number, keyword, rest, ())
    return Line(path, number, keyword, rest, tuple(argv_split(rest, line)))


def argv_split(text: str, line: Line) -> list[str]:
    """Words with quotes and escapes removed; a word starting with '#' ends the line."""
    words: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t":
            i += 1
            continue
        if text[i] == "#":
            break
        word: list[str] = []
        quote = ""
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n and (text[i + 1] in "'\"\\" or (not quote and text[i + 1] == " ")):
                word.append(text[i + 1])
                i += 2
                continue
            if not quote and c in " \t":
                break
            if not quote and c in "'\"":
                quote = c
            elif quote and c == quote:
                quote = ""
            else:
                word.append(c)
            i += 1
        if quote:
            raise line.fail("unbalanced quotes")
        words.append("".join(word))
    return words
