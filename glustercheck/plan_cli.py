"""gluster-plan: check a `gluster volume create` line before running it.

    gluster-plan volume create gv replica 2 server1:/exp1 server1:/exp2 server2:/exp3 server2:/exp4
    gluster-plan --json --gluster-version 10.3 --same-server 10.0.1.0=rpi0 gv replica 2 rpi0:/b 10.0.1.0:/b
    gluster-plan --mounts rpi0=/mnt/usb --mounts rpi1=/mnt/usb --unresolvable rpi9 gv replica 2 ...

Exit status: 0 gluster would accept it, 1 accepted with warnings, 2 refused (or unreadable),
64 usage error. Nothing is contacted: this only reads the line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, NoReturn

from glustercheck.errors import LayoutError
from glustercheck.layout import CreateRequest, Verdict, parse_create_command, render_command, validate
from glustercheck.versions import NEWEST_SUPPORTED, GlusterVersion, parse_version, unsupported

EXIT_OK, EXIT_WARNINGS, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2, 64
# gluster's own global options may be pasted with the line; they do not change `volume create`
GLUSTER_GLOBALS = ("--mode=", "--xml", "--remote-host=", "--log-file=", "--log-level=", "--timeout=")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _build_parser() -> _Parser:
    newest = f"{NEWEST_SUPPORTED[0]}.{NEWEST_SUPPORTED[1]}"
    parser = _Parser(
        prog="gluster-plan",
        description="Check a `gluster volume create` line before running it: would gluster accept "
        "it, is every replica/disperse set on distinct servers, and what brick order fixes it.",
        epilog="Exit status: 0 accepted, 1 accepted with warnings, 2 refused, 64 usage error.",
    )
    parser.add_argument("words", nargs="*", metavar="WORD",
                        help="the line as typed after `gluster` (after a `--`, every word is a word)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--gluster-version", default=newest, metavar="X.Y", help=f"target gluster version (default {newest})"
    )
    parser.add_argument(
        "--same-server",
        action="append",
        default=[],
        metavar="NAME=ID",
        help="NAME is the same server as ID (an alias, IP or UUID); repeatable",
    )
    parser.add_argument(
        "--unresolvable",
        action="append",
        default=[],
        metavar="HOST",
        help="HOST does not resolve on the servers (glusterd refuses its bricks); repeatable",
    )
    parser.add_argument(
        "--mounts",
        action="append",
        default=[],
        metavar="HOST=PATH[,PATH]",
        help="HOST's mount points (e.g. rpi0=/mnt/usb): the root-partition and mount-point rules "
        "are then exact instead of guessed from the path; repeatable",
    )
    return parser


def _pairs(parser: _Parser, option: str, form: str, pairs: list[str]) -> dict[str, str]:
    """`option`'s KEY=VALUE arguments; `form` shows the shape and an example for the error."""
    mapping = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            parser.error(f"{option} wants {form}, got {pair!r}")
        mapping[name] = value
    return mapping


def _mounts(parser: _Parser, pairs: list[str]) -> dict[str, list[str]]:
    mounts: dict[str, list[str]] = {}
    for host, paths in _pairs(parser, "--mounts", "HOST=PATH[,PATH] (e.g. rpi0=/mnt/usb)", pairs).items():
        points = [p for p in paths.split(",") if p]
        if not all(p.startswith("/") for p in points):
            parser.error(f"--mounts wants absolute paths for {host}, got {paths!r}")
        mounts.setdefault(host, []).extend(points)
    return mounts


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _build_parser()
    # Words after the first `--` are never options, neither gluster-plan's nor gluster's (gluster's
    # parse_cmdline stops at `--` too): they go to the line's parser as they are, `--` included.
    end = argv.index("--") if "--" in argv else len(argv)
    head, tail = argv[:end], argv[end:]
    try:
        args = parser.parse_intermixed_args([a for a in head if not a.startswith(GLUSTER_GLOBALS)])
        if not args.words and len(tail) <= 1:
            parser.error("the line to check is missing (e.g. volume create gv replica 3 a:/b ...)")
        try:
            version = parse_version(args.gluster_version)
        except ValueError as err:
            parser.error(f"--gluster-version: {err}")
        if unsupported(version):
            parser.error(f"--gluster-version {args.gluster_version}: {unsupported(version)}")
        aliases = _pairs(parser, "--same-server", "NAME=ID (e.g. 10.0.1.0=rpi0)", args.same_server)
        mounts = _mounts(parser, args.mounts)
    except SystemExit as stop:  # argparse: --help (0) or a usage error (64)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        request = parse_create_command([*args.words, *tail])
    except LayoutError as err:
        return _unreadable(str(err), version, as_json=args.json)
    verdict = validate(request, version, same_server=aliases or None,
                       resolvable=dict.fromkeys(args.unresolvable, False) or None,
                       mounts=mounts or None)
    _print(json.dumps(verdict_dict(request, verdict, version), indent=2) if args.json
           else report(request, verdict, version))
    if not verdict.accepted:
        return EXIT_REJECTED
    return EXIT_WARNINGS if verdict.warnings else EXIT_OK


