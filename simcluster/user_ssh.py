"""The simulated nodes in a user's own SSH setup, reached as Pis are: ~/.ssh/config blocks
(`ProxyJump` through the first node behind a bastion), the nodes' host keys merged into a
known_hosts file, and the cluster's key loaded into a running ssh-agent.

`simcluster ssh-config` is the cluster's own file for `ssh -F` (its own known_hosts, strict);
these are for the places a user's tools read without being told: ~/.ssh/config, ~/.ssh/known_hosts
and the agent behind $SSH_AUTH_SOCK.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
import subprocess
from collections.abc import Iterable
from pathlib import Path

from simcluster.config import SimConfig

SSH_ADD_TIMEOUT = 10.0


class UserSshError(RuntimeError):
    """The user's SSH setup cannot be prepared; the message says what to do."""


def user_ssh_config(config: SimConfig, *, bastion: bool, agent: bool) -> str:
    """One `Host` block per node: HostName, User, IdentityFile (not with `agent`: the key is then
    expected in ssh-agent), and `ProxyJump <first node>` for the others when `bastion`."""
    first = config.names[0]
    lines = [f"# The simulated cluster {first}..{config.names[-1]} (simcluster user-ssh-config): "
             "append to ~/.ssh/config.",
             "# Host keys: simcluster user-ssh-config --known-hosts ~/.ssh/known_hosts"]
    if agent:
        lines.append(f"# No IdentityFile: the key {config.client_key} is expected in ssh-agent "
                     "(simcluster agent-add).")
    for index, name in enumerate(config.names):
        lines += ["", f"Host {name}", f"    HostName {config.address(index)}",
                  f"    User {config.login_user}"]
        if not agent:
            lines.append(f"    IdentityFile {config.client_key}")
        if bastion and name != first:
            lines.append(f"    ProxyJump {first}")
    return "\n".join(lines) + "\n"


def _hashed_name_matches(field: str, names: Iterable[str]) -> bool:
    """Whether a hashed known_hosts name (`|1|salt|hash`, HashKnownHosts) is one of `names`."""
    try:
        _, _, salt, digest = field.split("|")
        key, expected = base64.b64decode(salt), base64.b64decode(digest)
    except ValueError:
        return False
    return any(hmac.compare_digest(hmac.new(key, n.encode(), hashlib.sha1).digest(), expected)
               for n in names)


def _names_line(line: str, names: set[str]) -> bool:
    fields = line.split()
    if not fields or line.startswith(("#", "@")):
        return False  # comments and @cert-authority / @revoked lines are the user's business
    if fields[0].startswith("|1|"):
        return _hashed_name_matches(fields[0], names)
    return bool(names & set(fields[0].split(",")))


def merge_known_hosts(path: Path, config: SimConfig, lines: list[str]) -> int:
    """Add the nodes' host-key `lines` to `path`, dropping earlier lines for the same names and
    addresses (each `simcluster up` makes new host keys: an old line would be a MISMATCH).
    Returns how many old lines were dropped."""
    names = set(config.names) | {config.address(i) for i in range(config.count)}
    try:
        old = path.read_text().splitlines(keepends=True)
    except FileNotFoundError:
        old = []
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
    kept = [line for line in old if not _names_line(line, names)]
    if kept and not kept[-1].endswith("\n"):
        kept[-1] += "\n"
    path.write_text("".join(kept + lines))
    if not old:
        path.chmod(0o600)
    return len(old) - len(kept)


def agent_add(key: Path, socket: str | None) -> str:
    """`ssh-add KEY` against the agent at `socket` ($SSH_AUTH_SOCK); returns ssh-add's report."""
    if not socket:
        raise UserSshError("no ssh-agent to add the key to: SSH_AUTH_SOCK is not set. Start one "
                           "(eval \"$(ssh-agent)\") and run `simcluster agent-add` again in that "
                           "shell (sudo drops SSH_AUTH_SOCK: use sudo --preserve-env=SSH_AUTH_SOCK)")
    try:
        is_socket = stat.S_ISSOCK(os.stat(socket).st_mode)
    except OSError as exc:
        raise UserSshError(f"no ssh-agent at SSH_AUTH_SOCK={socket} ({exc.strerror}): the agent "
                           "has ended; start one (eval \"$(ssh-agent)\") and try again") from None
    if not is_socket:
        raise UserSshError(f"SSH_AUTH_SOCK={socket} is not a socket: point it at a running "
                           "ssh-agent's socket")
    if not key.exists():
        raise UserSshError(f"no cluster key at {key} yet: run `simcluster up` first")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SSH_AUTH_SOCK": socket}
    try:
        result = subprocess.run(["ssh-add", str(key)], env=env, capture_output=True, text=True,
                                timeout=SSH_ADD_TIMEOUT, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise UserSshError(f"the ssh-agent at {socket} did not answer within "
                           f"{SSH_ADD_TIMEOUT:g} s") from None
    except FileNotFoundError:
        raise UserSshError("ssh-add is not installed: apt-get install openssh-client") from None
    said = (result.stderr.strip() or result.stdout.strip()).splitlines()
    if result.returncode != 0:
        raise UserSshError(f"ssh-add {key} failed against the ssh-agent at {socket}: "
                           f"{' '.join(said) or f'exit status {result.returncode}'}")
    return said[-1] if said else f"Identity added: {key}"
