"""Parsers for gluster CLI output, plain text and `--xml`, gluster 3.7 to 11.x.

Pure functions from text to frozen values: no I/O, no pytest. Every malformed, truncated or
unexpected input raises `glustercheck.errors.ParseError` naming the command, the line or XML
element and what was expected; when gluster printed an error message instead of the output, the
error is a `GlusterError` (a ParseError) whose `message` is gluster's text.
"""

from glustercheck.parsers._common import GlusterError
from glustercheck.parsers.heal import parse_heal_count, parse_heal_info, parse_heal_info_xml
from glustercheck.parsers.models import (
    Brick,
    BrickStatus,
    DaemonStatus,
    HealBrick,
    HealInfo,
    Peer,
    PoolEntry,
    Volume,
    VolumeStatus,
)
from glustercheck.parsers.peers import parse_peer_status, parse_peer_status_xml, parse_pool_list
from glustercheck.parsers.version import parse_gluster_version
from glustercheck.parsers.volume_info import parse_volume_info, parse_volume_info_xml
from glustercheck.parsers.volume_status import parse_volume_status, parse_volume_status_xml
from glustercheck.versions import GlusterVersion

__all__ = [
    "Brick",
    "BrickStatus",
    "DaemonStatus",
    "GlusterError",
    "GlusterVersion",
    "HealBrick",
    "HealInfo",
    "Peer",
    "PoolEntry",
    "Volume",
    "VolumeStatus",
    "parse_gluster_version",
    "parse_heal_count",
    "parse_heal_info",
    "parse_heal_info_xml",
    "parse_peer_status",
    "parse_peer_status_xml",
    "parse_pool_list",
    "parse_volume_info",
    "parse_volume_info_xml",
    "parse_volume_status",
    "parse_volume_status_xml",
]
