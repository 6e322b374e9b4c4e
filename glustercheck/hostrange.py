"""Host ranges for `--hosts`: expand `rpi0..rpi3`, `rpi[0-3,7]` and testinfra specs; compact back.

Grammar of one `--hosts` value (a comma list; commas inside `[...]` belong to the bracket):

    token    := [scheme "://"] [user "@"] hostpart [":" port] ["?" query]
    hostpart := host                       plain name or address, kept as written
              | host ".." host             both ends differ in exactly one decimal number
              | prefix "[" items "]" suffix  items := item ("," item)*; item := N | N "-" M

Only the host part is expanded; scheme, user, port and query are copied onto every result, so
`paramiko://pi@rpi0..rpi1?sudo=true` gives `paramiko://pi@rpi0?sudo=true, paramiko://pi@rpi1?...`.

- `..` ranges: both ends are split into digit and non-digit runs; they must have the same runs
  except one number. So `10.0.1.0..10.0.1.3` ranges over the last octet, and any address range
  inside one /24 works; `10.0.0.9..10.0.1.3` (two numbers differ) and `rpi0..node3` are errors.
  Dotted quad ends must stay within 0-255.
- Zero padding: a number written with a leading zero (`01`, not `0`) fixes the width, so both ends
  must then have the same number of digits (`node01..node16` gives node01..node16; `node01..node9`
  and `node[01-9]` are errors); unpadded ranges count naturally (`node9..node10`).
- Duplicates are judged by the bare host (`host_of`), since nodes are named after it.
- Bracketed IPv6 literals (`[::1]`, `paramiko://[fe80::1]:22`) are kept as written.
- The canonical compact form is the bracket form (`rpi[0-3,7]`), the only one that can express gaps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from glustercheck.errors import HostRangeError

MAX_HOSTS = 1024

_SPEC = re.compile(
    r"^(?P<head>(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?:[^@/?]*@)?)"  # scheme:// and user@
    r"(?P<host>\[[0-9A-Fa-f:.%]*:[0-9A-Fa-f:.%]*\]|[^?]*?)"  # IPv6 literal or anything up to :port
    r"(?P<tail>(?::\d+)?(?:\?.*)?)$",
)
_RUNS = re.compile(r"\d+|\D+")
_AFFIX = re.compile(r"^[A-Za-z0-9._-]*$")
_QUAD = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
MAX_DIGITS = 18  # far beyond MAX_HOSTS already (checked before generating); longer is an accident
_LONG_NUMBER = re.compile(rf"\d{{{MAX_DIGITS + 1},}}")


@dataclass(frozen=True)
class _Spec:
    head: str  # "paramiko://pi@" or ""
    host: str  # host part, maybe still a range
    tail: str  # ":22?sudo=true" or ""


def _split_spec(spec: str) -> _Spec:
    m = _SPEC.match(spec)
    assert m is not None  # the host group can match anything, so the pattern always matches
    return _Spec(m["head"], m["host"], m["tail"])


def host_of(spec: str) -> str:
    """The bare host of a testinfra spec: `paramiko://pi@rpi0:22?sudo=true` -> `rpi0`.

    `local://` gives `local` (testinfra's id for it); an IPv6 literal loses its brackets.
    """
    parts = _split_spec(spec.strip())
    host = parts.host
    if host.startswith("[") and host.endswith("]") and ":" in host:
        return host[1:-1]
    if not host and parts.head.startswith("local://"):
        return "local"
    return host


def _fail(token: str, why: str) -> HostRangeError:
    return HostRangeError(f"--hosts token '{token}': {why}")


def _split_tokens(value: str) -> list[str]:
    """Split at commas that are not inside `[...]`."""
    tokens, depth, start = [], 0, 0
    for i, ch in enumerate(value):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth <= 0:
            tokens.append(value[start:i])
            start, depth = i + 1, 0
    tokens.append(value[start:])
    return tokens


def _padded(digits: str) -> bool:
    return len(digits) > 1 and digits.startswith("0")


def _numbers(token: str, first: str, last: str, ends: str) -> tuple[int, int, int]:
    """(start, stop, width) of the range first..last; width 0 means unpadded.

    `ends` names the two ends for messages, e.g. "rpi3..rpi0"."""
    lo, hi = int(first), int(last)
    if _padded(first) or _padded(last):
        if len(first) != len(last):
            why = (
                f"zero padding differs between {first!r} and {last!r}: a number with a leading"
                " zero fixes the width, so both ends need the same number of digits"
            )
            raise _fail(token, why)
        width = len(first)
    else:
        width = 0
    if lo > hi:
        raise _fail(token, f"reversed range {ends}: the start is above the end")
    return lo, hi, width


def _dot_range(token: str, host: str) -> tuple[str, str, int, int, int]:
    left, _, right = host.partition("..")
    if not left or not right:
        raise _fail(token, f"open range {host!r}: both ends are needed, e.g. rpi0..rpi3")
    if ".." in right or "[" in host:
        raise _fail(token, f"{host!r} mixes range forms; use one '..' or one '[...]' per token")
    a, b = _RUNS.findall(left), _RUNS.findall(right)
    kinds_differ = [x[0].isdigit() for x in a] != [y[0].isdigit() for y in b]
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    if kinds_differ or any(not a[i][0].isdigit() for i in diff):
        raise _fail(token, f"{left!r} and {right!r} differ in more than a number (prefix/suffix)")
    if len(diff) > 1:
        raise _fail(token, f"{left!r} and {right!r} differ in more than one number")
    if _QUAD.match(left) and _QUAD.match(right):
        bad = [part for part in (left, right) if any(int(o) > 255 for o in part.split("."))]
        if bad:
            raise _fail(token, f"{bad[0]!r} is not an IPv4 address (octet above 255)")
    digit_runs = [i for i, run in enumerate(a) if run[0].isdigit()]
    if not digit_runs:
        raise _fail(token, f"{host!r} has no number to range over")
    idx = diff[0] if diff else digit_runs[-1]
    prefix, suffix = "".join(a[:idx]), "".join(a[idx + 1 :])
    return (prefix, suffix, *_numbers(token, a[idx], b[idx], host))


def _bracket_items(token: str, host: str) -> tuple[str, str, list[tuple[int, int, int]]]:
    m = re.fullmatch(r"([^\[\]]*)\[([^\[\]]*)\]([^\[\]]*)", host)
    if m is None:
        raise _fail(token, f"{host!r}: unbalanced brackets or more than one '[...]' group")
    prefix, body, suffix = m.groups()
    if ".." in host:
        raise _fail(token, f"{host!r} mixes range forms; use one '..' or one '[...]' per token")
    if not body.strip():
        raise _fail(token, "empty brackets '[]'")
    items = []
    for item in body.split(","):
        first, dash, last = item.strip().partition("-")
        if dash and (not first or not last):
            raise _fail(token, f"open range '[{item}]': both ends are needed, e.g. [0-3]")
        if not first:
            raise _fail(token, f"empty item in '[{body}]'")
        if not (first.isdigit() and (not dash or last.isdigit())):
            raise _fail(token, f"'{item}' in '[{body}]' is not a number or a range N-M")
        if not dash:  # a single number is kept exactly as written (padding included)
            items.append((int(first), int(first), len(first) if _padded(first) else 0))
        else:
            items.append(_numbers(token, first, last, f"[{item}]"))
    return prefix, suffix, items


def _expand_host(token: str, host: str, budget: int) -> Iterator[str]:
    """Yield the hosts of one host part; fail before generating more than `budget` of them."""
    if ".." not in host and "[" not in host and "]" not in host:
        yield host
        return
    long_number = _LONG_NUMBER.search(host)
    if long_number:  # also keeps int() below Python's 4300-digit conversion limit
        digits = long_number[0]
        why = f"the number {digits[:24]}... has {len(digits)} digits; a range counts with at most"
        raise _fail(token[:200] + ("..." if len(token) > 200 else ""), f"{why} {MAX_DIGITS}")
    if ".." in host:
        prefix, suffix, lo, hi, width = _dot_range(token, host)
        items = [(lo, hi, width)]
    else:
        prefix, suffix, items = _bracket_items(token, host)
    for affix in (prefix, suffix):
        if not _AFFIX.match(affix):
            raise _fail(token, f"{affix!r} around the range is not a host name part")
    count = sum(hi - lo + 1 for lo, hi, _ in items)
    if count > budget:  # checked before generating, so `node0..node99999999` costs nothing
        why = f"expands to {count} hosts; with {MAX_HOSTS - budget} before it that exceeds"
        raise _fail(token, f"{why} the limit of {MAX_HOSTS} hosts")
    for lo, hi, width in items:
        for n in range(lo, hi + 1):
            yield f"{prefix}{str(n).zfill(width)}{suffix}"


def expand_hosts(value: str) -> list[str]:
    """Expand a `--hosts` value into testinfra host specs, in input order, duplicate-free.

    Raises HostRangeError naming the offending token and why.
    """
    result: list[str] = []
    seen: dict[str, str] = {}  # bare host -> where it came from
    for number, raw in enumerate(_split_tokens(value), start=1):
        token = raw.strip()
        if not token:
            why = f"token {number} is empty (a stray comma, or no hosts at all)"
            raise HostRangeError(f"--hosts value '{value}': {why}")
        if any(ch.isspace() for ch in token):
            raise _fail(token, "white space inside a host spec")
        parts = _split_spec(token)
        if parts.host.startswith("[") and ":" in parts.host:  # IPv6 literal, no ranges in it
            hosts: Iterator[str] = iter([parts.host])
        elif not parts.host and not parts.head.startswith("local://"):
            raise _fail(token, "no host in it")
        else:
            hosts = _expand_host(token, parts.host, MAX_HOSTS - len(result))
        for host in hosts:
            if len(result) >= MAX_HOSTS:
                raise _fail(token, f"more than {MAX_HOSTS} hosts in total")
            spec = f"{parts.head}{host}{parts.tail}"
            bare = host_of(spec)
            if bare in seen:
                why = f"host {bare!r} comes from both {seen[bare]} and token {number} '{token}'"
                raise _fail(token, why)
            seen[bare] = f"token {number} '{token}'"
            result.append(spec)
    return result


# --- compaction ----------------------------------------------------------------------------


def _fits_run(first: str, last: str, nxt: str) -> bool:
    """Whether `nxt` continues the range first-last in the bracket syntax above."""
    if int(nxt) != int(last) + 1:
        return False
    if _padded(first):
        return len(nxt) == len(first)
    return not _padded(nxt)


def _bracket(numbers: list[str]) -> str:
    items: list[str] = []
    first = last = numbers[0]
    for nxt in [*numbers[1:], None]:
        if nxt is not None and _fits_run(first, last, nxt):
            last = nxt
            continue
        items.append(first if first == last else f"{first}-{last}")
        if nxt is not None:
            first = last = nxt
    return "[" + ",".join(items) + "]"


def _group_key(a: list[str], b: list[str]) -> int | None:
    """Index of the one digit run in which hosts a and b differ, if that is all that differs."""
    if len(a) != len(b):
        return None
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) == 1 and a[diff[0]].isdigit() and b[diff[0]].isdigit():
        return diff[0]
    return None


def _continues(first: tuple[_Spec, list[str]], other: tuple[_Spec, list[str]], idx: int) -> bool:
    """Whether `other` fits the group started by `first`, varying only digit run `idx`."""
    (a, runs), (b, others) = first, other
    return (
        (a.head, a.tail) == (b.head, b.tail)
        and len(runs) == len(others)
        and others[idx].isdigit()
        and all(x == y for k, (x, y) in enumerate(zip(runs, others, strict=True)) if k != idx)
    )


def compact_hosts(hosts: Sequence[str]) -> str:
    """The canonical compact `--hosts` form of a duplicate-free host (or spec) list.

    Consecutive entries that differ only in one number (same scheme, user, port and query) become
    one bracket token: `rpi0,rpi1,rpi2,rpi3,rpi7` -> `rpi[0-3,7]`. Order is kept, so
    `expand_hosts(compact_hosts(x)) == x`. Raises HostRangeError for entries that cannot be
    written back (empty, containing `,`, `..`, brackets or spaces) and for duplicates.
    """
    parsed = []
    seen: set[str] = set()
    for spec in hosts:
        parts = _split_spec(spec)
        ipv6 = parts.host.startswith("[") and ":" in parts.host
        bad = (",", "..", "[", "]", " ")
        empty = not parts.host and not parts.head.startswith("local://")
        if spec != spec.strip() or empty or (not ipv6 and any(b in spec for b in bad)):
            raise _fail(spec, "cannot be written as a --hosts token")
        if host_of(spec) in seen:
            raise _fail(spec, "duplicate host")
        seen.add(host_of(spec))
        parsed.append((parts, [] if ipv6 else _RUNS.findall(parts.host)))
    tokens: list[str] = []
    i = 0
    while i < len(parsed):
        parts, runs = parsed[i]
        j, idx = i + 1, None
        if j < len(parsed) and parsed[j][0].head == parts.head and parsed[j][0].tail == parts.tail:
            idx = _group_key(runs, parsed[j][1])
        if idx is None:
            tokens.append(f"{parts.head}{parts.host}{parts.tail}")
            i += 1
            continue
        while j < len(parsed) and _continues(parsed[i], parsed[j], idx):
            j += 1
        numbers = [parsed[k][1][idx] for k in range(i, j)]
        host = "".join(runs[:idx]) + _bracket(numbers) + "".join(runs[idx + 1 :])
        tokens.append(f"{parts.head}{host}{parts.tail}")
        i = j
    return ",".join(tokens)
