"""The TCP leg of a direct route, without paramiko: a run dials every node while paramiko loads.

Loading paramiko costs ~70 ms of the controller's CPU before any node can be asked anything. A
socket connected meanwhile has its round trip behind it, and the node's sshd has forked for it and
sent its version string by the time paramiko starts the handshake (measured at +20 ms round trip:
the version came 50 ms after a connect made once paramiko was loaded).
"""

from __future__ import annotations

import socket
from concurrent.futures import Future

from .targets import ResolvedTarget


def is_direct(target: ResolvedTarget) -> bool:
    """Reached by a plain TCP connection (no jump host, no ProxyCommand)."""
    return target.via is None and target.proxy_command is None


def connect(target: ResolvedTarget) -> socket.socket:
    """A connected socket to `target`'s sshd; raises OSError as `socket.create_connection` does."""
    return nodelay(socket.create_connection((target.hostname, target.port),
                                            timeout=target.connect_timeout))


def nodelay(sock: socket.socket) -> socket.socket:
    """SSH is small requests, each waiting for its answer. With Nagle's algorithm on, a small
    packet sent while an earlier one is unacknowledged waits for that ACK, which the other end's
    kernel delays (up to 40 ms). Measured on simulated nodes, the login (service request and key)
    took 50 ms instead of 10 ms without added latency and 90 ms instead of 50 ms at 20 ms round
    trip. OpenSSH sets TCP_NODELAY for interactive sessions; here every command waits so."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def discard(dialed: Future[socket.socket]) -> None:
    """Close a dialed socket nobody took, once dialing has ended."""
    def close(done: Future[socket.socket]) -> None:
        if not done.cancelled() and done.exception() is None:
            done.result().close()
    dialed.add_done_callback(close)
