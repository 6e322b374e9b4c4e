"""Latency between this machine and the nodes: start and stop the delaying relay (relay.py), and
point the client files at it.

With latency asked for (`simcluster up --latency 20ms`, `SimConfig(latency_ms=20)`, or later
`simcluster latency 20ms`), ssh_config starts with one block per node that sets `Port 2022` (ssh
takes the first value it finds, so the generated blocks below stay as they are), and known_hosts
gains each node's key under `[name]:2022` and `[address]:2022`. `ssh -F ssh_config rpi0`, the
suite (the spec names that ssh_config and leaves the port to it) and testinfra therefore all go
through the relay; the nodes' own traffic (gluster between them) does not. Port 22 stays open and
undelayed. The relay is one process for all nodes, found again by its command line after a crash.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from simcluster import provision
from simcluster.config import SimConfig
from simcluster.processes import pids_with_args

RELAY = Path(__file__).with_name("relay.py")
RELAY_PORT = 2022
START_TIMEOUT = 10.0
MAX_MS = 10_000.0
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s)?")
BEGIN = "# >>> simcluster latency"  # the ssh_config block written here, between these lines
END = "# <<< simcluster latency"


def parse_ms(text: str, what: str = "--latency") -> float:
    """`20ms`, `20` (ms), `0.02s` -> 20.0; anything else is a ValueError naming the option."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{what} {text!r}: give a duration such as 20ms, 2.5ms or 0.02s")
    value = float(match.group(1)) * (1000.0 if match.group(2) == "s" else 1.0)
    if value > MAX_MS:
        raise ValueError(f"{what} {text!r}: at most {MAX_MS / 1000:g} s")
    return value


def describe(latency_ms: float, jitter_ms: float) -> str:
    if not latency_ms:
        return "no added latency"
    jitter = f", jitter +-{jitter_ms:g} ms" if jitter_ms else ""
    return f"{latency_ms:g} ms round trip to each node{jitter} (relay on port {RELAY_PORT})"


def settings_file(state_dir: Path) -> Path:
    return state_dir / "relay.json"


def ready_file(state_dir: Path) -> Path:
    return state_dir / "relay.ready"


def relay_settings(config: SimConfig, latency_ms: float, jitter_ms: float) -> dict[str, object]:
    """relay.py's settings: per node, a listener in its network namespace in front of its sshd."""
    return {
        "latency_ms": latency_ms, "jitter_ms": jitter_ms,
        "ready_file": str(ready_file(config.state_dir)), "seed": None,
        "listeners": [{"netns": f"/run/netns/{config.netns(name)}", "address": config.address(i),
                       "port": RELAY_PORT, "target": config.address(i), "target_port": 22}
                      for i, name in enumerate(config.names)],
    }


def ssh_config_prelude(config: SimConfig, latency_ms: float, jitter_ms: float) -> str:
    blocks = [f"{BEGIN}: {describe(latency_ms, jitter_ms)}.\n"
              "# First match wins in ssh_config: these ports override the blocks below.\n"]
    blocks += [f"Host {name} {config.address(i)}\n  Port {RELAY_PORT}\n"
               for i, name in enumerate(config.names)]
    return "".join(blocks) + f"{END}\n\n"


def without_prelude(text: str) -> str:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < 0:
        return text
    return text[:start] + text[end + len(END):].lstrip("\n")


def known_hosts_lines(config: SimConfig, keys: dict[str, str]) -> str:
    """Each node's host key under its relay port, as ssh and the suite look it up."""
    return "".join(f"[{name}]:{RELAY_PORT},[{config.address(i)}]:{RELAY_PORT} {keys[name]}\n"
                   for i, name in enumerate(config.names))


def relay_pids(state_dir: Path) -> list[int]:
    """Our relay processes, found by their command line (also after a crash lost the state)."""
    return pids_with_args(str(RELAY).encode(), str(settings_file(state_dir)).encode())


def start(config: SimConfig, latency_ms: float, jitter_ms: float) -> int:
    """Start the relay for every node; returns its pid once every listener is bound."""
    settings, ready = settings_file(config.state_dir), ready_file(config.state_dir)
    ready.unlink(missing_ok=True)
    settings.write_text(json.dumps(relay_settings(config, latency_ms, jitter_ms), indent=1) + "\n")
    log = (config.state_dir / "relay.log").open("ab")
    proc = subprocess.Popen([sys.executable, str(RELAY), str(settings)], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log, start_new_session=True)
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the latency relay exited at once (rc {proc.returncode}); see "
                               f"{config.state_dir / 'relay.log'}")
        if ready.exists():
            return proc.pid
        time.sleep(0.02)
    proc.kill()
    proc.wait(timeout=10)
    raise RuntimeError(f"the latency relay did not listen within {START_TIMEOUT:g} s; see "
                       f"{config.state_dir / 'relay.log'}")


def stop(state_dir: Path) -> None:
    for pid in relay_pids(state_dir):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            try:  # our child (reaped here) or, after `simcluster up` exited, init's
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    break
            except ChildProcessError:
                pass
            time.sleep(0.02)
    for path in (settings_file(state_dir), ready_file(state_dir)):
        path.unlink(missing_ok=True)


def point_client_files(config: SimConfig, latency_ms: float, jitter_ms: float) -> None:
    """ssh_config and known_hosts through the relay (latency > 0) or straight to port 22."""
    text = without_prelude(config.ssh_config.read_text())
    known = config.known_hosts.read_text().splitlines(keepends=True)
    known = [line for line in known if f"]:{RELAY_PORT}" not in line.split(" ", 1)[0]]
    if latency_ms:
        text = ssh_config_prelude(config, latency_ms, jitter_ms) + text
        keys = {name: provision.host_public_key(config, name) for name in config.names}
        known.append(known_hosts_lines(config, keys))
    config.ssh_config.write_text(text)
    config.known_hosts.write_text("".join(known))


def apply(config: SimConfig, latency_ms: float, jitter_ms: float) -> None:
    """Replace any relay by one with this latency (none for 0) and point the client files at it."""
    stop(config.state_dir)
    if latency_ms:
        start(config, latency_ms, jitter_ms)
    point_client_files(config, latency_ms, jitter_ms)
