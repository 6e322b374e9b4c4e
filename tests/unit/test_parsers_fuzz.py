"""Fuzzing: whatever the input, a parser returns a value or raises ParseError, nothing else."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glustercheck.errors import ParseError
from tests.unit.test_parsers_vectors import PARSERS, command_of, gluster_vectors

FUZZ = settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])

ALL_PARSERS = [parser for pair in PARSERS.values() for parser in pair if parser is not None]
XML_PARSERS = [xml for _, xml in PARSERS.values() if xml is not None]
VECTOR_FILES = gluster_vectors(".txt") + gluster_vectors(".xml")


def parser_for(path: Path) -> Callable[[str, str], Any]:
    plain, xml = PARSERS[command_of(path)[0]]
    parser = xml if path.suffix == ".xml" else plain
    assert parser is not None
    return parser


def only_parse_error(parser: Callable[[str, str], Any], text: str) -> None:
    # Any other exception propagates and fails the test with Hypothesis' minimal example.
    with contextlib.suppress(ParseError):
        parser(text, "v")


@FUZZ
@given(parser=st.sampled_from(ALL_PARSERS), text=st.text())
def test_arbitrary_text(parser: Callable[[str, str], Any], text: str) -> None:
    only_parse_error(parser, text)


# Lines that look like gluster output, in any order: reaches deeper than arbitrary text.
GLUSTERISH = st.sampled_from(
    [
        "",
        " ",
        "Number of Peers: 2",
        "Hostname: rpi1",
        "Gathering count of entries to be healed on volume gv has been successful ",
        "Gathering count of entries to be healed on volume gv has been unsuccessful:",
        "No gathered input for this brick",
        "Uuid: u",
        "State: Peer in Cluster (Connected)",
        "Other names:",
        "Volume Name: gv",
        "Type: Replicate",
        "Type: Distributed-Striped-Replicate",
        "Number of Bricks: 1 x (2 + 1) = 3",
        "Number of Bricks: 2 x 2 x 2 = 8",
        "Status: Started",
        "Bricks:",
        "Brick1: h:/b (arbiter)",
        "Options Reconfigured:",
        "Status of volume: gv",
        "Gluster process                             TCP Port  RDMA Port  Online  Pid",
        "-" * 78,
        "Brick h:/b                                  49152     0          Y       12",
        "Self-heal Daemon on localhost               N/A       N/A        Y       N/A",
        "Brick h:/" + "x" * 34,
        "Brick h:/b",
        "Number of entries: -",
        "Status: Connected",
        "UUID\t\t\t\t\tHostname\tState",
        "u\th\tConnected ",
        "glusterfs 10.3",
    ]
)


@FUZZ
@given(parser=st.sampled_from(ALL_PARSERS), lines=st.lists(GLUSTERISH | st.text(max_size=20), max_size=30))
def test_gluster_like_lines(parser: Callable[[str, str], Any], lines: list[str]) -> None:
    only_parse_error(parser, "\n".join(lines))


TAGS = [
    "cliOutput",
    "opRet",
    "opErrno",
    "opErrstr",
    "peerStatus",
    "peer",
    "uuid",
    "hostname",
    "hostnames",
    "connected",
    "stateStr",
    "volInfo",
    "volumes",
    "volume",
    "count",
    "name",
    "id",
    "statusStr",
    "snapshotCount",
    "brickCount",
    "replicaCount",
    "arbiterCount",
    "disperseCount",
    "redundancyCount",
    "stripeCount",
    "typeStr",
    "transport",
    "bricks",
    "brick",
    "hostUuid",
    "isArbiter",
    "options",
    "option",
    "value",
    "volStatus",
    "volName",
    "node",
    "path",
    "status",
    "port",
    "ports",
    "tcp",
    "rdma",
    "pid",
    "healInfo",
    "file",
    "numberOfEntries",
]
VALUES = st.sampled_from(["", "0", "1", "-1", "2", "N/A", "-", "x", "h:/b", "-:-", "Started", "Replicate"])


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, body: f"<{tag}>{''.join(body)}</{tag}>",
        st.sampled_from(TAGS),
        st.lists(children, max_size=5),
    )


XML_TREES = st.recursive(VALUES.map(escape), _element, max_leaves=40).map(
    lambda body: f"<cliOutput><opRet>0</opRet>{body}</cliOutput>"
)


@FUZZ
@given(parser=st.sampled_from(XML_PARSERS), text=XML_TREES)
def test_xml_trees_of_gluster_tags(parser: Callable[[str, str], Any], text: str) -> None:
    only_parse_error(parser, text)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """`text` truncated, cut, spliced, or with lines dropped, doubled or swapped."""
    kind = draw(st.sampled_from(["truncate", "cut", "insert", "drop", "double", "swap", "char"]))
    i = draw(st.integers(0, len(text)))
    j = draw(st.integers(i, len(text)))
    lines = text.splitlines(keepends=True) or [""]
    k, m = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
    if kind == "truncate":
        return text[:i]
    if kind == "cut":
        return text[:i] + text[j:]
    if kind == "insert":
        return text[:i] + draw(st.text(max_size=12) | GLUSTERISH) + text[i:]
    if kind == "drop":
        return "".join(lines[:k] + lines[k + 1 :])
    if kind == "double":
        return "".join(lines[: k + 1] + lines[k:])
    if kind == "swap":
        lines[k], lines[m] = lines[m], lines[k]
        return "".join(lines)
    return text[:i] + draw(st.characters()) + text[i + 1 :]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(VECTOR_FILES), data=st.data())
def test_mutated_vectors(path: Path, data: st.DataObject) -> None:
    text = path.read_text()
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        text = data.draw(mutated(text))
    only_parse_error(parser_for(path), text)
