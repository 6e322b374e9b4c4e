"""simcluster's delaying TCP relay: network latency between this machine and each node, without netem.

Started by the host (simcluster/latency.py) as

    python3 relay.py SETTINGS.json

This machine's kernel has no `netem` qdisc ("Specified qdisc kind is unknown"), so the delay is
added here, in user space. One process serves every node: for each node a listening socket in the
node's own network namespace (NODE_ADDRESS:RELAY_PORT, so the spec's addresses stay the nodes'
addresses), relaying to the node's sshd over the bridge, from this machine's namespace.

What is modelled, per direction of each connection:
- every chunk read is written on after half the round trip (+- half the jitter, uniform), never
  before the chunk ahead of it: TCP delivers in order, so jitter delays but never reorders;
- nothing is dropped: a full queue stops reading (TCP back-pressure) instead;
- the TCP handshake: the kernel completes the client's connect at once, so the relay opens its
  connection to sshd 1.5 round trips later, when a real connect's final ACK would reach the node
  (the client's first bytes are held until then). A real client sees the server's first byte 2
  round trips after calling connect(); through the relay it does too.

Stdlib only, self-contained (it runs from its file, like node_init.py). Settings (JSON):
    {"latency_ms": 20, "jitter_ms": 5, "ready_file": PATH, "seed": null,
     "listeners": [{"netns": "/run/netns/gvsim-rpi0", "address": "10.0.1.0", "port": 2022,
                    "target": "10.0.1.0", "target_port": 22}, ...]}
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import random
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNET = 0x40000000
CHUNK = 65536
# Chunks in flight per direction before the relay stops reading (back-pressure, never a drop).
QUEUE_CHUNKS = 64
CONNECT_TIMEOUT = 10.0
HANDSHAKE_LEGS = 3  # SYN, SYN-ACK, ACK: the client's connect returns after 2 legs, the node accepts after 3


@dataclass(frozen=True)
class Listener:
    netns: str  # path of the network namespace the listening socket lives in (the node's)
    address: str
    port: int
    target: str  # the node's sshd, reached from the relay's own namespace
    target_port: int


class Delay:
    """When each chunk of one direction may leave: arrival + one-way delay +- jitter, never before
    the chunk ahead of it."""

    def __init__(self, one_way_s: float, jitter_s: float, rng: random.Random) -> None:
        self.one_way, self.jitter, self.rng = one_way_s, jitter_s, rng
        self.last = float("-inf")

    def sample(self) -> float:
        """One one-way delay: uniform in [one_way - jitter, one_way + jitter], never negative."""
        if not self.jitter:
            return self.one_way
        return max(0.0, self.one_way + self.rng.uniform(-self.jitter, self.jitter))

    def due(self, arrival: float) -> float:
        self.last = max(self.last, arrival + self.sample())
        return self.last


def one_way_delays(latency_ms: float, jitter_ms: float) -> tuple[float, float]:
    """Round-trip latency and jitter (ms) -> one direction's delay and jitter (s): half each."""
    return latency_ms / 2000.0, jitter_ms / 2000.0


def handshake_delay(latency_ms: float, jitter_ms: float, rng: random.Random) -> float:
    """Seconds between accepting a client and connecting to the node (see the module docstring)."""
    one_way, jitter = one_way_delays(latency_ms, jitter_ms)
    legs = Delay(one_way, jitter, rng)
    return sum(legs.sample() for _ in range(HANDSHAKE_LEGS))


def load_settings(path: Path) -> tuple[float, float, Path, int | None, list[Listener]]:
    data = json.loads(path.read_text())
    listeners = [Listener(**item) for item in data["listeners"]]
    return (float(data["latency_ms"]), float(data["jitter_ms"]), Path(data["ready_file"]),
            data.get("seed"), listeners)


def listen_in(netns: str, address: str, port: int) -> socket.socket:
    """A listening socket inside `netns`: the namespace is entered for the socket() call only (a
    socket keeps the namespace it was made in), then this thread goes back to its own."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(netns, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {netns} failed")
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            if libc.setns(own, CLONE_NEWNET) != 0:  # never keep running in the node's network
                os._exit(3)
    finally:
        os.close(own)
        os.close(target)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    sock.listen(256)
    sock.setblocking(False)
    return sock


def _nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:  # Nagle would add its own delays to small SSH packets
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: Delay) -> None:
    """Copy one direction, each chunk (and the end of the stream) after its delay."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(QUEUE_CHUNKS)

    async def receive() -> None:
        while data := await reader.read(CHUNK):
            await queue.put((delay.due(loop.time()), data))
        await queue.put((delay.due(loop.time()), b""))

    async def send() -> None:
        while True:
            due, data = await queue.get()
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    await asyncio.gather(receive(), send())


class Relay:
    def __init__(self, latency_ms: float, jitter_ms: float, seed: int | None) -> None:
        self.latency_ms, self.jitter_ms = latency_ms, jitter_ms
        self.rng = random.Random(seed)

    async def handle(self, listener: Listener, client_r: asyncio.StreamReader,
                     client_w: asyncio.StreamWriter) -> None:
        _nodelay(client_w)
        server_w: asyncio.StreamWriter | None = None
        try:
            await asyncio.sleep(handshake_delay(self.latency_ms, self.jitter_ms, self.rng))
            server_r, server = await asyncio.wait_for(
                asyncio.open_connection(listener.target, listener.target_port), CONNECT_TIMEOUT)
            server_w = server
            _nodelay(server)
            one_way, jitter = one_way_delays(self.latency_ms, self.jitter_ms)
            await asyncio.gather(pipe(client_r, server, Delay(one_way, jitter, self.rng)),
                                 pipe(server_r, client_w, Delay(one_way, jitter, self.rng)))
        except (OSError, TimeoutError):
            pass  # the node is off or cut off, or a side reset: the client sees the connection end
        finally:
            for writer in (client_w, server_w):
                if writer is not None:
                    writer.close()
                    with contextlib.suppress(OSError):
                        await writer.wait_closed()

    async def serve(self, listeners: list[Listener], ready_file: Path) -> None:
        servers = []
        for listener in listeners:
            sock = listen_in(listener.netns, listener.address, listener.port)

            async def on_client(r: asyncio.StreamReader, w: asyncio.StreamWriter,
                                lst: Listener = listener) -> None:
                await self.handle(lst, r, w)

            servers.append(await asyncio.start_server(on_client, sock=sock))
        ready_file.write_text(f"{os.getpid()}\n")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        for server in servers:
            server.close()


def main() -> None:
    latency_ms, jitter_ms, ready_file, seed, listeners = load_settings(Path(sys.argv[1]))
    asyncio.run(Relay(latency_ms, jitter_ms, seed).serve(listeners, ready_file))


if __name__ == "__main__":
    main()
