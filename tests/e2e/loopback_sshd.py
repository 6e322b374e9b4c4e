"""A real OpenSSH server on 127.0.0.1 for end-to-end tests of glustercheck.remote.

Everything lives in one private directory: host keys, client keys, authorized_keys, the pid
file. The server listens on 127.0.0.1 only, on a free port, and is stopped by `stop()`.
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
from dataclasses import dataclass, field
from pathlib import Path

from glustercheck.remote import SshTarget

SSHD = Path("/usr/sbin/sshd")
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on right now (the usual small race is handled by retrying)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
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
            "hostname": LOOPBACK,
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
                    f"ListenAddress {LOOPBACK}:{self.port}",
                    f"HostKey {self.host_key}",
                    f"PidFile {self.root / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.root / 'authorized'}/%u",
                    "UsePAM no",
                    "StrictModes no",
                    "PermitRootLogin prohibit-password",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "AllowTcpForwarding no",
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
            self.port = free_port()
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
                self.known_hosts.write_text(f"[{LOOPBACK}]:{self.port} {public_key(self.host_key)}\n")
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
                socket.create_connection((LOOPBACK, self.port), timeout=1) as s,
            ):
                if s.recv(64).startswith(b"SSH-2.0"):
                    return True
            time.sleep(0.05)
        return False

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


def start_sshd() -> LoopbackSshd:
    # Not under pytest's 0700 tmp tree: a throwaway non-root user must be able to reach its
    # home and authorized_keys. The keys directory itself stays 0700.
    root = Path(tempfile.mkdtemp(prefix="glustercheck-sshd-"))
    root.chmod(0o711)
    server = LoopbackSshd(root)
    server.keys.mkdir(mode=0o700)
    (root / "authorized").mkdir(mode=0o711)
    (root / "home").mkdir(mode=0o711)
    keygen(server.host_key)
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
    revoke_sudo(user)
    subprocess.run(["userdel", user], check=False, capture_output=True)
