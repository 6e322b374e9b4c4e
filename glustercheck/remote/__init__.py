"""Run commands on cluster nodes over SSH (paramiko), reached as `ssh` reaches them. A plain
library: it never imports pytest.

    options = ConnectOptions(known_hosts=Path("known_hosts"), connect_timeout=5)
    with ConnectionPool(options) as pool:
        down = {n: e for n, e in probe_all(targets, pool=pool).items() if e}
        conn = pool.get(targets[0])
        conn.check(["ls", "-l", "/bricks/gv 1"], sudo=True)
        run_gluster(conn, ["volume", "start", "gv"], write=True, lock=ClusterLock(lock_path))

Where each connection setting comes from, one rule for all of them:

    SshTarget field (command line, else spec file: first_given(cli, spec))
      > ConnectOptions field (known_hosts, strict_host_keys, connect_timeout; run-wide)
      > ssh_config (ConnectOptions.ssh_config, else ~/.ssh/config then /etc/ssh/ssh_config)
      > ssh's defaults (local user, port 22, ~/.ssh/id_*, ~/.ssh/known_hosts, strict host keys)

None means "not given" everywhere. ssh_config is read with OpenSSH's semantics (sshconfig/,
checked against `ssh -G`): Host/Match/Include, User, Port, HostName, IdentityFile,
IdentitiesOnly, IdentityAgent, ProxyJump, ProxyCommand, UserKnownHostsFile,
GlobalKnownHostsFile, StrictHostKeyChecking, ConnectTimeout, HostKeyAlias, HashKnownHosts;
other keywords are read and ignored, `Match exec` is refused. Keys: identity files and a
running ssh-agent in ssh's order. Jump hosts: direct-tcpip channels, one shared connection per
jump host in a pool. sudo: `sudo -n [-u sudo_user]` for commands that need it.
Host specs (`ssh://pi@rpi0:2222?sudo=true`): parse_hostspec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glustercheck.lazy_exports import lazy_attributes

if TYPE_CHECKING:
    from glustercheck.errors import SudoError

    from .connection import Connection, JumpConnections
    from .gluster import ClusterLock, GlusterError, Runner, is_busy, retrying_gluster_sh, run_gluster
    from .hostkeys import fingerprint
    from .hostspec import HostSpec, HostSpecError, HostSpecOptions, UnsupportedSchemeError, parse_hostspec
    from .limits import ensure_open_files
    from .pool import ConnectionPool, probe, probe_all
    from .quoting import format_command, quote
    from .result import CommandFailed, CommandResult
    from .sshconfig import HostConfig, HostKeyChecking, SshConfig, SshConfigError
    from .targets import ConnectOptions, ResolvedTarget, SshTarget, first_given, resolve

# Each name is imported from its module on first use (PEP 562): paramiko and the crypto it pulls
# in cost ~0.2 s, which a run that only collects, or only quotes a command, never needs.
_HOME = {
    "SudoError": "glustercheck.errors",
    **dict.fromkeys(("Connection", "JumpConnections"), ".connection"),
    **dict.fromkeys(("ClusterLock", "GlusterError", "Runner", "is_busy", "retrying_gluster_sh",
                     "run_gluster"), ".gluster"),
    "fingerprint": ".hostkeys",
    **dict.fromkeys(("HostSpec", "HostSpecError", "HostSpecOptions", "UnsupportedSchemeError",
                     "parse_hostspec"), ".hostspec"),
    "ensure_open_files": ".limits",
    **dict.fromkeys(("ConnectionPool", "probe", "probe_all"), ".pool"),
    **dict.fromkeys(("format_command", "quote"), ".quoting"),
    **dict.fromkeys(("CommandFailed", "CommandResult"), ".result"),
    **dict.fromkeys(("HostConfig", "HostKeyChecking", "SshConfig", "SshConfigError"), ".sshconfig"),
    **dict.fromkeys(("ConnectOptions", "ResolvedTarget", "SshTarget", "first_given", "resolve"),
                    ".targets"),
}


__getattr__ = lazy_attributes(__name__, _HOME)


__all__ = [
    "ClusterLock",
    "CommandFailed",
    "CommandResult",
    "ConnectOptions",
    "Connection",
    "ConnectionPool",
    "GlusterError",
    "HostConfig",
    "HostKeyChecking",
    "HostSpec",
    "HostSpecError",
    "HostSpecOptions",
    "JumpConnections",
    "ResolvedTarget",
    "Runner",
    "SshConfig",
    "SshConfigError",
    "SshTarget",
    "SudoError",
    "UnsupportedSchemeError",
    "ensure_open_files",
    "fingerprint",
    "first_given",
    "format_command",
    "is_busy",
    "parse_hostspec",
    "probe",
    "probe_all",
    "quote",
    "resolve",
    "retrying_gluster_sh",
    "run_gluster",
]
