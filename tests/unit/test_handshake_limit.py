"""At most HANDSHAKES SSH handshakes run at once in a process (CPU on both ends: 32 at once on a
2-core controller ran past the connect timeout at 64 nodes), while TCP connects are not held back."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from glustercheck.remote import connection
from glustercheck.remote.connection import Connection
from glustercheck.remote.targets import ConnectOptions, SshTarget


class _Stream:
    def close(self) -> None:
        pass


def test_handshakes_wait_for_a_turn_and_connects_do_not(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    lock = threading.Lock()
    now = {"connecting": 0, "handshaking": 0}
    most = {"connecting": 0, "handshaking": 0}

    def during(kind: str, seconds: float) -> None:
        with lock:
            now[kind] += 1
            most[kind] = max(most[kind], now[kind])
        time.sleep(seconds)
        with lock:
            now[kind] -= 1

    monkeypatch.setattr(connection, "open_stream", lambda *_: during("connecting", 0.2) or _Stream())
    monkeypatch.setattr(connection.paramiko, "Transport", lambda stream: object())
    monkeypatch.setattr(Connection, "_handshake", lambda self, transport: during("handshaking", 0.05))
    (tmp_path / "ssh_config").write_text("")
    options = ConnectOptions(ssh_config=tmp_path / "ssh_config", known_hosts=tmp_path / "known_hosts")
    nodes = [Connection(SshTarget(f"node{i:02d}", hostname=f"10.0.2.{i}"), options) for i in range(24)]
    with ThreadPoolExecutor(max_workers=24) as pool:
        list(pool.map(Connection.open, nodes))
    assert most["handshaking"] == 8
    assert most["connecting"] == 24
