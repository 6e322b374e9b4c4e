"""Read a `volume create` line the way gluster's CLI does (cli/src/cli-cmd-parser.c).

Quirks mirrored because they change what gluster does: option words may be abbreviated to any
unambiguous prefix; at most three options are read, anything after them is taken as a brick;
`arbiter`/`thin-arbiter` count only when written in full right after the replica count;
replica and stripe counts go through C `strtol` (so `2x`, `2.5` and `0x2` all mean 2) while the
other counts must be whole numbers (C syntax: `010` is 8); `force` is only the lowercase last word.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from typing import Any

from glustercheck.errors import LayoutError
from glustercheck.layout.request import CreateRequest

# Every option word of any supported version; the validator judges which version knows which.
OPTION_WORDS = (
    "replica", "stripe", "transport", "disperse", "redundancy", "disperse-data", "arbiter",
    "thin-arbiter",
)  # fmt: skip
TRANSPORTS = {"tcp": "tcp", "rdma": "rdma", "tcp,rdma": "tcp,rdma", "rdma,tcp": "tcp,rdma"}
BRICK_FORMAT = "Wrong brick type: {}, use <HOSTNAME>:<export-dir-abs-path>"
_STRTOL = re.compile(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


def c_strtol(word: str) -> int | None:
    """C `strtol(word, NULL, 0)`: the longest numeric prefix, or None when there is none."""
    m = _STRTOL.match(word)
    if not m:
        return None
    digits = m.group(2)
    value = int(digits, 16) if digits[:2].lower() == "0x" else int(digits, 8 if digits[0] == "0" else 10)
    return -value if m.group(1) == "-" else value


def c_strict_int(word: str) -> int | None:
    """gluster's `gf_string2int`: strtol over the whole word, else None."""
    m = _STRTOL.match(word)
    return c_strtol(word) if m and m.end() == len(word) else None


def _note_reading(option: str, word: str, value: int, notes: list[str]) -> None:
    if word != str(value):
        notes.append(f"gluster reads `{option} {word}` as {option} {value}; write {value} to be clear")


def split_brick(word: str) -> tuple[str, str] | None:
    """`host:/path` -> (host, path) split at the last colon as gluster does, None if malformed."""
    host, sep, path = word.rpartition(":")
    if not sep or not host or not path.startswith("/"):
        return None
    return host, path


def canonical_path(path: str) -> str:
    """gluster's `gf_canonicalize_path`: repeated and trailing slashes removed."""
    if "//" not in path and (len(path) == 1 or not path.endswith("/")):
        return path
    return "/" + "/".join(part for part in path.split("/") if part)


def canonical_brick(word: str) -> str:
    parts = split_brick(word)
    return f"{parts[0]}:{canonical_path(parts[1])}" if parts else word


def match_option(word: str) -> str | None:
    """The option `word` abbreviates (exact match wins); None if it is not an option word."""
    if word in OPTION_WORDS:
        return word
    hits = [w for w in OPTION_WORDS if word and w.startswith(word)]
    if len(hits) > 1:
        raise LayoutError(f"`{word}` is ambiguous: it could mean {' or '.join(hits)}; spell it out")
    return hits[0] if hits else None


def _strip_prefix(words: list[str]) -> list[str]:
    """Drop `gluster`, its `--options` and `volume create`, leaving NAME [options] BRICK...

    As gluster's own `parse_cmdline` (cli/src/cli.c, v11.1) does, the first `--` ends the options:
    it is dropped and every later word is kept as written, so `volume create -- --x ...` names a
    volume `--x` (which the name rules then refuse) instead of losing the word.
    """
    if "--" in words:
        end = words.index("--")
        words = [w for w in words[:end] if not w.startswith("--")] + words[end + 1 :]
    else:
        words = [w for w in words if not w.startswith("--")]
    if words[:1] == ["gluster"]:
        words = words[1:]
    if len(words) >= 2 and words[0] in ("vol", "volume") and words[1] == "create":
        words = words[2:]
    return words


