"""The replica-group validator: read a `volume create` line, judge it per gluster version, and
suggest a brick order that puts every replica/disperse set on distinct servers. Pure: no I/O."""

from glustercheck.layout.parse import parse_create_command
from glustercheck.layout.reorder import cut, same_server_groups, spread_blocker, suggest_order
from glustercheck.layout.request import CreateRequest, create_args, render_command
from glustercheck.layout.validate import Verdict, validate

__all__ = [
    "CreateRequest",
    "Verdict",
    "create_args",
    "cut",
    "parse_create_command",
    "render_command",
    "same_server_groups",
    "spread_blocker",
    "suggest_order",
    "validate",
]
