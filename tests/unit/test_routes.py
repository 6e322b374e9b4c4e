"""The byte stream a direct SSH session runs over (glustercheck.remote.routes.open_stream)."""

from __future__ import annotations

import socket

from glustercheck.remote.routes import open_stream
from glustercheck.remote.targets import ResolvedTarget


class NoJumps:
    def transport(self, hop: ResolvedTarget) -> object:
        raise AssertionError(f"a direct target needs no jump host, asked for {hop.label}")


def test_a_direct_connection_sends_small_packets_at_once() -> None:
    """SSH waits for an answer to each small request; with Nagle's algorithm on, a request sent
    while the previous one is unacknowledged waits for a delayed ACK (measured: 40 ms more per
    login). The socket handed to paramiko has TCP_NODELAY set."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        target = ResolvedTarget(name="rpi0", hostname="127.0.0.1", user="pi", port=port,
                                connect_timeout=5)
        stream = open_stream(target, NoJumps())
        try:
            assert isinstance(stream, socket.socket)
            assert stream.getpeername() == ("127.0.0.1", port)
            assert stream.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            stream.close()
