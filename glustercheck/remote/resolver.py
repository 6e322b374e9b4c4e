"""Turn an SshTarget into a ResolvedTarget: given fields, then ssh_config, then defaults."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pwd
import socket
from collections.abc import Mapping
from pathlib import Path

from .jumps import JumpHop, parse_proxy_jump
from .sshconfig import HostConfig, HostKeyChecking, SshConfig, SshConfigError
from .sshconfig.tokens import PROXY_COMMAND_TOKENS, env_expand, expand_path, percent_expand, tilde_expand
from .targets import DEFAULT_CONNECT_TIMEOUT, AgentSource, ConnectOptions, ResolvedTarget, SshTarget

# ssh's identities when none is configured (OpenSSH 9.2, in this order).
DEFAULT_IDENTITIES = ("id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss", "id_dsa")
DEFAULT_USER_KNOWN_HOSTS = ("~/.ssh/known_hosts", "~/.ssh/known_hosts2")
DEFAULT_GLOBAL_KNOWN_HOSTS = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
# A chain deeper than this is a loop in all but name.
MAX_JUMPS = 8


def local_user() -> str:
    """The login name of this process's user, as ssh takes it (from the passwd entry)."""
    return pwd.getpwuid(os.getuid()).pw_name


def home() -> Path:
    """Where `~` points. $HOME, as Python and most tools (ssh itself uses the passwd entry)."""
    return Path.home()


