"""The local package repository, served to the nodes over HTTP from the bridge address only.

`state_dir/repo/<suite>` links to the cached repository of that suite (the .debs kept from its
full image's build); Python's http.server serves `state_dir/repo` on BRIDGE_ADDRESS:REPO_PORT.
Nodes reach it through the bridge and reach nothing else: they have no route out of 10.0.0.0/16.
Its access log is state_dir/repo-server.log (what every node downloaded).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from simcluster.config import BRIDGE_ADDRESS, REPO_PORT
from simcluster.processes import pids_with_args

START_TIMEOUT = 10.0


def _served_dir(state_dir: Path) -> Path:
    return state_dir / "repo"


def start(state_dir: Path, repos: dict[str, Path]) -> int:
    """Serve `repos` (suite -> repository directory); returns the server's pid."""
    served = _served_dir(state_dir)
    served.mkdir(parents=True, exist_ok=True)
    for suite, path in repos.items():
        link = served / suite
        link.unlink(missing_ok=True)
        link.symlink_to(path)
    log = (state_dir / "repo-server.log").open("wb")  # this cluster's downloads only
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(REPO_PORT), "--bind", str(BRIDGE_ADDRESS),
         "--directory", str(served)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the local package repository server exited at once (rc "
                               f"{proc.returncode}); see {state_dir / 'repo-server.log'}")
        try:
            with socket.create_connection((str(BRIDGE_ADDRESS), REPO_PORT), timeout=0.2):
                return proc.pid
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"the local package repository server did not listen on "
                       f"{BRIDGE_ADDRESS}:{REPO_PORT} within {START_TIMEOUT:g} s")


def server_pids(state_dir: Path) -> list[int]:
    """Our repository servers, found by their command line (also after a crash lost the state)."""
    return pids_with_args(b"http.server", str(_served_dir(state_dir)).encode())


def stop(state_dir: Path) -> None:
    for pid in server_pids(state_dir):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
