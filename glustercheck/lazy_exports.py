"""A package's public names imported from their modules on first use (PEP 562), so that
importing one light name (a report type, a quoting helper) does not load the package's heavy
modules (paramiko and its crypto; every setup action) in a run that never uses them."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """The package's `__getattr__`: `homes` maps each public name to its module (relative to
    `package`, e.g. ".record"); a name is imported once, then kept on the package."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