def _print(text: str) -> None:
    """Print; a reader that stopped early (`gluster-plan ... | head`) is not an error."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # As the Python docs advise: point stdout at devnull so the exit flush does not fail too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _unreadable(message: str, version: GlusterVersion, *, as_json: bool) -> int:
    if as_json:
        doc = {
            "accepted": False,
            "status": "unreadable",
            "gluster_version": _v(version),
            "reasons": [message],
        }
        _print(json.dumps(doc, indent=2))
    else:
        _print(f"REFUSED: gluster {_v(version)} cannot read this line either.\n  - {message}")
    return EXIT_REJECTED


def _v(version: GlusterVersion) -> str:
    return f"{version[0]}.{version[1]}"


def _status(verdict: Verdict) -> str:
    return "rejected" if not verdict.accepted else "warnings" if verdict.warnings else "accepted"


def verdict_dict(request: CreateRequest, verdict: Verdict, version: GlusterVersion) -> dict[str, Any]:
    """The verdict as plain JSON-able values (`same_server_groups` are 0-based indexes)."""
    return {
        "accepted": verdict.accepted,
        "status": _status(verdict),
        "gluster_version": _v(version),
        "volume": request.volume,
        "reasons": list(verdict.reasons),
        "warnings": list(verdict.warnings),
        "type": verdict.type_name,
        "number_of_bricks": verdict.count_string,
        "groups": [list(g) for g in verdict.groups],
        "same_server_groups": list(verdict.same_server_groups),
        "suggestion": list(verdict.suggestion) if verdict.suggestion else None,
        "suggested_command": render_command(request, verdict.suggestion) if verdict.suggestion else None,
    }


def report(request: CreateRequest, verdict: Verdict, version: GlusterVersion) -> str:
    """The verdict as text for an operator."""
    headline = {
        "rejected": f"REFUSED: gluster {_v(version)} would not create this volume, or it would be unsound.",
        "warnings": f"ACCEPTED with warnings by gluster {_v(version)}.",
        "accepted": f"ACCEPTED by gluster {_v(version)}.",
    }[_status(verdict)]
    lines = [headline, f"Type: {verdict.type_name}", f"Number of Bricks: {verdict.count_string}"]
    for title, items in (("Reasons", verdict.reasons), ("Warnings", verdict.warnings)):
        if items:
            lines += [f"{title}:"] + [f"  - {item}" for item in items]
    shape = verdict.shape
    kind = "Disperse sets" if shape.disperse else "Replica sets" if shape.replica > 1 else "Bricks"
    lines.append(f"{kind} (in create order):")
    bad = set(verdict.same_server_groups)
    for i, group in enumerate(verdict.groups):
        names = [b + (" (arbiter)" if shape.arbiter and j == 2 else "") for j, b in enumerate(group)]
        lines.append(f"  {i + 1}: {' '.join(names)}" + ("   <- same server" if i in bad else ""))
    if verdict.suggestion:
        lines += [
            "Suggested order (every set on distinct servers):",
            "  " + render_command(request, verdict.suggestion),
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
