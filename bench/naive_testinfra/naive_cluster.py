"""The cluster the naive suite checks: nodes, addresses and volume from simcluster's spec
($NAIVE_SPEC), read as a user would read their own inventory."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

SPEC = tomllib.loads(Path(os.environ.get("NAIVE_SPEC", "/var/lib/simcluster/cluster.toml")).read_text())
ADDRESSES: dict[str, str] = {n["name"]: n["address"] for n in SPEC["nodes"]}
NAMES = list(ADDRESSES)
VOLUME: dict[str, Any] = SPEC["volumes"][0]
BRICK_PATH = VOLUME.get("brick_path", "/mnt/usb/gv")
