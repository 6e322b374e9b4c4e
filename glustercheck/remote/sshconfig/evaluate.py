"""Which lines apply to a host, and the first obtained value of each keyword (readconf.c)."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import values
from .errors import SshConfigError
from .files import ConfigFile, Include
from .lexer import Line
from .patterns import host_line_matches, match_hostname, match_pattern_list
from .tokens import HOSTNAME_TOKENS, percent_expand

_NEEDS_ARGUMENT = ("host", "originalhost", "user", "localuser", "exec")


@dataclass
class Collected:
    """What the config said for one host: first active line per keyword, as ssh keeps them."""

    first: dict[str, Line] = field(default_factory=dict)
    identity_files: list[Line] = field(default_factory=list)
    proxy_command: str | None = None  # "none" when set by ProxyJump, as in ssh
    proxy_jump: str | None = None
    want_final_pass: bool = False

    def apply(self, line: Line) -> None:
        key = line.keyword
        if key == "identityfile":
            # ssh keeps every IdentityFile, in order, without exact duplicates.
            if all(seen.args[0] != line.args[0] for seen in self.identity_files):
                self.identity_files.append(line)
        elif key == "proxycommand":
            if self.proxy_command is None:
                self.proxy_command = line.command
        elif key == "proxyjump":
            self._proxy_jump(line)
        elif key not in self.first:
            self.first[key] = line

    def _proxy_jump(self, line: Line) -> None:
        value = line.command.split("#", 1)[0].rstrip()
        if value.lower() == "none":
            if self.proxy_jump is None:
                self.proxy_jump = "none"
        elif self.proxy_command is None and self.proxy_jump is None:
            # ProxyJump and ProxyCommand exclude each other: whichever comes first wins.
            self.proxy_jump = value
            self.proxy_command = "none"

    def value(self, keyword: str) -> str | None:
        line = self.first.get(keyword)
        return line.args[0] if line is not None else None


@dataclass
class _Pass:
    host: str  # what Host lines match: the name as given, or the final hostname in a final pass
    host_arg: str  # the name as given (Match originalhost, %n)
    local_user: str
    final: bool
    collected: Collected
    active: bool = True

    def walk(self, config: ConfigFile, never: bool) -> None:
        for entry in config.entries:
            if isinstance(entry, Include):
                outer = self.active
                for included in entry.files:
                    # Included files share the block state; a Match there must not leak out.
                    self.walk(included, never or not outer)
                    self.active = outer
                continue
            if entry.keyword == "host":
                self.active = not never and host_line_matches(self.host, entry.args)
            elif entry.keyword == "match":
                self.active = self._match(entry, never) and not never
            else:
                values.check(entry)
                # In a final pass ssh has already fixed the hostname: HostName lines are moot.
                if self.active and not (self.final and entry.keyword == "hostname"):
                    self.collected.apply(entry)

    def _current_host(self) -> str:
        """`Match host` sees HostName as far as known (with %h), as ssh's match_cfg_line."""
        if self.final:
            return self.host
        hostname = self.collected.value("hostname")
        if hostname is None:
            return self.host_arg
        return percent_expand(hostname, {"h": self.host_arg}, HOSTNAME_TOKENS, what=hostname)

    def _match(self, line: Line, never: bool) -> bool:
        args = list(line.args)
        if not args:
            raise line.fail("Match needs at least one criterion")
        result = True
        count = 0
        i = 0
        while i < len(args):
            word = args[i]
            i += 1
            negate = word.startswith("!")
            criterion = (word[1:] if negate else word).lower()
            if criterion == "all":
                if count > 1 or i < len(args):
                    raise line.fail("Match all cannot be combined with other criteria")
                return result and not negate
            count += 1
            if criterion in ("canonical", "final"):
                if criterion == "final" and not negate:
                    self.collected.want_final_pass = True
                # No canonicalisation here: "canonical" holds only in the final pass, like ssh.
                if self.final == negate:
                    result = False
                continue
            if criterion not in _NEEDS_ARGUMENT:
                raise line.fail(
                    f"Match {criterion} is not supported here (supported: all, canonical, final, "
                    "host, originalhost, user, localuser)")
            if i >= len(args):
                raise line.fail(f"Match {criterion} needs an argument")
            arg = args[i]
            i += 1
            if criterion == "exec":
                if result and not never:
                    raise line.fail(
                        f'Match exec "{arg}" is not supported: glustercheck does not run commands '
                        "from ssh_config - use Host or Match host patterns, or give the values "
                        "in the spec or on the command line")
                continue
            if self._criterion(criterion, arg) == negate:
                result = False
        return result

    def _criterion(self, criterion: str, arg: str) -> bool:
        if criterion == "host":
            return match_hostname(self._current_host(), arg)
        if criterion == "originalhost":
            return match_hostname(self.host_arg, arg)
        if criterion == "user":
            user = self.collected.value("user") or self.local_user
            return match_pattern_list(user, arg) == 1
        return match_pattern_list(self.local_user, arg) == 1  # localuser


def evaluate(configs: Sequence[ConfigFile], host_arg: str, local_user: str) -> Collected:
    """Every file in order (user config first), then a final pass if a `Match final` asked."""
    collected = Collected()
    for config in configs:
        _Pass(host_arg, host_arg, local_user, False, collected).walk(config, never=False)
    if collected.want_final_pass:
        final_host = final_hostname(collected, host_arg)
        for config in configs:
            _Pass(final_host, host_arg, local_user, True, collected).walk(config, never=False)
    return collected


def final_hostname(collected: Collected, host_arg: str) -> str:
    """HostName with %h expanded; lowercased unless an address, a numeric one in canonical form
    (ssh.c's is_addr and resolve_canonicalize)."""
    raw = collected.value("hostname")
    host = host_arg if raw is None else percent_expand(raw, {"h": host_arg}, HOSTNAME_TOKENS, what="HostName")
    canonical = numeric_address(host)
    if canonical is not None and canonical.lower() != host.lower():
        return canonical
    looks_numeric = "%" in host or ":" in host or host.strip("0123456789.") == ""
    return host if canonical is not None or looks_numeric else host.lower()


def numeric_address(host: str) -> str | None:
    """`host` in canonical form if it is a numeric address (ssh accepts inet_aton's `10.1` and
    `1` too, and then connects to 10.0.0.1 and 0.0.0.1), else None. Never asks DNS."""
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return str(infos[0][4][0]) if infos else None


__all__ = ["Collected", "SshConfigError", "evaluate", "final_hostname"]
