"""Where a run's remote time goes, from the suite's DEBUG log (`glustercheck.remote.commands`):
every remote command once, with its node, exit status and duration."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

# The process too: under xdist every worker appends its own lines to the same file.
LOG_FORMAT = "%(created).3f %(process)d-%(threadName)s %(name)s %(message)s"
_LINE = re.compile(r"^(?P<at>\d+\.\d+) (?P<thread>\S+) glustercheck\.remote\.commands "
                   r"(?P<node>\S+): `(?P<command>.*)` -> rc (?P<rc>-?\d+) in (?P<s>[0-9.]+) s$")


@dataclass(frozen=True)
class Command:
    at: float  # when it ended (epoch seconds)
    thread: str
    node: str
    command: str
    rc: int
    seconds: float

    @property
    def kind(self) -> str:
        """The command without its per-node details: `# glustercheck: facts of rpi3 (+40 more
        lines)` and `# glustercheck: facts of rpi0 (...)` are one kind."""
        text = re.sub(r"\b(facts of|on) \S+", r"\1 NODE", self.command)
        text = re.sub(r"/mnt/glustercheck-\S+", "/mnt/glustercheck-X", text)
        text = re.sub(r"glustercheck-[0-9a-f]{12}", "glustercheck-TAG", text)
        return text[:90]


def parse(text: str) -> list[Command]:
    found = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            found.append(Command(float(match["at"]), match["thread"], match["node"],
                                 match["command"], int(match["rc"]), float(match["s"])))
    return found


def summary(commands: list[Command], launched: float) -> dict[str, object]:
    per_node = Counter(c.node for c in commands)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for c in commands:
        by_kind[c.kind].append(c.seconds)
    kinds = sorted(by_kind.items(), key=lambda item: -sum(item[1]))
    return {
        "commands": len(commands),
        "per_node": dict(sorted(per_node.items())),
        "first_command_ends_s": min((c.at - launched for c in commands), default=None),
        "last_command_ends_s": max((c.at - launched for c in commands), default=None),
        "by_kind": [{"kind": k, "count": len(v), "total_s": round(sum(v), 3),
                     "max_s": round(max(v), 3)} for k, v in kinds],
    }
