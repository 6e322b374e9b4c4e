"""Every vector under tests/vectors parses, and plain and XML captures of one state agree.

Layout: tests/vectors/<version>/<command>[-<case>].txt|.xml, commands as below; for heal-info the
case starts with the volume name (heal-info-gv-rpi3-down). A new directory (e.g. a fresh capture
from a live glusterd) is picked up with no code change: each X.txt with an X.xml beside it becomes
a `test_plain_and_xml_agree` case. Use `assert_pair_agrees(txt, xml)` for pairs kept elsewhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glustercheck.parsers import (
    Brick,
    Volume,
    parse_gluster_version,
    parse_heal_count,
    parse_heal_info,
    parse_heal_info_xml,
    parse_peer_status,
    parse_peer_status_xml,
    parse_pool_list,
    parse_volume_info,
    parse_volume_info_xml,
    parse_volume_status,
    parse_volume_status_xml,
)

VECTORS = Path(__file__).parents[1] / "vectors"

Parser = Callable[[str, str], Any]  # (text, case) -> value; case only matters for heal-info
PARSERS: dict[str, tuple[Parser, Parser | None]] = {
    "peer-status": (lambda t, _: parse_peer_status(t), lambda t, _: parse_peer_status_xml(t)),
    "pool-list": (lambda t, _: parse_pool_list(t), None),
    "volume-info": (lambda t, _: parse_volume_info(t), lambda t, _: parse_volume_info_xml(t)),
    "volume-status": (lambda t, _: parse_volume_status(t), lambda t, _: parse_volume_status_xml(t)),
    "heal-info": (parse_heal_info, parse_heal_info_xml),
    "heal-count": (parse_heal_count, None),  # `statistics heal-count` has no XML form
    "version": (lambda t, _: parse_gluster_version(t), None),
}


def command_of(path: Path) -> tuple[str, str]:
    """(command, case) of a vector file: `heal-info-gv-down.txt` -> ("heal-info", "gv-down")."""
    for command in PARSERS:
        if path.stem == command or path.stem.startswith(command + "-"):
            return command, path.stem.removeprefix(command).removeprefix("-")
    raise ValueError(f"{path}: not named after a known command ({', '.join(PARSERS)})")


def parse_vector(path: Path, volume: str | None = None) -> Any:
    """Parse a vector file with the parser its name and suffix call for."""
    command, case = command_of(path)
    plain, xml = PARSERS[command]
    parser = xml if path.suffix == ".xml" else plain
    if parser is None:
        raise ValueError(f"{path}: {command} has no XML parser")
    return parser(path.read_text(), case if volume is None else volume)


def vector(version: str, name: str, volume: str | None = None) -> Any:
    """Parsed value of tests/vectors/<version>/<name> (name with suffix)."""
    return parse_vector(VECTORS / version / name, volume)


def comparable(value: Any) -> Any:
    """`value` without what only the XML carries (a brick's host UUID)."""
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, Volume):
        bricks = tuple(dataclasses.replace(b, host_uuid=None) for b in value.bricks)
        return dataclasses.replace(value, bricks=bricks)
    if isinstance(value, Brick):
        return dataclasses.replace(value, host_uuid=None)
    return value


FACT_SCRIPTS = VECTORS / "facts"  # what the fact scripts print (setup steps' tests), not CLI output


def gluster_vectors(suffix: str, root: Path = VECTORS) -> list[Path]:
    return [p for p in sorted(root.glob(f"**/*{suffix}")) if FACT_SCRIPTS not in p.parents]


def vector_pairs(root: Path = VECTORS) -> list[tuple[Path, Path]]:
    """Every X.txt with an X.xml beside it, in every directory under `root`."""
    return [
        (txt, txt.with_suffix(".xml"))
        for txt in gluster_vectors(".txt", root)
        if txt.with_suffix(".xml").exists()
    ]


def assert_pair_agrees(txt: Path, xml: Path) -> None:
    """The plain and the XML output of one state parse to the same values."""
    plain, from_xml = parse_vector(txt), parse_vector(xml, command_of(txt)[1])
    assert comparable(plain) == comparable(from_xml), f"{txt} and {xml} disagree"


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize(("txt", "xml"), vector_pairs(), ids=lambda p: _id(p) if p.suffix == ".txt" else "")
def test_plain_and_xml_agree(txt: Path, xml: Path) -> None:
    assert_pair_agrees(txt, xml)


@pytest.mark.parametrize("path", gluster_vectors(".txt") + gluster_vectors(".xml"), ids=_id)
def test_every_vector_parses(path: Path) -> None:
    assert parse_vector(path) is not None


def test_the_pairing_covers_every_command_with_xml() -> None:
    paired = {command_of(txt)[0] for txt, _ in vector_pairs()}
    assert paired == {command for command, (_, xml) in PARSERS.items() if xml is not None}
