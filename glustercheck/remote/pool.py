"""One connection per node per process, and the reachability gate that opens them all at once."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

from glustercheck.errors import RemoteError, SudoError, UnreachableError

from . import tcp
from .connection import Connection, JumpConnections
from .resolver import Resolver
from .targets import ConnectOptions, SshTarget


class ConnectionPool:
    """Thread-safe map target -> Connection. Each process (each xdist worker) has its own.

    ssh_config is read once per pool; nodes behind the same jump host share one connection to it.
    """

    def __init__(self, options: ConnectOptions | None = None, *, resolver: Resolver | None = None,
                 dialed: Mapping[SshTarget, Future[socket.socket]] | None = None) -> None:
        """`resolver`: one that already read the ssh_config files; `dialed`: TCP connections
        dialed before paramiko was loaded, each used by its target's first connect."""
        self.options = options or ConnectOptions()
        self._connections: dict[SshTarget, Connection] = {}
        self._jumps = JumpConnections(self.options)
        self._resolver = resolver
        self._dialed = dict(dialed or {})
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def get(self, target: SshTarget) -> Connection:
        """The connection to `target` (not opened yet); raises UnreachableError for an
        ssh_config that cannot be used."""
        with self._lock:
            if os.getpid() != self._pid:
                # A forked child must not share the parent's sockets: start afresh.
                self._connections = {}
                self._dialed = {}
                self._jumps.forget()
                self._pid = os.getpid()
            conn = self._connections.get(target)
            if conn is None:
                if self._resolver is None:
                    self._resolver = Resolver(self.options)
                resolved = self._resolver.resolve(target)
                conn = self._connections[target] = Connection(
                    target, self.options, resolved=resolved, jumps=self._jumps,
                    dialed=self._dialed.pop(target, None))
            return conn

    @property
    def jump_connections(self) -> JumpConnections:
        return self._jumps

    def close_all(self) -> None:
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
        for conn in connections:
            conn.close()
        for dialed in self._dialed.values():
            tcp.discard(dialed)
        self._dialed = {}
        self._jumps.close_all()

    def __enter__(self) -> ConnectionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_all()


def probe(pool: ConnectionPool, target: SshTarget) -> UnreachableError | SudoError | None:
    """Open (or reuse) the pool's connection to `target` and run `true` (through sudo when the
    target uses sudo, so a sudo that cannot be used is one clear error per node): None, or why not
    (a SudoError when the node answers but sudo cannot be used: a different fix than a dead node)."""
    try:
        conn = pool.get(target)
        limit = max(conn.resolved.connect_timeout, 5.0)
        conn.run("true", timeout=limit, sudo=conn.resolved.sudo)
    except UnreachableError as exc:
        return exc
    except SudoError as exc:
        return exc
    except RemoteError as exc:
        return UnreachableError(f"{target.name} connected, but `true` did not run: {exc}")
    return None


def probe_all(
    targets: Iterable[SshTarget],
    options: ConnectOptions | None = None,
    max_workers: int = 32,
    *,
    pool: ConnectionPool | None = None,
) -> dict[str, UnreachableError | SudoError | None]:
    """Connect to every target in parallel and run `true`: name -> None (fine) or the error.

    Dead hosts are waited for side by side, so the whole probe takes about one connect
    timeout (per batch of `max_workers` hosts). Pass the session's `pool` to keep the
    opened connections for the tests.
    """
    targets = list(targets)
    own_pool = pool is None
    active = pool or ConnectionPool(options)
    if not targets:
        return {}
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(targets)))) as ex:
            results = list(ex.map(lambda t: probe(active, t), targets))
        return {t.name: r for t, r in zip(targets, results, strict=True)}
    finally:
        if own_pool:
            active.close_all()
