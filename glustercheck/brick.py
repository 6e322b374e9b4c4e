"""One typed brick address, parsed once and carried everywhere: `HOST:/absolute/path`.

The host may be a name, an IPv4 address or an IPv6 literal (`fe80::1:/b`, or bracketed
`[fe80::1]:/b`): the host ends at the first `:/`, which an IPv6 address cannot contain, so a
colon inside the path (`rpi0:/b:1`) stays in the path. The layout validator keeps its own split
(the last colon, as gluster's CLI does) because it judges what gluster would do with a typed line.
"""

from __future__ import annotations

from dataclasses import dataclass

from glustercheck.errors import GlusterCheckError


class BrickSyntaxError(GlusterCheckError, ValueError):
    """Text that is not HOST:/absolute/path (names the text)."""


@dataclass(frozen=True, order=True)
class BrickRef:
    host: str
    path: str

    def __str__(self) -> str:
        return f"{self.host}:{self.path}"

    @property
    def parent(self) -> str:
        """The directory glusterd expects to exist (it creates only the last path component)."""
        return self.path.rsplit("/", 1)[0] or "/"


def parse_brick(text: str) -> BrickRef:
    """`rpi0:/mnt/usb/gv` -> BrickRef("rpi0", "/mnt/usb/gv"); raises BrickSyntaxError."""
    host, sep, rest = text.partition(":/")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host:
        raise BrickSyntaxError(f"{text!r} is not HOST:/absolute/path")
    return BrickRef(host, "/" + rest)
