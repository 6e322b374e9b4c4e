"""Which Debian suite each node boots: `--os trixie`, `--os rpi0=bookworm,rpi1=trixie`,
`--os trixie,rpi0=bookworm` (a bare suite sets the default for the nodes not listed)."""

from __future__ import annotations

from collections.abc import Sequence

# Debian suite -> the glusterfs version its packages install (what Raspberry Pi OS of the same
# name ships too).
SUITES = {"bookworm": "10.3", "trixie": "11.1"}
DEFAULT_SUITE = "bookworm"


def parse_os_choice(text: str, names: Sequence[str], default: str = DEFAULT_SUITE) -> dict[str, str]:
    """Map every node name to its suite. Raises ValueError saying what was expected and found."""
    known = ", ".join(SUITES)
    chosen: dict[str, str] = {}
    bare: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            raise ValueError(f"--os {text!r}: empty item; expected SUITE or NODE=SUITE separated "
                             f"by commas, e.g. --os rpi0=bookworm,rpi1=trixie")
        node, sep, suite = item.rpartition("=")
        if suite not in SUITES:
            raise ValueError(f"--os {text!r}: unknown suite {suite!r} in {item!r}; known suites: "
                             f"{known} (bookworm = Debian 12, gluster 10.3; trixie = Debian 13, "
                             f"gluster 11.1)")
        if not sep:
            bare.append(suite)
            continue
        if node not in names:
            raise ValueError(f"--os {text!r}: no node {node!r} in this cluster "
                             f"(nodes: {', '.join(names)})")
        if node in chosen:
            raise ValueError(f"--os {text!r}: node {node} is given twice")
        chosen[node] = suite
    if len(bare) > 1:
        raise ValueError(f"--os {text!r}: more than one default suite ({', '.join(bare)}); give "
                         "one bare SUITE at most, the others as NODE=SUITE")
    fallback = bare[0] if bare else default
    return {name: chosen.get(name, fallback) for name in names}


def describe(choice: dict[str, str]) -> str:
    """`bookworm (gluster 10.3)` for a uniform cluster, else `rpi0 bookworm, rpi1 trixie, ...`."""
    suites = set(choice.values())
    if len(suites) == 1:
        suite = suites.pop()
        return f"{suite} (gluster {SUITES[suite]})"
    return ", ".join(f"{name} {suite}" for name, suite in choice.items())
