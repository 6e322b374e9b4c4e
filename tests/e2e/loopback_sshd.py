"""A real OpenSSH server on loopback for end-to-end tests of glustercheck.remote.

Everything lives in one private directory: host keys, client keys, authorized_keys, the pid
file. The server listens on one 127.0.0.x address only (127.0.0.1 unless told), on a free
high port, and is stopped by `stop()` (by its pid).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from glustercheck.remote import SshTarget

SSHD = Path("/usr/sbin/sshd")
LOOPBACK = "127.0.0.1"


def free_port(address: str = LOOPBACK) -> int:
    """A port nobody listens on right now (the usual small race is handled by retrying)."""
    if not address.startswith("127."):
        raise ValueError(f"tests listen on loopback only, not {address}")
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def keygen(path: Path, kind: str = "ed25519") -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "glustercheck-e2e", "-f", str(path)],
        check=True,
    )
    return path


def public_key(path: Path) -> str:
    return Path(f"{path}.pub").read_text().strip()


def openssh_fingerprint(path: Path) -> str:
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", f"{path}.pub"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()[1]


@dataclass
class LoopbackSshd:
    root: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    users: list[str] = field(default_factory=list)
    address: str = LOOPBACK
    allow_forwarding: bool = False  # a jump host must open connections onwards (ProxyJump, -W)
    rsa_host_key: bool = False  # also offer an RSA host key (after the ed25519 one)

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def host_key(self) -> Path:
        return self.keys / "ssh_host_ed25519_key"

    @property
    def client_key(self) -> Path:
        return self.keys / "client_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.keys / "known_hosts"

    @property
    def log(self) -> Path:
        return self.root / "sshd.log"

    def target(self, name: str = "loopback", **kw: object) -> SshTarget:
        values: dict[str, object] = {
            "hostname": self.address,
            "port": self.port,
            "user": "root",
            "identity_file": self.client_key,
        }
        values.update(kw)
        return SshTarget(name, **values)  # type: ignore[arg-type]

    def authorize(self, user: str, key: Path) -> None:
        """Let `user` log in with `key` (sshd reads the file as that user)."""
        entry = self.root / "authorized" / user
        entry.write_text(public_key(key) + "\n")
        pw = pwd.getpwnam(user)
        os.chown(entry, pw.pw_uid, pw.pw_gid)
        entry.chmod(0o600)

    def _write_config(self) -> Path:
        config = self.root / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"ListenAddress {self.address}:{self.port}",
                    f"HostKey {self.host_key}",
                    *([f"HostKey {self.keys / 'ssh_host_rsa_key'}"] if self.rsa_host_key else []),
                    f"PidFile {self.root / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.root / 'authorized'}/%u",
                    "UsePAM no",
                    "StrictModes no",
                    "PermitRootLogin prohibit-password",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    f"AllowTcpForwarding {'local' if self.allow_forwarding else 'no'}",
                    "X11Forwarding no",
                    "PrintMotd no",
                    "MaxStartups 100",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        return config

    def start(self) -> None:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
        for _ in range(5):
            self.port = free_port(self.address)
            config = self._write_config()
            subprocess.run([str(SSHD), "-t", "-f", str(config)], check=True)
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    [str(SSHD), "-D", "-e", "-f", str(config)],
                    stdout=log,
                    stderr=log,
                    stdin=subprocess.DEVNULL,
                )
            if self._wait_ready():
                self.known_hosts.write_text(f"{self.known_hosts_line}\n")
                return
            self.stop_process()
        raise RuntimeError(f"sshd did not start; see {self.log}:\n{self.log.read_text()}")

    def _wait_ready(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.address, self.port), timeout=1) as s,
            ):
                if s.recv(64).startswith(b"SSH-2.0"):
                    return True
            time.sleep(0.05)
        return False

    @property
    def known_hosts_line(self) -> str:
        return f"[{self.address}]:{self.port} {public_key(self.host_key)}"

    def stop_process(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def stop(self) -> None:
        self.stop_process()
        for user in self.users:
            remove_user(user)
        shutil.rmtree(self.root, ignore_errors=True)


def start_sshd(address: str = LOOPBACK, *, allow_forwarding: bool = False,
               rsa_host_key: bool = False) -> LoopbackSshd:
    # Not under pytest's 0700 tmp tree: a throwaway non-root user must be able to reach its
    # home and authorized_keys. The keys directory itself stays 0700.
    root = Path(tempfile.mkdtemp(prefix="glustercheck-sshd-"))
    root.chmod(0o711)
    server = LoopbackSshd(root, address=address, allow_forwarding=allow_forwarding, rsa_host_key=rsa_host_key)
    server.keys.mkdir(mode=0o700)
    (root / "authorized").mkdir(mode=0o711)
    (root / "home").mkdir(mode=0o711)
    keygen(server.host_key)
    if rsa_host_key:
        keygen(server.keys / "ssh_host_rsa_key", "rsa")
    keygen(server.client_key)
    try:
        server.authorize("root", server.client_key)
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


def sudoers_file(user: str) -> Path:
    return Path("/etc/sudoers.d") / user


def add_user(server: LoopbackSshd) -> str:
    """A throwaway local account (no password, key login only, home in the server dir).

    Removed again by `server.stop()`; its name says where it came from.
    """
    user = "gce2e" + secrets.token_hex(4)
    home = server.root / "home" / user
    # '*' (not useradd's locking '!') so sshd without PAM accepts key logins.
    subprocess.run(
        [
            "useradd",
            "--no-create-home",
            "--home-dir",
            str(home),
            "--shell",
            "/bin/sh",
            "--password",
            "*",
            "--comment",
            "glustercheck e2e, safe to delete",
            user,
        ],
        check=True,
    )
    server.users.append(user)
    pw = pwd.getpwnam(user)
    home.mkdir(mode=0o700)
    os.chown(home, pw.pw_uid, pw.pw_gid)
    server.authorize(user, server.client_key)
    return user


def grant_passwordless_sudo(user: str) -> None:
    write_sudoers(user, f"{user} ALL=(root) NOPASSWD: ALL\n")


def write_sudoers(user: str, rules: str) -> None:
    """Put `rules` in /etc/sudoers.d/USER (checked by visudo first); revoke_sudo removes it."""
    path = sudoers_file(user)
    staged = path.with_name(f".{user}.tmp")  # sudo ignores names with a dot
    staged.write_text(rules)
    staged.chmod(0o440)
    subprocess.run(["visudo", "-c", "-q", "-f", str(staged)], check=True)
    staged.rename(path)


def revoke_sudo(user: str) -> None:
    sudoers_file(user).unlink(missing_ok=True)


def remove_user(user: str) -> None:
    """Remove the account, waiting for its last sshd session to end (userdel refuses until then)."""
    revoke_sudo(user)
    deadline = time.monotonic() + 10
    while True:
        run = subprocess.run(["userdel", user], check=False, capture_output=True, text=True)
        if run.returncode in (0, 6):  # removed, or there is no such user
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"test user {user} could not be removed: {run.stderr.strip()}")
        time.sleep(0.1)


# --- ssh-agent and socket ownership, for the key and jump-host tests --------------------------


@contextlib.contextmanager
def running_agent() -> Iterator[str]:
    """A private ssh-agent (`ssh-agent -D -a SOCKET`), stopped by its pid at the end."""
    directory = Path(tempfile.mkdtemp(prefix="gc-agent-"))  # short: AF_UNIX paths are limited
    socket_path = directory / "agent.sock"
    process = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket_path)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not socket_path.exists():
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("ssh-agent did not start")
            time.sleep(0.02)
        yield str(socket_path)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        shutil.rmtree(directory, ignore_errors=True)


def ssh_add(agent: str, key: Path) -> None:
    subprocess.run(["ssh-add", "-q", str(key)], env={**os.environ, "SSH_AUTH_SOCK": agent},
                   stdin=subprocess.DEVNULL, check=True, capture_output=True, timeout=10)


def _hex_endpoint(address: str, port: int) -> str:
    """An IPv4 endpoint as /proc/net/tcp writes it: address bytes reversed, both in hex."""
    packed = socket.inet_aton(address)[::-1].hex().upper()
    return f"{packed}:{port:04X}"


def tcp_socket_owner(local: tuple[str, int], remote: tuple[str, int]) -> int | None:
    """The pid of a process holding the TCP connection local -> remote, if any."""
    return next(iter(tcp_socket_holders(local, remote)), None)


def tcp_socket_holders(local: tuple[str, int], remote: tuple[str, int]) -> list[int]:
    """Every process holding the TCP connection local -> remote (an sshd's monitor and its
    session child share the socket of one client), in pid order."""
    wanted = (_hex_endpoint(*local), _hex_endpoint(*remote))
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if (fields[1], fields[2]) == wanted:
            inode = fields[9]
            break
    if inode is None:
        return []
    holders = set()
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        with contextlib.suppress(OSError):
            if os.readlink(fd) == f"socket:[{inode}]":
                holders.add(int(fd.parts[2]))
    return sorted(holders)


def descends_from(pid: int, ancestor: int) -> bool:
    """Whether `ancestor` is `pid` or one of its parents."""
    while pid > 1:
        if pid == ancestor:
            return True
        stat = Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False


def connections_to(port: int) -> list[int]:
    """Local ports of this process's TCP connections to `port` (any 127.0.0.x)."""
    mine = {os.readlink(fd) for fd in Path("/proc/self/fd").iterdir() if _is_link(fd)}
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[2].endswith(f":{port:04X}") and f"socket:[{fields[9]}]" in mine:
            found.append(int(fields[1].split(":")[1], 16))
    return found


def _is_link(path: Path) -> bool:
    with contextlib.suppress(OSError):
        os.readlink(path)
        return True
    return False
