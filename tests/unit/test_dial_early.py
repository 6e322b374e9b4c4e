"""A run dials its nodes while paramiko loads (glustercheck/remote/tcp.py): each direct node's TCP
connection is opened before paramiko is imported, and is the stream its SSH connection then uses
(no second connect); dialing's own errors read as a connect's; a process under xdist dials nothing.

In a subprocess (paramiko must not be loaded yet) against local listeners that take a connection
and close it at once: the SSH handshake then ends at once, with an UnreachableError."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from glustercheck.errors import UnreachableError
from glustercheck.remote import connection
from glustercheck.remote.connection import Connection
from glustercheck.remote.targets import ConnectOptions, SshTarget

RUN = textwrap.dedent('''
    import dataclasses, json, socket, sys, threading
    from pathlib import Path
    from glustercheck.remote import tcp
    from glustercheck.run import GlusterRun, connect_options
    from glustercheck.spec import loads_spec

    accepted = {}
    def serve(server):
        while True:
            conn, _ = server.accept()
            port = server.getsockname()[1]
            accepted[port] = accepted.get(port, 0) + 1
            conn.close()
    servers = [socket.create_server(("127.0.0.1", 0)) for _ in range(2)]
    for server in servers:
        threading.Thread(target=serve, args=(server,), daemon=True).start()
    ports = [s.getsockname()[1] for s in servers]
    Path("ssh_config").write_text("")
    spec = loads_spec('[connection]\\nssh_config = "ssh_config"\\nknown_hosts = "known_hosts"\\n'
                      'connect_timeout = 2\\n'
                      '[[nodes]]\\nname = "rpi0"\\naddress = "10.0.1.0"\\n'
                      '[[nodes]]\\nname = "rpi1"\\naddress = "10.0.1.1"\\n', Path.cwd() / "c.toml")
    spec = dataclasses.replace(spec, nodes=tuple(
        dataclasses.replace(n, ssh_host="127.0.0.1", port=p) for n, p in zip(spec.nodes, ports)))

    dialed = []
    real = tcp.connect
    def recording(target):
        dialed.append([target.port, "paramiko" in sys.modules])
        return real(target)
    tcp.connect = recording

    run = GlusterRun(spec, connect_options(spec), Path("lock"))
    if sys.argv[1] == "xdist":
        run.share_dir = Path.cwd()
    loaded_before = "paramiko" in sys.modules
    run.start_probes()
    errors = {name: type(e).__name__ for name, e in run.probe().items()}
    run.close()
    print(json.dumps({"ports": ports, "dialed": dialed, "accepted": accepted, "errors": errors,
                      "loaded_before": loaded_before}))
''')


def _run(tmp_path: Path, mode: str) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-c", RUN, mode], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60, check=False, env={"HOME": str(tmp_path),
                                                                        "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_a_run_dials_every_direct_node_before_paramiko_and_connects_over_that_socket(
        tmp_path: Path) -> None:
    seen = _run(tmp_path, "one process")
    ports = seen["ports"]
    assert seen["loaded_before"] is False
    # Each node dialed once, before paramiko was loaded, and never again.
    assert sorted(seen["dialed"]) == sorted([p, False] for p in ports)
    # One connection per node: the SSH handshake ran over the dialed socket, not a second one.
    assert seen["accepted"] == {str(p): 1 for p in ports}
    assert seen["errors"] == {"rpi0": "UnreachableError", "rpi1": "UnreachableError"}


def test_under_xdist_a_process_dials_nothing_of_its_own(tmp_path: Path) -> None:
    """A worker's probes read the controller's answers: no connection is opened ahead of them."""
    seen = _run(tmp_path, "xdist")
    # (routes.open_stream connects through tcp.connect too: those come once paramiko is loaded.)
    assert sorted(seen["dialed"]) == sorted([p, True] for p in seen["ports"])
    assert seen["accepted"] == {str(p): 1 for p in seen["ports"]}


class _Stream:
    def __init__(self, name: str) -> None:
        self.name = name

    def close(self) -> None:
        pass


def _connection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                dialed: Future[object] | None) -> tuple[Connection, list[str]]:
    """A Connection whose transports record the stream they were made on (no SSH spoken)."""
    streams: list[str] = []
    monkeypatch.setattr(connection.paramiko, "Transport",
                        lambda stream: streams.append(stream.name) or _Transport())
    monkeypatch.setattr(Connection, "_handshake", lambda self, transport: None)
    (tmp_path / "ssh_config").write_text("")
    options = ConnectOptions(ssh_config=tmp_path / "ssh_config", known_hosts=tmp_path / "known_hosts")
    return Connection(SshTarget("rpi0", hostname="10.0.1.0"), options,
                      dialed=dialed), streams  # type: ignore[arg-type]


class _Transport:
    def is_active(self) -> bool:
        return False  # every open() connects again

    def close(self) -> None:
        pass


def test_the_dialed_socket_serves_the_first_connect_only(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    dialed: Future[object] = Future()
    dialed.set_result(_Stream("dialed"))
    conn, streams = _connection(monkeypatch, tmp_path, dialed)
    monkeypatch.setattr(connection, "open_stream", lambda *_: _Stream("dialed again"))
    conn.open()  # open() closes a dead transport first: the dialed socket must survive that
    conn.open()
    assert streams == ["dialed", "dialed again"]


def test_a_dialing_error_reads_as_the_connects_own(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    refused = ConnectionRefusedError(111, "Connection refused")

    def refuse(*_: object) -> object:
        raise refused

    monkeypatch.setattr(connection, "open_stream", refuse)
    plain, _ = _connection(monkeypatch, tmp_path, None)
    with pytest.raises(UnreachableError) as without:
        plain.open()
    dialed: Future[object] = Future()
    dialed.set_exception(refused)
    early, _ = _connection(monkeypatch, tmp_path, dialed)
    with pytest.raises(UnreachableError) as with_dial:
        early.open()
    assert str(with_dial.value) == str(without.value)
    assert "refused" in str(with_dial.value)
