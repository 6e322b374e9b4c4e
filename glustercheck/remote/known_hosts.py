"""known_hosts files as OpenSSH reads them: patterns with `*`, `?` and `!`, hashed names, markers.

paramiko's HostKeys knows neither patterns nor `@revoked`, and stops on some malformed lines;
this reader skips what it cannot use (as ssh does) and remembers where each key came from.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .sshconfig.patterns import match_pattern_list


@dataclass(frozen=True)
class KnownKey:
    """One usable known_hosts line that names the host."""

    path: Path
    line: int
    key_type: str
    blob: bytes
    revoked: bool = False

    @property
    def where(self) -> str:
        return f"{self.path} line {self.line}"


def keys_for(name: str, files: Iterable[Path]) -> list[KnownKey]:
    """Every key the files hold for `name` (`host` or `[host]:port`, as known_hosts writes it)."""
    found: list[KnownKey] = []
    for path in files:
        found.extend(_keys_in(path, name.lower()))
    return found


def _keys_in(path: Path, name: str) -> Iterator[KnownKey]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split()
        if not fields or fields[0].startswith("#"):
            continue
        marker = fields.pop(0) if fields[0].startswith("@") else None
        if marker not in (None, "@revoked") or len(fields) < 3:
            continue  # @cert-authority lines need certificates, which this tool does not use
        names, key_type, data = fields[:3]
        if not _names_match(names, name):
            continue
        try:
            blob = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            continue
        yield KnownKey(path, number, key_type, blob, revoked=marker == "@revoked")


def _names_match(names: str, name: str) -> bool:
    if names.startswith("|1|"):
        return _hashed_match(names, name)
    return match_pattern_list(name, names, lower=True) == 1


def _hashed_match(entry: str, name: str) -> bool:
    """`|1|salt|hash`: HMAC-SHA1 of the name keyed with the salt (HashKnownHosts yes)."""
    try:
        _, _, salt64, hash64 = entry.split("|", 3)
        salt, expected = base64.b64decode(salt64), base64.b64decode(hash64)
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(hmac.new(salt, name.encode(), hashlib.sha1).digest(), expected)


def hashed_name(name: str) -> str:
    salt = secrets.token_bytes(20)
    digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def append_key(path: Path, name: str, key_type: str, blob: bytes, *, hashed: bool = False) -> None:
    """Add one line (StrictHostKeyChecking accept-new), creating the file and ~/.ssh if needed."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = f"{hashed_name(name) if hashed else name} {key_type} {base64.b64encode(blob).decode()}\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(line)
