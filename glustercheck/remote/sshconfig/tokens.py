"""`%` tokens and `${VAR}` in ssh_config values (ssh_config(5), TOKENS), and `~`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from .errors import SshConfigError

# What HostName may use; ProxyCommand's set; what file names (IdentityFile, ...) may use.
HOSTNAME_TOKENS = frozenset("h%")
PROXY_COMMAND_TOKENS = frozenset("hnpr%")
FILE_TOKENS = frozenset("CdhijkLlnpru%")

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def percent_expand(value: str, tokens: Mapping[str, str], allowed: frozenset[str], *, what: str) -> str:
    """Replace `%x` by `tokens[x]`; an unknown or disallowed token is an error, as in ssh."""
    out: list[str] = []
    i = 0
    while i < len(value):
        c = value[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(value):
            raise SshConfigError(f"{what}: {value!r} ends with a lone '%' (write %% for a literal %)")
        key = value[i + 1]
        if key == "%":
            out.append("%")
        elif key in allowed and key in tokens:
            out.append(tokens[key])
        else:
            allowed_list = " ".join(f"%{k}" for k in sorted(allowed))
            raise SshConfigError(f"{what}: unknown token %{key} in {value!r} (allowed here: {allowed_list})")
        i += 2
    return "".join(out)


def env_expand(value: str, *, what: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace `${VAR}`; an unset variable is an error, as in ssh."""
    env = os.environ if environ is None else environ

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise SshConfigError(f"{what}: environment variable {name} in {value!r} is not set")
        return env[name]

    return _ENV.sub(one, value)


def tilde_expand(value: str, home: Path) -> str:
    """`~` and `~/x` are `home`; `~user/x` is that user's home directory."""
    if value == "~" or value.startswith("~/"):
        return str(home) + value[1:]
    if value.startswith("~"):
        expanded = os.path.expanduser(value)
        if expanded == value:
            raise SshConfigError(f"{value!r}: no such user for '~'")
        return expanded
    return value


def expand_path(value: str, tokens: Mapping[str, str], home: Path, *, what: str) -> Path:
    """A file name as ssh expands IdentityFile and UserKnownHostsFile: ~, then %, then ${}."""
    expanded = percent_expand(tilde_expand(value, home), tokens, FILE_TOKENS, what=what)
    return Path(env_expand(expanded, what=what))
