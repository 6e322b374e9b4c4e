"""testinfra's `host` fixture on the suite's own connections: one connection path for everything.

A user's test next to the checks (`def test_mine(host): ...`) is parametrised by pytest-testinfra
over `--hosts`. The suite rewrites that option to `glustercheck://NODE` for every node of the run,
and registers this backend under that scheme, so the user's commands run over the same SSH
connections, as the same login, with the same sudo and timeouts as the checks, and their test ids
name the node the same way (`[rpi0]`).
"""

from __future__ import annotations

from typing import Any

import testinfra.backend
from testinfra.backend.base import BaseBackend, CommandResult

from glustercheck.run import GlusterRun

SCHEME = "glustercheck"

# testinfra builds backends from host spec strings, so the run they use is found here: one run per
# pytest process (each xdist worker has its own), bound when the run is created.
_bound: GlusterRun | None = None


def bind(run: GlusterRun) -> list[str]:
    """Serve `host` from `run`; returns the host specs to give testinfra (its --hosts)."""
    global _bound  # noqa: PLW0603 - see _bound
    _bound = run
    testinfra.backend.BACKENDS[SCHEME] = f"{__name__}.{GlusterBackend.__name__}"
    return [f"{SCHEME}://{name}" for name in run.names]


class GlusterBackend(BaseBackend):  # type: ignore[misc]  # testinfra ships no type stubs
    NAME = SCHEME

    def __init__(self, hostname: str, *args: Any, **kwargs: Any) -> None:
        # sudo is the node's own setting (spec, --hosts, --sudo), applied by the connection.
        kwargs.pop("sudo", None)
        kwargs.pop("sudo_user", None)
        super().__init__(hostname, False, None, *args, **kwargs)

    def get_pytest_id(self) -> str:
        return str(self.hostname)

    def run(self, command: str, *args: str, **kwargs: Any) -> CommandResult:
        if _bound is None:
            raise RuntimeError("glustercheck: no cluster run is bound to testinfra's host fixture")
        line = self.quote(command, *args)
        result = _bound.run(self.hostname, line)
        return self.result(result.rc, self.encode(line), result.stdout, result.stderr)
