"""A channel opened ahead (Connection.warm) serves the next command, once: no second channel
open; never on a connection not yet opened; a warm channel closed meanwhile is replaced, and one
never used is closed with the connection. Offline: paramiko's transport stood in."""

from __future__ import annotations

from pathlib import Path

import pytest

from glustercheck.remote import connection
from glustercheck.remote.connection import Connection
from glustercheck.remote.targets import ConnectOptions, SshTarget


class _Channel:
    def __init__(self, transport: _Transport) -> None:
        self.transport = transport
        self.active = True
        self.closed = False

    def get_transport(self) -> _Transport:
        return self.transport

    def close(self) -> None:
        self.closed = True


class _Transport:
    def __init__(self) -> None:
        self.opened: list[_Channel] = []

    def is_active(self) -> bool:
        return True

    def open_session(self, timeout: float | None = None) -> _Channel:
        self.opened.append(_Channel(self))
        return self.opened[-1]

    def close(self) -> None:
        pass


class _Stream:
    def close(self) -> None:
        pass


@pytest.fixture
def conn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Connection:
    monkeypatch.setattr(connection, "open_stream", lambda *_: _Stream())
    monkeypatch.setattr(connection.paramiko, "Transport", lambda stream: _Transport())
    monkeypatch.setattr(Connection, "_handshake", lambda self, transport: None)
    (tmp_path / "ssh_config").write_text("")
    options = ConnectOptions(ssh_config=tmp_path / "ssh_config", known_hosts=tmp_path / "known_hosts")
    return Connection(SshTarget("rpi1", hostname="10.0.1.1"), options)


def test_a_warm_channel_serves_the_next_command_only(conn: Connection) -> None:
    transport = conn.open()
    conn.warm()
    conn.warm()  # one spare at a time
    assert len(transport.opened) == 1  # type: ignore[attr-defined]
    assert conn._channel() is transport.opened[0]  # type: ignore[attr-defined]
    assert conn._channel() is transport.opened[1]  # type: ignore[attr-defined]
    assert len(transport.opened) == 2  # type: ignore[attr-defined]


def test_warming_a_connection_not_yet_opened_connects_nothing(conn: Connection) -> None:
    conn.warm()
    assert conn.transport is None


def test_a_warm_channel_closed_meanwhile_is_replaced(conn: Connection) -> None:
    transport = conn.open()
    conn.warm()
    stale = transport.opened[0]  # type: ignore[attr-defined]
    stale.active = False  # the server closed it
    fresh = conn._channel()
    assert fresh is not stale
    assert stale.closed


def test_a_warm_channel_never_used_is_closed_with_the_connection(conn: Connection) -> None:
    transport = conn.open()
    conn.warm()
    conn.close()
    assert transport.opened[0].closed  # type: ignore[attr-defined]
