"""paramiko, loaded without `invoke`.

paramiko.config imports invoke (~40 ms of a run's start here, more on a Pi) only to run
ssh_config's `Match exec`; this library reads ssh_config itself and refuses `Match exec`
(sshconfig/), so every run paid for that import on its critical path (no node is reached before
paramiko is loaded) and never used it. paramiko takes invoke as optional (an ImportError is kept
and raised only by `Match exec`), so invoke is hidden while paramiko loads, and only then: a
process that loaded either already, or loads invoke later, sees no difference.
"""

from __future__ import annotations

import importlib
import sys


def load() -> None:
    if "paramiko" in sys.modules or "invoke" in sys.modules:
        return
    sys.modules["invoke"] = None  # type: ignore[assignment]  # `import invoke` raises ImportError
    try:
        importlib.import_module("paramiko")
    finally:
        if "invoke" in sys.modules and sys.modules["invoke"] is None:
            del sys.modules["invoke"]
