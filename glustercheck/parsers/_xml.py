"""Reading `gluster --xml` output safely: defusedxml, and errors that name the element."""

from __future__ import annotations

import builtins
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XmlSyntaxError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from glustercheck.errors import ParseError
from glustercheck.parsers._common import GlusterError, fail, to_int, unexpected


class Node:
    """An element plus its path from the root, for error messages."""

    __slots__ = ("command", "elem", "path")

    def __init__(self, elem: Element, path: str, command: str) -> None:
        self.elem = elem
        self.path = path
        self.command = command

    def where(self, tag: str | None = None) -> str:
        return f"XML element <{self.path}/{tag}>" if tag else f"XML element <{self.path}>"

    def error(self, expected: str, got: str | None, tag: str | None = None) -> ParseError:
        return fail(self.command, self.where(tag), expected, got)

    def find(self, tag: str) -> Node | None:
        elem = self.elem.find(tag)
        return None if elem is None else Node(elem, f"{self.path}/{tag}", self.command)

    def child(self, tag: str) -> Node:
        node = self.find(tag)
        if node is None:
            raise ParseError(f"{self.command}: {self.where()}: expected a <{tag}> child, found none")
        return node

    def children(self, tag: str) -> list[Node]:
        return [
            Node(elem, f"{self.path}/{tag}[{i}]", self.command)
            for i, elem in enumerate(self.elem.findall(tag), start=1)
        ]

    @property
    def value(self) -> str:
        return (self.elem.text or "").strip()

    def text(self, tag: str) -> str:
        return self.child(tag).value

    def opt_text(self, tag: str) -> str | None:
        node = self.find(tag)
        return None if node is None else node.value

    def int(self, tag: str) -> int:
        return to_int(self.text(tag), self.command, self.where(tag), "an integer")

    def opt_int(self, tag: str) -> builtins.int | None:  # `int` is also a method name here
        node = self.find(tag)
        return None if node is None else self.int(tag)

    def count(self, tag: str, optional: bool = False) -> builtins.int:
        """A non-negative count; an optional one that is absent reads 0."""
        if optional and self.find(tag) is None:
            return 0
        value = self.int(tag)
        if value < 0:
            raise self.error("a count of 0 or more", str(value), tag)
        return value

    def flag(self, tag: str) -> bool:
        value = self.text(tag)
        if value not in ("0", "1"):
            raise self.error("0 or 1", value, tag)
        return value == "1"


def load(text: str, command: str) -> tuple[Node, GlusterError | None]:
    """Parse `<cliOutput>`; the second value is gluster's error when opRet is not 0.

    Callers that have no use for an error document just raise it (see `load_ok`).
    """
    if not text.lstrip().startswith("<"):
        # The CLI's own errors (bad arguments, glusterd down) stay plain text in XML mode.
        raise unexpected(command, "line 1", "XML output (<cliOutput>)", text)
    try:
        elem = fromstring(text, forbid_dtd=True)
    except XmlSyntaxError as err:
        line, column = err.position
        raise ParseError(
            f"{command}: XML line {line}, column {column}: expected well-formed XML, got {err}"
        ) from None
    except DefusedXmlException as err:
        raise ParseError(f"{command}: XML: expected plain gluster XML, got {err}") from None
    root = Node(elem, elem.tag, command)
    if elem.tag != "cliOutput":
        raise fail(command, root.where(), "the root element <cliOutput>", elem.tag)
    op_ret = root.int("opRet")
    if op_ret == 0:
        return root, None
    message = root.opt_text("opErrstr") or f"opRet {op_ret}, opErrno {root.opt_text('opErrno')}"
    return root, GlusterError(command, root.where("opRet"), "0", message)


def load_ok(text: str, command: str) -> Node:
    """`load`, raising gluster's error if it reported one."""
    root, error = load(text, command)
    if error is not None:
        raise error
    return root