def parse_create_command(words: str | Sequence[str]) -> CreateRequest:
    """Parse what a user types after `gluster` (or after `volume create`) into a CreateRequest.

    Raises LayoutError naming the word that gluster could not read either.
    """
    tokens = _strip_prefix(shlex.split(words) if isinstance(words, str) else list(words))
    if not tokens:
        raise LayoutError("no volume name: expected `volume create NAME [options] HOST:/path ...`")
    volume, rest = tokens[0], tokens[1:]
    if volume.startswith("-"):  # cli_validate_volname refuses it before reading anything else
        raise LayoutError(f"volume name {volume!r} starts with '-', which gluster reads as an option "
                          "(it prints its usage); after `--` too")
    force = bool(rest) and rest[-1] == "force"
    if force:
        rest = rest[:-1]
    values: dict[str, Any] = {}  # CreateRequest fields: counts, and transport
    given: set[str] = set()
    notes: list[str] = []
    i = _parse_options(rest, values, given, notes)
    bricks = rest[i:]
    if not bricks:
        raise LayoutError("no bricks given: expected HOST:/absolute/path words after the options")
    for word in bricks:
        if split_brick(word) is None:
            raise LayoutError(BRICK_FORMAT.format(word) + _brick_hint(word, rest, i))
    return CreateRequest(
        volume=volume,
        bricks=tuple(canonical_brick(b) for b in bricks),
        force=force,
        given=frozenset(given),
        notes=tuple(notes),
        **values,
    )


def _parse_options(words: list[str], values: dict[str, Any], given: set[str], notes: list[str]) -> int:
    """Read up to three options (gluster's limit) from `words`; return the first brick's index."""
    i = 0
    for _ in range(3):
        if i >= len(words):
            break
        option = match_option(words[i])
        if option is None:
            break
        if option in given:
            raise LayoutError(f"{option} option given twice")
        given.add(option)
        if option in ("replica", "stripe"):
            i = _loose_count(option, words, i, values, notes)
            if option == "replica":
                i = _arbiter_after_replica(words, i, values, given, notes)
        elif option in ("arbiter", "thin-arbiter"):
            raise LayoutError(
                f"{option} option must be preceded by replica option. "
                f"(write `{option} 1` in full right after `replica N`)"
            )
        elif option == "transport":
            value = words[i + 1].lower() if i + 1 < len(words) else ""
            if value not in TRANSPORTS:
                raise LayoutError(f"transport must be tcp, rdma or tcp,rdma, not {value or 'nothing'!r}")
            values["transport"] = TRANSPORTS[value]
            i += 2
        elif option == "disperse":
            count = c_strict_int(words[i + 1]) if i + 1 < len(words) else None
            if count is None:  # `disperse` without a count: all bricks form one set
                i += 1
            else:
                _note_reading(option, words[i + 1], count, notes)
                given.add("disperse-count")
                values["disperse"] = count
                i += 2
        else:  # disperse-data, redundancy: whole numbers required
            word = words[i + 1] if i + 1 < len(words) else ""
            count = c_strict_int(word)
            if count is None:
                raise LayoutError(f"{option} needs a whole number, got {word or 'nothing'!r}")
            _note_reading(option, word, count, notes)
            values[option.replace("-", "_")] = count
            i += 2
    return i


def _loose_count(option: str, words: list[str], i: int, values: dict[str, Any],
                 notes: list[str]) -> int:
    word = words[i + 1] if i + 1 < len(words) else ""
    count = c_strtol(word)
    if count is None:
        raise LayoutError(f"`{option}` needs a count (e.g. `{option} 3`), got {word or 'nothing'!r}")
    _note_reading(option, word, count, notes)
    values[option] = count
    return i + 2


def _arbiter_after_replica(words: list[str], i: int, values: dict[str, Any], given: set[str],
                           notes: list[str]) -> int:
    if i >= len(words) or words[i] not in ("arbiter", "thin-arbiter"):
        return i
    option, word = words[i], (words[i + 1] if i + 1 < len(words) else "")
    count = c_strict_int(word)
    if count is None:
        raise LayoutError(f"{option} needs a count (`{option} 1`), got {word or 'nothing'!r}")
    _note_reading(option, word, count, notes)
    given.add(option)
    values[option.replace("-", "_")] = count
    return i + 2


def _brick_hint(word: str, words: list[str], first_brick: int) -> str:
    if word.lower() == "force":
        return " (`force` is only understood as the last word, in lowercase)"
    if first_brick > 0 and words[first_brick] == word and any(w.startswith(word) for w in OPTION_WORDS):
        return " (gluster reads at most three options; the rest must be bricks)"
    if ":" in word and not word.rpartition(":")[2].startswith("/"):
        return " (the brick path must be absolute, e.g. server1:/bricks/gv)"
    if word.lower() in OPTION_WORDS:
        return " (option words are lowercase)"
    return ""
