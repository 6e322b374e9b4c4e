"""`gluster --version`: the first line is `glusterfs 10.3` (3.x adds ` built on DATE`)."""

from __future__ import annotations

import re

from glustercheck.parsers._text import Lines
from glustercheck.versions import GlusterVersion, parse_version

VERSION = "gluster --version"

_FIRST_LINE = re.compile(r"glusterfs ([0-9]{1,4}(?:\.[0-9]{1,4})*)\S*(?: .*)?", re.ASCII)


def parse_gluster_version(text: str) -> GlusterVersion:
    """(major, minor) of the CLI, e.g. (10, 3); development builds such as `11dev` give (11, 0)."""
    lines = Lines(text, VERSION)
    found = lines.start(_FIRST_LINE, "'glusterfs MAJOR.MINOR' on the first line")
    try:
        return parse_version(found[1])
    except ValueError as err:  # older than 3.x
        raise lines.error(f"a supported version ({err})") from None