class Resolver:
    """Resolves targets against one reading of the ssh_config files."""

    def __init__(self, options: ConnectOptions, config: SshConfig | None = None) -> None:
        self.options = options
        self.home = home()
        self.local_user = local_user()
        self.config = config or SshConfig.load(
            options.ssh_config, home=self.home, local_user=self.local_user,
            system=options.system_ssh_config)

    def resolve(self, target: SshTarget) -> ResolvedTarget:
        return self._resolve(target, chain=())

    def _resolve(self, target: SshTarget, chain: tuple[str, ...]) -> ResolvedTarget:
        if target.name in chain:
            loop = " -> ".join((*chain, target.name))
            raise SshConfigError(
                f"ProxyJump loop: {loop} - keep the jump host out of the Host pattern that sets "
                f"ProxyJump (e.g. `Host rpi* !{target.name}`) or give it `ProxyJump none`")
        if len(chain) > MAX_JUMPS:
            raise SshConfigError(f"{chain[0]}: more than {MAX_JUMPS} jump hosts ({' -> '.join(chain)})")
        found = self.config.lookup(target.name)
        hostname = target.hostname or found.hostname
        user = target.user or found.user or self.local_user
        port = target.port or found.port or 22
        jump = target.proxy_jump if target.proxy_jump is not None else found.proxy_jump
        hops = parse_proxy_jump(jump, where=target.name) if jump else ()
        tokens = self._tokens(target.name, found, hostname=hostname, user=user, port=port, hops=hops)
        identities, defaults = self._identities(target, found, tokens)
        agent, agent_source = self._agent(found, tokens)
        resolved = ResolvedTarget(
            name=target.name,
            hostname=hostname,
            user=user,
            port=port,
            identity_files=identities,
            sudo=target.sudo if target.sudo is not None
            else bool(self.options.sudo_when_not_root and user != "root"),
            known_hosts=self._user_known_hosts(found, tokens),
            global_known_hosts=self._files(found.global_known_hosts_files or DEFAULT_GLOBAL_KNOWN_HOSTS,
                                           tokens, "GlobalKnownHostsFile"),
            identities_only=bool(found.identities_only),
            default_identities=defaults,
            agent_socket=agent,
            agent_source=agent_source,
            host_key_checking=self.options.host_key_checking or found.strict_host_key_checking
            or HostKeyChecking.YES,
            host_key_alias=found.host_key_alias,
            hash_known_hosts=bool(found.hash_known_hosts),
            connect_timeout=target.connect_timeout or self.options.connect_timeout
            or found.connect_timeout or DEFAULT_CONNECT_TIMEOUT,
            sudo_user=target.sudo_user,
            config_files=tuple(self.config.paths),
        )
        if hops:
            return dataclasses.replace(resolved, via=self._chain(hops, target, (*chain, target.name)))
        if target.proxy_jump is None and found.proxy_command and found.proxy_command.lower() != "none":
            command = percent_expand(found.proxy_command, tokens, PROXY_COMMAND_TOKENS,
                                     what=f"{target.name}: ProxyCommand")
            return dataclasses.replace(resolved, proxy_command=command)
        return resolved

    def _chain(self, hops: tuple[JumpHop, ...], target: SshTarget, chain: tuple[str, ...]) -> ResolvedTarget:
        """Resolve each hop through ssh_config. The first keeps its own ProxyJump/ProxyCommand
        (as `ssh -J` does); each later one is reached through the one before it."""
        previous: ResolvedTarget | None = None
        for hop in hops:
            # The key given for the node is offered to its jump hosts too (ssh -J would not
            # pass -i on): one key for the whole cluster is the common case.
            spec = SshTarget(hop.host, user=hop.user, port=hop.port, identity_file=target.identity_file,
                             proxy_jump=None if previous is None else "none")
            resolved = self._resolve(spec, chain)
            if previous is not None:
                resolved = dataclasses.replace(resolved, via=previous, proxy_command=None)
            previous = resolved
        assert previous is not None
        return previous

    def _tokens(self, name: str, found: HostConfig, *, hostname: str, user: str, port: int,
                hops: tuple[JumpHop, ...]) -> dict[str, str]:
        local_host = socket.gethostname()
        jump = hops[-1].host if hops else ""
        return {
            "h": hostname, "n": name, "p": str(port), "r": user, "u": self.local_user,
            "d": str(self.home), "i": str(os.getuid()), "l": local_host, "L": local_host.split(".")[0],
            "k": found.host_key_alias or name, "j": jump,
            "C": hashlib.sha1(f"{local_host}{hostname}{port}{user}{jump}".encode()).hexdigest(),
        }

    def _identities(self, target: SshTarget, found: HostConfig,
                    tokens: Mapping[str, str]) -> tuple[tuple[Path, ...], bool]:
        """The given key first (as `ssh -i`), then ssh_config's; ssh's defaults if neither."""
        given = [target.identity_file.expanduser()] if target.identity_file else []
        configured = [expand_path(f, tokens, self.home, what=f"{target.name}: IdentityFile")
                      for f in found.identity_files if f.lower() != "none"]
        if given or found.identity_files:
            return tuple(dict.fromkeys([*given, *configured])), False
        return tuple(self.home / ".ssh" / name for name in DEFAULT_IDENTITIES), True

    def _agent(self, found: HostConfig, tokens: Mapping[str, str]) -> tuple[str | None, AgentSource | None]:
        """IdentityAgent: `none` disables, `SSH_AUTH_SOCK` or `$VAR` names a variable, else a path."""
        if not self.options.allow_agent:
            return None, None
        value = found.identity_agent
        if value is None or value == "SSH_AUTH_SOCK":
            return os.environ.get("SSH_AUTH_SOCK") or None, AgentSource.ENV
        if value.lower() == "none":
            return None, None
        if value.startswith("$") and not value.startswith("${"):
            return os.environ.get(value[1:]) or None, AgentSource.CONFIG
        path = percent_expand(tilde_expand(value, self.home), tokens, frozenset("CdhijkLlnpru%"),
                              what="IdentityAgent")
        return env_expand(path, what="IdentityAgent"), AgentSource.CONFIG

    def _user_known_hosts(self, found: HostConfig, tokens: Mapping[str, str]) -> tuple[Path, ...]:
        if self.options.known_hosts is not None:
            return (self.options.known_hosts.expanduser(),)
        return self._files(found.user_known_hosts_files or DEFAULT_USER_KNOWN_HOSTS, tokens,
                           "UserKnownHostsFile")

    def _files(self, names: tuple[str, ...], tokens: Mapping[str, str], what: str) -> tuple[Path, ...]:
        if names and names[0].lower() == "none":
            return ()
        return tuple(expand_path(n, tokens, self.home, what=what) for n in names)
