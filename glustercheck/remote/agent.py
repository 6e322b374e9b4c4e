"""Keys from a running ssh-agent at a given socket (IdentityAgent, or SSH_AUTH_SOCK).

paramiko's Agent only reads SSH_AUTH_SOCK from the environment; IdentityAgent may name another
socket per host, and changing the environment of a threaded process is not an option.
"""

from __future__ import annotations

import socket
import struct

import paramiko
from paramiko.agent import AgentSSH

_REQUEST_IDENTITIES = 11
_IDENTITIES_ANSWER = 12


class AgentUnavailable(Exception):
    """The agent socket could not be used; the message says why, for the operator."""


class SocketAgent(AgentSSH):
    """A connection to the agent at `path`; its keys sign through it (paramiko AgentKey)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__()
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(path)
            kind, answer = self._send_message(bytes([_REQUEST_IDENTITIES]))
        except (OSError, paramiko.SSHException) as exc:
            self._sock.close()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise AgentUnavailable(f"ssh-agent at {path} cannot be used: {reason}") from exc
        if kind != _IDENTITIES_ANSWER:
            self._sock.close()
            raise AgentUnavailable(f"ssh-agent at {path} did not list its keys (answer type {kind})")
        count = answer.get_int()
        self._agent_keys = tuple(
            paramiko.AgentKey(self, answer.get_binary(), answer.get_text()) for _ in range(count))

    def get_keys(self) -> tuple[paramiko.AgentKey, ...]:
        return self._agent_keys

    def _send_message(self, msg: bytes | paramiko.Message) -> tuple[int, paramiko.Message]:
        """One request, one answer (the agent protocol's framing); AgentKey signs through this."""
        data = msg.asbytes() if isinstance(msg, paramiko.Message) else bytes(msg)
        self._sock.sendall(struct.pack(">I", len(data)) + data)
        (length,) = struct.unpack(">I", self._read(4))
        answer = paramiko.Message(self._read(length))
        return answer.get_byte()[0], answer

    def _read(self, wanted: int) -> bytes:
        chunks: list[bytes] = []
        while wanted > 0:
            chunk = self._sock.recv(wanted)
            if not chunk:
                raise paramiko.SSHException("ssh-agent closed the connection")
            chunks.append(chunk)
            wanted -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self._sock.close()
