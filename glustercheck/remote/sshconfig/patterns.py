"""OpenSSH's wildcard patterns (match.c): `*` any run, `?` one character, `!` negates."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def match_pattern(text: str, pattern: str) -> bool:
    """One pattern, case-sensitive, against the whole of `text`."""
    return _compiled(pattern).fullmatch(text) is not None


def match_pattern_list(text: str, patterns: str, *, lower: bool = False) -> int:
    """A comma-separated list: -1 if a negated pattern matches, 1 if a plain one does, else 0.

    `lower` lowercases the patterns (OpenSSH does so for host names, which it lowercases too).
    """
    positive = 0
    for item in patterns.split(","):
        negated = item.startswith("!")
        sub = item[1:] if negated else item
        if lower:
            sub = sub.lower()
        if match_pattern(text, sub):
            if negated:
                return -1
            positive = 1
    return positive


def match_hostname(host: str, patterns: str) -> bool:
    """`Match host` / `Match originalhost`: case-insensitive, comma list, `!` vetoes."""
    return match_pattern_list(host.lower(), patterns, lower=True) == 1


def host_line_matches(host: str, patterns: Iterable[str]) -> bool:
    """A `Host` line: each word a pattern (commas are literal here), case-sensitive.

    Active if some plain pattern matches and no negated one does.
    """
    active = False
    for word in patterns:
        negated = word.startswith("!")
        if match_pattern(host, word[1:] if negated else word):
            if negated:
                return False
            active = True
    return active
