"""ClearHalfMadeBrick's script, run for real as root on a directory of this machine (trusted.*
extended attributes, setfattr/getfattr from the `attr` package): it clears only the volume ID it
was planned from, and only while the directory holds no file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from glustercheck.actions import ClearHalfMadeBrick

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="trusted.* xattrs need root")
VOLUME_ID = "0xf33cc2fca8b94d2db397fed242677267"


def _brick(tmp_path: Path, volume_id: str = VOLUME_ID) -> Path:
    brick = tmp_path / "gv2"
    (brick / ".glusterfs" / "00").mkdir(parents=True)
    subprocess.run(["setfattr", "-n", "trusted.glusterfs.volume-id", "-v", volume_id, str(brick)],
                   check=True)
    return brick


def _clear(brick: Path, volume_id: str = VOLUME_ID) -> subprocess.CompletedProcess[str]:
    script = ClearHalfMadeBrick("rpi0", str(brick), "gv2", volume_id).command().script
    assert script is not None
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30,
                          check=False)


def _volume_id(brick: Path) -> str:
    return subprocess.run(["getfattr", "--absolute-names", "-n", "trusted.glusterfs.volume-id",
                           "-e", "hex", str(brick)], capture_output=True, text=True,
                          check=False).stdout


def test_an_empty_leftover_loses_its_id_and_empty_glusterfs(tmp_path: Path) -> None:
    brick = _brick(tmp_path)
    result = _clear(brick)
    assert result.returncode == 0, result.stderr
    assert _volume_id(brick) == ""
    assert brick.is_dir()
    assert not (brick / ".glusterfs").exists()


def test_a_file_that_appeared_since_planning_stops_it(tmp_path: Path) -> None:
    brick = _brick(tmp_path)
    (brick / "photo.jpg").write_bytes(b"\xff\xd8")
    result = _clear(brick)
    assert result.returncode == 1
    assert f"{brick}: holds files now" in result.stderr
    assert VOLUME_ID in _volume_id(brick)
    assert (brick / "photo.jpg").read_bytes() == b"\xff\xd8"


def test_another_id_than_the_one_planned_from_stops_it(tmp_path: Path) -> None:
    brick = _brick(tmp_path, "0x0123")
    result = _clear(brick)
    assert result.returncode == 1
    assert f"volume ID is now 0x0123, not {VOLUME_ID}" in result.stderr
    assert "0x0123" in _volume_id(brick)
